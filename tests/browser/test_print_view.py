"""The browser print view of a 帳票 (web/document_print.py) under the app's Content-Security-Policy."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

FORMS = ["assessment", "basic_checklist", "plan_draft", "evaluation"]


@pytest.mark.parametrize("form", FORMS)
def test_print_view_renders_without_errors_and_prints_without_the_toolbar(page, page_errors, form, tmp_path):
    response = page.goto(f"/_test/print/{form}")
    assert response is not None and response.ok
    assert "Content-Security-Policy" in response.headers or "content-security-policy" in response.headers
    assert page.locator("main.doc-body table.form").count() > 0
    assert "鈴鹿 花子" in page.locator("header.doc-header").inner_text()
    button = page.locator("[data-action='print']")
    assert button.is_visible()
    page.screenshot(path=str(tmp_path / f"{form}.png"), full_page=True)

    page.emulate_media(media="print")
    assert not button.is_visible(), "the toolbar is hidden on paper"
    pdf = tmp_path / f"{form}-chromium.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True)
    first = PdfReader(str(pdf)).pages[0].mediabox
    landscape = form in ("plan_draft", "evaluation")
    assert (float(first.width) > float(first.height)) is landscape, "the @page size of the 様式 is honoured"
    assert page_errors == []
