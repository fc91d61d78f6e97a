"""Finding 10 of the security issue: hostile numbers and months in URLs are 400s in Japanese, never 500s."""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD

HUGE = "99999999999999999999999"


@pytest.fixture
def bearer(app, world) -> dict[str, str]:
    token = app.test_client().post("/api/token", json={"login": world["alpha.center"].login, "password": PASSWORD})
    return {"Authorization": f"Bearer {token.get_json()['token']}"}


def test_ids_beyond_a_database_integer_are_a_japanese_400(app, login_as, bearer):
    api = app.test_client().get(f"/api/cases/{HUGE}", headers=bearer)
    assert api.status_code == 400 and "番号が大きすぎます" in api.get_json()["message"]
    browser = login_as("alpha.center")
    for url in (f"/cases/{HUGE}", f"/documents/{HUGE}", f"/cases/{HUGE}/export.zip", f"/documents/{HUGE}.pdf"):
        response = browser.get(url)
        assert response.status_code == 400 and "番号が大きすぎます" in response.get_data(as_text=True), url
    # The largest id a column holds is only not found; one more is too large.
    assert browser.get(f"/cases/{2**31 - 1}").status_code == 404
    assert browser.get(f"/cases/{2**31}").status_code == 400


def test_a_huge_user_or_page_in_the_query_is_not_a_500(login_as):
    browser = login_as("alpha.center")
    risks = browser.get(f"/risks?user={HUGE}")
    assert risks.status_code == 400 and "番号が大きすぎます" in risks.get_data(as_text=True)
    assert browser.get(f"/?page={HUGE}").status_code == 200


@pytest.mark.parametrize("month", ["0000-01", "0001-01", "1899-12", "2200-01", "9999-12"])
def test_a_month_outside_the_records_years_is_a_japanese_400(login_as, month):
    browser = login_as("alpha.center")
    for suffix in ("", ".csv"):
        response = browser.get(f"/reports/compliance{suffix}?month={month}")
        assert response.status_code == 400 and "対象月は" in response.get_data(as_text=True), (suffix, month)
