"""`kaigoflow org …` and `kaigoflow user …`: organisations and staff from the command line (engine/accounts/staff.py).

Whoever runs these commands runs the server, so they act on every municipality (engine.accounts.staff.CLI); each change
is an event like one made on the administration pages, with no user as its actor and `via: cli`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy.orm import Session

from engine.accounts import staff
from engine.accounts import staff_import
from engine.clock import SystemClock
from engine.commands.cli import fail
from engine.commands.cli import services
from engine.errors import KaigoflowError
from engine.services import Services


def _now() -> datetime:
    return SystemClock().now()


@contextmanager
def _session(ctx: click.Context) -> Iterator[tuple[Services, Session]]:
    """A session, and the engine's connections closed afterwards (a command is a process of its own)."""
    svc = services(ctx)
    try:
        with svc.sessions() as session:
            yield svc, session
    finally:
        svc.engine.dispose()


@click.group("org")
def org() -> None:
    """事業所(地域包括支援センター・居宅介護支援事業所・保険者・サービス事業所)を登録・一覧・取り込みする。"""


@org.command("add")
@click.option("--municipality", "-m", required=True, help="市町村キー(例: oshu)")
@click.option(
    "--kind",
    required=True,
    help="種別: center(地域包括支援センター)・office(居宅介護支援事業所)・insurer(保険者)・provider(サービス事業所)",
)
@click.option("--name", required=True, help="名称")
@click.option("--code", help="事業所番号(10桁)。保険者は保険者番号(6桁)")
@click.option("--address", help="所在地")
@click.pass_context
def org_add(ctx: click.Context, municipality: str, kind: str, name: str, code: str | None, address: str | None) -> None:
    """事業所を1つ登録し、その番号(ID: user add --org に指定)を表示する。"""
    with _session(ctx) as (svc, session):
        data = staff.OrganisationInput(municipality, kind, name, code, address)
        try:
            added = staff.add_organisation(session, svc.library, staff.CLI, data, _now())
        except KaigoflowError as exc:
            fail(exc)
        click.echo(f"登録しました: ID {added.id} {staff.ORG_KINDS[added.role]}「{added.name}」({added.municipality})")


@org.command("list")
@click.option("--municipality", "-m", help="市町村キー(省略: すべて)")
@click.pass_context
def org_list(ctx: click.Context, municipality: str | None) -> None:
    """事業所の一覧(ID・市町村・種別・名称・事業所番号・状態)。"""
    with _session(ctx) as (_svc, session):
        for row in staff.list_organisations(session, staff.CLI, municipality):
            state = "" if row.active else " [廃止]"
            click.echo(
                f"{row.id}\t{row.municipality}\t{staff.ORG_KINDS[row.role]}\t{row.name}\t{row.code or '-'}{state}"
            )


@org.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="確認だけして取り込まない")
@click.pass_context
def org_import(ctx: click.Context, file: Path, dry_run: bool) -> None:
    """事業所を CSV(UTF-8、Excel の「CSV UTF-8」)から取り込む。見出し: 市町村,種別,名称,事業所番号,所在地"""
    with _session(ctx) as (svc, session):
        report = staff_import.import_organisations(
            session, svc.library, staff.CLI, file.read_bytes(), _now(), dry_run=dry_run
        )
    _print_report(report, dry_run)


@click.group("user")
def user() -> None:
    """職員を登録・無効化・取り込みし、パスワードを再発行する。"""


def _read_password(login: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt(f"{login} のパスワード", hide_input=True, confirmation_prompt="もう一度"))


@user.command("add")
@click.argument("login")
@click.option("--org", "org_id", required=True, type=int, help="所属する事業所の ID(org add / org list が表示する)")
@click.option("--name", "display_name", help="氏名(省略時はログインID)")
@click.option(
    "--role",
    "job_role",
    default="staff",
    show_default=True,
    help="職種: care_manager(介護支援専門員)・chief_care_manager(主任介護支援専門員)・public_health_nurse(保健師)"
    "・social_worker(社会福祉士)・staff(事務職員・その他)",
)
@click.option("--care-manager-number", help="介護支援専門員番号(8桁、介護支援専門員・主任介護支援専門員は必須)")
@click.option("--owner", is_flag=True, help="業務フロー管理者(その市町村の業務フローを編集・公開する)")
@click.option("--municipal-admin", is_flag=True, help="市町村の管理者(その市町村の事業所・職員を管理する)")
@click.option("--admin", is_flag=True, help="全体の管理者(すべての市町村の事業所・職員を管理し、比較する)")
@click.option("--password-stdin", is_flag=True, help="パスワードを標準入力の1行から読む(省略時は入力を求める)")
@click.pass_context
def user_add(
    ctx: click.Context,
    login: str,
    org_id: int,
    display_name: str | None,
    job_role: str,
    care_manager_number: str | None,
    owner: bool,
    municipal_admin: bool,
    admin: bool,
    password_stdin: bool,
) -> None:
    """職員を1人登録する(パスワードは10文字以上、ログインIDを含まず、2種類以上の文字)。"""
    password = _read_password(login, password_stdin)
    data = staff.UserInput(
        login, display_name or login, org_id, job_role, care_manager_number, owner, admin, municipal_admin
    )
    with _session(ctx) as (_svc, session):
        try:
            added, _ = staff.add_user(session, staff.CLI, data, _now(), password=password)
        except KaigoflowError as exc:
            fail(exc)
        click.echo(f"登録しました: {added.login}({added.display_name})")


@user.command("deactivate")
@click.argument("login")
@click.pass_context
def user_deactivate(ctx: click.Context, login: str) -> None:
    """職員を無効にする(サインインできなくなる。履歴には名前が残る)。"""
    with _session(ctx) as (_svc, session):
        try:
            found = staff.user_by_login(session, staff.CLI, login)
            staff.deactivate_user(session, staff.CLI, found.id, _now())
        except KaigoflowError as exc:
            fail(exc)
    click.echo(f"{login} を無効にしました")


@user.command("reset-password")
@click.argument("login")
@click.pass_context
def user_reset_password(ctx: click.Context, login: str) -> None:
    """一時パスワードを発行する(次のサインインで本人が変更する)。"""
    with _session(ctx) as (_svc, session):
        try:
            found = staff.user_by_login(session, staff.CLI, login)
            one_time = staff.reset_password(session, staff.CLI, found.id, _now())
        except KaigoflowError as exc:
            fail(exc)
    click.echo(f"{login} の一時パスワード: {one_time}(次のサインインで変更が必要です)")


@user.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="確認だけして取り込まない")
@click.pass_context
def user_import(ctx: click.Context, file: Path, dry_run: bool) -> None:
    """職員を CSV(UTF-8、Excel の「CSV UTF-8」)から取り込む。新しい職員には一時パスワードを表示する。

    見出し: ログインID,氏名,事業所番号,事業所名,職種,介護支援専門員番号,業務フロー管理者,市町村管理者,管理者
    """
    with _session(ctx) as (_svc, session):
        report = staff_import.import_users(session, staff.CLI, file.read_bytes(), _now(), dry_run=dry_run)
    _print_report(report, dry_run)
    for login, one_time in report.one_time_passwords.items():
        click.echo(f"  一時パスワード {login}: {one_time}")


def _print_report(report: staff_import.ImportReport, dry_run: bool) -> None:
    for row, action, what in report.actions:
        click.echo(f"{row}行目: {action} {what}")
    for problem in report.problems:
        click.echo(problem.line(), err=True)
    if report.problems:
        click.echo(f"問題が{len(report.problems)}件あるため、何も取り込んでいません", err=True)
        sys.exit(2)
    if dry_run:
        click.echo(f"確認のみ: {len(report.actions)}行に問題はありません(取り込むには --dry-run を外してください)")
    else:
        click.echo(f"{len(report.actions)}行を取り込みました")


COMMANDS = (org, user)
