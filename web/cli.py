"""The `kaigoflow` console command: the engine's commands plus serve, wired with the handlers.

This is the composition root: the only place that knows the engine, the handlers and the web together.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from engine import cli as engine_cli
from engine import ops_cli
from engine import staff_cli
from engine import versions_cli
from engine.errors import KaigoflowError
from engine.services import Services
from web.composition import build_services

if TYPE_CHECKING:
    from flask import Flask

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.group(help="kaigoflow — 介護予防支援・居宅介護支援の業務フロー")
@click.pass_context
def main(ctx: click.Context) -> None:
    ctx.obj = build_services()  # looked up here, so tests can replace it on this module


for command in (*engine_cli.COMMANDS, *versions_cli.COMMANDS, *staff_cli.COMMANDS, *ops_cli.COMMANDS):
    main.add_command(command)


def started_app(services: Services, config: dict[str, object]) -> Flask:
    """The web app, or the reason it cannot start (e.g. a too-short KAIGOFLOW_SECRET_KEY) in Japanese."""
    from web import create_app

    try:
        return create_app(services=services, config=config)
    except KaigoflowError as refused:
        raise click.ClickException(refused.message) from refused


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.pass_obj
def serve(services: Services, host: str, port: int, demo: bool = False) -> None:
    """Web アプリを起動する(既定: 127.0.0.1:5000)。"""
    config: dict[str, object] = {"SHOW_DEMO_LOGINS": demo}
    if host in LOOPBACK and "KAIGOFLOW_COOKIE_SECURE" not in os.environ:
        # Plain HTTP on this machine only: a Secure cookie would never be sent back, and nothing crosses a network.
        config["SESSION_COOKIE_SECURE"] = False
    app = started_app(services, config)
    click.echo(f"kaigoflow: http://{host}:{port}/ で起動します")
    app.run(host=host, port=port, debug=False, use_reloader=False)


@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--worker-interval", default=30.0, show_default=True, help="ワーカーの確認の間隔(秒)")
@click.pass_context
def demo(ctx: click.Context, host: str, port: int, worker_interval: float) -> None:
    """デモ用の市町村・事業所・職員を用意して Web アプリを起動する。"""
    from web import demo as demo_data

    services: Services = ctx.obj
    with services.sessions() as session:
        logins = demo_data.seed(session, services.library)
        cases = demo_data.seed_cases(session, services.library, services.runtime())
    click.echo(f"デモ職員 {len(logins)} 組(パスワードはすべて {demo_data.DEMO_PASSWORD}):")
    for login in logins:
        click.echo(f"  {login.municipality} / {login.organisation}: {login.login}")
    for line in cases:
        click.echo(f"  {line}")
    # The stories (seconds) and then the worker run beside the server, so the pages answer at once.
    click.echo("事例のケース(計画実施中・モニタリング期限超過・更新・暫定プラン・福祉用具の協議)を用意します:")
    demo_data.DemoWorker(services, interval=worker_interval, say=click.echo).start()
    ctx.invoke(serve, host=host, port=port, demo=True)


@main.command("export-case")
@click.argument("case_id", type=int)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="出力先(既定: case-ID-record-日付.zip)"
)
@click.option("--no-pdf", is_flag=True, help="帳票の PDF を含めない(JSON だけ)")
@click.pass_obj
def export_case(services: Services, case_id: int, output: str | None, no_pdf: bool) -> None:
    """ケース1件の記録一式(運営指導用: ケース・履歴・全帳票の JSON と PDF)を ZIP に出力する。"""
    from engine.models import Case
    from web import export
    from web.extensions import db

    app = started_app(services, {"SESSION_COOKIE_SECURE": False})
    with app.app_context():
        try:
            case = db.session.get(Case, case_id)
            if case is None:
                click.echo(f"エラー: ケース {case_id} は見つかりません", err=True)
                raise SystemExit(4)
            content = export.archive(case, with_pdfs=not no_pdf)
            target = output or export.filename(case)
            with open(target, "wb") as handle:
                handle.write(content)
            export.log_export(case, None, None, "cli")
        finally:
            db.session.remove()
            db.engine.dispose()
    click.echo(f"ケース {case_id} の記録一式を {target} に出力しました")
