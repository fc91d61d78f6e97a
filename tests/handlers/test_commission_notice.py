"""豊川's 委託連絡票: refused while the case's office has no 代理受領委任状の提出日 on record (001:8-22)."""

from __future__ import annotations

from datetime import date

from engine.process_library.forms import FormContext
from handlers.commission_notice import CommissionNotice

TODAY = date(2026, 5, 6)


def context(office):
    return FormContext(TODAY, "toyokawa", {}, {}, None, office)


def test_an_office_without_the_date_is_refused_by_name():
    errors = CommissionNotice().validate({}, context({"name": "さくら居宅", "proxy_receipt_mandate_filed_on": None}))
    assert "「さくら居宅」の代理受領委任状の提出日が登録されていません" in errors["_form"]


def test_an_office_that_filed_and_a_handler_without_a_database_pass():
    filed = {"name": "さくら居宅", "proxy_receipt_mandate_filed_on": date(2025, 4, 1)}
    assert CommissionNotice().validate({}, context(filed)) == {}
    assert CommissionNotice().validate({}, context(None)) == {}
