"""Scenario YAML and municipality TOML, which process owners write and the draft page checks and runs, are read
within bounds: no aliases or anchors (a YAML bomb), bounded size, nodes, depth and `repeat.times`, Japanese
refusals. The bomb runs in a child process (tests/engine/bounded_probe.py), so a regression cannot hang the suite."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine.errors import LibraryError
from engine.errors import ValidationError
from engine.process_library import safeload
from engine.process_library.loader import Library
from engine.publishing import scenario
from engine.publishing.versions import check_file
from tests.engine.bounded_probe import probe

ROOT = Path(__file__).resolve().parents[2]
BOMB = "\n".join(
    [
        "municipality: demo",
        'l0: &l0 ["ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha"]',
        *(f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}]" for i in range(1, 10)),
        "steps:",
        "  - complete: intake",
        "    with: {notes: *l9}",
    ]
)


def scenario_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenarios" / "hostile.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_yaml_bomb_is_refused_before_anything_runs(tmp_path):
    assert len(BOMB) < 600
    path = scenario_file(tmp_path, BOMB)
    outcome = probe(
        f"""
        from pathlib import Path
        from engine.publishing import scenario
        def never(*args):
            raise AssertionError("the scenario must be refused before a runtime is made")
        def attempt():
            result = scenario.run_file(Path({str(path)!r}), never, never)
            return [result.passed, result.message]
        """
    )
    assert outcome["error"] is None, outcome["error"]
    assert outcome["result"] == [False, "YAMLのアンカー(&l0)は使えません"]
    assert outcome["peak_mb"] < 50


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("municipality: demo\nsteps: [*missing]", "別名(*missing)は使えません"),
        ("municipality: demo\nbase: &b {a: 1}\nsteps: [{<<: *b}]", "アンカー(&b)は使えません"),
        ("municipality: demo\nsteps: " + "[" * 100 + "]" * 100, "入れ子が深すぎます"),
        ("municipality: demo\nsteps: [" + ", ".join(["x"] * 6000) + "]", "要素が多すぎます"),
        ("municipality: demo\nsteps: [" + "x" * 70_000 + "]", "大きすぎます"),
        ("municipality: demo\nsteps:\n  - repeat: {times: 1000000000, steps: [{advance: P1D}]}", "times は 0 から 200"),
        ("municipality: demo\nsteps:\n  - repeat: {times: -1, steps: []}", "times は 0 から 200"),
        ("municipality: demo\nsteps:\n  - repeat: {times: '10', steps: []}", "times は 0 から 200"),
        ("municipality: demo\nsteps:\n  - repeat: {times: 3}", "steps は手順の一覧"),
        (
            "municipality: demo\nsteps:\n  - repeat:\n      times: 200\n      steps:\n"
            "        - repeat: {times: 200, steps: [{advance: P1D}]}",
            "展開した手順が多すぎます(上限 5,000)",
        ),
        ("municipality: demo\nsteps: []\nn: " + "9" * 5000, "値を読めません"),
    ],
)
def test_hostile_scenarios_are_refused_in_japanese(tmp_path, text, words):
    with pytest.raises(scenario.ScenarioFailure) as refused:
        scenario.load(scenario_file(tmp_path, text))
    assert words in str(refused.value)


def test_every_scenario_reads_as_before():
    paths = sorted(ROOT.glob("processes/*/scenarios/*.yaml")) + sorted(ROOT.glob("tests/**/*.yaml"))
    assert len(paths) > 100
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert safeload.load_yaml(text) == yaml.safe_load(text), path
        if "scenarios" in path.parts:
            scenario.load(path)


def test_a_draft_file_with_a_bomb_or_a_deep_toml_is_refused_on_save():
    with pytest.raises(ValidationError) as refused:
        check_file("scenarios/hostile.yaml", BOMB)
    assert "アンカー" in refused.value.details["scenarios/hostile.yaml"]
    with pytest.raises(ValidationError) as refused:
        check_file("municipality.toml", "a = " + "[" * 50_000 + "]" * 50_000)
    assert "大きすぎます" in refused.value.details["municipality.toml"]
    with pytest.raises(ValidationError) as refused:
        check_file("municipality.toml", "a = " + "[" * 5_000 + "]" * 5_000)
    assert "入れ子が深すぎます" in refused.value.details["municipality.toml"]


def test_a_published_municipality_toml_that_cannot_be_read_is_a_library_error(tmp_path):
    root = tmp_path / "processes"
    (root / "common").mkdir(parents=True)
    (root / "demo").mkdir()
    (root / "demo" / "municipality.toml").write_text("a = " + "{b = " * 3000 + "1" + "}" * 3000, encoding="utf-8")
    with pytest.raises(LibraryError) as refused:
        Library(root).municipality("demo")
    assert refused.value.problems[0].rule == "bad-toml"
    assert "入れ子が深すぎます" in refused.value.problems[0].message
