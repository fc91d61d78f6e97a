"""A new municipality from the common flows (engine/publishing/municipality_new.py, `kaigoflow municipality new`): its
folder, a municipality.toml with every parameter explained in Japanese and the documented defaults, a clean lint, and a
draft its process owner can publish."""

from __future__ import annotations

import shutil
import tomllib

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import handlers
from engine.config import Settings
from engine.errors import ValidationError
from engine.publishing import municipality_new
from engine.services import Services
from engine.store.models import Event
from tests.conftest import PROCESSES
from web.cli import main


@pytest.fixture
def copy_services(tmp_path, database_url):
    """The real library copied to a folder of its own (a new municipality writes into it)."""
    root = tmp_path / "processes"
    shutil.copytree(PROCESSES, root)
    settings = Settings(database_url=database_url, processes_dir=root, cache_dir=tmp_path / "bundles")
    svc = Services(settings, handlers.form_handlers(), handlers.python_decisions())
    yield svc
    svc.engine.dispose()


def defaults(root) -> dict:
    return tomllib.loads((root / "common" / municipality_new.DEFAULTS_FILE).read_text(encoding="utf-8"))


def test_every_default_parameter_is_explained_in_japanese(copy_services):
    lines = (copy_services.library.root / "common" / municipality_new.DEFAULTS_FILE).read_text("utf-8").splitlines()
    for index, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            comment = lines[index - 1]
            assert comment.startswith("#") and any("\u3040" <= c <= "\u9fff" for c in comment), line


def test_a_new_municipality_gets_the_defaults_a_clean_lint_and_a_draft_that_publishes(copy_services, clock):
    versions = copy_services.versions
    with copy_services.sessions() as session:
        draft, report = municipality_new.create(session, versions, "kitakami", "北上市", "admin-1", clock)
        assert report.ok and report.files > 0
        folder = copy_services.library.root / "kitakami"
        written = tomllib.loads((folder / "municipality.toml").read_text(encoding="utf-8"))
        assert (written["key"], written["name"], written["insurer"]) == ("kitakami", "北上市", "北上市")
        for section, values in defaults(copy_services.library.root).items():
            assert written[section] == values, section
        assert set(draft.files) == {"municipality.toml", "README.md", "new_case.bpmn"}
        muni = copy_services.library.municipality("kitakami")
        assert "new_case" in copy_services.library.flows("kitakami") and muni.params["renewal_support_days"] == 30
        [created] = session.scalars(select(Event).where(Event.kind == "municipality_created")).all()
        assert created.detail == {"municipality": "kitakami", "name": "北上市", "by": "admin-1"}
        published = versions.publish(session, "kitakami", "北上市の運用開始", "kitakami-owner", clock)
        assert published.number == 2


def test_a_bad_or_taken_key_is_refused_and_leaves_nothing_behind(copy_services, clock):
    root = copy_services.library.root
    before = sorted(p.name for p in root.iterdir())
    with copy_services.sessions() as session:
        for key, name, field in (
            ("Kita Kami", "北上市", "key"),
            ("oshu", "奥州市", "key"),
            ("new", "x", "key"),
            ("kitakami", " ", "name"),
        ):
            with pytest.raises(ValidationError) as refused:
                municipality_new.create(session, copy_services.versions, key, name, "admin-1", clock)
            assert field in refused.value.details
    assert sorted(p.name for p in root.iterdir()) == before


def test_the_command_creates_and_explains_the_next_steps(copy_services, monkeypatch):
    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", copy_services.settings.database_url)
    monkeypatch.setenv("KAIGOFLOW_PROCESSES", str(copy_services.library.root))
    monkeypatch.setenv("KAIGOFLOW_CACHE_DIR", str(copy_services.settings.cache_dir))
    result = CliRunner().invoke(main, ["municipality", "new", "kitakami", "--name", "北上市"])
    assert result.exit_code == 0, result.output
    assert "問題はありません" in result.output and "kaigoflow publish kitakami" in result.output
    again = CliRunner().invoke(main, ["municipality", "new", "kitakami", "--name", "北上市"])
    assert again.exit_code == 1 and "すでにあります" in again.output
