"""Administrators' pages: compare two municipalities' versions of one flow, and one flow across all of them.

Only staff with the administrator capability (`User.is_admin`) see these pages; anyone else gets the same 404 as
for a missing page, recorded as `access_denied` (web/access.py). A side of a comparison is addressed by a short
string (`toyokawa`, or `toyokawa@3` for a published version); `resolve_side` is the one place that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import Blueprint
from flask import Response
from flask import abort
from flask import render_template
from flask import request
from flask import url_for

from engine import DIFF_CATEGORY_NAMES as CATEGORY_NAMES
from engine import DIFF_DECISION_STATUS as DECISION_STATUS
from engine import DIFF_FIELD_LABELS as FIELD_LABELS
from engine import DIFF_STATUS_NAMES as STATUS_NAMES
from engine import FLOW_KEYS
from engine import ComparisonSide as Side
from engine import KaigoflowError
from engine import Library
from engine import NotFoundError
from engine import build_matrix
from engine import diff_models
from engine import flow_name
from engine import load_flow
from engine import shown_value as shown
from web import access
from web import app_services
from web import auth
from web import signed_in
from web.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")

PARAMETER_STATUS = {"equal": "同じ", "different": "異なる", "left_only": "左のみ", "right_only": "右のみ"}


@bp.before_request
def require_admin() -> Any:
    refused = auth.require_login()
    if refused is not None:
        return refused
    staff = signed_in.staff()
    if staff.is_admin or _owner_comparing_own_versions(staff):
        return None
    access.deny("admin", request.path)
    return None


def _owner_comparing_own_versions(staff: signed_in.Staff) -> bool:
    """A process owner may compare versions of their own municipality's flows (the history's diff), nothing else."""
    if request.endpoint not in ("admin.compare", "admin.compare_diagram") or not staff.user.is_process_owner:
        return False
    sides = [request.args.get(name, "") for name in ("left", "right", "side") if request.args.get(name)]
    return bool(sides) and all(side.partition("@")[0].strip() == staff.municipality for side in sides)


def resolve_side(library: Library, text: str) -> Side:
    """The side a string names: `toyokawa` (what the municipality runs now: its newest published version) or
    `toyokawa@3` (published version 3; version 1 is the library as first installed).

    NotFoundError (Japanese) for an unknown municipality, a malformed text or a version that does not exist.
    """
    key, _, number_text = text.strip().partition("@")
    library.municipality(key)
    number: int | None = None
    if number_text:
        if not number_text.isdigit() or int(number_text) < 1:
            raise NotFoundError(f"「{text}」: 版は「{key}@2」のように番号で指定してください")
        number = int(number_text)
    versions = app_services.services().versions
    side_library = versions.library_for_version(db.session(), key, number)
    name = library.municipality(key).name
    label = f"{name} 第{number}版" if number else name
    return Side(side_library, key, label)


@dataclass
class Choices:
    flows: list[tuple[str, str]]
    municipalities: list[tuple[str, str]]


def _choices(library: Library) -> Choices:
    municipalities = sorted(library.municipalities().values(), key=lambda m: m.key)
    return Choices(
        flows=[(key, flow_name(key)) for key in FLOW_KEYS],
        municipalities=[(m.key, m.name) for m in municipalities],
    )


def _check_flow(side: Side, flow: str) -> None:
    # A version answers from its own files: a flow added in version 3 is not in version 2.
    if flow not in side.library.process_keys(side.municipality):
        name = side.shown
        raise NotFoundError(f"手続き「{flow_name(flow)}」は{name}にありません")


@bp.get("/")
def index() -> Any:
    return render_template("admin/index.html", choices=_choices(app_services.services().library))


@bp.get("/compare")
def compare() -> Any:
    library = app_services.services().library
    flow = request.args.get("flow", "").strip()
    left_text = request.args.get("left", "").strip()
    right_text = request.args.get("right", "").strip()
    staff = signed_in.staff()
    context: dict[str, Any] = {
        # A process owner comes from their 版の履歴 and may only compare its versions: the way back leads there,
        # not to the administrator's pages (403 for them).
        "owner_municipality": None if staff.is_admin else library.municipality(staff.municipality),
        "choices": _choices(library),
        "flow": flow,
        "left_text": left_text,
        "right_text": right_text,
        "diff": None,
        "error": None,
        "status_names": STATUS_NAMES,
        "category_names": CATEGORY_NAMES,
        "field_labels": FIELD_LABELS,
        "decision_status": DECISION_STATUS,
        "parameter_status": PARAMETER_STATUS,
        "shown": shown,
    }
    if not (flow or left_text or right_text):
        return render_template("admin/compare.html", **context)
    if not (flow and left_text and right_text):
        context["error"] = "手続きと、比較する2つの市町村を選んでください"
        return render_template("admin/compare.html", **context), 422
    try:
        left, right = resolve_side(library, left_text), resolve_side(library, right_text)
        for side in (left, right):
            _check_flow(side, flow)
        left_model = load_flow(left.library, left.municipality, flow)
        right_model = load_flow(right.library, right.municipality, flow)
    except KaigoflowError as exc:
        context["error"] = exc.message
        return render_template("admin/compare.html", **context), 422
    diff = diff_models(left_model, right_model, left.shown, right.shown)
    markers = {"left": diff.markers("left"), "right": diff.markers("right")}
    pairs = []
    for row in diff.processes:
        pairs.append(
            {
                "process": row.process,
                "name": row.name,
                "identical": row.identical,
                "left_file": row.left_file,
                "right_file": row.right_file,
                "left_url": _diagram_url(flow, left_text, row.process) if row.left_file else None,
                "right_url": _diagram_url(flow, right_text, row.process) if row.right_file else None,
                "left_markers": markers["left"].get(row.process, {}),
                "right_markers": markers["right"].get(row.process, {}),
            }
        )
    context.update(diff=diff, pairs=pairs)
    return render_template("admin/compare.html", **context)


def _diagram_url(flow: str, side: str, process: str) -> str:
    return url_for("admin.compare_diagram", flow=flow, side=side, process=process)


@bp.get("/compare/diagram.bpmn")
def compare_diagram() -> Response:
    """One process's BPMN as the side resolves it (for the viewer on the comparison page)."""
    library = app_services.services().library
    flow = request.args.get("flow", "")
    try:
        side = resolve_side(library, request.args.get("side", ""))
        _check_flow(side, flow)
        model = load_flow(side.library, side.municipality, flow)
    except KaigoflowError:
        abort(404)
    xml = model.bpmn.get(request.args.get("process", ""))
    if xml is None:
        abort(404)
    return Response(xml, mimetype="application/xml")


@bp.get("/matrix")
def matrix() -> Any:
    library = app_services.services().library
    flow = request.args.get("flow", "").strip()
    context: dict[str, Any] = {"choices": _choices(library), "flow": flow, "table": None, "error": None}
    if not flow:
        return render_template("admin/matrix.html", **context)
    keys = _municipalities_with(library, flow)
    if not keys:
        context["error"] = f"手続き「{flow}」はどの市町村にもありません"
        return render_template("admin/matrix.html", **context), 422
    context["table"] = build_matrix(library, keys, flow)
    return render_template("admin/matrix.html", **context)


@bp.get("/matrix.csv")
def matrix_csv() -> Response:
    library = app_services.services().library
    flow = request.args.get("flow", "").strip()
    keys = _municipalities_with(library, flow)
    if not keys:
        abort(404)
    table = build_matrix(library, keys, flow)
    response = Response(table.to_csv(), mimetype="text/csv")
    filename = f"{flow_name(flow)}_市町村比較.csv"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"matrix-{flow}.csv\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def _municipalities_with(library: Library, flow: str) -> list[str]:
    if not flow:
        return []
    return [key for key in sorted(library.municipalities()) if flow in library.process_keys(key)]
