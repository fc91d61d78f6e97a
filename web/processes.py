"""Process owners' pages: a municipality's flows, the modeler and file editors on the draft, check, publish,
history and migration of running instances. The work is engine/publishing/versions.py and
engine/publishing/instance_migration.py.

Only a process owner (`User.is_process_owner`) of an organisation in the municipality may open these pages;
anyone else gets 404 (logged, web/access.py), exactly as for a municipality that does not exist.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import flash
from flask import jsonify
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from engine import DRAFT_FILE_PATTERN as FILE_PATTERN
from engine import DUE_DATA_FIELD_NAMES
from engine import MAX_DRAFT_FILE_BYTES as MAX_FILE_BYTES
from engine import ConflictError
from engine import InstancePlan
from engine import KaigoflowError
from engine import NotFoundError
from engine import Problem
from engine import PublishRefused
from engine import ValidationError
from engine import changed_files
from engine import create_municipality
from engine import migrate_instances
from engine import plan_migration
from engine import problems_for_page
from web import access
from web import app_services
from web import auth
from web import inputsafe
from web import signed_in
from web.extensions import db
from web.security_headers import CONTENT_SECURITY_POLICY

bp = Blueprint("processes", __name__, url_prefix="/processes")
bp.before_request(auth.require_login)

KINDS = {
    ".bpmn": "図(BPMN)",
    ".dmn": "判定表(DMN)",
    ".json": "様式(JSON Schema)",
    ".toml": "市町村の設定",
    ".yaml": "シナリオ",
}


def owner_of(municipality: str) -> None:
    """404 (logged) unless the signed-in user is a process owner in this municipality."""
    staff = signed_in.staff()
    if not staff.user.is_process_owner or staff.municipality != municipality:
        access.deny("municipality", municipality)
    try:
        app_services.services().library.municipality(municipality)
    except NotFoundError:
        abort(404)


def _by() -> str:
    return signed_in.staff().user.login


def _versions() -> Any:
    return app_services.services().versions


def _current_files(municipality: str) -> tuple[dict[str, str], Any]:
    """The files being worked on: the draft's if there is one, else the newest version's."""
    draft = _versions().draft(db.session, municipality)
    if draft is not None:
        return dict(draft.files), draft
    return _versions().files(db.session, municipality), None


def _kind(path: str) -> str:
    suffix = PurePosixPath(path).suffix
    return KINDS.get(".yaml" if suffix == ".yml" else suffix, "その他")


# -- overview -------------------------------------------------------------------------------------------


@bp.get("/")
def index() -> Response:
    staff = signed_in.staff()
    if not staff.user.is_process_owner:
        access.deny("municipality", staff.municipality)
    return redirect(url_for("processes.municipality", municipality=staff.municipality))


@bp.route("/new", methods=["GET", "POST"])
def new_municipality() -> Any:
    """An administrator adds a municipality from the common flows (engine/publishing/municipality_new.py); its process
    owner then edits the draft this leaves and publishes it."""
    staff = signed_in.staff()
    if not staff.is_admin:
        access.deny("municipality", "new")
    values = {
        "key": request.form.get("key", ""),
        "name": request.form.get("name", ""),
        "insurer": request.form.get("insurer", ""),
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            create_municipality(
                db.session,
                _versions(),
                values["key"],
                values["name"],
                _by(),
                app_services.clock(),
                insurer=values["insurer"],
                actor_id=staff.id,
            )
        except ValidationError as refused:
            db.session.rollback()
            errors = refused.details
        else:
            flash(
                f"{values['name'].strip()}を作成し、下書きを用意しました。保険者(市町村の担当課)と業務フロー管理者を"
                "登録してください。業務フロー管理者が下書きを編集して公開します",
                "info",
            )
            return redirect(url_for("staff_admin.new_organisation"))
    return render_template("processes/new_municipality.html", values=values, errors=errors), 422 if errors else 200


@bp.get("/<municipality>")
def municipality(municipality: str) -> str:
    owner_of(municipality)
    versions = _versions()
    files, draft = _current_files(municipality)
    latest = versions.latest_number(db.session, municipality)
    changes = changed_files(versions.files(db.session, municipality, draft.base_number), files) if draft else {}
    library = (
        versions.library_for_files(municipality, files) if draft else versions.active_library(db.session, municipality)
    )
    muni = library.municipality(municipality)
    flows = []
    for key in library.process_keys(municipality):
        own = f"{key}.bpmn" in files
        flows.append(
            {
                "key": key,
                "own": own,
                "path": f"{key}.bpmn",
                "status": changes.get(f"{key}.bpmn") or (f"版 {latest}" if own else "共通(common)"),
            }
        )
    others = [
        {"path": p, "kind": _kind(p), "status": changes.get(p, "")} for p in sorted(files) if not p.endswith(".bpmn")
    ]
    return render_template(
        "processes/municipality.html",
        muni=muni,
        draft=draft,
        latest=latest,
        flows=flows,
        others=others,
        changes=changes,
    )


# -- editing the draft ----------------------------------------------------------------------------------


@bp.get("/<municipality>/edit/<path:path>")
def edit(municipality: str, path: str) -> Response:
    owner_of(municipality)
    files, draft = _current_files(municipality)
    if not FILE_PATTERN.match(path):
        abort(404)
    content = files.get(path)
    if content is None:
        # Not overridden yet: start from common's file (a variant is forked from common, never redrawn);
        # a new form or decision table starts empty.
        common = app_services.services().library.find(municipality, path)
        if common is None and path.endswith(".bpmn"):
            abort(404)
        content = common.read_text(encoding="utf-8") if common else ""
    return _editor(municipality, path, content, draft, problems=[])


def _day_parameters(params: dict[str, Any]) -> dict[str, int]:
    """The municipality's whole-number settings a due rule may read (a day of the month, a number of days)."""
    return {k: v for k, v in params.items() if isinstance(v, int) and not isinstance(v, bool)}


def _editor(municipality: str, path: str, content: str, draft: Any, problems: list[dict[str, Any]]) -> Response:
    files, _ = _current_files(municipality)
    forms = sorted(p.removeprefix("forms/").removesuffix(".schema.json") for p in files if p.endswith(".schema.json"))
    library = app_services.services().library
    common_forms = sorted(
        p.name.removesuffix(".schema.json") for p in library.folder("common").glob("forms/*.schema.json")
    )
    decisions = sorted(
        {p.stem for p in library.folder("common").glob("decisions/*.dmn")}
        | {PurePosixPath(p).stem for p in files if p.endswith(".dmn")}
    )
    template = "processes/modeler.html" if path.endswith(".bpmn") else "processes/file.html"
    page = make_response(
        render_template(
            template,
            muni=library.municipality(municipality),
            path=path,
            kind=_kind(path),
            content=content,
            draft=draft,
            problems=problems,
            forms=sorted(set(forms) | set(common_forms)),
            decisions=decisions,
            due_fields=DUE_DATA_FIELD_NAMES,
            due_params=_day_parameters(library.municipality(municipality).params),
        )
    )
    if path.endswith(".dmn"):
        # dmn-js sets inline <style>s for the table's column widths; styles only, scripts stay 'self'.
        page.headers["Content-Security-Policy"] = f"{CONTENT_SECURITY_POLICY}; style-src 'self' 'unsafe-inline'"
    return page


@bp.post("/<municipality>/draft/files")
def save(municipality: str) -> Any:
    """Save one file of the draft (JSON from the modeler, or a form post / upload); lint the draft after."""
    owner_of(municipality)
    as_json = request.is_json
    body = request.get_json(silent=True) if as_json else None
    if as_json and not isinstance(body, dict):
        return jsonify({"ok": False, "error": f"保存できませんでした: {inputsafe.json_problem()}"}), 400
    payload = body if as_json else request.form
    path = str(payload.get("path", "")).strip()
    expected = payload.get("draft_version")
    expected_version = int(expected) if str(expected or "").isdigit() else None
    upload = request.files.get("upload")
    content: bytes | str = str(payload.get("content", ""))
    if upload and upload.filename:
        try:
            content = upload.read(MAX_FILE_BYTES + 1)  # enough to tell "too large" without reading it all
        finally:
            upload.close()
    staff = signed_in.staff()
    try:
        draft = _versions().save_files(
            db.session,
            municipality,
            {path: content},
            _by(),
            app_services.clock(),
            expected_version=expected_version,
            actor_id=staff.id,
        )
    except (ValidationError, ConflictError) as exc:
        db.session.rollback()
        message = exc.message + "".join(f"({v})" for v in exc.details.values())
        if as_json:
            return jsonify({"ok": False, "error": message}), exc.http_status
        flash(f"保存できませんでした: {message}", "error")
        kept = content if isinstance(content, str) else ""
        _, current = _current_files(municipality)
        return _editor(municipality, path if FILE_PATTERN.match(path) else "municipality.toml", kept, current, []), 422
    report = _versions().lint_draft(db.session, municipality)
    problems = problems_for_page(report.problems, draft.files)
    if as_json:
        return jsonify({"ok": True, "draft_version": draft.version, "problems": problems})
    flash(
        "下書きに保存しました" + (f"(検査で {len(problems)} 件の問題)" if problems else "(検査で問題はありません)"),
        "info",
    )
    return _editor(municipality, path, draft.files[path], draft, problems)


def _page_problems(municipality: str, problems: list[Problem]) -> list[dict[str, Any]]:
    """The problems with the names of the elements they are about, read from the draft's files."""
    files, _ = _current_files(municipality)
    return problems_for_page(problems, files)


@bp.post("/<municipality>/draft/lint")
def lint_draft(municipality: str) -> Any:
    owner_of(municipality)
    try:
        report = _versions().lint_draft(db.session, municipality)
    except NotFoundError:
        return jsonify({"ok": False, "error": "下書きがありません"}), 404
    return jsonify({"ok": report.ok, "problems": _page_problems(municipality, report.problems)})


@bp.post("/<municipality>/draft/check")
def check(municipality: str) -> Any:
    """Lint the draft and run the municipality's scenarios on it: what publishing would do, without publishing."""
    owner_of(municipality)
    try:
        report = _versions().lint_draft(db.session, municipality)
        results = _versions().run_draft_scenarios(db.session, municipality) if report.ok else []
    except NotFoundError:
        flash("下書きがありません", "error")
        return redirect(url_for("processes.municipality", municipality=municipality))
    return render_template(
        "processes/check.html",
        muni=app_services.services().library.municipality(municipality),
        problems=_page_problems(municipality, report.problems),
        results=results,
    )


@bp.post("/<municipality>/draft/discard")
def discard(municipality: str) -> Response:
    owner_of(municipality)
    _versions().discard_draft(db.session, municipality, _by(), app_services.clock(), signed_in.staff().id)
    flash("下書きを破棄しました", "info")
    return redirect(url_for("processes.municipality", municipality=municipality))


@bp.post("/<municipality>/publish")
def publish(municipality: str) -> Any:
    """Check the draft and queue its publishing: the worker runs the scenarios, the next page shows the progress."""
    owner_of(municipality)
    reason = request.form.get("reason", "")
    try:
        job = _versions().queue_publish(
            db.session, municipality, reason, _by(), app_services.clock(), actor_id=signed_in.staff().id
        )
    except PublishRefused as exc:
        db.session.rollback()
        return render_template(
            "processes/check.html",
            muni=app_services.services().library.municipality(municipality),
            problems=_page_problems(municipality, exc.problems),
            results=[],
            failures=exc.failures,
            refused=True,
        ), 422
    except (ValidationError, ConflictError, NotFoundError) as exc:
        db.session.rollback()
        flash(f"公開できませんでした: {exc.message}", "error")
        return redirect(url_for("processes.municipality", municipality=municipality))
    return redirect(url_for("processes.publishing", municipality=municipality, job_id=job.id))


@bp.get("/<municipality>/publish/<int:job_id>")
def publishing(municipality: str, job_id: int) -> str:
    owner_of(municipality)
    try:
        job = _versions().publish_job(db.session, municipality, job_id)
    except NotFoundError:
        abort(404)
    return render_template(
        "processes/publishing.html", muni=app_services.services().library.municipality(municipality), job=job
    )


@bp.get("/<municipality>/publish/<int:job_id>/status")
def publish_status(municipality: str, job_id: int) -> Any:
    """What the publishing page polls: the job's state and how many scenarios have run."""
    owner_of(municipality)
    try:
        job = _versions().publish_job(db.session, municipality, job_id)
    except NotFoundError:
        abort(404)
    return jsonify(
        {
            "status": job.status,
            "done": job.done,
            "total": job.total,
            "current": job.current,
            "number": job.number,
            "failed": len(job.failures or []),
        }
    )


# -- history, files of a version, migration -------------------------------------------------------------


@bp.get("/<municipality>/versions")
def history(municipality: str) -> str:
    owner_of(municipality)
    versions = _versions().list_versions(db.session, municipality)
    return render_template(
        "processes/versions.html",
        muni=app_services.services().library.municipality(municipality),
        versions=list(reversed(versions)),
        flows=app_services.services().library.process_keys(municipality),
    )


@bp.get("/<municipality>/versions/<int:number>/<path:path>")
def version_file(municipality: str, number: int, path: str) -> Response:
    owner_of(municipality)
    try:
        files = _versions().files(db.session, municipality, number)
    except KaigoflowError:
        abort(404)
    if path not in files:
        abort(404)
    return Response(files[path], mimetype="text/plain; charset=utf-8")


@bp.get("/<municipality>/draft/raw/<path:path>")
def draft_file(municipality: str, path: str) -> Response:
    """The draft's (or newest version's) file as XML, for the modeler to load (same origin, session cookie)."""
    owner_of(municipality)
    if not FILE_PATTERN.match(path):
        abort(404)
    files, _ = _current_files(municipality)
    content = files.get(path)
    if content is None:
        # Not overridden by the municipality: common's file, which saving forks into the draft.
        common = app_services.services().library.find(municipality, path)
        content = common.read_text(encoding="utf-8") if common else None
    if content is None:
        abort(404)
    return Response(content, mimetype="application/xml" if path.endswith("mn") else "text/plain")


@bp.route("/<municipality>/migrate", methods=["GET", "POST"])
def migrate(municipality: str) -> str:
    owner_of(municipality)
    versions = _versions().list_versions(db.session, municipality)
    library = _versions().active_library(db.session, municipality)
    flows = library.flows(municipality) or library.process_keys(municipality)
    plans: list[InstancePlan] | None = None
    done = False
    flow = request.values.get("flow", flows[0] if flows else "")
    to_text = request.values.get("to", str(versions[-1].number))
    error = None
    if request.method == "POST":
        try:
            to_number = int(to_text)
            runtime = app_services.runtime()
            if request.form.get("confirm") == "yes":
                plans = migrate_instances(
                    db.session, runtime, _versions(), municipality, flow, to_number, signed_in.staff().actor(), by=_by()
                )
                done = True
            else:
                plans = plan_migration(db.session, runtime, _versions(), municipality, flow, to_number)
        except ValueError:
            error = "版の番号を数字で指定してください"
        except KaigoflowError as exc:
            db.session.rollback()
            error = exc.message
    return render_template(
        "processes/migrate.html",
        muni=library.municipality(municipality),
        versions=versions,
        flows=flows,
        flow=flow,
        to=to_text,
        plans=plans,
        done=done,
        error=error,
    )
