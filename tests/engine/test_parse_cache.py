"""The parse cache: a new process reads unchanged flows and lint results from disk, and any edit is parsed anew."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.errors import LibraryError
from engine.process_library.lint import lint_library
from engine.process_library.loader import Library
from engine.process_library.parsecache import ParseCache

WEBLIB = Path(__file__).resolve().parent.parent / "fixtures" / "weblib"


@pytest.fixture
def library_dir(tmp_path: Path) -> Path:
    target = tmp_path / "processes"
    shutil.copytree(WEBLIB, target)
    return target


def fresh(root: Path, cache_dir: Path) -> Library:
    """What a newly started process builds: nothing in memory, the same cache directory."""
    return Library(root, cache=ParseCache(cache_dir))


def never_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise AssertionError("parsed although the cache holds this flow")

    monkeypatch.setattr(Library, "_resolve", refuse)


def test_a_new_process_reads_parsed_flows_from_the_cache(library_dir, tmp_path, monkeypatch):
    first = fresh(library_dir, tmp_path / "cache").resolve("alpha", "new_case")
    never_parse(monkeypatch)
    second = fresh(library_dir, tmp_path / "cache").resolve("alpha", "new_case")
    assert second.hash == first.hash
    assert second.forms.keys() == first.forms.keys()
    assert sorted(t.bpmn_id for t in second.user_task_specs()) == sorted(t.bpmn_id for t in first.user_task_specs())
    assert second.bpmn == first.bpmn


def test_lint_from_the_cache_reports_the_same_problems(library_dir, tmp_path):
    form = library_dir / "common" / "forms" / "intake.schema.json"
    schema = json.loads(form.read_text(encoding="utf-8"))
    schema.pop("title")  # a lint problem, so the cached report is not trivially empty
    form.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    uncached = lint_library(Library(library_dir))
    first = lint_library(fresh(library_dir, tmp_path / "cache"))
    second = lint_library(fresh(library_dir, tmp_path / "cache"))
    assert "form-title" in {p.rule for p in uncached.problems}
    assert first.problems == uncached.problems
    assert second.problems == uncached.problems
    assert second.files == uncached.files


def test_an_edited_file_is_parsed_again(library_dir, tmp_path):
    before = fresh(library_dir, tmp_path / "cache").resolve("alpha", "new_case")
    form = library_dir / "common" / "forms" / "intake.schema.json"
    schema = json.loads(form.read_text(encoding="utf-8"))
    schema["title"] = "受付(改訂)"
    form.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    after = fresh(library_dir, tmp_path / "cache").resolve("alpha", "new_case")
    assert after.hash != before.hash
    assert after.forms["intake"].title == "受付(改訂)"


def test_a_broken_diagram_is_reported_not_cached(library_dir, tmp_path):
    fresh(library_dir, tmp_path / "cache").resolve("alpha", "new_case")
    (library_dir / "common" / "new_case.bpmn").write_text("<not-bpmn", encoding="utf-8")
    with pytest.raises(LibraryError):
        fresh(library_dir, tmp_path / "cache").resolve("alpha", "new_case")


def test_a_corrupt_entry_is_a_miss(library_dir, tmp_path):
    cache_dir = tmp_path / "cache"
    expected = fresh(library_dir, cache_dir).resolve("alpha", "new_case").hash
    for entry in (cache_dir / "resolve").glob("*.json"):
        entry.write_text('{"hash": "truncat', encoding="utf-8")
    assert fresh(library_dir, cache_dir).resolve("alpha", "new_case").hash == expected


def test_without_a_directory_nothing_is_stored(library_dir, tmp_path):
    cache = ParseCache(None)
    Library(library_dir, cache=cache).resolve("alpha", "new_case")
    assert cache.get("resolve", "anything") is None
    assert list(tmp_path.iterdir()) == [library_dir]
