"""The `kaigoflow` commands that need only the engine: init-db, lint, decide, scenario run, tick, worker.

The composition root (web/cli.py) supplies the Services (with the handlers) through click's context object.
"""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from engine import db
from engine import lint as lint_module
from engine import scenario as scenario_module
from engine.clock import FixedClock
from engine.config import Settings
from engine.errors import KaigoflowError
from engine.models import Base
from engine.services import Services


def services(ctx: click.Context) -> Services:
    found = ctx.find_object(Services)
    if found is None:
        found = ctx.ensure_object(Services)
    return found


def fail(error: KaigoflowError) -> None:
    click.echo(f"エラー: {error}", err=True)
    sys.exit(error.exit_code)


@click.command("init-db")
@click.pass_context
def init_db(ctx: click.Context) -> None:
    """データベースを作成・更新する(既定は SQLite、KAIGOFLOW_DATABASE_URL で PostgreSQL)。"""
    url = services(ctx).settings.database_url
    db.upgrade(url)
    click.echo("データベースを最新の構成にしました")


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.pass_context
def lint(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """図・判定表・様式を検査する(問題があれば終了コード 1)。"""
    library = services(ctx).library
    report = lint_module.lint_paths(library, paths or (library.root,))
    for line in lint_module.describe(report):
        click.echo(line)
    sys.exit(0 if report.ok else 1)


@click.command("decide")
@click.argument("name")
@click.option("--municipality", "-m", required=True, help="市町村キー(例: suzuka-kameyama)")
@click.option("--input", "input_json", required=True, help="入力(JSON)")
@click.pass_context
def decide(ctx: click.Context, name: str, municipality: str, input_json: str) -> None:
    """判定を1つ評価し、結果を JSON で出力する。"""
    try:
        inputs = json.loads(input_json)
    except ValueError as exc:
        click.echo(f"エラー: --input が JSON として読めません: {exc}", err=True)
        sys.exit(2)
    if not isinstance(inputs, dict):
        click.echo("エラー: --input は JSON のオブジェクト({...})で指定してください", err=True)
        sys.exit(2)
    try:
        outputs = services(ctx).decisions(municipality).decide(name, inputs)
    except KaigoflowError as exc:
        fail(exc)
    click.echo(json.dumps(outputs, ensure_ascii=False, sort_keys=True, default=str))


@click.group("scenario")
def scenario() -> None:
    """シナリオ(YAML)を実行する。"""


@scenario.command("run")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.pass_context
def scenario_run(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """シナリオを新しいデータベースで実行し、1件1行と最後に合計を出力する。"""
    svc = services(ctx)
    results = run_scenarios(svc, scenario_module.discover(paths))
    for result in results:
        click.echo(result.line())
    passed = sum(r.passed for r in results)
    click.echo(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if results and passed == len(results) else 1)


def run_scenarios(
    svc: Services, files: list[Path], database_url: str | None = None
) -> list[scenario_module.ScenarioResult]:
    """Each scenario gets an empty database: a temporary SQLite file, or the given one emptied first."""
    results = []
    with tempfile.TemporaryDirectory(prefix="kaigoflow-scenario-") as tmp:
        for index, path in enumerate(files):
            url = database_url or f"sqlite:///{Path(tmp) / f'scenario-{index}.sqlite3'}"
            engine = db.make_engine(url)
            Base.metadata.drop_all(engine)
            Base.metadata.create_all(engine)
            sessions = db.session_factory(engine)

            def make_runtime(clock: FixedClock) -> Any:
                return svc.runtime(clock)

            results.append(scenario_module.run_file(path, make_runtime, sessions))
            engine.dispose()
    return results


@click.command("tick")
@click.pass_context
def tick(ctx: click.Context) -> None:
    """期限の来たタイマー・定期業務を一度だけ実行する。"""
    svc = services(ctx)
    with svc.sessions() as session:
        fired = svc.runtime().fire_due(session, worker=f"tick-{time.time_ns()}")
    click.echo(f"{fired}件を実行しました")


@click.command("worker")
@click.option("--interval", default=30.0, show_default=True, help="確認の間隔(秒)")
@click.pass_context
def worker(ctx: click.Context, interval: float) -> None:
    """期限の来たタイマー・定期業務を実行し続ける(Ctrl-C / SIGTERM で停止)。"""
    svc = services(ctx)
    runtime = svc.runtime()
    name = f"worker-{time.time_ns()}"
    stopping = {"now": False}

    def stop(*_: Any) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"ワーカー {name} を開始しました(間隔 {interval} 秒)")
    while not stopping["now"]:
        with svc.sessions() as session:
            try:
                fired = runtime.fire_due(session, worker=name)
            except KaigoflowError as exc:
                click.echo(f"エラー: {exc}", err=True)
                fired = 0
        if fired:
            click.echo(f"{fired}件を実行しました")
        else:
            time.sleep(interval)
    click.echo("ワーカーを停止しました")


@click.command("refresh-schedules")
@click.pass_context
def refresh_schedules(ctx: click.Context) -> None:
    """全ケースの予定・リスク・定期業務のタイマーを計算し直す(導入時や市町村設定の変更後に)。"""
    from sqlalchemy import select

    from engine.models import Case

    svc = services(ctx)
    runtime = svc.runtime()
    with svc.sessions() as session:
        case_ids = session.scalars(select(Case.id).order_by(Case.id)).all()
        for case_id in case_ids:
            runtime.refresh_schedule(session, case_id)
    click.echo(f"{len(case_ids)}件のケースの予定を計算し直しました")


COMMANDS = (init_db, lint, decide, scenario, tick, worker, refresh_schedules)


def default_services() -> Services:
    return Services(Settings.from_env())
