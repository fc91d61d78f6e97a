"""The command line as a process owner uses it: init-db, decide, lint (exit codes and Japanese messages)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from engine.store.db import make_engine
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


def test_init_db_on_postgresql(empty_postgres_url, monkeypatch):
    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", empty_postgres_url)
    result = CliRunner().invoke(main, ["init-db"])
    assert result.exit_code == 0, result.output
    engine = make_engine(empty_postgres_url)
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


@pytest.mark.slow  # publishing runs every scenario of oshu (3 min on a busy machine)
def test_a_process_owner_pulls_edits_pushes_publishes_and_lists_versions(cli, monkeypatch, tmp_path):
    runner, _ = cli
    monkeypatch.setenv("KAIGOFLOW_CACHE_DIR", str(tmp_path / "bundles"))
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    work = tmp_path / "oshu"
    pulled = runner.invoke(main, ["draft", "pull", "oshu", str(work)])
    assert pulled.exit_code == 0, pulled.output
    diagram = work / "level_change.bpmn"
    diagram.write_text(diagram.read_text(encoding="utf-8").replace('name="区分変更申請"', 'name="区分変更の申請"'))

    pushed = runner.invoke(main, ["draft", "push", "oshu", str(work), "--by", "owner"])
    assert pushed.exit_code == 0, pushed.output
    assert "問題はありません" in pushed.output
    assert "変更 level_change.bpmn" in runner.invoke(main, ["draft", "show", "oshu"]).output
    assert runner.invoke(main, ["lint", "--draft", "oshu"]).exit_code == 0

    refused = runner.invoke(main, ["publish", "oshu", "--by", "owner"])
    assert refused.exit_code != 0  # --reason is required
    published = runner.invoke(main, ["publish", "oshu", "--reason", "申請の名称を変更", "--by", "owner"])
    assert published.exit_code == 0, published.output
    assert "版 2 を公開しました" in published.output

    listed = runner.invoke(main, ["versions", "oshu"]).output.splitlines()
    assert [line.split("\t")[0] for line in listed] == ["版 1", "版 2"]
    assert "申請の名称を変更" in listed[1] and "owner" in listed[1]

    dry = runner.invoke(main, ["migrate", "oshu", "level_change", "--to", "2", "--dry-run"])
    assert dry.exit_code == 0 and "0件中" in dry.output


def test_a_hostile_file_pushed_as_a_draft_is_refused_in_japanese(cli, monkeypatch, tmp_path):
    runner, _ = cli
    monkeypatch.setenv("KAIGOFLOW_CACHE_DIR", str(tmp_path / "bundles"))
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    work = tmp_path / "oshu"
    runner.invoke(main, ["draft", "pull", "oshu", str(work)])
    (work / "new_case.bpmn").write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    )
    result = runner.invoke(main, ["draft", "push", "oshu", str(work), "--by", "owner"])
    assert result.exit_code != 0 and "実体" in result.output
    assert "下書きはありません" in runner.invoke(main, ["draft", "show", "oshu"]).output


def test_digest_on_an_empty_database_and_an_unknown_organisation(cli):
    runner, _ = cli
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    result = runner.invoke(main, ["digest", "--on", "2026-12-03"])
    assert result.exit_code == 0, result.output
    assert "12月3日(木): 期限の近い作業はありません。" in result.output
    unknown = runner.invoke(main, ["digest", "--organisation", "nowhere-1"])
    assert unknown.exit_code == 4
    assert "事業所 nowhere-1 はありません" in unknown.output
