"""The parse cache: a new process reads unchanged flows and lint results from disk, and any edit is parsed anew."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.errors import LibraryError
from engine.process_library import lint
from engine.process_library import parsecache
from engine.process_library import spiff
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


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The flows parsed from here on, as (municipality, process key)."""
    parsed: list[tuple[str, str]] = []
    original = Library._resolve

    def counting(self: Library, municipality: str, process_key: str):
        parsed.append((municipality, process_key))
        return original(self, municipality, process_key)

    monkeypatch.setattr(Library, "_resolve", counting)
    return parsed


def test_municipalities_that_resolve_a_flow_to_the_same_files_parse_it_once(library_dir, tmp_path, monkeypatch):
    first = fresh(library_dir, tmp_path / "cache").resolve("alpha", "new_case")
    never_parse(monkeypatch)
    second = fresh(library_dir, tmp_path / "cache").resolve("beta", "new_case")
    assert (second.municipality, second.hash) == ("beta", first.hash)
    assert second.bpmn == first.bpmn
    assert {name: form.schema for name, form in second.forms.items()} == {
        name: form.schema for name, form in first.forms.items()
    }


def test_one_process_holds_the_specs_of_the_same_files_once(library_dir, tmp_path):
    library = fresh(library_dir, tmp_path / "cache")
    alpha, beta = (library.resolve(municipality, "new_case") for municipality in ("alpha", "beta"))
    assert (alpha.municipality, beta.municipality) == ("alpha", "beta")
    assert beta.spec is alpha.spec


def test_an_edit_the_flow_does_not_reach_keeps_it_parsed(library_dir, tmp_path, monkeypatch):
    before = fresh(library_dir, tmp_path / "cache").resolve("alpha", "new_case")
    (library_dir / "alpha" / "forms").mkdir()
    (library_dir / "alpha" / "forms" / "unused.schema.json").write_text('{"title": "未使用"}', encoding="utf-8")
    never_parse(monkeypatch)
    assert fresh(library_dir, tmp_path / "cache").resolve("alpha", "new_case").hash == before.hash


def test_an_edit_the_flow_reaches_parses_it_again_for_that_municipality_only(library_dir, tmp_path, monkeypatch):
    for municipality in ("alpha", "beta"):
        fresh(library_dir, tmp_path / "cache").resolve(municipality, "new_case")
    (library_dir / "alpha" / "forms").mkdir()
    schema = json.loads((library_dir / "common" / "forms" / "intake.schema.json").read_text(encoding="utf-8"))
    schema["title"] = "受付(市A)"
    (library_dir / "alpha" / "forms" / "intake.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    parsed = count_parses(monkeypatch)
    alpha = fresh(library_dir, tmp_path / "cache").resolve("alpha", "new_case")
    beta = fresh(library_dir, tmp_path / "cache").resolve("beta", "new_case")
    assert parsed == [("alpha", "new_case")]
    assert alpha.forms["intake"].title == "受付(市A)"
    assert beta.forms["intake"].title != "受付(市A)"
    assert alpha.hash != beta.hash


def test_an_entry_that_does_not_restore_is_a_miss(library_dir, tmp_path, monkeypatch):
    """Well-formed JSON of the wrong shape (another program, a bug, a hand edit) is parsed again, not an error."""
    cache_dir = tmp_path / "cache"
    expected = fresh(library_dir, cache_dir).resolve("alpha", "new_case").hash
    for entry in (cache_dir / "parsed").glob("*.json"):
        damaged = {**json.loads(entry.read_text(encoding="utf-8")), "spec": {"typename": "NotASpec"}}
        entry.write_text(json.dumps(damaged), encoding="utf-8")
    parsed = count_parses(monkeypatch)
    assert fresh(library_dir, cache_dir).resolve("alpha", "new_case").hash == expected
    assert parsed == [("alpha", "new_case")]
    for entry in (cache_dir / "parsed").glob("*.json"):
        damaged = {**json.loads(entry.read_text(encoding="utf-8")), "forms": {"intake": ["../../etc/passwd", None]}}
        entry.write_text(json.dumps(damaged), encoding="utf-8")
    for entry in (cache_dir / "resolve").glob("*.json"):
        entry.write_text("[1, 2]", encoding="utf-8")
    assert fresh(library_dir, cache_dir).resolve("alpha", "new_case").hash == expected
    for entry in (cache_dir / "lint").glob("*.json"):
        entry.write_text('[{"file": "x", "unknown": 1}]', encoding="utf-8")
    assert lint_library(fresh(library_dir, cache_dir)).problems == lint_library(Library(library_dir)).problems


def test_an_entry_moved_to_another_key_is_not_used(library_dir, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    fresh(library_dir, cache_dir).resolve("alpha", "new_case")
    fresh(library_dir, cache_dir).resolve("alpha", "plan_cycle")
    entries = {entry: entry.read_bytes() for entry in (cache_dir / "parsed").glob("*.json")}
    first, second = entries
    first.write_bytes(entries[second])
    second.write_bytes(entries[first])
    parsed = count_parses(monkeypatch)
    for process_key in ("new_case", "plan_cycle"):
        assert fresh(library_dir, cache_dir).resolve("alpha", process_key).spec.name == process_key
    assert sorted(parsed) == [("alpha", "new_case"), ("alpha", "plan_cycle")]


def test_entries_of_other_code_are_not_used(library_dir, tmp_path, monkeypatch):
    """The key covers the engine modules that parse and lint, and the versions of SpiffWorkflow, jsonschema and
    lxml: after an upgrade or an edit to them, every flow is parsed and every file checked again."""
    cache_dir = tmp_path / "cache"
    lint_library(fresh(library_dir, cache_dir))
    monkeypatch.setattr(parsecache, "code_fingerprint", lambda: "another version of the code")
    parsed = count_parses(monkeypatch)
    checked: list[str] = []
    monkeypatch.setattr(lint, "check_diagram", lambda content, rel: checked.append(rel) or [])
    lint_library(fresh(library_dir, cache_dir))
    # beta resolves every flow to the same files as alpha, so it takes alpha's freshly parsed specs
    assert sorted(parsed) == [("alpha", "new_case"), ("alpha", "plan_cycle"), ("alpha", "service_termination")]
    assert sorted(checked) == ["common/new_case.bpmn", "common/plan_cycle.bpmn", "common/service_termination.bpmn"]


def test_lint_of_an_unchanged_library_restores_no_spec(library_dir, tmp_path, monkeypatch):
    first = lint_library(fresh(library_dir, tmp_path / "cache"))

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a spec was restored although lint's results are cached")

    monkeypatch.setattr(spiff, "spec_from_dict", refuse)
    never_parse(monkeypatch)
    second = lint_library(fresh(library_dir, tmp_path / "cache"))
    assert second.problems == first.problems
    assert second.files == first.files


def test_a_changed_setting_is_linted_again(library_dir, tmp_path):
    diagram = library_dir / "common" / "new_case.bpmn"
    diagram.write_text(
        diagram.read_text(encoding="utf-8").replace("ready+P7D", "next_month_day.results_due_day"), encoding="utf-8"
    )
    assert "due-rule" not in {p.rule for p in lint_library(fresh(library_dir, tmp_path / "cache")).problems}
    toml = library_dir / "alpha" / "municipality.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("results_due_day = 4\n", ""), encoding="utf-8")
    problems = lint_library(fresh(library_dir, tmp_path / "cache")).problems
    assert [(p.rule, p.file) for p in problems if p.rule == "due-rule"] == [("due-rule", "new_case.bpmn")]


def test_a_changed_glossary_is_checked_again(library_dir, tmp_path):
    (library_dir / "GLOSSARY.md").write_text("# 用語集\n", encoding="utf-8")
    missing = [p for p in lint_library(fresh(library_dir, tmp_path / "cache")).problems if p.rule == "glossary"]
    assert missing
    names = "".join(f"- `{p.element}`\n" for p in missing)
    (library_dir / "GLOSSARY.md").write_text(f"# 用語集\n{names}", encoding="utf-8")
    assert "glossary" not in {p.rule for p in lint_library(fresh(library_dir, tmp_path / "cache")).problems}


def test_an_edited_file_is_linted_again(library_dir, tmp_path):
    before = lint_library(fresh(library_dir, tmp_path / "cache")).problems
    form = library_dir / "common" / "forms" / "intake.schema.json"
    schema = json.loads(form.read_text(encoding="utf-8"))
    schema.pop("title")
    form.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    after = lint_library(fresh(library_dir, tmp_path / "cache")).problems
    assert [(p.rule, p.file) for p in after if p not in before] == [("form-title", "common/forms/intake.schema.json")]
