"""The `kaigoflow` commands that need only the engine: init-db, lint, decide, scenario run, tick, worker.

The composition root (web/cli.py) supplies the Services (with the handlers) through click's context object.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Any
from typing import NoReturn

import click

from engine.clock import SystemClock
from engine.comparison import report as comparereport
from engine.comparison.flow_diff import Side
from engine.comparison.flow_diff import diff_flow
from engine.comparison.matrix import build_matrix
from engine.errors import KaigoflowError
from engine.errors import NotFoundError
from engine.operations import oplog
from engine.operations import worker_tick
from engine.process_library import lint as lint_module
from engine.publishing import scenario as scenario_module
from engine.publishing import scenario_suite
from engine.services import Services
from engine.store import db
from engine.store import retention


def services(ctx: click.Context) -> Services:
    """The Services the composition root (web/cli.py) put in the context; the engine cannot build them itself
    (it does not know the handlers)."""
    found = ctx.find_object(Services)
    if found is None:
        raise click.UsageError("kaigoflow コマンドから実行してください(サービスが用意されていません)")
    return found


def fail(error: KaigoflowError) -> NoReturn:
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
@click.option("--draft", "draft_of", metavar="MUNICIPALITY", help="その市町村の下書きを検査する")
@click.pass_context
def lint(ctx: click.Context, paths: tuple[Path, ...], draft_of: str | None) -> None:
    """図・判定表・様式を検査する(問題があれば終了コード 1)。"""
    svc = services(ctx)
    library = svc.library
    if draft_of:
        with svc.sessions() as session:
            try:
                report = svc.versions.lint_draft(session, draft_of)
            except KaigoflowError as exc:
                fail(exc)
    else:
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
    return scenario_suite.run_each_on_a_fresh_database(files, svc.runtime, database_url)


@click.command("tick")
@click.pass_context
def tick(ctx: click.Context) -> None:
    """期限の来たタイマー・定期業務を一度だけ実行する。"""
    svc = services(ctx)
    oplog.configure()
    with svc.sessions() as session:
        fired = worker_tick.work_once(svc, session, svc.runtime(), f"tick-{time.time_ns()}", click.echo)
    svc.engine.dispose()
    click.echo(f"{fired}件を実行しました")


@click.command("worker")
@click.option("--interval", default=30.0, show_default=True, help="確認の間隔(秒)")
@click.pass_context
def worker(ctx: click.Context, interval: float) -> None:
    """期限の来たタイマー・定期業務と、画面から依頼された公開の確認を実行し続ける(Ctrl-C / SIGTERM で停止)。"""
    svc = services(ctx)
    runtime = svc.runtime()
    name = f"worker-{time.time_ns()}"
    stopping = {"now": False}

    def stop(*_: Any) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    oplog.configure()
    click.echo(f"ワーカー {name} を開始しました(間隔 {interval} 秒)")
    while not stopping["now"]:
        with svc.sessions() as session:
            fired = worker_tick.work_once(svc, session, runtime, name, lambda line: click.echo(line, err=True))
        if not fired:
            fired = sum(work() for work in svc.idle_work)
        if fired:
            click.echo(f"{fired}件を実行しました")
        else:
            time.sleep(interval)
    click.echo("ワーカーを停止しました")


@click.command("diff")
@click.argument("first")
@click.argument("second")
@click.argument("third")
@click.option("--json", "as_json", is_flag=True, help="結果を JSON で出力する")
@click.pass_context
def diff(ctx: click.Context, first: str, second: str, third: str, as_json: bool) -> None:
    """2つの市町村の同じ手続きを比較する: kaigoflow diff 市町村A 市町村B 手続き(手続きを先に書いてもよい)。

    \b
    例: kaigoflow diff suzuka-kameyama toyokawa new_case
        kaigoflow diff new_case suzuka-kameyama toyokawa --json
    """
    library = services(ctx).library
    try:
        known = library.municipalities()
        # CONTRACT.md writes KEY_A KEY_B PROCESS_KEY; the flow first reads as well. The two sets of keys never
        # overlap (municipality folders vs process ids), so the order is unambiguous.
        left, right, flow = (first, second, third) if first in known else (second, third, first)
        for key in (left, right):
            library.municipality(key)
            if flow not in library.process_keys(key):
                raise NotFoundError(f"手続き「{flow}」は{known[key].name}にありません")
        result = diff_flow(Side(library, left, left), Side(library, right, right), flow)
    except KaigoflowError as exc:
        fail(exc)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        for line in comparereport.describe_diff(result):
            click.echo(line)


@click.command("matrix")
@click.argument("flow")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="CSV に書き出す")
@click.option("--json", "as_json", is_flag=True, help="結果を JSON で出力する")
@click.pass_context
def matrix(ctx: click.Context, flow: str, csv_path: Path | None, as_json: bool) -> None:
    """1つの手続きを全市町村で並べる(標準の手順ごとの有無・担当・期限・様式と、市町村独自の手順)。"""
    library = services(ctx).library
    keys = [key for key in sorted(library.municipalities()) if flow in library.process_keys(key)]
    if not keys:
        fail(NotFoundError(f"手続き「{flow}」はどの市町村にもありません"))
    try:
        table = build_matrix(library, keys, flow)
    except KaigoflowError as exc:
        fail(exc)
    if csv_path is not None:
        csv_path.write_bytes(table.to_csv())
        click.echo(f"{csv_path} に書き出しました({len(table.rows)}行 × {len(table.columns)}市町村)")
    elif as_json:
        click.echo(json.dumps(table.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        for line in comparereport.describe_matrix(table):
            click.echo(line)


@click.command("purge-expired")
@click.option("--execute", is_flag=True, help="実際に削除する(指定しなければ対象を表示するだけ)")
@click.pass_context
def purge_expired(ctx: click.Context, execute: bool) -> None:
    """保存期間(既定5年)を過ぎた終了ケースを削除する。既定は確認だけ(--execute で削除)。"""
    svc = services(ctx)
    with svc.sessions() as session:
        purged = retention.purge_expired(session, svc.library, SystemClock().now(), execute=execute)
    svc.engine.dispose()
    for item in purged:
        click.echo(("削除しました: " if execute else "削除対象: ") + item.line())
    if execute:
        click.echo(f"{len(purged)}件のケースを削除しました")
    else:
        click.echo(f"{len(purged)}件が削除対象です(確認のみ。削除するには --execute を付けてください)")


@click.command("refresh-schedules")
@click.pass_context
def refresh_schedules(ctx: click.Context) -> None:
    """全ケースの予定・リスク・定期業務のタイマーを計算し直す(導入時や市町村設定の変更後に)。"""
    from sqlalchemy import select

    from engine.store.models import Case

    svc = services(ctx)
    runtime = svc.runtime()
    with svc.sessions() as session:
        case_ids = session.scalars(select(Case.id).order_by(Case.id)).all()
        for case_id in case_ids:
            runtime.refresh_schedule(session, case_id)
    click.echo(f"{len(case_ids)}件のケースの予定を計算し直しました")


@click.command("digest")
@click.option("--on", "on_day", type=click.DateTime(formats=["%Y-%m-%d"]), help="この日の予定(既定: 今日)")
@click.option("--organisation", "organisation_code", metavar="CODE", help="この事業所だけ(例: oshu-office-1)")
@click.pass_context
def digest(ctx: click.Context, on_day: Any, organisation_code: str | None) -> None:
    """職員ごとの今日の予定(期限超過・今日・7日以内の作業と定期業務)を表示する。"""
    from sqlalchemy import select

    from engine.clock import today as clock_today
    from engine.scheduling import digest as digest_module
    from engine.store.models import Organisation

    today = on_day.date() if on_day else clock_today(SystemClock())
    with services(ctx).sessions() as session:
        organisation_ids = None
        if organisation_code:
            found = session.scalar(select(Organisation.id).where(Organisation.code == organisation_code))
            if found is None:
                fail(NotFoundError(f"事業所 {organisation_code} はありません"))
            organisation_ids = [found]
        click.echo(digest_module.render_text(digest_module.build(session, today, organisation_ids), today))


COMMANDS = (init_db, lint, decide, scenario, tick, worker, diff, matrix, purge_expired, refresh_schedules, digest)
