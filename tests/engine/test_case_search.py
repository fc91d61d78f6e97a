"""How a typed search word is compared (engine.cases.search): width, script and spaces do not matter."""

from __future__ import annotations

from engine.cases.search import normalise
from engine.cases.search import terms


def test_width_script_and_spaces_are_ignored():
    assert normalise("やまだ　はなこ") == "ヤマダハナコ"
    assert normalise("ﾔﾏﾀﾞ ﾊﾅｺ") == "ヤマダハナコ"
    assert normalise("０１２３４５６７８９") == "0123456789"
    assert normalise("Ｔａｒｏ") == "taro"
    assert normalise("山田 花子") == "山田花子"  # kanji are left as they are


def test_terms_split_on_any_space_and_are_bounded():
    assert terms("山田　花子  ") == ["山田", "花子"]
    assert terms("  ") == []
    assert len(terms("あ い う え お か き")) == 5
