"""web/print_values.py: how print templates find and format a form's fields."""

from __future__ import annotations

from web.print_values import Record
from web.print_values import age_on

SCHEMA = {
    "type": "object",
    "properties": {
        "evaluation_date": {"type": "string", "format": "date", "title": "評価日"},
        "goals": {
            "type": "array",
            "title": "目標ごとの評価",
            "items": {"type": "object", "properties": {"goal": {"type": "string", "title": "目標"}}},
        },
        "outcome": {
            "type": "string",
            "title": "今後の方針",
            "oneOf": [{"const": "continue", "title": "プラン継続"}, {"const": "end", "title": "終了"}],
        },
        "housing": {
            "type": "array",
            "title": "住居環境",
            "items": {
                "type": "string",
                "oneOf": [{"const": "own", "title": "自宅"}, {"const": "rented", "title": "借家"}],
            },
        },
        "own_room": {"type": "boolean", "title": "自室の有無"},
        "visit": {"$ref": "#/$defs/visit"},
        "note": {"type": "string", "title": "備考"},
    },
    "$defs": {
        "visit": {
            "type": "object",
            "title": "訪問",
            "properties": {"date": {"type": "string", "format": "date", "title": "訪問日"}, "who": {"title": "訪問者"}},
        }
    },
}
DATA = {
    "evaluation_date": "2026-10-25",
    "goals": [{"goal": "500m歩く"}],
    "outcome": "end",
    "housing": ["own"],
    "own_room": False,
    "visit": {"date": "2026-10-01", "who": "山田"},
    "note": "特になし",
    "_derived": 1,
}


def test_keys_first_then_whole_titles_then_fragments():
    doc = Record(SCHEMA, DATA)
    assert doc.find("missing_key", "評価日") == "evaluation_date"
    assert doc.find("目標") == "goals"  # array items are found through rows()
    assert doc.find("訪問日") == "visit.date"
    assert doc.find("今後") == "outcome"
    assert doc.find("not_there", "ありません") is None


def test_a_title_fragment_for_a_table_only_matches_tables():
    doc = Record(SCHEMA, DATA)
    rows = doc.rows("評価")  # 評価日 is a date, not a table
    assert [row.text("goal") for row in rows] == ["500m歩く"]


def test_text_formats_dates_enums_booleans_and_refs():
    doc = Record(SCHEMA, DATA)
    assert doc.text("evaluation_date") == "令和8年10月25日"
    assert doc.text("outcome") == "終了"
    assert doc.text("own_room") == "いいえ"
    assert doc.text("housing") == "自宅"
    assert doc.text("visit.date") == "令和8年10月1日"


def test_choices_mark_what_was_chosen():
    doc = Record(SCHEMA, DATA)
    assert [(c.title, c.selected) for c in doc.choices("outcome")] == [("プラン継続", False), ("終了", True)]
    assert [(c.title, c.selected) for c in doc.choices("housing")] == [("自宅", True), ("借家", False)]
    assert [(c.title, c.selected) for c in doc.choices("own_room")] == [("はい", False), ("いいえ", True)]
    assert doc.choices("note") == []


def test_remaining_lists_what_the_layout_did_not_place():
    doc = Record(SCHEMA, DATA)
    doc.text("evaluation_date")
    doc.rows("goals")
    doc.choices("outcome")
    doc.text("visit.date")
    rest = {f.path: f for f in doc.remaining()}
    assert sorted(rest) == ["housing", "note", "own_room", "visit"]
    assert [c.title for c in rest["visit"].children] == ["訪問者"]
    assert doc.has("note") and not doc.has("missing")


def test_all_fields_include_blank_ones_in_schema_order():
    doc = Record(SCHEMA, {"note": "x", "extra": "スキーマ外"})
    fields = doc.all_fields()
    assert [f.title for f in fields] == [
        "評価日",
        "目標ごとの評価",
        "今後の方針",
        "住居環境",
        "自室の有無",
        "訪問",
        "備考",
        "extra",
    ]
    assert fields[1].kind == "table" and fields[1].columns == ["目標"] and fields[1].rows == [[""]]
    assert fields[5].kind == "group" and [c.title for c in fields[5].children] == ["訪問日", "訪問者"]
    assert doc.remaining() == []


def test_age_on():
    assert age_on("1944-08-15", "2026-08-14") == 81
    assert age_on("1944-08-15", "2026-08-15") == 82
    assert age_on(None, "2026-08-15") is None
