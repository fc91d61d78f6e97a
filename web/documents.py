"""A submitted 帳票 (document): its page, its PDF and its print view."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint
from flask import Response
from flask import render_template

from engine import KaigoflowError
from engine import ProcessInstance
from engine import User
from engine import instance_spec
from web import access
from web import app_services
from web import auth
from web import derived
from web import errors
from web import formfields
from web.extensions import db
from web.print_arguments import print_arguments

bp = Blueprint("documents", __name__)
bp.before_request(auth.require_login)


@bp.get("/documents/<int:document_id>")
def document(document_id: int) -> str:
    doc, case = access.document_or_404(document_id)
    uischema: dict[str, Any] = {}
    instance = db.session.get(ProcessInstance, doc.instance_id)
    if instance is not None:
        try:
            form = instance_spec(app_services.runtime(), db.session(), instance).forms.get(doc.form)
            uischema = form.uischema if form else {}
        except KaigoflowError:
            uischema = {}
    fields = formfields.build(doc.schema, uischema)
    values = formfields.from_data(fields, doc.data)
    item12 = derived.checklist_item12(doc.data)
    if item12 is not None and "answers.11" in values:
        values["answers.11"] = item12  # No.12 counts from the BMI, whatever its (unused) answer was
    submitted_by = db.session.get(User, doc.submitted_by_id) if doc.submitted_by_id else None
    return render_template(
        "cases/document.html",
        document=doc,
        case=case,
        fields=fields,
        values=values,
        judgement=derived.judgement_rows(doc.data),
        submitted_by=submitted_by,
    )


PDF_UNAVAILABLE = "PDF 出力は現在利用できません(準備中です)。画面の「印刷用表示」をお使いください。"


@bp.get("/documents/<int:document_id>.pdf")
def document_pdf(document_id: int) -> Any:
    doc, case = access.document_or_404(document_id)
    try:
        from web.pdf_cache import document_pdf as cached_pdf
    except ImportError:
        return errors.error_response(503, PDF_UNAVAILABLE)
    arguments = print_arguments(db.session(), app_services.services().library, doc, case)
    try:
        pdf = cached_pdf(db.session(), app_services.clock(), doc, case, arguments.pop("organisations"), **arguments)
    except (ImportError, OSError):
        return errors.error_response(503, PDF_UNAVAILABLE)
    db.session.commit()  # keep the PDF drawn (web/pdf_cache.py)
    filename = f"{doc.title}_第{doc.version}版.pdf"
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"inline; filename=\"document-{doc.id}.pdf\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


@bp.get("/documents/<int:document_id>/print")
def document_print(document_id: int) -> Any:
    doc, case = access.document_or_404(document_id)
    try:
        from web.document_print import render_document_html
    except ImportError:
        return errors.error_response(503, "印刷用表示は現在利用できません(準備中です)。")
    arguments = print_arguments(db.session(), app_services.services().library, doc, case)
    return render_document_html(doc, case, arguments.pop("organisations"), **arguments)
