"""What was entered once is printed on later 帳票 (issue 13, item 7): the 相談受付 PDF names the kind of care
management (介護予防支援 is the empty-string choice), and the 利用者基本情報 prints the 生年月日, 性別, 住所 and
TEL taken at 相談受付 — from its own fields, or from the case's facts where an older document has none."""

from __future__ import annotations

from tests.web.test_pdf import LIBRARY_FORMS
from tests.web.test_pdf import ORGANISATIONS
from tests.web.test_pdf import load
from tests.web.test_pdf import make_case
from tests.web.test_pdf import make_document
from tests.web.test_pdf import pdf_text
from web.document_print import render_document_pdf

PROFILE = {"birth_date": "1944-06-12", "sex": "female", "address": "豊川市諏訪1丁目1番地", "phone": "0533-89-2111"}


def text_of(form: str, data: dict, case_data: dict | None = None) -> str:
    schema = load(LIBRARY_FORMS / f"{form}.schema.json")
    document = make_document(form, schema, data)
    _, pages = pdf_text(render_document_pdf(document, make_case(data=case_data or {}), ORGANISATIONS))
    return "".join("".join(pages).split())  # extracted text breaks lines and spaces where the layout does


def test_the_intake_pdf_names_the_kind_of_care_management():
    schema = load(LIBRARY_FORMS / "intake.schema.json")
    text = text_of("intake", {**schema["examples"][0], "care_management_type": ""})
    assert "ケアマネジメントの種類" in text and "介護予防支援(予防給付)" in text
    assert "介護予防ケアマネジメントA" in text_of("intake", {**schema["examples"][0], "care_management_type": "A"})


def test_the_basic_information_pdf_prints_what_the_intake_took_from_the_case():
    schema = load(LIBRARY_FORMS / "assessment.schema.json")
    data = {k: v for k, v in schema["examples"][0].items() if k not in PROFILE}
    text = text_of("assessment", data, case_data=PROFILE)  # a document written before the form had these fields
    for printed in ("昭和19年6月12日生", "女", "豊川市諏訪1丁目1番地", "0533-89-2111"):
        assert printed in text, printed


def test_the_basic_information_pdf_prints_its_own_fields_first():
    schema = load(LIBRARY_FORMS / "assessment.schema.json")
    data = {**schema["examples"][0], **PROFILE, "address": "豊川市桜ケ丘町2番地"}
    text = text_of("assessment", data, case_data=PROFILE)
    assert "豊川市桜ケ丘町2番地" in text and "豊川市諏訪1丁目1番地" not in text
