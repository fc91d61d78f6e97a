"""The `kaigoflow` console command: the engine's commands plus serve, wired with the handlers.

This is the composition root: the only place that knows the engine, the handlers and the web together.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from engine import ENGINE_COMMANDS
from engine import OPS_COMMANDS
from engine import STAFF_COMMANDS
from engine import VERSION_COMMANDS
from engine import Clock
from engine import KaigoflowError
from engine import Services
from engine import SystemClock
from web.composition import build_services as build_product_services

if TYPE_CHECKING:
    from flask import Flask

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def build_services() -> Services:
    """The product's services (web/composition.py), with the worker's web-side work: building the case exports
    people asked for (web/export_jobs.py) and, when idle, drawing new documents' PDFs."""
    from web.export_jobs import ExportRunner

    services = build_product_services()
    services.queued_work.append(ExportRunner(services))
    services.idle_work.append(PdfDrawer(services))
    return services


class PdfDrawer:
    """The worker's idle work: draw the PDFs of new documents ahead of anyone opening them (web/pdf_cache.py)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.clock: Clock = SystemClock()
        self.available = True
        self.failed: set[int] = set()

    def __call__(self) -> int:
        if not self.available:
            return 0
        from web import pdf_cache

        with self.services.sessions() as session:
            try:
                return pdf_cache.draw_missing(session, self.services.library, self.clock, skip=self.failed)
            except (ImportError, OSError):
                self.available = False  # no PDF engine on this host: the pages draw nothing either
                return 0


@click.group(help="kaigoflow — 介護予防支援・居宅介護支援の業務フロー")
@click.pass_context
def main(ctx: click.Context) -> None:
    ctx.obj = build_services()  # looked up here, so tests can replace it on this module


for command in (*ENGINE_COMMANDS, *VERSION_COMMANDS, *STAFF_COMMANDS, *OPS_COMMANDS):
    main.add_command(command)


def started_app(services: Services, config: dict[str, object]) -> Flask:
    """The web app, or the reason it cannot start (e.g. a too-short KAIGOFLOW_SECRET_KEY) in Japanese."""
    from web import create_app

    try:
        return create_app(services=services, config=config)
    except KaigoflowError as refused:
        raise click.ClickException(refused.message) from refused


def default_workers() -> int:
    """gunicorn's rule of thumb, 2 × CPUs + 1: while one worker waits on the database another runs."""
    return 2 * (os.cpu_count() or 1) + 1


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=click.IntRange(1, 64), help="gunicorn のワーカープロセス数(既定: CPU数×2+1)")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64), help="ワーカーごとのスレッド数")
@click.option("--timeout", default=60, show_default=True, type=click.IntRange(5, 3600), help="応答の時間切れ(秒)")
@click.option("--dev", is_flag=True, help="gunicorn ではなく Flask の開発用サーバーで起動する(開発専用)")
@click.pass_obj
def serve(
    services: Services,
    host: str,
    port: int,
    workers: int | None,
    threads: int,
    timeout: int,
    dev: bool,
    demo: bool = False,
) -> None:
    """Web アプリを gunicorn で起動する(既定: 127.0.0.1:5000)。"""
    config: dict[str, object] = {"SHOW_DEMO_LOGINS": demo}
    if host in LOOPBACK and "KAIGOFLOW_COOKIE_SECURE" not in os.environ:
        # Plain HTTP on this machine only: a Secure cookie would never be sent back, and nothing crosses a network.
        config["SESSION_COOKIE_SECURE"] = False
    # Built once here even for gunicorn: a setting that stops the app (a short secret key) is said in Japanese
    # before any worker forks, instead of every worker failing to boot in a loop.
    app = started_app(services, config)
    if dev:
        click.echo(f"kaigoflow(開発用サーバー): http://{host}:{port}/ で起動します")
        app.run(host=host, port=port, debug=False, use_reloader=False)
        return
    from web.server import GunicornServer

    services.engine.dispose()  # the workers open their own connections after the fork
    count = workers or default_workers()
    click.echo(f"kaigoflow: http://{host}:{port}/ で起動します(gunicorn: ワーカー {count}、スレッド {threads})")
    # Each worker builds its own services after the fork: connection pools must not be shared between processes.
    GunicornServer(
        lambda: started_app(build_services(), config),
        bind=f"{host}:{port}",
        workers=count,
        threads=threads,
        timeout=timeout,
    ).run()


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
    # Two gunicorn workers are plenty for one person trying the product on SQLite (one writer at a time).
    ctx.invoke(serve, host=host, port=port, workers=2, threads=2, timeout=60, dev=False, demo=True)


@main.command("export-case")
@click.argument("case_id", type=int)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="出力先(既定: case-ID-record-日付.zip)"
)
@click.option("--no-pdf", is_flag=True, help="帳票の PDF を含めない(JSON だけ)")
@click.pass_obj
def export_case(services: Services, case_id: int, output: str | None, no_pdf: bool) -> None:
    """ケース1件の記録一式(運営指導用: ケース・履歴・全帳票の JSON と PDF)を ZIP に出力する。"""
    from engine import Case
    from web import export

    # One case needs a database session and the library, not the web app (no secret key, no blueprints).
    clock = SystemClock()
    try:
        with services.sessions() as session:
            case = session.get(Case, case_id)
            if case is None:
                click.echo(f"エラー: ケース {case_id} は見つかりません", err=True)
                raise SystemExit(4)
            total = export.document_count(session, case)

            def progress(done: int) -> None:  # drawing a 帳票 takes about a second: say how far it is
                click.echo(f"\r帳票 {done} / {total} 件", nl=done == total, err=True)

            content = export.archive(session, services.library, clock, case, with_pdfs=not no_pdf, progress=progress)
            target = output or export.filename(case, clock)
            with open(target, "wb") as handle:
                handle.write(content)
            export.log_export(session, clock, case, None, None, "cli")
    finally:
        services.engine.dispose()
    click.echo(f"ケース {case_id} の記録一式を {target} に出力しました")
