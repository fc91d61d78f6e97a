"""web/pdf.py: every print template renders to an A4 PDF with the Japanese text and its fonts embedded.

Each template is rendered from its form's schema example: the library's (processes/common/forms/<form>.schema.json)
and the samples in tests/fixtures/print/. Every layout has its form in the library and its template.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pypdf import PdfReader

from engine.store.models import Case
from engine.store.models import Document
from web.pdf import render_document_html
from web.pdf import render_document_pdf
from web.pdf import templates_dir

ROOT = Path(__file__).resolve().parent.parent.parent
LIBRARY_FORMS = ROOT / "processes" / "common" / "forms"
SAMPLES = ROOT / "tests" / "fixtures" / "print"
# form -> (a heading the template prints, landscape?)
LAYOUTS = {
    "assessment": ("利用者基本情報", False),
    "basic_checklist": ("基本チェックリスト", False),
    "plan_draft": ("介護予防サービス・支援計画書", True),
    "evaluation": ("サービス評価表", True),
}
DERIVED_CHECKLIST = {
    "_checklist_counts": {"motor": 3, "nutrition": 1, "oral": 2, "housebound": 2, "cognitive": 1, "depression": 1},
    "_checklist_flags": {"motor": True, "nutrition": False, "oral": True, "housebound": True, "cognitive": True},
    "_program_eligible": True,
}
ORGANISATIONS = {"center": "第一地域包括支援センター", "office": "さくら居宅介護支援事業所"}


def make_case(**overrides: Any) -> Case:
    values: dict[str, Any] = {
        "municipality": "suzuka-kameyama",
        "client_name": "鈴鹿 花子",
        "client_name_kana": "スズカ ハナコ",
        "insured_number": "0123456789",
        "care_level": "shien2",
        "certification_start": date(2026, 4, 1),
        "certification_end": date(2027, 3, 31),
        "delegated": True,
        "data": {},
    }
    values.update(overrides)
    return Case(**values)


def make_document(form: str, schema: dict[str, Any], data: dict[str, Any] | None = None, **overrides: Any) -> Document:
    values: dict[str, Any] = {
        "form": form,
        "title": schema.get("title", form),
        "version": 2,
        "data": data if data is not None else dict(schema["examples"][0]),
        "schema": schema,
        "submitted_at": datetime(2026, 5, 1, 5, 30, tzinfo=UTC),  # 14:30 in Japan
        "submitted_by_id": 1,
    }
    values.update(overrides)
    return Document(**values)


def library_forms() -> list[str]:
    return sorted(p.name.removesuffix(".schema.json") for p in LIBRARY_FORMS.glob("*.schema.json"))


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def pdf_text(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [page.extract_text() or "" for page in reader.pages]


def embedded_fonts(reader: PdfReader) -> dict[str, bool]:
    """Base font name -> whether its program is embedded (FontFile, FontFile2 or FontFile3)."""
    fonts: dict[str, bool] = {}
    for page in reader.pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            font = ref.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return fonts


def check_pdf(pdf: bytes, form: str, document: Document) -> list[str]:
    """The checks every printed 帳票 passes; returns the text of its pages."""
    assert pdf.startswith(b"%PDF-")
    reader, pages = pdf_text(pdf)
    heading, landscape = LAYOUTS.get(form, (document.title, False))
    text = "\n".join(pages)
    assert heading in text
    assert "鈴鹿 花子" in text
    box = reader.pages[0].mediabox
    width, height = sorted((float(box.width), float(box.height)))
    assert (round(width), round(height)) == (595, 842), "A4"
    assert (float(box.width) > float(box.height)) is landscape
    for number, page in enumerate(pages, 1):
        # The running header and the footer are on every page.
        assert "0123456789" in page and "令和8年5月1日 14:30" in page, f"header missing on page {number}"
        assert f"{number} / {len(pages)} ページ" in page
    fonts = embedded_fonts(reader)
    assert fonts and all(fonts.values()), fonts
    assert any("Noto-Sans-CJK-JP" in name for name in fonts), fonts
    return pages


@pytest.mark.parametrize("form", sorted(LAYOUTS))
def test_each_layout_prints_its_sample(form, tmp_path):
    schema = load(SAMPLES / f"{form}.schema.json")
    Draft202012Validator(schema).validate(schema["examples"][0])
    data = dict(schema["examples"][0])
    if form == "basic_checklist":
        data.update(DERIVED_CHECKLIST)
    document = make_document(form, schema, data)
    pdf = render_document_pdf(document, make_case(), ORGANISATIONS, municipality_name="鈴鹿亀山地区広域連合")
    (tmp_path / f"{form}.pdf").write_bytes(pdf)
    check_pdf(pdf, form, document)


def test_the_library_has_forms_to_print():
    assert len(library_forms()) >= len(LAYOUTS)


@pytest.mark.parametrize("form", library_forms())
def test_each_library_form_prints_from_its_example(form, tmp_path):
    path = LIBRARY_FORMS / f"{form}.schema.json"
    schema = load(path)
    document = make_document(form, schema)
    pdf = render_document_pdf(document, make_case(), ORGANISATIONS)
    (tmp_path / f"{form}.pdf").write_bytes(pdf)
    pages = check_pdf(pdf, form, document)
    if form not in LAYOUTS:
        # The generic template prints each property's title.
        text = re.sub(r"\s+", "", "".join(pages))
        titled = [p for p in schema.get("properties", {}).values() if p.get("title")]
        for prop in titled:
            assert re.sub(r"\s+", "", prop["title"]) in text


@pytest.mark.parametrize("form", sorted(LAYOUTS))
def test_each_layout_has_its_form_in_the_library_and_its_template(form):
    assert (LIBRARY_FORMS / f"{form}.schema.json").exists()
    assert (templates_dir() / f"{form}.html").exists()


def test_checklist_circles_the_answers_and_prints_the_judgement():
    schema = load(SAMPLES / "basic_checklist.schema.json")
    data = {**schema["examples"][0], **DERIVED_CHECKLIST}
    html = render_document_html(make_document("basic_checklist", schema, data), make_case(), ORGANISATIONS)
    rows = re.findall(r"<tr[^>]*>\s*<td class=\"num\">(\d+)</td>(.*?)</tr>", html, flags=re.S)
    assert [int(no) for no, _ in rows] == list(range(1, 26))
    for no, row in rows:
        if no == "12":
            assert "身長 <strong>150</strong> cm" in row and "BMI＝<strong>17.8</strong>" in row
            continue
        circled = re.findall(r'class="choice selected">\d\.(はい|いいえ)<', row)
        assert circled == ["はい" if data["checklist"][int(no) - 1] == 1 else "いいえ"], f"No.{no}"
    assert "3 / 5" in html and "判定結果" in html
    assert '<span class="judgement-yes">該当</span>' in html
    assert "事業対象者に該当" in html


def test_checklist_without_derived_values_prints_no_judgement():
    schema = load(SAMPLES / "basic_checklist.schema.json")
    html = render_document_html(make_document("basic_checklist", schema), make_case(), ORGANISATIONS)
    assert "判定結果" not in html
    assert html.count('class="choice selected">') == 24 + 1  # 24 answers and 記入者 本人


GENERIC_SCHEMA = {
    "title": "サービス担当者会議の要点",
    "type": "object",
    "properties": {
        "meeting_date": {"type": "string", "format": "date", "title": "開催日"},
        "mode": {
            "type": "string",
            "title": "開催方法",
            "oneOf": [{"const": "in_person", "title": "対面"}, {"const": "online", "title": "オンライン"}],
        },
        "consent": {"type": "boolean", "title": "同意の有無"},
        "doctor_attended": {"type": "boolean", "title": "主治医の出席"},
        "attendees": {
            "type": "array",
            "title": "出席者",
            "items": {
                "type": "object",
                "properties": {"affiliation": {"type": "string", "title": "所属(職種)"}, "name": {"title": "氏名"}},
            },
        },
        "topics": {"type": "array", "title": "検討した項目", "items": {"type": "string"}},
        "next": {"$ref": "#/$defs/next"},
        "not_answered": {"type": "string", "title": "残された課題"},
    },
    "$defs": {
        "next": {"type": "object", "title": "次回", "properties": {"date": {"format": "date", "title": "予定日"}}}
    },
    "examples": [
        {
            "meeting_date": "2019-05-01",
            "mode": "online",
            "consent": True,
            "doctor_attended": False,
            "attendees": [{"affiliation": "包括", "name": "山田 <b>"}, {"affiliation": "デイ", "name": "佐藤"}],
            "topics": ["目標", "サービス内容"],
            "next": {"date": "2026-11-01"},
            "extra_key": "スキーマにない値",
            "_internal": "印刷しない",
        }
    ],
}


def test_generic_template_prints_titles_and_values_as_on_paper():
    document = make_document("service_meeting", GENERIC_SCHEMA)
    html = render_document_html(document, make_case(), ORGANISATIONS)
    cells = dict(re.findall(r"<tr><th>([^<]+)</th><td[^>]*>(.*?)</td></tr>", html, flags=re.S))
    assert "令和元年5月1日" in cells["開催日"]
    assert "オンライン" in cells["開催方法"]
    assert "はい" in cells["同意の有無"] and "いいえ" in cells["主治医の出席"]
    assert "目標、サービス内容" in cells["検討した項目"]
    assert "令和8年11月1日" in html and "予定日" in html
    assert cells["残された課題"].strip() in ('<span class="pre"></span>', "")
    assert "<th>所属(職種)</th><th>氏名</th>" in html and "山田 &lt;b&gt;" in html
    assert "スキーマにない値" in html and "印刷しない" not in html
    assert 'href="/static/css/print.css"' in html and 'data-action="print"' in html
    assert " style=" not in html, "no inline styles: the print view runs under the app's CSP"


def test_a_municipality_template_overrides_the_common_one(tmp_path, monkeypatch):
    from web import pdf

    folder = tmp_path / "print"
    (folder / "suzuka-kameyama").mkdir(parents=True)
    for name in ("_base.html", "_macros.html", "generic.html"):
        (folder / name).write_text((templates_dir() / name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "suzuka-kameyama" / "service_meeting.html").write_text(
        '{% extends "_base.html" %}{% block body %}鈴鹿亀山の様式{% endblock %}', encoding="utf-8"
    )
    monkeypatch.setattr(pdf, "templates_dir", lambda: folder)
    pdf.environment.cache_clear()
    try:
        document = make_document("service_meeting", GENERIC_SCHEMA)
        assert "鈴鹿亀山の様式" in render_document_html(document, make_case(), {})
        assert "鈴鹿亀山の様式" not in render_document_html(document, make_case(municipality="toyokawa"), {})
    finally:
        pdf.environment.cache_clear()
