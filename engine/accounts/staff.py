"""Organisations and staff of a municipality: add, change, close or deactivate, passwords; every change an event.

The web app's administration pages (web/staff_admin.py), the account page (web/account.py) and the command line
(engine/commands/staff_cli.py) all call these functions; none of them writes an organisation or a user by itself.

Who may do what is an `Operator`: an administrator (`User.is_admin`) or the command line act on every
municipality; a municipal administrator (`User.is_municipal_admin`) only on the municipality of their own
organisation, and may not make or change administrators. Refused input raises ValidationError with a Japanese
message per field and changes nothing. Deactivating keeps the row, so the history still shows the name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts import passwords
from engine.accounts.demo_staff import ROLE_NAMES
from engine.clock import JST
from engine.errors import NotFoundError
from engine.errors import PermissionDenied
from engine.errors import ValidationError
from engine.process_library.loader import Library
from engine.store.models import Event
from engine.store.models import Organisation
from engine.store.models import User

ORG_KINDS = {kind: ROLE_NAMES[kind] for kind in ("center", "office", "insurer", "provider")}
"""The kinds of organisation (Organisation.role) an administrator registers; the vocabulary is
engine.accounts.demo_staff's."""

JOB_ROLES = {
    "care_manager": "介護支援専門員",
    "chief_care_manager": "主任介護支援専門員",
    "public_health_nurse": "保健師",
    "social_worker": "社会福祉士",
    "staff": "事務職員・その他",
}
"""職種 (User.job_role): what a person is; what they may do follows their organisation's kind."""

CARE_MANAGER_ROLES = frozenset({"care_manager", "chief_care_manager"})
"""The 職種 that have a 介護支援専門員番号 (8 digits, on the 介護支援専門員証)."""

LOGIN_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{2,63}")
CODE_DIGITS = {"insurer": 6}
"""保険者番号 has 6 digits; a 介護保険事業所番号 has 10 (the default)."""


@dataclass(frozen=True)
class Operator:
    """Who makes a change: their user id (None on the command line), their scope and where they act from."""

    user_id: int | None
    municipality: str | None = None
    """None: every municipality (an administrator or the command line); else only this one."""
    address: str | None = None
    via: str = "cli"

    @property
    def is_global(self) -> bool:
        return self.municipality is None


CLI = Operator(user_id=None)
"""The command line: whoever can run it owns the server, and acts on every municipality."""


def operator_for(user: User, organisation: Organisation, address: str | None, via: str = "web") -> Operator:
    """The operator a signed-in user is; PermissionDenied if they administer nothing."""
    if user.is_admin:
        return Operator(user.id, None, address, via)
    if user.is_municipal_admin:
        return Operator(user.id, organisation.municipality, address, via)
    raise PermissionDenied("職員・事業所を管理する権限がありません")


# -- normalising input ----------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def digits(value: Any) -> str:
    """Numbers typed in full width or with spaces and hyphens (as on a card) become plain digits."""
    return re.sub(r"[\s\-ー−‐]", "", unicodedata.normalize("NFKC", _text(value)))


def _optional(value: Any) -> str | None:
    text = _text(value)
    return text or None


# -- organisations ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationInput:
    municipality: str
    kind: str
    name: str
    code: str | None = None
    address: str | None = None


def _check_scope(op: Operator, municipality: str) -> None:
    if not op.is_global and municipality != op.municipality:
        raise NotFoundError("その市町村の事業所は管理できません")


def check_organisation(
    session: Session, library: Library, op: Operator, data: OrganisationInput, existing: Organisation | None = None
) -> tuple[OrganisationInput, dict[str, str]]:
    """The input cleaned, and the problems per field (empty when it may be saved)."""
    problems: dict[str, str] = {}
    municipality = _text(data.municipality)
    kind = kind_key(_text(data.kind))
    name = unicodedata.normalize("NFKC", _text(data.name)) if data.name else ""
    code = digits(data.code) or None
    address = _optional(data.address)
    if municipality not in library.municipalities():
        problems["municipality"] = f"市町村「{municipality}」は登録されていません" if municipality else "必須です"
    elif not op.is_global and municipality != op.municipality:
        problems["municipality"] = "ご自分の市町村の事業所だけを登録できます"
    if kind not in ORG_KINDS:
        choices = "・".join(ORG_KINDS.values())
        problems["kind"] = f"種別は{choices}のいずれかです" if kind else "必須です"
    if not name:
        problems["name"] = "必須です"
    elif len(name) > 200:
        problems["name"] = "200文字以内にしてください"
    if code is not None:
        length = CODE_DIGITS.get(kind, 10)
        label = "保険者番号" if kind == "insurer" else "事業所番号"
        if not code.isdigit() or len(code) != length:
            problems["code"] = f"{label}は数字{length}桁で入力してください"
        else:
            taken = session.scalar(select(Organisation).where(Organisation.code == code))
            if taken is not None and (existing is None or taken.id != existing.id):
                problems["code"] = f"{label}「{code}」は「{taken.name}」で登録済みです"
    if address is not None and len(address) > 300:
        problems["address"] = "300文字以内にしてください"
    if not problems and kind and municipality:
        same = session.scalar(
            select(Organisation).where(
                Organisation.municipality == municipality, Organisation.role == kind, Organisation.name == name
            )
        )
        if same is not None and (existing is None or same.id != existing.id):
            problems["name"] = f"同じ市町村に同じ名前の{ORG_KINDS[kind]}があります"
    return OrganisationInput(municipality, kind, name, code, address), problems


def kind_key(text: str) -> str:
    """A kind given as its key (office) or its Japanese name (居宅介護支援事業所, or short: 居宅, 包括)."""
    aliases = {name: key for key, name in ORG_KINDS.items()}
    aliases.update({"包括": "center", "居宅": "office", "市": "insurer", "保険者": "insurer", "事業所": "provider"})
    return aliases.get(text, text)


def add_organisation(
    session: Session, library: Library, op: Operator, data: OrganisationInput, now: datetime
) -> Organisation:
    cleaned, problems = check_organisation(session, library, op, data)
    if problems:
        raise ValidationError("事業所を登録できません", details=problems)
    org = insert_organisation(session, op, now, cleaned)
    session.commit()
    return org


def insert_organisation(
    session: Session, op: Operator, now: datetime, cleaned: OrganisationInput, **detail: Any
) -> Organisation:
    """Add a checked organisation and its `organisation_added` event, uncommitted (an import commits once)."""
    org = Organisation(
        municipality=cleaned.municipality,
        role=cleaned.kind,
        name=cleaned.name,
        code=cleaned.code,
        address=cleaned.address,
        active=True,
    )
    session.add(org)
    session.flush()
    record(session, op, now, "organisation_added", {"organisation_id": org.id, **organisation_fields(org), **detail})
    return org


def organisation_fields(org: Organisation) -> dict[str, Any]:
    return {"municipality": org.municipality, "kind": org.role, "name": org.name, "code": org.code}


def organisation(session: Session, op: Operator, org_id: int) -> Organisation:
    """The organisation, if the operator may manage it; NotFoundError otherwise (the same as for a missing one)."""
    org = session.get(Organisation, org_id)
    if org is None or org.role not in ORG_KINDS:
        raise NotFoundError("事業所が見つかりません")
    _check_scope(op, org.municipality)
    return org


def change_organisation(
    session: Session,
    library: Library,
    op: Operator,
    org_id: int,
    name: str,
    code: str | None,
    address: str | None,
    now: datetime,
) -> Organisation:
    """Change the name, 事業所番号 or address (the municipality and kind of an organisation stay what they are)."""
    org = organisation(session, op, org_id)
    cleaned, problems = check_organisation(
        session, library, op, OrganisationInput(org.municipality, org.role, name, code, address), existing=org
    )
    if problems:
        raise ValidationError("事業所を変更できません", details=problems)
    changes = apply_changes(org, {"name": cleaned.name, "code": cleaned.code, "address": cleaned.address})
    if changes:
        record(session, op, now, "organisation_changed", {"organisation_id": org.id, "changes": changes})
    session.commit()
    return org


def record_proxy_receipt_mandate(
    session: Session, op: Operator, org_id: int, filed_on: date | None, now: datetime
) -> Organisation:
    """Record (or clear) the day a 居宅介護支援事業所 filed its 代理受領委任状 with the insurer (豊川 001:8-22), with an
    `organisation_changed` event (old -> new, who). Only an office files one; a day after today is refused."""
    org = organisation(session, op, org_id)
    if org.role != "office":
        raise ValidationError(
            "代理受領委任状の提出日を記録できません",
            details={"proxy_receipt_mandate_filed_on": "代理受領委任状は居宅介護支援事業所が提出するものです"},
        )
    if filed_on is not None and filed_on > now.astimezone(JST).date():
        raise ValidationError(
            "代理受領委任状の提出日を記録できません",
            details={"proxy_receipt_mandate_filed_on": "提出日に未来の日付は入力できません"},
        )
    changes = apply_changes(org, {"proxy_receipt_mandate_filed_on": filed_on})
    if changes:
        detail = {field: [None if v is None else v.isoformat() for v in pair] for field, pair in changes.items()}
        record(session, op, now, "organisation_changed", {"organisation_id": org.id, "changes": detail})
    session.commit()
    return org


def close_organisation(session: Session, op: Operator, org_id: int, now: datetime) -> Organisation:
    """Mark an organisation closed; refused while it still has active staff (deactivate them first)."""
    org = organisation(session, op, org_id)
    staff = session.scalar(
        select(func.count()).select_from(User).where(User.organisation_id == org.id, User.active.is_(True))
    )
    if staff:
        raise ValidationError(
            "在籍中の職員がいる事業所は廃止にできません",
            details={"organisation": f"先に職員{staff}人を無効にしてください"},
        )
    if org.active:
        org.active = False
        record(session, op, now, "organisation_closed", {"organisation_id": org.id, "name": org.name})
    session.commit()
    return org


def list_organisations(session: Session, op: Operator, municipality: str | None = None) -> list[Organisation]:
    query = select(Organisation).where(Organisation.role.in_(list(ORG_KINDS)))
    scope = op.municipality or municipality
    if scope:
        query = query.where(Organisation.municipality == scope)
    kinds = list(ORG_KINDS)
    rows = session.scalars(query).all()
    return sorted(rows, key=lambda o: (o.municipality, not o.active, kinds.index(o.role), o.name))


# -- staff ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserInput:
    login: str
    display_name: str
    organisation_id: int | None
    job_role: str = "staff"
    care_manager_number: str | None = None
    is_process_owner: bool = False
    is_admin: bool = False
    is_municipal_admin: bool = False


def check_user(
    session: Session, op: Operator, data: UserInput, existing: User | None = None
) -> tuple[UserInput, dict[str, str]]:
    problems: dict[str, str] = {}
    login = _text(data.login)
    name = _text(data.display_name)
    job_role = _job_key(_text(data.job_role) or "staff")
    number = digits(data.care_manager_number) or None
    if existing is None:
        if not login:
            problems["login"] = "必須です"
        elif not LOGIN_PATTERN.fullmatch(login):
            problems["login"] = "ログインIDは半角英数字と . _ @ - で3〜64文字(先頭は英数字)にしてください"
        elif session.scalar(select(User.id).where(func.lower(User.login) == login.lower())) is not None:
            problems["login"] = f"ログインID「{login}」は使われています"
    if not name:
        problems["display_name"] = "必須です"
    elif len(name) > 100:
        problems["display_name"] = "100文字以内にしてください"
    org = session.get(Organisation, data.organisation_id) if data.organisation_id is not None else None
    if org is None or org.role not in ORG_KINDS or (not op.is_global and org.municipality != op.municipality):
        problems["organisation_id"] = "所属する事業所を選んでください"
    elif not org.active and (existing is None or existing.organisation_id != org.id):
        problems["organisation_id"] = f"「{org.name}」は廃止されています"
    if job_role not in JOB_ROLES:
        problems["job_role"] = "職種は" + "・".join(JOB_ROLES.values()) + "のいずれかです"
    if job_role in CARE_MANAGER_ROLES:
        if number is None:
            problems["care_manager_number"] = f"{JOB_ROLES[job_role]}は介護支援専門員番号(数字8桁)が必須です"
        elif not (number.isdigit() and len(number) == 8):
            problems["care_manager_number"] = "介護支援専門員番号は数字8桁で入力してください"
    elif number is not None and job_role in JOB_ROLES:
        problems["care_manager_number"] = "介護支援専門員番号は介護支援専門員・主任介護支援専門員の方だけ入力します"
    if not op.is_global:
        was_admin = existing is not None and existing.is_admin
        if bool(data.is_admin) != was_admin:
            problems["is_admin"] = "全体の管理者の権限は全体の管理者だけが変更できます"
    cleaned = UserInput(
        login,
        name,
        org.id if org is not None else None,
        job_role,
        number if job_role in CARE_MANAGER_ROLES else None,
        bool(data.is_process_owner),
        bool(data.is_admin),
        bool(data.is_municipal_admin),
    )
    return cleaned, problems


def _job_key(text: str) -> str:
    aliases = {name: key for key, name in JOB_ROLES.items()}
    aliases.update({"ケアマネジャー": "care_manager", "主任ケアマネジャー": "chief_care_manager", "事務": "staff"})
    return aliases.get(text, text)


def user_values(cleaned: UserInput) -> dict[str, Any]:
    """The columns a checked staff record sets (adding, changing and the CSV import set the same ones)."""
    return {
        "display_name": cleaned.display_name,
        "organisation_id": cleaned.organisation_id,
        "job_role": cleaned.job_role,
        "care_manager_number": cleaned.care_manager_number,
        "is_process_owner": cleaned.is_process_owner,
        "is_admin": cleaned.is_admin,
        "is_municipal_admin": cleaned.is_municipal_admin,
    }


def add_user(
    session: Session, op: Operator, data: UserInput, now: datetime, password: str | None = None
) -> tuple[User, str | None]:
    """Create a staff member. Without `password`, a one-time password is made, returned (to be shown once) and
    must be changed at the first sign-in; with one, it must pass the strength rule."""
    cleaned, problems = check_user(session, op, data)
    one_time = None
    if password is None:
        one_time = passwords.one_time_password()
    else:
        problem = passwords.strength_problem(password, cleaned.login)
        if problem:
            problems["password"] = problem
    if problems:
        raise ValidationError("職員を登録できません", details=problems)
    user = User(
        login=cleaned.login,
        **user_values(cleaned),
        password_hash=passwords.hash_password(password if password is not None else str(one_time)),
        must_change_password=one_time is not None,
        active=True,
    )
    session.add(user)
    session.flush()
    record(session, op, now, "user_added", {"user_id": user.id, **user_fields(user)})
    session.commit()
    return user, one_time


def user_fields(user: User) -> dict[str, Any]:
    return {
        "login": user.login,
        "display_name": user.display_name,
        "organisation_id": user.organisation_id,
        "job_role": user.job_role,
        "care_manager_number": user.care_manager_number,
        "is_process_owner": user.is_process_owner,
        "is_admin": user.is_admin,
        "is_municipal_admin": user.is_municipal_admin,
    }


def staff_member(session: Session, op: Operator, user_id: int) -> User:
    """The user, if the operator may manage them; NotFoundError otherwise."""
    user = session.get(User, user_id)
    org = session.get(Organisation, user.organisation_id) if user is not None else None
    if user is None or org is None:
        raise NotFoundError("職員が見つかりません")
    _check_scope(op, org.municipality)
    return user


def user_by_login(session: Session, op: Operator, login: str) -> User:
    found = session.scalar(select(User).where(User.login == _text(login)))
    if found is None:
        raise NotFoundError(f"ログインID「{_text(login)}」の職員はいません")
    return staff_member(session, op, found.id)


def change_user(session: Session, op: Operator, user_id: int, data: UserInput, now: datetime) -> User:
    """Change a staff member's name, organisation, 職種, number and flags (the login stays)."""
    user = staff_member(session, op, user_id)
    cleaned, problems = check_user(session, op, data, existing=user)
    if op.user_id == user.id and user.is_admin and not cleaned.is_admin:
        problems["is_admin"] = "ご自分の管理者の権限は外せません(別の管理者に依頼してください)"
    if problems:
        raise ValidationError("職員の情報を変更できません", details=problems)
    changes = apply_changes(user, user_values(cleaned))
    if changes:
        if "organisation_id" in changes or any(flag.startswith("is_") for flag in changes):
            # What the person may see changed: their open sessions and tokens end, the next sign-in gets the new.
            user.session_epoch += 1
        record(session, op, now, "user_changed", {"user_id": user.id, "login": user.login, "changes": changes})
    session.commit()
    return user


def deactivate_user(session: Session, op: Operator, user_id: int, now: datetime) -> User:
    """The person can no longer sign in, and their sessions and tokens end; their name stays in the history."""
    user = staff_member(session, op, user_id)
    if op.user_id == user.id:
        raise ValidationError("ご自分は無効にできません", details={"user": "別の管理者に依頼してください"})
    if user.is_admin and not op.is_global:
        raise NotFoundError("職員が見つかりません")
    if user.active:
        user.active = False
        user.session_epoch += 1
        record(session, op, now, "user_deactivated", {"user_id": user.id, "login": user.login})
    session.commit()
    return user


def reset_password(session: Session, op: Operator, user_id: int, now: datetime) -> str:
    """A one-time password for the user (to hand over once); it must be changed at the next sign-in.

    Every session and API token of the user ends, and a lockout after failed sign-ins is lifted.
    """
    user = staff_member(session, op, user_id)
    if user.is_admin and not op.is_global:
        raise NotFoundError("職員が見つかりません")
    if not user.active:
        raise ValidationError("無効の職員のパスワードは再発行できません", details={"user": "無効になっています"})
    one_time = passwords.one_time_password()
    user.password_hash = passwords.hash_password(one_time)
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    user.session_epoch += 1
    record(session, op, now, "password_reset", {"user_id": user.id, "login": user.login})
    session.commit()
    return one_time


def change_password(
    session: Session, user_id: int, current: str, new: str, confirm: str, now: datetime, address: str | None = None
) -> User:
    """A person changes their own password: the current one is required, the new one must pass the rule.

    Every other session and API token of the person ends (the caller signs the current session in again).
    """
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFoundError("職員が見つかりません")
    # Field names of the form, keyed to Japanese messages (no password here).
    problems: dict[str, str] = {}
    if not passwords.matches(user.password_hash, current):
        problems["current_password"] = "現在のパスワードが違います"  # noqa: S105
    problem = passwords.strength_problem(new, user.login)
    if problem:
        problems["new_password"] = problem
    elif new != confirm:
        problems["new_password_confirm"] = "確認用のパスワードが一致しません"  # noqa: S105
    elif passwords.matches(user.password_hash, new):
        problems["new_password"] = "今のパスワードとは違うものにしてください"  # noqa: S105
    if problems:
        raise ValidationError("パスワードを変更できません", details=problems)
    user.password_hash = passwords.hash_password(new)
    user.must_change_password = False
    user.session_epoch += 1
    record(session, Operator(user.id, address=address, via="web"), now, "password_changed", {"user_id": user.id})
    session.commit()
    return user


def set_password(session: Session, op: Operator, login: str, password: str, now: datetime) -> User:
    """The command line sets a password directly (the server's owner, e.g. for the first administrator)."""
    user = user_by_login(session, op, login)
    problem = passwords.strength_problem(password, user.login)
    if problem:
        raise ValidationError("パスワードを設定できません", details={"password": problem})
    user.password_hash = passwords.hash_password(password)
    user.must_change_password = False
    user.session_epoch += 1
    record(session, op, now, "password_set", {"user_id": user.id, "login": user.login})
    session.commit()
    return user


def list_users(session: Session, op: Operator, organisation_id: int | None = None) -> list[tuple[User, Organisation]]:
    query = select(User, Organisation).join(Organisation, Organisation.id == User.organisation_id)
    query = query.where(Organisation.role.in_(list(ORG_KINDS)))
    if op.municipality:
        query = query.where(Organisation.municipality == op.municipality)
    if organisation_id is not None:
        query = query.where(User.organisation_id == organisation_id)
    rows = [(user, org) for user, org in session.execute(query).all()]
    return sorted(rows, key=lambda row: (row[1].municipality, row[1].name, not row[0].active, row[0].login))


# -- shared ---------------------------------------------------------------------------------------------------


def apply_changes(row: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the values; return {field: [old, new]} of those that changed (for the event)."""
    changes = {}
    for name, value in values.items():
        old = getattr(row, name)
        if old != value:
            changes[name] = [old, value]
            setattr(row, name, value)
    return changes


def record(session: Session, op: Operator, now: datetime, kind: str, detail: dict[str, Any]) -> None:
    session.add(Event(at=now, actor_id=op.user_id, kind=kind, detail={**detail, "via": op.via}, address=op.address))
