"""`kaigoflow municipality new`, `kaigoflow backup` and `kaigoflow restore`: running kaigoflow for a municipality."""

from __future__ import annotations

from pathlib import Path

import click

from engine.clock import SystemClock
from engine.commands.cli import fail
from engine.commands.cli import services
from engine.errors import KaigoflowError
from engine.process_library.lint import describe
from engine.publishing import municipality_new
from engine.store import backup as backup_module

TABLE_NAMES = {
    "care_case": "ケース",
    "process_instance": "手続き",
    "task": "タスク",
    "document": "帳票",
    "event": "履歴",
    "process_version": "公開された版",
    "app_user": "職員",
}


@click.group("municipality")
def municipality() -> None:
    """市町村を追加する。"""


@municipality.command("new")
@click.argument("key")
@click.option("--name", required=True, help="市町村の名前(例: 北上市)")
@click.option("--insurer", default="", help="保険者として表示する名前(省略時は市町村の名前)")
@click.option("--by", default="kaigoflow municipality new", show_default=True, help="下書きの作成者として記録する名前")
@click.pass_context
def municipality_new_command(ctx: click.Context, key: str, name: str, insurer: str, by: str) -> None:
    """共通の業務フローで新しい市町村を作る: フォルダと municipality.toml(全国標準の既定値・説明つき)、検査、下書き。"""
    svc = services(ctx)
    try:
        with svc.sessions() as session:
            draft, report = municipality_new.create(
                session, svc.versions, key, name, by, SystemClock(), insurer=insurer
            )
    except KaigoflowError as exc:
        fail(exc)
    finally:
        svc.engine.dispose()
    for line in describe(report):
        click.echo(line)
    folder = svc.library.folder(key)
    click.echo(f"{name}({key})を作成しました: {folder}/municipality.toml")
    click.echo(f"下書き(版 {draft.base_number} をもとに)を用意しました。業務フローの管理で編集し、公開してください:")
    click.echo(f"  kaigoflow draft pull {key} work/ → 編集 → kaigoflow draft push {key} work/ --by LOGIN")
    click.echo(f'  kaigoflow publish {key} --reason "…" --by LOGIN')


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, file: Path) -> None:
    """データベースの一貫したコピーを FILE に保存する(運用中でもよい。PostgreSQL では pg_dump を使う)。"""
    url = services(ctx).settings.database_url
    try:
        backup_module.backup(url, file)
    except KaigoflowError as exc:
        fail(exc)
    click.echo(f"バックアップしました: {file}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def restore(ctx: click.Context, file: Path) -> None:
    """バックアップを空のデータベースに復元する(データのあるデータベースには復元しない)。"""
    url = services(ctx).settings.database_url
    try:
        counts = backup_module.restore(url, file)
    except KaigoflowError as exc:
        fail(exc)
    click.echo("復元しました: " + "、".join(f"{TABLE_NAMES[name]} {count}件" for name, count in counts.items()))
    click.echo("バックアップが古い版のものなら、続けて kaigoflow init-db でデータベースを最新の構成にしてください")


COMMANDS = (municipality, backup, restore)
