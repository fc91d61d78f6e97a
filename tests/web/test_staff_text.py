"""Issue 13, item 2: staff never read developer text — on any form's task page, document page or PDF, in any
municipality (processes/, each schema's examples[0] as the submitted data, with what its handler derives).

Developer text: seed file names, `NNN:NN` line citations, DOMAIN.md, §, ASCII ids in parentheses, `_`-prefixed
keys, JSON, ISO months. Another municipality's words (広域) do not appear on a form outside 鈴鹿亀山.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC
from datetime import date
from datetime import datetime
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from engine.process_library.forms import FormContext
from engine.store.models import Document
from engine.store.models import Task
from tests.web.conftest import Browser
from tests.web.conftest import sign_in
from tests.web.test_fuzz_forms import FORMS
from tests.web.test_fuzz_forms import HANDLERS
from tests.web.test_fuzz_forms import LIBRARY
from tests.web.test_mass_assignment import MUNICIPALITIES
from tests.web.test_mass_assignment import ask_for
from tests.web.test_mass_assignment import open_a_case_in_every_municipality
from tests.web.test_mass_assignment import real_app  # noqa: F401 (fixture)
from tests.web.test_mass_assignment import real_services  # noqa: F401 (fixture)
from web.stafftext import staff_text

DEVELOPER_TEXT = {
    "seed file": re.compile(r"\d{3}_[0-9a-f]{8,}\.txt"),
    "line citation": re.compile(r"(?<![\d:])\d{3}:\d+"),
    "DOMAIN.md": re.compile(r"DOMAIN\.md"),
    "section sign": re.compile(r"§"),
    "id in parentheses": re.compile(r"[(（][a-z][a-z0-9]{2,}(?:_[a-z0-9]+)*[)）]"),
    "internal key": re.compile(r"(?<![A-Za-z0-9])_[a-z]+_[a-z_]+|(?<![A-Za-z0-9_])_bmi\b"),
    "JSON": re.compile(r"\{\s*\"|\"\s*:\s*(?:true|false|\d|\{|\[)"),
    "ISO month": re.compile(r"(?<![\d-])\d{4}-\d{2}(?![\d-])"),
    "seed folder": re.compile(r"shared/seeds"),
}


def developer_text(text: str) -> list[str]:
    return [f"{name}: {m.group(0)!r}" for name, pattern in DEVELOPER_TEXT.items() for m in pattern.finditer(text)]


class _Text(HTMLParser):
    """The text a person reads on a page (scripts and styles left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def test_the_detector_finds_each_kind_of_developer_text():
    for sample in (
        "出典: 001_0406baf8f7838dc8.txt:26-59",
        "(003:155-157)",
        "DOMAIN.md §5.4 2 [N]",
        "委託するかどうか(delegated)",
        '_checklist_flags {"cognitive": false}',
        "_bmi 17.1",
        "2026-12",
    ):
        assert developer_text(sample), sample
    assert developer_text("令和8年12月 運動器の機能向上 3/5 該当 電話 059-369-3201 BMI 17.1") == []


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("要支援者のみ(000:122-128)。", "要支援者のみ。"),
        ("新規(000_ac7815af6fd4c390.txt:26-28)と更新で同じ様式。", "新規と更新で同じ様式。"),
        ("判定基準は全国標準(DOMAIN.md §3.2)、", "判定基準は全国標準、"),
        ("④請求書(ひな型)(003:605 備考)", "④請求書(ひな型)"),
        ("委託するかどうか(delegated)を入力してください", "委託するかどうかを入力してください"),
        ("出典: 001_0406baf8f7838dc8.txt:26-59", ""),
    ],
)
def test_staff_text_takes_out_citations_and_ids(written, shown):
    assert staff_text(written) == shown


def test_every_steps_instructions_read_without_developer_text():
    """What the task page shows of each step's instructions (their sources are for process owners)."""
    from lxml import etree

    from tests.web.test_fuzz_forms import PROCESSES

    found = []
    for path in sorted(PROCESSES.glob("*/*.bpmn")):
        for node in etree.parse(str(path)).iter("{*}instructionsForEndUser"):
            problems = developer_text(staff_text(node.text or ""))
            if problems:
                found.append((str(path.relative_to(PROCESSES)), problems))
    assert found == []


@pytest.mark.parametrize("municipality", MUNICIPALITIES)
def test_every_form_reads_without_developer_text_on_its_task_page_document_page_and_pdf(
    real_app,  # noqa: F811
    real_services,  # noqa: F811
    municipality,
):
    runtime = real_app.extensions["kaigoflow_runtime"]
    found: list[tuple[str, str, str, list[str]]] = []
    with real_services.sessions() as session:
        opened = open_a_case_in_every_municipality(runtime, session, only=municipality)
        clients: dict[str, Browser] = {}
        for key, (_, _, login) in opened.items():
            client = real_app.test_client()
            assert sign_in(client, login).status_code == 302
            clients[key] = Browser(client, None)

        layouts = ("assessment", "basic_checklist", "plan_draft", "evaluation")
        pdf_samples = {(layout, "suzuka-kameyama") for layout in layouts} | {("intake", m) for m in opened}
        for municipality, name in [form for form in FORMS if form[0] in opened]:
            case_id, task_id, _ = opened[municipality]
            form = LIBRARY.form(municipality, name)
            ask_for(session, runtime, task_id, form)
            browser = clients[municipality]
            page = browser.get(f"/tasks/{task_id}")
            assert page.status_code == 200, (municipality, name)
            text = visible(page.get_data(as_text=True))
            problems = developer_text(text)
            if municipality != "suzuka-kameyama" and "広域" in text:
                problems.append("広域 (鈴鹿亀山の言葉)")
            if problems:
                found.append((municipality, name, "task page", problems))

            document = _document(session, runtime, task_id, case_id, form, municipality)
            page = browser.get(f"/documents/{document.id}")
            assert page.status_code == 200, (municipality, name)
            problems = developer_text(visible(page.get_data(as_text=True)))
            if problems:
                found.append((municipality, name, "document page", problems))
            printed = browser.get(f"/documents/{document.id}/print")  # the HTML every PDF is made of
            problems = developer_text(visible(printed.get_data(as_text=True)))
            if problems:
                found.append((municipality, name, "print view", problems))
            if (name, municipality) not in pdf_samples:
                continue  # WeasyPrint takes seconds a page: the PDF itself for each layout and municipality
            pdf = browser.get(f"/documents/{document.id}.pdf")
            assert pdf.status_code == 200, (municipality, name)
            if pdf.mimetype == "application/pdf":
                reader = PdfReader(io.BytesIO(pdf.get_data()))
                problems = developer_text(" ".join(p.extract_text() or "" for p in reader.pages))
                if problems:
                    found.append((municipality, name, "PDF", problems))
    assert found == [], "\n".join(map(str, found))


def _document(session, runtime, task_id: str, case_id: int, form, municipality: str) -> Document:
    """The form's example as a submitted document, with what its handler derives (stored under `_` keys)."""
    row = session.get(Task, task_id)
    done = Task(
        **{c.key: getattr(row, c.key) for c in Task.__table__.columns if c.key not in ("id",)},
    )
    done.id = str(uuid.uuid4())
    done.state = "completed"
    session.add(done)
    session.flush()
    example = form.example()
    handler = HANDLERS.get(form.name)
    derived = {}
    if handler is not None:
        params = LIBRARY.municipality(municipality).params
        context = FormContext(date(2026, 5, 1), municipality, params, {})
        try:
            derived = handler.derive(example, context)
        except Exception:  # a handler that needs instance data the example lacks: the page still renders
            derived = {}
    document = Document(
        case_id=case_id,
        instance_id=row.instance_id,
        task_id=done.id,
        form=form.name,
        title=form.title,
        version=1,
        data={**example, **{f"_{k}": v for k, v in derived.items()}},
        schema=form.schema,
        spec_hash="test",
        submitted_at=datetime(2026, 5, 1, 1, 0, tzinfo=UTC),
    )
    session.add(document)
    session.commit()
    return document
