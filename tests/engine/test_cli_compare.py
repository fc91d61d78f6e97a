"""`kaigoflow diff` and `kaigoflow matrix` as an administrator runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from web.cli import main

COMPARELIB = Path(__file__).resolve().parent.parent / "fixtures" / "comparelib"


@pytest.fixture
def runner(monkeypatch, tmp_path):
    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    return CliRunner()


def test_diff_prints_a_readable_report(runner):
    result = runner.invoke(main, ["diff", "suzuka-kameyama", "toyokawa", "new_case"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "左 / left : 鈴鹿亀山地区広域連合 (suzuka-kameyama)" in out
    assert "+ toyokawa_commission_notice  委託連絡票(兼認定資料交付依頼書)の提出" in out
    assert "+ toyokawa_internal_approval  所内決裁(業務委託確定)" in out
    assert "- certification_materials" in out
    assert "≠ switches.special_handling: true | false" in out


def test_diff_accepts_the_flow_first_and_prints_json(runner):
    contract_order = runner.invoke(main, ["diff", "suzuka-kameyama", "toyokawa", "new_case", "--json"])
    flow_first = runner.invoke(main, ["diff", "new_case", "suzuka-kameyama", "toyokawa", "--json"])
    assert contract_order.exit_code == flow_first.exit_code == 0, flow_first.output
    data = json.loads(flow_first.output)
    assert data == json.loads(contract_order.output)
    assert data["left"]["municipality"] == "suzuka-kameyama"
    added = {s["id"] for s in data["steps"] if s["status"] == "added"}
    assert {"toyokawa_commission_notice", "toyokawa_internal_approval"} <= added


def test_diff_of_identical_flows_says_so(runner, monkeypatch):
    monkeypatch.setenv("KAIGOFLOW_PROCESSES", str(COMPARELIB))
    result = runner.invoke(main, ["diff", "west", "north", "new_case"])
    assert result.exit_code == 0, result.output
    assert "違いはありません" in result.output
    changed = runner.invoke(main, ["diff", "west", "east", "new_case"])
    assert "分岐の条件: points >= 50 → points >= 60" in changed.output
    assert '~ 条件 points=>= 50: high=True, band="high" → high=True, band="middle"' in changed.output


def test_diff_refuses_unknown_keys_in_japanese(runner):
    result = runner.invoke(main, ["diff", "toyokawa", "nowhere", "new_case"])
    assert result.exit_code != 0
    assert "市町村「nowhere」は登録されていません" in result.output
    result = runner.invoke(main, ["diff", "toyokawa", "oshu", "no_such_flow"])
    assert result.exit_code != 0
    assert "手続き「no_such_flow」は豊川市にありません" in result.output


def test_matrix_prints_and_writes_csv(runner, tmp_path):
    result = runner.invoke(main, ["matrix", "new_case"])
    assert result.exit_code == 0, result.output
    assert "intake  相談受付・利用申込" in result.output
    assert "豊川市: toyokawa_internal_approval" in result.output
    target = tmp_path / "new_case.csv"
    result = runner.invoke(main, ["matrix", "new_case", "--csv", str(target)])
    assert result.exit_code == 0, result.output
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert "豊川市 担当" in header


def test_matrix_of_an_unknown_flow_fails(runner):
    result = runner.invoke(main, ["matrix", "no_such_flow"])
    assert result.exit_code != 0
    assert "手続き「no_such_flow」はどの市町村にもありません" in result.output
