"""The engine's messages say what a field expects, in the words of its label (issue 13, item 3): a yes/no question
left unanswered, a confirmation left unticked, a phone number, a フリガナ, an office that is not registered."""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.process_library.forms import CONFIRM_REQUIRED
from engine.process_library.forms import KANA_PATTERN
from engine.process_library.forms import PHONE_PATTERN
from engine.process_library.forms import FormContext
from engine.process_library.forms import validate_submission

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "delegated": {"type": "boolean", "title": "委託する"},
        "card_checked": {"type": "boolean", "const": True, "title": "被保険者証を確認した"},
        "route": {"type": "string", "oneOf": [{"const": "phone", "title": "電話"}]},
        "kana": {"type": "string", "pattern": KANA_PATTERN},
        "phone": {"type": "string", "pattern": PHONE_PATTERN},
        "office": {"type": "string", "x-directory": "office"},
        "manager": {"type": "string", "x-directory": "office-staff"},
    },
    "required": ["delegated", "route"],
}
DIRECTORY = {"office": frozenset({"豊川市 さくら居宅介護支援事業所"}), "office-staff": frozenset({"三河 太郎"})}


def check(submission: dict[str, Any], directory: Any = DIRECTORY) -> dict[str, str]:
    context = FormContext(date(2026, 5, 1), "toyokawa", directory=directory)
    return validate_submission(SCHEMA, submission, None, context)


def test_a_required_question_is_answered_and_a_required_confirmation_ticked():
    assert check({"card_checked": False}) == {
        "card_checked": CONFIRM_REQUIRED,
        "delegated": "「はい」か「いいえ」を選んでください",
        "route": "選択肢から選んでください",
    }


def test_a_phone_number_and_a_reading_say_what_they_expect():
    errors = check({"delegated": False, "route": "phone", "kana": "toyokawa taro", "phone": "12345"})
    assert errors == {
        "kana": "フリガナは全角カタカナで入力してください(例: トヨカワ タロウ)",
        "phone": "電話番号は 0564-12-3456 のように数字とハイフンで入力してください",
    }
    fine = {"delegated": False, "route": "phone", "kana": "トヨカワ　タロウ", "phone": "0533-89-2111"}
    assert check(fine) == {}
    assert check({**fine, "phone": "090-1234-5678"}) == {}
    assert check({**fine, "phone": "05338921111"}) == {}


def test_an_office_or_a_care_manager_is_one_the_municipality_has_registered():
    base = {"delegated": True, "route": "phone"}
    assert check({**base, "office": "テスト", "manager": "誰か"}) == {
        "office": "登録されている居宅介護支援事業所から選んでください",
        "manager": "登録されている居宅介護支援事業所の職員から選んでください",
    }
    assert check({**base, "office": "豊川市 さくら居宅介護支援事業所", "manager": "三河 太郎"}) == {}
    assert check({**base, "office": "テスト"}, directory=None) == {}  # no database at hand: not checked
