"""A care manager's day in a real browser, at desktop and phone width (issue 13).

The demo's stories (tests/browser/conftest.py) give each municipality an office case whose last month's
モニタリング was never recorded. The care manager finds the person by typing the kana in hiragana, opens the case,
records last month's モニタリング (the form warns before unsaved input is lost), goes on with 「続けてこの作業へ」 to
this month's, finds it on the 期限 board and prints the record; no page or PDF on the way shows developer text
(tests/browser/devtext.py). The other roles' days: tests/browser/test_role_days.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.clock import SystemClock
from engine.clock import today as clock_today
from engine.japanese_dates import to_wareki
from engine.scheduling.deadlines import month_end
from tests.browser.devtext import assert_clean
from tests.browser.devtext import assert_clean_pdf

WIDTHS = [pytest.param(1366, "toyokawa", id="desktop-1366"), pytest.param(390, "city-a", id="phone-390")]


def overflow(page: Any, selector: str) -> int:
    """How many pixels the element is wider than the window (0: nothing to scroll sideways)."""
    return int(
        page.evaluate(
            "(s) => Math.max(0, document.querySelector(s).scrollWidth - document.documentElement.clientWidth)",
            selector,
        )
    )


@pytest.mark.parametrize(("width", "municipality"), WIDTHS)
def test_find_the_person_record_the_overdue_monitoring_continue_and_see_it_on_the_board(
    page, page_errors, login, width, municipality, tmp_path
):
    today = clock_today(SystemClock())
    last_month_day = today.replace(day=1) - timedelta(days=10)  # a day in last month
    page.set_viewport_size({"width": width, "height": 900})
    login(page, f"{municipality}-office-1-1")
    menu = page.get_by_role("navigation", name="メインメニュー")
    line = menu.get_by_role("link", name="受信箱").bounding_box()
    assert line is not None and line["height"] < 2 * 16 * 1.2, "menu words are not broken (受信/箱)"

    # 利用者一覧 from the menu; the kana typed in hiragana finds ナカムラ
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="利用者一覧").click()
    assert page.get_by_role("heading", level=1).inner_text() == "利用者一覧"
    search = page.get_by_label("氏名・フリガナ・被保険者番号")
    search.fill("なかむら")
    search.press("Enter")
    page.wait_for_url("**/cases?q=*")
    assert page.get_by_role("status").inner_text().startswith("1件")
    assert_clean(page)
    assert overflow(page, "main") == 0, "the list fits the width"
    page.screenshot(path=str(tmp_path / "list.png"), full_page=True)
    page.get_by_role("link", name="中村 勇").click()

    # The case: last month's モニタリング first (earliest due)
    assert "中村 勇" in page.locator("h1").inner_text()
    assert_clean(page)
    case_url = page.url
    page.locator("a[href^='/tasks/']", has_text="モニタリング").first.click()
    # Months are shown to staff in 和暦 (令和 began in 2019).
    assert page.get_by_label("対象月").input_value() == f"令和{last_month_day.year - 2018}年{last_month_day.month}月"
    first_task = page.url
    assert_clean(page)

    # Typing marks the form; leaving now asks first (the browser's own question), and staying keeps the input.
    page.get_by_label("モニタリングの記録").fill("自宅を訪問し本人と面接。変化なし。")
    assert page.locator("form.task-form").get_attribute("data-dirty") == "true"
    asked: list[str] = []

    def stay(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="受信箱").click()
    assert asked == ["beforeunload"]
    assert page.url == first_task
    assert page.get_by_label("モニタリングの記録").input_value() == "自宅を訪問し本人と面接。変化なし。"

    page.get_by_label("実施日").fill(to_wareki(last_month_day))
    page.get_by_role("group", name="方法").get_by_label("自宅訪問").check()
    page.get_by_role("group", name="利用者の居宅を訪問し面接した").get_by_label("はい").check()
    page.get_by_role("group", name="状態に変化がある").get_by_label("いいえ").check()
    page.get_by_role("group", name="ケアプランの変更が必要").get_by_label("いいえ").check()
    evaluation = page.get_by_label("評価(目標の達成状況)")
    if evaluation.count():  # 豊川: a visit month's record includes the evaluation (001:247-259)
        evaluation.fill("短期目標はおおむね達成。")
    page.get_by_role("button", name="完了する").click()
    page.wait_for_url(first_task + "#next-steps")
    assert "「モニタリング」を完了しました" in page.locator(".flashes").inner_text()
    assert_clean(page)

    # 「続けてこの作業へ」: this month's モニタリング of the same person
    go_on = page.get_by_role("link", name="続けてこの作業へ: モニタリング")
    assert go_on.is_visible()
    page.screenshot(path=str(tmp_path / "next.png"), full_page=True)
    go_on.click()
    assert page.url != first_task
    assert page.get_by_label("対象月").input_value() == f"令和{today.year - 2018}年{today.month}月"

    # The 期限 board shows it this month (or this week), with the person
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="期限").click()
    due = month_end(today)
    soon = page.locator("section", has=page.locator("#week-title")).inner_text()
    soon += page.locator("section", has=page.locator("#month-title")).inner_text()
    assert "中村 勇" in soon
    assert f"{to_wareki(due)}" in soon
    page.screenshot(path=str(tmp_path / "board.png"), full_page=True)
    assert overflow(page, "main") == 0, "the board's tables fit the width (cards on a phone)"
    assert_clean(page)

    # Print: the モニタリング just recorded, as PDF and as the browser's print view
    page.goto(case_url)
    pdf = page.locator("a[href$='.pdf'][href^='/documents/']").last.get_attribute("href")
    assert pdf is not None
    assert "中村 勇" in assert_clean_pdf(page, pdf)
    page.goto(pdf.removesuffix(".pdf") + "/print")
    assert_clean(page)
    assert page_errors == []


def test_the_insurer_finds_its_cases_and_sees_only_what_it_can_do(page, page_errors, login):
    """The insurer at phone width: 利用者一覧 but no ケースの登録; the 協議 waiting for it; inbox filters of its own."""
    page.set_viewport_size({"width": 390, "height": 900})
    login(page, "toyokawa-insurer-1-1")
    menu = page.get_by_role("navigation", name="メインメニュー")
    assert menu.get_by_role("link", name="ケースの登録").count() == 0
    assert page.locator("#filter-municipality").count() == 0  # one municipality: nothing to choose
    steps = page.locator("#filter-step option").all_inner_texts()
    assert len(steps) == len(set(steps))
    assert "モニタリング" not in steps  # a care manager's step, never the insurer's
    menu.get_by_role("link", name="利用者一覧").click()
    search = page.get_by_label("氏名・フリガナ・被保険者番号")
    search.fill("ﾖｼﾀﾞ")  # half-width katakana finds ヨシダ
    search.press("Enter")
    page.wait_for_url("**/cases?q=*")
    assert overflow(page, "main") == 0, "the list fits the phone"
    page.get_by_role("link", name="吉田 トメ").click()
    task = page.locator("a[href^='/tasks/']").first
    assert "協議" in task.inner_text()
    assert page_errors == []
