"""Print a submitted 帳票 (form document) as PDF with WeasyPrint, or as HTML for the browser's print view.

Templates live in `handlers/templates/print/`: `<municipality>/<form>.html`, then `<form>.html`, then `generic.html`
(which prints every field's Japanese title and value). They extend `_base.html`, whose header — title, 利用者名,
被保険者番号, municipality, version, 記録日時 — repeats on every PDF page, with page numbers in the footer.
The style sheet is `web/static/css/print.css`, shared by both outputs; templates use classes only (no inline
styles), so the HTML view works under a strict Content-Security-Policy.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from jinja2 import Environment
from jinja2 import FileSystemLoader
from jinja2 import StrictUndefined
from jinja2 import select_autoescape

from web.filters import CARE_LEVELS
from web.printing import Record
from web.printing import age_on
from web.printing import display_scalar
from web.stafftext import staff_text
from web.wareki import to_wareki
from web.wareki import to_wareki_datetime
from web.wareki import to_wareki_month

if TYPE_CHECKING:
    from engine.store.models import Case
    from engine.store.models import Document

STYLESHEET = Path(__file__).resolve().parent / "static" / "css" / "print.css"
STYLESHEET_HREF = "/static/css/print.css"
PRINT_SCRIPT_HREF = "/static/js/print.js"


def templates_dir() -> Path:
    """handlers/templates/print, wherever the handlers package is installed (found without importing it)."""
    spec = find_spec("handlers")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "templates" / "print"
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parent.parent / "handlers" / "templates" / "print"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_dir()),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["wareki"] = to_wareki
    env.filters["staff_text"] = staff_text
    env.filters["wareki_datetime"] = to_wareki_datetime
    env.filters["wareki_month"] = to_wareki_month
    env.filters["display"] = lambda value: display_scalar(value, {})
    env.globals["age_on"] = age_on
    return env


def template_names(form: str, municipality: str | None) -> list[str]:
    """The templates tried for a form, most specific first."""
    names = [f"{form}.html", "generic.html"]
    return [f"{municipality}/{form}.html", *names] if municipality else names


def render_document_html(
    document: Document,
    case: Case,
    organisations: dict[str, str],
    *,
    municipality_name: str | None = None,
    recorded_by: str | None = None,
    stylesheet_href: str | None = STYLESHEET_HREF,
    print_script_href: str | None = PRINT_SCRIPT_HREF,
) -> str:
    """Return the document as one standalone HTML page (the browser print view; also what the PDF is made of).

    `organisations` maps role keys to names (`center`, `office`, `insurer`, `provider`), printed where a 様式 asks
    for the 担当地域包括支援センター or the 委託先. `municipality_name` is printed in the header (default: the
    insurer's name, else the case's municipality key). `recorded_by` names who submitted the form. With
    `print_script_href` the page shows a 「印刷」 button (hidden on paper) wired by that script.
    """
    template = environment().select_template(template_names(document.form, case.municipality))
    return template.render(
        document=document,
        case=case,
        doc=Record(document.schema, document.data),
        organisations=organisations or {},
        municipality_name=municipality_name or (organisations or {}).get("insurer") or case.municipality,
        recorded_by=recorded_by or "",
        care_level=CARE_LEVELS.get(case.care_level or "", case.care_level or ""),
        care_levels=CARE_LEVELS,
        stylesheet_href=stylesheet_href,
        print_script_href=print_script_href,
    )


def render_document_pdf(
    document: Document,
    case: Case,
    organisations: dict[str, str],
    *,
    municipality_name: str | None = None,
    recorded_by: str | None = None,
) -> bytes:
    """Return the document as a PDF (A4, Japanese fonts embedded), laid out like the 様式 it stands for."""
    return html_to_pdf(
        render_document_pdf_html(
            document, case, organisations, municipality_name=municipality_name, recorded_by=recorded_by
        )
    )


def render_document_pdf_html(
    document: Document,
    case: Case,
    organisations: dict[str, str],
    *,
    municipality_name: str | None = None,
    recorded_by: str | None = None,
) -> str:
    """The page a PDF is drawn from (no links to the style sheet or the print script: the PDF embeds its style)."""
    return render_document_html(
        document,
        case,
        organisations,
        municipality_name=municipality_name,
        recorded_by=recorded_by,
        stylesheet_href=None,
        print_script_href=None,
    )


def html_to_pdf(html: str) -> bytes:
    """Lay out a page made by `render_document_pdf_html` as a PDF with the print style sheet."""
    from weasyprint import CSS
    from weasyprint import HTML

    stylesheet = CSS(string=STYLESHEET.read_text(encoding="utf-8"))
    pdf = HTML(string=html, base_url=str(STYLESHEET.parent), url_fetcher=_no_fetching()).write_pdf(
        stylesheets=[stylesheet]
    )
    if pdf is None:  # write_pdf returns the bytes when it is given no target
        raise RuntimeError("WeasyPrint returned no PDF")
    return pdf


def _no_fetching() -> Any:
    """A fetcher that loads nothing (the page needs no resource): no file or network access from a template."""
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint before the URLFetcher class: the default fetcher
        return None
    return URLFetcher(allowed_protocols={"data"})
