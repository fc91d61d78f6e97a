"""Organisations and staff (engine/accounts/staff.py, engine/accounts/staff_import.py): the rules per field, the
municipal administrator's scope, passwords, deactivation that keeps the name, CSV import with its dry run, and an event
for every change. The commands (`kaigoflow org …`, `kaigoflow user …`) are tested at the end."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlalchemy import select

from engine.accounts import passwords
from engine.accounts import staff
from engine.accounts import staff_import
from engine.errors import NotFoundError
from engine.errors import ValidationError
from engine.store.models import Event
from engine.store.models import Organisation
from engine.store.models import User
from web.cli import main

STRONG = "Kaigo-2026-flow"


@pytest.fixture
def library(fixture_services):
    return fixture_services.library


@pytest.fixture
def insurer(session, library, clock):
    data = staff.OrganisationInput("demo", "insurer", "テスト市 介護保険課", "２１２３４５", "テスト市役所1階")
    return staff.add_organisation(session, library, staff.CLI, data, clock.now())


def events(session, kind: str) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))


def csv_bytes(*lines: str) -> bytes:
    """A file as Excel's "CSV UTF-8" writes it: a BOM, CRLF line ends."""
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def test_an_organisation_is_added_with_its_number_normalised_and_an_event(session, insurer):
    assert (insurer.role, insurer.code, insurer.address, insurer.active) == (
        "insurer",
        "212345",
        "テスト市役所1階",
        True,
    )
    [added] = events(session, "organisation_added")
    assert added.actor_id is None and added.detail["via"] == "cli"
    assert added.detail["organisation_id"] == insurer.id and added.detail["name"] == "テスト市 介護保険課"


def test_organisation_problems_are_per_field_and_nothing_is_saved(session, library, insurer, clock):
    data = staff.OrganisationInput("nowhere", "hospital", "", "12", None)
    with pytest.raises(ValidationError) as refused:
        staff.add_organisation(session, library, staff.CLI, data, clock.now())
    assert set(refused.value.details) == {"municipality", "kind", "name", "code"}
    taken = staff.OrganisationInput("demo", "insurer", "別の課", "212345")
    with pytest.raises(ValidationError) as duplicate:
        staff.add_organisation(session, library, staff.CLI, taken, clock.now())
    assert "登録済み" in duplicate.value.details["code"]
    short = staff.OrganisationInput("demo", "office", "さくら", "12345")
    with pytest.raises(ValidationError) as digits:
        staff.add_organisation(session, library, staff.CLI, short, clock.now())
    assert digits.value.details["code"] == "事業所番号は数字10桁で入力してください"
    assert session.scalar(select(func.count()).select_from(Organisation)) == 1


def test_a_change_records_old_and_new_and_closing_waits_for_the_staff(session, library, insurer, clock):
    staff.change_organisation(session, library, staff.CLI, insurer.id, "テスト市 長寿課", "212345", None, clock.now())
    [changed] = events(session, "organisation_changed")
    assert changed.detail["changes"] == {
        "name": ["テスト市 介護保険課", "テスト市 長寿課"],
        "address": ["テスト市役所1階", None],
    }
    person, _ = staff.add_user(
        session, staff.CLI, staff.UserInput("clerk-1", "事務 一郎", insurer.id), clock.now(), password=STRONG
    )
    with pytest.raises(ValidationError):
        staff.close_organisation(session, staff.CLI, insurer.id, clock.now())
    staff.deactivate_user(session, staff.CLI, person.id, clock.now())
    staff.close_organisation(session, staff.CLI, insurer.id, clock.now())
    assert insurer.active is False and [e.detail["name"] for e in events(session, "organisation_closed")] == [
        "テスト市 長寿課"
    ]


def test_only_an_office_records_a_proxy_receipt_date_and_never_one_in_the_future(session, library, insurer, clock):
    """代理受領委任状 (豊川 001:8-22): filed once by a 居宅介護支援事業所; a refusal changes nothing."""
    from datetime import timedelta

    office = staff.add_organisation(
        session, library, staff.CLI, staff.OrganisationInput("demo", "office", "さくら居宅"), clock.now()
    )
    today = clock.now().date()
    with pytest.raises(ValidationError) as not_an_office:
        staff.record_proxy_receipt_mandate(session, staff.CLI, insurer.id, today, clock.now())
    assert "居宅介護支援事業所" in not_an_office.value.details["proxy_receipt_mandate_filed_on"]
    with pytest.raises(ValidationError) as future:
        staff.record_proxy_receipt_mandate(session, staff.CLI, office.id, today + timedelta(days=2), clock.now())
    assert "未来" in future.value.details["proxy_receipt_mandate_filed_on"]
    session.rollback()
    assert session.get(Organisation, office.id).proxy_receipt_mandate_filed_on is None
    staff.record_proxy_receipt_mandate(session, staff.CLI, office.id, today, clock.now())
    staff.record_proxy_receipt_mandate(session, staff.CLI, office.id, today, clock.now())  # the same: no event
    [changed] = events(session, "organisation_changed")
    assert changed.detail["changes"] == {"proxy_receipt_mandate_filed_on": [None, today.isoformat()]}


def test_a_care_manager_needs_the_8_digit_number_and_others_have_none(session, insurer, clock):
    with pytest.raises(ValidationError) as missing:
        staff.add_user(
            session, staff.CLI, staff.UserInput("cm-1", "ケア 花子", insurer.id, "care_manager"), clock.now(), STRONG
        )
    assert "介護支援専門員番号" in missing.value.details["care_manager_number"]
    with pytest.raises(ValidationError) as stray:
        data = staff.UserInput("clerk-2", "事務 二郎", insurer.id, "staff", "12345678")
        staff.add_user(session, staff.CLI, data, clock.now(), STRONG)
    assert "だけ入力します" in stray.value.details["care_manager_number"]
    data = staff.UserInput("cm-1", "ケア 花子", insurer.id, "介護支援専門員", "１２３４-５６７８")
    person, one_time = staff.add_user(session, staff.CLI, data, clock.now(), STRONG)
    assert (person.job_role, person.care_manager_number, one_time) == ("care_manager", "12345678", None)
    assert passwords.matches(person.password_hash, STRONG) and not person.must_change_password


def test_logins_are_unique_ignoring_case_and_weak_passwords_are_refused_in_japanese(session, insurer, clock):
    staff.add_user(session, staff.CLI, staff.UserInput("Tanaka", "田中", insurer.id), clock.now(), STRONG)
    for login, password, field, message in (
        ("tanaka", STRONG, "login", "使われています"),
        ("suzuki", "short1", "password", "10文字以上"),
        ("suzuki", "abcdefghijkl", "password", "2種類以上"),
        ("suzuki", "suzuki-2026-x", "password", "ログインID"),
        ("a b", STRONG, "login", "半角英数字"),
    ):
        with pytest.raises(ValidationError) as refused:
            staff.add_user(session, staff.CLI, staff.UserInput(login, "鈴木", insurer.id), clock.now(), password)
        assert message in refused.value.details[field], (login, password)
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_without_a_password_a_one_time_password_is_issued_that_must_be_changed(session, insurer, clock):
    person, one_time = staff.add_user(session, staff.CLI, staff.UserInput("new-1", "新人", insurer.id), clock.now())
    assert one_time and passwords.strength_problem(one_time) is None
    assert person.must_change_password and passwords.matches(person.password_hash, one_time)
    [added] = events(session, "user_added")
    assert one_time not in str(added.detail) and "password" not in str(added.detail)


def test_changing_the_own_password_needs_the_current_one_and_ends_other_sessions(session, insurer, clock):
    person, one_time = staff.add_user(session, staff.CLI, staff.UserInput("new-1", "新人", insurer.id), clock.now())
    epoch = person.session_epoch
    with pytest.raises(ValidationError) as refused:
        staff.change_password(session, person.id, "wrong", STRONG, STRONG, clock.now())
    assert refused.value.details == {"current_password": "現在のパスワードが違います"}
    with pytest.raises(ValidationError) as mismatch:
        staff.change_password(session, person.id, one_time, STRONG, STRONG + "x", clock.now())
    assert "new_password_confirm" in mismatch.value.details
    staff.change_password(session, person.id, one_time, STRONG, STRONG, clock.now(), address="10.0.0.1")
    assert passwords.matches(person.password_hash, STRONG) and not person.must_change_password
    assert person.session_epoch == epoch + 1
    [changed] = events(session, "password_changed")
    assert (changed.actor_id, changed.address) == (person.id, "10.0.0.1")


def test_a_reset_issues_a_one_time_password_lifts_a_lock_and_ends_sessions(session, insurer, clock):
    person, _ = staff.add_user(session, staff.CLI, staff.UserInput("new-1", "新人", insurer.id), clock.now(), STRONG)
    person.failed_logins, person.locked_until = 3, clock.now()
    session.commit()
    one_time = staff.reset_password(session, staff.CLI, person.id, clock.now())
    assert passwords.matches(person.password_hash, one_time) and not passwords.matches(person.password_hash, STRONG)
    assert (person.must_change_password, person.failed_logins, person.locked_until) == (True, 0, None)
    assert person.session_epoch == 1 and len(events(session, "password_reset")) == 1


def test_deactivating_keeps_the_row_and_name_and_ends_sessions(session, insurer, clock):
    person, _ = staff.add_user(
        session, staff.CLI, staff.UserInput("leaver", "退職 太郎", insurer.id), clock.now(), STRONG
    )
    staff.deactivate_user(session, staff.CLI, person.id, clock.now())
    session.expire_all()
    kept = session.get(User, person.id)
    assert (kept.active, kept.display_name, kept.session_epoch) == (False, "退職 太郎", 1)
    assert [e.detail["login"] for e in events(session, "user_deactivated")] == ["leaver"]


def test_a_municipal_administrator_manages_only_their_municipality_and_no_administrators(
    session, library, insurer, clock, fixture_services
):
    other = Organisation(municipality="elsewhere", role="center", name="よそのセンター", active=True)
    session.add(other)
    session.commit()
    local = staff.Operator(user_id=None, municipality="demo", via="web")
    with pytest.raises(NotFoundError):
        staff.organisation(session, local, other.id)
    with pytest.raises(ValidationError) as refused:
        staff.add_user(session, local, staff.UserInput("x-1", "よそ", other.id), clock.now(), STRONG)
    assert "organisation_id" in refused.value.details
    with pytest.raises(ValidationError) as admin:
        data = staff.UserInput("boss", "全体", insurer.id, is_admin=True)
        staff.add_user(session, local, data, clock.now(), STRONG)
    assert "全体の管理者" in admin.value.details["is_admin"]
    boss, _ = staff.add_user(
        session, staff.CLI, staff.UserInput("boss", "全体", insurer.id, is_admin=True), clock.now(), STRONG
    )
    with pytest.raises(NotFoundError):
        staff.reset_password(session, local, boss.id, clock.now())
    assert [o.name for o in staff.list_organisations(session, local)] == ["テスト市 介護保険課"]


ORGS_HEADER = "市町村,種別,名称,事業所番号,所在地"


def test_an_organisations_file_with_problems_reports_every_one_by_row_and_changes_nothing(session, library, clock):
    data = csv_bytes(
        ORGS_HEADER,
        "demo,地域包括支援センター,第一包括,2470000001,テスト市1-1",
        "nowhere,居宅,さくら,123,",
        "テスト市,病院,,2470000001,",
        "",
    )
    report = staff_import.import_organisations(session, library, staff.CLI, data, clock.now(), dry_run=False)
    assert not report.applied
    assert [(p.row, p.column) for p in report.problems] == [
        (3, "市町村"),
        (3, "事業所番号"),
        (4, "種別"),
        (4, "名称"),
        (4, "事業所番号"),
    ]
    assert report.problems[0].line() == "3行目「市町村」: 市町村「nowhere」は登録されていません"
    assert session.scalar(select(func.count()).select_from(Organisation)) == 0
    assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_an_organisations_file_is_checked_by_a_dry_run_then_applied_and_a_second_import_updates(
    session, library, clock
):
    data = csv_bytes(
        ORGS_HEADER,
        "demo,地域包括支援センター,第一包括,2470000001,テスト市1-1",
        "テスト市,office,さくら居宅,2470000002,",
    )
    dry = staff_import.import_organisations(session, library, staff.CLI, data, clock.now(), dry_run=True)
    assert dry.ok and not dry.applied and dry.actions == [(2, "追加", "第一包括"), (3, "追加", "さくら居宅")]
    assert session.scalar(select(func.count()).select_from(Organisation)) == 0
    done = staff_import.import_organisations(session, library, staff.CLI, data, clock.now(), dry_run=False)
    assert done.applied
    assert sorted(session.scalars(select(Organisation.name))) == ["さくら居宅", "第一包括"]
    assert all(e.detail["csv"] for e in events(session, "organisation_added"))
    again = csv_bytes(ORGS_HEADER, "demo,center,第一包括,2470000001,テスト市2-2", "demo,office,さくら居宅,2470000002,")
    second = staff_import.import_organisations(session, library, staff.CLI, again, clock.now(), dry_run=False)
    assert second.actions == [(2, "変更", "第一包括"), (3, "変更なし", "さくら居宅")]
    [changed] = events(session, "organisation_changed")
    assert changed.detail["changes"] == {"address": ["テスト市1-1", "テスト市2-2"]}


def test_a_file_that_is_not_utf8_or_has_unknown_headers_is_refused_at_row_1(session, library, clock):
    shift_jis = ("市町村,種別,名称\r\ndemo,center,第一\r\n").encode("cp932")
    report = staff_import.import_organisations(session, library, staff.CLI, shift_jis, clock.now(), dry_run=True)
    assert [p.row for p in report.problems] == [1] and "CSV UTF-8" in report.problems[0].message
    odd = csv_bytes("市町村,種別,名前", "demo,center,第一")
    report = staff_import.import_organisations(session, library, staff.CLI, odd, clock.now(), dry_run=True)
    assert {(p.column, p.message) for p in report.problems} == {
        ("名前", "知らない見出しです"),
        ("名称", "この見出しの列が必要です"),
    }


USERS_HEADER = "ログインID,氏名,事業所番号,事業所名,職種,介護支援専門員番号,業務フロー管理者,市町村管理者,管理者"


def test_a_staff_file_adds_people_with_one_time_passwords_and_lists_every_problem(session, insurer, clock):
    bad = csv_bytes(
        USERS_HEADER,
        "cm-1,ケア 一郎,212345,,介護支援専門員,12345678,,,",
        "cm-1,ケア 二郎,,テスト市 介護保険課,ケアマネジャー,,はい,,",
        "x,,999,,看護師,,,,たぶん",
    )
    report = staff_import.import_users(session, staff.CLI, bad, clock.now(), dry_run=True)
    assert [(p.row, p.column) for p in report.problems] == [
        (3, "ログインID"),
        (3, "介護支援専門員番号"),
        (4, "ログインID"),
        (4, "氏名"),
        (4, "事業所番号"),
        (4, "職種"),
        (4, "管理者"),
    ]
    good = csv_bytes(
        USERS_HEADER,
        "cm-1,ケア 一郎,212345,,介護支援専門員,12345678,,,",
        "owner-1,フロー 花子,,テスト市 介護保険課,保健師,,○,○,",
    )
    done = staff_import.import_users(session, staff.CLI, good, clock.now(), dry_run=False)
    assert done.applied and sorted(done.one_time_passwords) == ["cm-1", "owner-1"]
    owner = session.scalar(select(User).where(User.login == "owner-1"))
    assert (owner.job_role, owner.is_process_owner, owner.is_municipal_admin, owner.must_change_password) == (
        "public_health_nurse",
        True,
        True,
        True,
    )
    assert passwords.matches(owner.password_hash, done.one_time_passwords["owner-1"])
    assert len(events(session, "user_added")) == 2


def test_the_commands_register_the_first_administrator_and_import(tmp_path, fixture_services, monkeypatch, session):
    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", fixture_services.settings.database_url)
    monkeypatch.setenv("KAIGOFLOW_PROCESSES", str(fixture_services.settings.processes_dir))
    runner = CliRunner()
    added = runner.invoke(main, ["org", "add", "--municipality", "demo", "--kind", "insurer", "--name", "介護保険課"])
    assert added.exit_code == 0, added.output
    org_id = session.scalar(select(Organisation.id))
    assert f"ID {org_id} 保険者「介護保険課」" in added.output
    command = ["user", "add", "admin", "--org", str(org_id), "--name", "管理 太郎", "--admin", "--password-stdin"]
    weak = runner.invoke(main, command, input="short\n")
    assert weak.exit_code == 1 and "10文字以上" in weak.output
    done = runner.invoke(main, command, input=f"{STRONG}\n")
    assert done.exit_code == 0, done.output
    admin = session.scalar(select(User).where(User.login == "admin"))
    assert admin.is_admin and passwords.matches(admin.password_hash, STRONG) and not admin.must_change_password
    users_file = tmp_path / "staff.csv"
    users_file.write_bytes(csv_bytes(USERS_HEADER, "clerk-1,事務 一郎,,介護保険課,事務職員・その他,,,,"))
    dry = runner.invoke(main, ["user", "import", str(users_file), "--dry-run"])
    assert dry.exit_code == 0 and "2行目: 追加 clerk-1" in dry.output and "確認のみ" in dry.output
    applied = runner.invoke(main, ["user", "import", str(users_file)])
    assert applied.exit_code == 0 and "一時パスワード clerk-1:" in applied.output
    off = runner.invoke(main, ["user", "deactivate", "clerk-1"])
    assert off.exit_code == 0, off.output
    session.expire_all()
    assert session.scalar(select(User.active).where(User.login == "clerk-1")) is False
    bad_file = tmp_path / "orgs.csv"
    bad_file.write_bytes(csv_bytes(ORGS_HEADER, "demo,center,,,"))
    bad = runner.invoke(main, ["org", "import", str(bad_file)])
    assert bad.exit_code == 2 and "2行目「名称」: 必須です" in bad.output
