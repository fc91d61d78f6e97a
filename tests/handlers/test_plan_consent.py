"""説明・同意・署名: a proxy signature names the proxy and the relationship (004:1733)."""

from __future__ import annotations

from datetime import date

import pytest

from engine.process_library.forms import FormContext
from handlers.plan_consent import PlanConsent

CONTEXT = FormContext(today=date(2026, 5, 27), municipality="maebashi")
SIGNED = {"consent_date": "2026-05-27", "signer_name": "鈴鹿 花子", "signed_by_proxy": False}


def test_the_client_signing_needs_nothing_more():
    assert PlanConsent().validate(SIGNED, CONTEXT) == {}


@pytest.mark.parametrize(
    "proxy, missing",
    [
        ({}, {"proxy_name", "proxy_relationship"}),
        ({"proxy_name": "鈴鹿 一郎"}, {"proxy_relationship"}),
        ({"proxy_relationship": "長男"}, {"proxy_name"}),
        ({"proxy_name": " ", "proxy_relationship": "\u3000"}, {"proxy_name", "proxy_relationship"}),
        ({"proxy_name": "鈴鹿 一郎", "proxy_relationship": "長男"}, set()),
    ],
)
def test_a_proxy_signature_names_the_proxy(proxy, missing):
    errors = PlanConsent().validate({**SIGNED, "signed_by_proxy": True, **proxy}, CONTEXT)
    assert set(errors) == missing
    assert all("代筆" in text and "004:1733" in text for text in errors.values())
