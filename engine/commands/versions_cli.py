"""Process owners' commands: `draft`, `publish`, `versions`, `migrate` (engine/publishing/versions.py,
instance_migration.py).

Registered by the composition root (web/cli.py) next to engine/commands/cli.py's commands, in the same style.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import JST
from engine.clock import SystemClock
from engine.commands.cli import fail
from engine.commands.cli import services
from engine.errors import KaigoflowError
from engine.execution.runtime import Actor
from engine.process_library import lint as lint_module
from engine.publishing import instance_migration
from engine.publishing.versions import PublishRefused
from engine.publishing.versions import changed_files
from engine.publishing.versions import read_folder
from engine.store.models import User


def _actor(session: Session, by: str) -> Actor:
    """The user named by --by, when it is a login; the name alone is recorded otherwise."""
    user = session.scalar(select(User).where(User.login == by))
    return Actor(user_id=user.id, organisation_id=user.organisation_id) if user else Actor(system=True)


@click.group("draft")
def draft() -> None:
    """市町村の下書き(公開前の図・様式・判定表)を扱う。"""


@draft.command("show")
@click.argument("municipality")
@click.pass_context
def draft_show(ctx: click.Context, municipality: str) -> None:
    """下書きの状態と、元の版からの変更を表示する。"""
    svc = services(ctx)
    with svc.sessions() as session:
        try:
            found = svc.versions.draft(session, municipality)
            if found is None:
                latest = svc.versions.latest_number(session, municipality)
                click.echo(f"{municipality}: 下書きはありません(最新は版 {latest})")
                return
            base = svc.versions.files(session, municipality, found.base_number)
        except KaigoflowError as exc:
            fail(exc)
        stamp = found.updated_at.astimezone(JST).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{municipality}: 版 {found.base_number} をもとにした下書き(最終保存 {stamp} {found.updated_by})")
        for path, change in changed_files(base, found.files).items():
            click.echo(f"  {change} {path}")


@draft.command("pull")
@click.argument("municipality")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def draft_pull(ctx: click.Context, municipality: str, folder: Path) -> None:
    """下書き(なければ最新の版)のファイルをフォルダーに書き出す。"""
    svc = services(ctx)
    with svc.sessions() as session:
        try:
            found = svc.versions.draft(session, municipality)
            files = dict(found.files) if found else svc.versions.files(session, municipality)
        except KaigoflowError as exc:
            fail(exc)
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    click.echo(f"{len(files)}件のファイルを {folder} に書き出しました")


@draft.command("push")
@click.argument("municipality")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--by", required=True, help="編集した人(ログイン名)")
@click.pass_context
def draft_push(ctx: click.Context, municipality: str, folder: Path, by: str) -> None:
    """フォルダーのファイルで下書きを置き換え、検査結果を表示する(問題があれば終了コード 1)。"""
    svc = services(ctx)
    files = read_folder(folder)
    with svc.sessions() as session:
        try:
            actor = _actor(session, by)
            svc.versions.save_files(
                session, municipality, files, by, SystemClock(), replace=True, actor_id=actor.user_id
            )
            report = svc.versions.lint_draft(session, municipality)
        except KaigoflowError as exc:
            fail(exc)
    click.echo(f"{len(files)}件のファイルを下書きに保存しました")
    for line in lint_module.describe(report):
        click.echo(line)
    sys.exit(0 if report.ok else 1)


@draft.command("discard")
@click.argument("municipality")
@click.option("--by", required=True, help="破棄する人(ログイン名)")
@click.pass_context
def draft_discard(ctx: click.Context, municipality: str, by: str) -> None:
    """下書きを破棄する(公開済みの版は変わらない)。"""
    svc = services(ctx)
    with svc.sessions() as session:
        svc.versions.discard_draft(session, municipality, by, SystemClock(), _actor(session, by).user_id)
    click.echo("下書きを破棄しました")


@click.command("publish")
@click.argument("municipality")
@click.option("--reason", required=True, help="公開の理由(版の履歴に残ります)")
@click.option("--by", required=True, help="公開する人(ログイン名)")
@click.pass_context
def publish(ctx: click.Context, municipality: str, reason: str, by: str) -> None:
    """下書きを検査し、シナリオを実行して、すべて通れば新しい版として公開する。"""
    svc = services(ctx)
    with svc.sessions() as session:
        try:
            actor = _actor(session, by)
            info = svc.versions.publish(session, municipality, reason, by, SystemClock(), actor_id=actor.user_id)
        except PublishRefused as exc:
            click.echo(f"エラー: {exc.message}", err=True)
            for problem in exc.problems:
                click.echo(f"  {problem}", err=True)
            for line in exc.failures:
                click.echo(f"  {line}", err=True)
            sys.exit(exc.exit_code)
        except KaigoflowError as exc:
            fail(exc)
    click.echo(f"{municipality} の版 {info.number} を公開しました({info.bundle_hash[:12]})")


@click.command("versions")
@click.argument("municipality")
@click.pass_context
def versions(ctx: click.Context, municipality: str) -> None:
    """公開済みの版の一覧(番号・日時・公開した人・理由)。"""
    svc = services(ctx)
    with svc.sessions() as session:
        try:
            history = svc.versions.list_versions(session, municipality)
        except KaigoflowError as exc:
            fail(exc)
    for info in history:
        stamp = info.published_at.astimezone(JST).strftime("%Y-%m-%d %H:%M") if info.published_at else "-"
        click.echo(f"版 {info.number}\t{stamp}\t{info.published_by}\t{info.reason}\t{info.bundle_hash[:12]}")


@click.command("migrate")
@click.argument("municipality")
@click.argument("flow")
@click.option("--to", "to_number", required=True, type=int, help="移行先の版の番号")
@click.option("--dry-run", is_flag=True, help="何も変えずに、手続きごとの可否だけを表示する")
@click.option("--by", default="", help="移行する人(ログイン名)")
@click.pass_context
def migrate(ctx: click.Context, municipality: str, flow: str, to_number: int, dry_run: bool, by: str) -> None:
    """実行中の手続きを新しい版へ移す(安全なものだけ)。--dry-run で事前確認。"""
    svc = services(ctx)
    runtime = svc.runtime()
    with svc.sessions() as session:
        try:
            if dry_run:
                plans = instance_migration.plan(session, runtime, svc.versions, municipality, flow, to_number)
            else:
                plans = instance_migration.migrate(
                    session, runtime, svc.versions, municipality, flow, to_number, _actor(session, by), by=by
                )
        except KaigoflowError as exc:
            fail(exc)
    for item in plans:
        click.echo(item.line())
    movable = sum(1 for p in plans if (p.migrated if not dry_run else p.ok and p.from_hash != p.to_hash))
    refused = sum(1 for p in plans if not p.ok)
    verb = "移行可" if dry_run else "移行しました"
    click.echo(f"{len(plans)}件中 {verb} {movable}件、移行不可 {refused}件")


COMMANDS = (draft, publish, versions, migrate)
