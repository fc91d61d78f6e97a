"""Reading what staff typed to open a case (the page /cases/new and POST /api/cases): one home for its rules.

`read` turns the page's strings or the API's JSON into the fields `Runtime.open_case` takes, or a Japanese message
per field; `Runtime.open_case` then checks the facts themselves (casedata.validate_opening: organisations of the
right kind in the municipality, the planner and the delegation). Nothing is written when a field is refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from engine.cases import facts as casedata
from engine.store.models import Organisation

FIELDS = (
    "client_name",
    "client_name_kana",
    "insured_number",
    "care_level",
    "planner",
    "delegated",
    "center_org_id",
    "office_org_id",
    "provider_org_id",
)
"""What staff may give when opening a case; anything else is refused by name."""
ORGANISATION_FIELDS = ("center_org_id", "office_org_id", "provider_org_id")
KANA = re.compile(r"^[\u3041-\u3096\u30a1-\u30fa\u30fc\u30fb\u3000 ・ー゛゜]+$")
_YES = {"1", "true", "on", "yes"}
_NO = {"", "0", "false", "off", "no"}


def read(
    values: Mapping[str, Any], session: Session | None = None, municipality: str | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """(fields for Runtime.open_case, Japanese message per field). Names are kept exactly as typed.

    With a session and municipality, each organisation must be one of that role in the municipality, so that every
    problem is shown at once (Runtime.open_case checks it again).
    """
    problems = {key: "この項目はケースの登録にはありません" for key in values if key not in FIELDS}
    fields: dict[str, Any] = {}
    name = _text(values.get("client_name"))
    if not name:
        problems["client_name"] = "入力してください"
    elif len(name) > 100:
        problems["client_name"] = "100文字以内で入力してください"
    fields["client_name"] = name
    kana = _text(values.get("client_name_kana"))
    if kana and not KANA.match(kana):
        problems["client_name_kana"] = "カナで入力してください"
    elif len(kana) > 100:
        problems["client_name_kana"] = "100文字以内で入力してください"
    fields["client_name_kana"] = kana or None
    number = re.sub(r"[\s\-ー−‐―]", "", unicodedata.normalize("NFKC", _text(values.get("insured_number"))))
    if not re.fullmatch(r"[0-9]{10}", number):
        problems["insured_number"] = "10桁の数字で入力してください"
    fields["insured_number"] = number
    level = _text(values.get("care_level"))
    if level and level not in casedata.LEVELS:
        problems["care_level"] = "選択肢の中から選んでください"
    fields["care_level"] = level or None
    planner = _text(values.get("planner"))
    if planner and planner not in casedata.PLANNERS:
        problems["planner"] = "地域包括支援センターか居宅介護支援事業所を選んでください"
    elif planner:
        fields["planner"] = planner
    delegated = values.get("delegated")
    if isinstance(delegated, bool):
        fields["delegated"] = delegated
    elif str(delegated or "").strip().lower() in _YES | _NO:
        fields["delegated"] = str(delegated or "").strip().lower() in _YES
    else:
        problems["delegated"] = "「はい」か「いいえ」を選んでください"
    for key in ORGANISATION_FIELDS:
        raw = values.get(key)
        if raw is None or raw == "":
            continue
        text = str(raw).strip()
        if isinstance(raw, bool) or not text.isascii() or not text.isdigit():
            problems[key] = "選択肢の中から選んでください"
            continue
        fields[key] = int(text)
        if session is not None and municipality is not None:
            org = session.get(Organisation, fields[key])
            if org is None or org.role != key.removesuffix("_org_id") or org.municipality != municipality:
                problems[key] = "選択肢の中から選んでください"
    if not any(key in fields for key in ("center_org_id", "office_org_id")) and not problems:
        problems["center_org_id"] = "地域包括支援センターか居宅介護支援事業所を選んでください"
    return fields, problems


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else "" if value is None else str(value).strip()
