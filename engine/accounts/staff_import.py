"""Organisations and staff from a CSV file as Excel saves it ("CSV UTF-8": UTF-8 with a BOM, Japanese headers).

Every row is checked first (engine/accounts/staff.py's rules) and every problem is reported with its row number as Excel
shows it (the header is row 1). Only a file without a single problem is applied, all rows in one transaction;
a dry run checks and reports without applying. A row whose 事業所番号 (organisations) or ログインID (staff) is
already registered changes that one; others are added. New staff get a one-time password each, reported once,
to be changed at the first sign-in (a password never travels in a spreadsheet).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts import passwords
from engine.accounts import staff
from engine.errors import NotFoundError
from engine.errors import ValidationError
from engine.process_library.loader import Library
from engine.store.models import Organisation
from engine.store.models import User

ORGANISATION_COLUMNS = {
    "市町村": "municipality",
    "種別": "kind",
    "名称": "name",
    "事業所番号": "code",
    "所在地": "address",
}
"""Header → field for the organisations file; 市町村 is the municipality's key (e.g. oshu) or its name."""
ORGANISATION_REQUIRED = ("市町村", "種別", "名称")

USER_COLUMNS = {
    "ログインID": "login",
    "氏名": "display_name",
    "事業所番号": "code",
    "事業所名": "organisation_name",
    "職種": "job_role",
    "介護支援専門員番号": "care_manager_number",
    "業務フロー管理者": "is_process_owner",
    "市町村管理者": "is_municipal_admin",
    "管理者": "is_admin",
}
"""Header → field for the staff file; the organisation is found by 事業所番号, or by 事業所名 when that is empty."""
USER_REQUIRED = ("ログインID", "氏名", "職種")

YES = frozenset({"○", "〇", "◯", "はい", "1", "true", "yes", "y", "✓", "レ"})
NO = frozenset({"", "×", "いいえ", "0", "false", "no", "n", "-"})

FIELD_HEADERS = {
    **{name: header for header, name in ORGANISATION_COLUMNS.items()},
    **{name: header for header, name in USER_COLUMNS.items()},
    "kind": "種別",
    "organisation_id": "事業所番号",
    "password": "ログインID",
}


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str

    def line(self) -> str:
        where = f"{self.row}行目" + (f"「{self.column}」" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    """What a file would do (dry run) or did: one action per row, every problem, and new one-time passwords."""

    kind: str
    actions: list[tuple[int, str, str]] = field(default_factory=list)
    """(row, 追加 / 変更 / 変更なし, what: the name or login)."""
    problems: list[RowProblem] = field(default_factory=list)
    applied: bool = False
    one_time_passwords: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def read_rows(
    data: bytes, columns: dict[str, str], required: tuple[str, ...]
) -> tuple[list[dict[str, str]], list[RowProblem]]:
    """The data rows as {field: text} with their row numbers under "_row", or the problems of the file itself."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        message = "UTF-8 の文字として読めません。Excel では「CSV UTF-8(コンマ区切り)」で保存してください"
        return [], [RowProblem(1, "", message)]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        return [], [RowProblem(1, "", "ファイルが空です(1行目に見出しが必要です)")]
    except csv.Error as exc:
        return [], [RowProblem(1, "", f"CSV として読めません: {exc}")]
    problems = [RowProblem(1, h, "知らない見出しです") for h in header if h and h not in columns]
    problems += [RowProblem(1, h, "この見出しの列が必要です") for h in required if h not in header]
    if len(set(header)) != len(header):
        problems.append(RowProblem(1, "", "同じ見出しが2回あります"))
    if problems:
        return [], problems
    rows = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # Excel leaves empty lines at the end
            if len(cells) > len(header):
                problems.append(RowProblem(number, "", "見出しより列が多くあります"))
                continue
            row = {columns[h]: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header) if h}
            row["_row"] = str(number)
            rows.append(row)
    except csv.Error as exc:
        problems.append(RowProblem(reader.line_num, "", f"CSV として読めません: {exc}"))
    return rows, problems


def _problems(row: int, details: dict[str, str]) -> list[RowProblem]:
    return [RowProblem(row, FIELD_HEADERS.get(name, name), message) for name, message in details.items()]


def _in_file_order(problems: list[RowProblem], columns: dict[str, str]) -> list[RowProblem]:
    """Problems by row, and within a row from left to right as the columns stand in the file's headers."""
    order = {header: index for index, header in enumerate(columns)}
    return sorted(problems, key=lambda p: (p.row, order.get(p.column, len(order))))


def _municipality_key(library: Library, text: str) -> str:
    for key, muni in library.municipalities().items():
        if text in (key, muni.name):
            return key
    return text


def import_organisations(
    session: Session, library: Library, op: staff.Operator, data: bytes, now: datetime, *, dry_run: bool
) -> ImportReport:
    report = ImportReport("organisations")
    rows, report.problems = read_rows(data, ORGANISATION_COLUMNS, ORGANISATION_REQUIRED)
    planned: list[tuple[Organisation | None, staff.OrganisationInput]] = []
    seen_codes: dict[str, int] = {}
    for row in rows:
        number = int(row["_row"])
        data_in = staff.OrganisationInput(
            _municipality_key(library, row.get("municipality", "")),
            row.get("kind", ""),
            row.get("name", ""),
            row.get("code") or None,
            row.get("address") or None,
        )
        code = staff.digits(data_in.code) or None
        existing = session.scalar(select(Organisation).where(Organisation.code == code)) if code else None
        if existing is not None and (existing.municipality, existing.role) != (
            data_in.municipality,
            staff.kind_key(data_in.kind),
        ):
            report.problems.append(
                RowProblem(number, "事業所番号", f"「{existing.name}」(別の市町村か種別)で登録済みです")
            )
            continue
        if existing is not None and not op.is_global and existing.municipality != op.municipality:
            report.problems.append(RowProblem(number, "市町村", "ご自分の市町村の事業所だけを登録できます"))
            continue
        cleaned, details = staff.check_organisation(session, library, op, data_in, existing=existing)
        if code and code in seen_codes:
            details["code"] = f"{seen_codes[code]}行目と同じ事業所番号です"
        if code:
            seen_codes[code] = number
        if details:
            report.problems.extend(_problems(number, details))
            continue
        planned.append((existing, cleaned))
        if existing is None:
            action = "追加"
        else:
            same = (existing.name, existing.address) == (cleaned.name, cleaned.address)
            action = "変更なし" if same else "変更"
        report.actions.append((number, action, cleaned.name))
    report.problems = _in_file_order(report.problems, ORGANISATION_COLUMNS)
    if dry_run or report.problems:
        session.rollback()
        return report
    for existing, cleaned in planned:
        if existing is None:
            staff.insert_organisation(session, op, now, cleaned, csv=True)
        else:
            changes = staff.apply_changes(existing, {"name": cleaned.name, "address": cleaned.address})
            if changes:
                staff.record(
                    session,
                    op,
                    now,
                    "organisation_changed",
                    {"organisation_id": existing.id, "changes": changes, "csv": True},
                )
    session.commit()
    report.applied = True
    return report


def _flag(text: str) -> bool | None:
    folded = text.strip().casefold()
    if folded in YES:
        return True
    if folded in NO:
        return False
    return None


def _find_organisation(session: Session, op: staff.Operator, code: str, name: str) -> tuple[int | None, str | None]:
    """(organisation id, problem): by 事業所番号, else by a name that is unique within the operator's scope."""
    digits = staff.digits(code)
    if digits:
        org = session.scalar(select(Organisation).where(Organisation.code == digits))
        if org is None:
            return None, f"事業所番号「{digits}」の事業所は登録されていません"
        return org.id, None
    if not name:
        return None, "事業所番号か事業所名のどちらかが必要です"
    query = select(Organisation).where(Organisation.name == name, Organisation.role.in_(list(staff.ORG_KINDS)))
    if op.municipality:
        query = query.where(Organisation.municipality == op.municipality)
    found = session.scalars(query).all()
    if not found:
        return None, f"事業所「{name}」は登録されていません"
    if len(found) > 1:
        return None, f"「{name}」という事業所が複数あります。事業所番号で指定してください"
    return found[0].id, None


def import_users(session: Session, op: staff.Operator, data: bytes, now: datetime, *, dry_run: bool) -> ImportReport:
    report = ImportReport("users")
    rows, report.problems = read_rows(data, USER_COLUMNS, USER_REQUIRED)
    planned: list[tuple[User | None, staff.UserInput]] = []
    seen_logins: dict[str, int] = {}
    for row in rows:
        number = int(row["_row"])
        details: dict[str, str] = {}
        flags: dict[str, bool] = {}
        for name in ("is_process_owner", "is_municipal_admin", "is_admin"):
            value = _flag(row.get(name, ""))
            if value is None:
                details[name] = "「○」か空欄で入力してください"
            flags[name] = bool(value)
        org_id, org_problem = _find_organisation(session, op, row.get("code", ""), row.get("organisation_name", ""))
        login = row.get("login", "")
        existing = session.scalar(select(User).where(User.login == login)) if login else None
        if existing is not None:
            try:
                staff.staff_member(session, op, existing.id)
            except NotFoundError:  # another municipality's login: reported as taken, nothing more revealed
                details["login"] = f"ログインID「{login}」は使われています"
        data_in = staff.UserInput(
            login,
            row.get("display_name", ""),
            org_id,
            row.get("job_role", ""),
            row.get("care_manager_number") or None,
            flags["is_process_owner"],
            flags["is_admin"],
            flags["is_municipal_admin"],
        )
        cleaned, found = staff.check_user(session, op, data_in, existing=existing)
        if org_problem:
            found["organisation_id"] = org_problem
        found.update(details)
        if login.lower() in seen_logins:
            found["login"] = f"{seen_logins[login.lower()]}行目と同じログインIDです"
        seen_logins[login.lower()] = number
        if found:
            report.problems.extend(_problems(number, found))
            continue
        planned.append((existing, cleaned))
        if existing is None:
            action = "追加"
        else:
            before = staff.user_fields(existing)
            after = {**before, **staff.user_values(cleaned)}
            action = "変更なし" if before == after else "変更"
        report.actions.append((number, action, cleaned.login))
    report.problems = _in_file_order(report.problems, USER_COLUMNS)
    if dry_run or report.problems:
        session.rollback()
        return report
    for existing, cleaned in planned:
        if existing is None:
            one_time = passwords.one_time_password()
            user = User(
                login=cleaned.login,
                password_hash=passwords.hash_password(one_time),
                must_change_password=True,
                active=True,
                **staff.user_values(cleaned),
            )
            session.add(user)
            session.flush()
            staff.record(session, op, now, "user_added", {"user_id": user.id, **staff.user_fields(user), "csv": True})
            report.one_time_passwords[user.login] = one_time
        else:
            changes = staff.apply_changes(existing, staff.user_values(cleaned))
            if changes:
                if "organisation_id" in changes or any(name.startswith("is_") for name in changes):
                    existing.session_epoch += 1
                staff.record(
                    session,
                    op,
                    now,
                    "user_changed",
                    {"user_id": existing.id, "login": existing.login, "changes": changes, "csv": True},
                )
    session.commit()
    report.applied = True
    return report


def template(kind: str) -> bytes:
    """An empty file with the headers, UTF-8 with a BOM and CRLF, as Excel writes and reads it."""
    columns = ORGANISATION_COLUMNS if kind == "organisations" else USER_COLUMNS
    return ("\ufeff" + ",".join(columns) + "\r\n").encode("utf-8")


def raise_if_problems(report: ImportReport) -> None:
    if report.problems:
        raise ValidationError(
            "ファイルに問題があるため、何も取り込んでいません",
            details={str(i + 1): p.line() for i, p in enumerate(report.problems)},
        )
