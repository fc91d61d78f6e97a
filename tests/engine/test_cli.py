"""The command line as a process owner uses it: init-db, decide, lint (exit codes and Japanese messages)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect
from sqlalchemy import text

from engine.db import make_engine
from engine.models import Base
from web.cli import main

# はい to 1-5, 16 and 19 (nothing counts there); いいえ to 6-8 (階段・立ち上がり・歩行): 運動機能 only.
ANSWERS = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]


@pytest.fixture
def cli(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", url)
    return CliRunner(), url


def test_init_db_creates_the_schema_through_migrations(cli):
    runner, url = cli
    result = runner.invoke(main, ["init-db"])
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"care_case", "process_instance", "task", "timer", "document", "event", "alembic_version"} <= tables
    assert runner.invoke(main, ["init-db"]).exit_code == 0  # idempotent


def test_init_db_on_postgresql(postgres_url, monkeypatch):
    # The PostgreSQL database is shared by the session's tests: start from an empty one, whatever ran before.
    engine = make_engine(postgres_url)
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", postgres_url)
    result = CliRunner().invoke(main, ["init-db"])
    assert result.exit_code == 0, result.output
    engine = make_engine(postgres_url)
    assert "task" in inspect(engine).get_table_names()
    engine.dispose()


def test_decide_prints_the_outputs_as_json(cli):
    runner, _ = cli
    inputs = json.dumps({"checklist": ANSWERS, "height_cm": 155, "weight_kg": 50})
    result = runner.invoke(main, ["decide", "checklist_assessment", "-m", "suzuka-kameyama", "--input", inputs])
    assert result.exit_code == 0, result.output
    outputs = json.loads(result.output)
    flags = outputs["checklist_flags"]
    assert flags["motor"] is True
    assert not any(value for name, value in flags.items() if name != "motor")
    assert outputs["checklist_counts"]["motor"] == 3
    assert outputs["program_eligible"] is True


def test_decide_refuses_bad_input_in_japanese(cli):
    runner, _ = cli
    inputs = json.dumps({"checklist": [1, 0], "height_cm": 90, "weight_kg": 50})
    result = runner.invoke(main, ["decide", "checklist_assessment", "-m", "suzuka-kameyama", "--input", inputs])
    assert result.exit_code != 0
    assert "25項目" in result.output and "身長" in result.output
    result = runner.invoke(main, ["decide", "checklist_assessment", "-m", "suzuka-kameyama", "--input", "{not json"])
    assert result.exit_code == 2 and "JSON" in result.output
    result = runner.invoke(main, ["decide", "no_such_decision", "-m", "suzuka-kameyama", "--input", "{}"])
    assert result.exit_code != 0 and "判定「no_such_decision」はありません" in result.output


def test_decide_a_dmn_table(cli):
    runner, _ = cli
    inputs = json.dumps({"change_kind": "weekday", "state_changed": False, "several_service_types": False})
    result = runner.invoke(main, ["decide", "minor_change", "-m", "suzuka-kameyama", "--input", inputs])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["minor"] is True


def test_lint_fails_on_a_broken_diagram_and_names_it(cli, tmp_path):
    runner, _ = cli
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<bpmn:definitions", encoding="utf-8")
    result = runner.invoke(main, ["lint", str(broken)])
    assert result.exit_code == 1
    assert "broken.bpmn" in result.output and "XML" in result.output
