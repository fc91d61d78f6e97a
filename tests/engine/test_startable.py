"""Which flows staff may start on an open case: the five, then the case's life, as each municipality has them."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.process_library import canonical
from engine.process_library.loader import CASE_FLOW_KEYS
from engine.process_library.loader import FLOW_KEYS
from engine.process_library.loader import Library

LIBRARY = Library(Path(__file__).resolve().parents[2] / "processes")
MUNICIPALITIES = ("city-a", "maebashi", "oshu", "suzuka-kameyama", "toyokawa")


@pytest.mark.parametrize("municipality", MUNICIPALITIES)
def test_every_municipality_offers_the_five_and_the_life_of_a_case(municipality):
    startable = LIBRARY.startable(municipality)
    assert startable[: len(FLOW_KEYS)] == list(FLOW_KEYS)
    assert {"plan_change", "service_termination", "video_monitoring"} <= set(startable)
    assert LIBRARY.flows(municipality) == list(FLOW_KEYS)  # a case is still opened with one of the five only
    for key in startable:
        assert canonical.flow_name(key) != key  # each has its Japanese name


def test_a_municipality_without_a_center_has_no_change_of_delegation():
    assert "handling_change" not in LIBRARY.startable("maebashi")
    assert all("handling_change" in LIBRARY.startable(m) for m in MUNICIPALITIES if m != "maebashi")
    assert set(CASE_FLOW_KEYS) <= set(LIBRARY.startable("toyokawa"))
