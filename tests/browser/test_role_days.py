"""Each role's day in a real browser at desktop and phone width (issue 13, "done when"): find the person, open the
case, do the next step, see it on the 期限 board, print — and no developer text on any page or PDF on the way
(tests/browser/devtext.py). The care manager's own day is tests/browser/test_care_manager_day.py.

The demo's stories (tests/browser/conftest.py) give toyokawa (walked at 1366 px) and city-a (390 px) the same
people: 山本 和子 planned by the center (this month's モニタリング open), 吉田 トメ whose 福祉用具 協議 waits for
the insurer, and providers attached to every case.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.clock import SystemClock
from engine.clock import today as clock_today
from handlers.validators import to_wareki
from tests.browser.devtext import assert_clean
from tests.browser.devtext import assert_clean_pdf

WIDTHS = [pytest.param(1366, "toyokawa", id="desktop-1366"), pytest.param(390, "city-a", id="phone-390")]


def menu(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name=name).click()
    assert_clean(page)


def find_and_open(page: Any, typed: str, person: str) -> None:
    """利用者一覧 → search → the person's case."""
    menu(page, "利用者一覧")
    search = page.get_by_label("氏名・フリガナ・被保険者番号")
    search.fill(typed)
    search.press("Enter")
    page.wait_for_url("**/cases?q=*")
    assert_clean(page)
    page.get_by_role("link", name=person).first.click()
    assert person in page.locator("h1").inner_text()
    assert_clean(page)


def print_documents(page: Any, limit: int = 2) -> int:
    """Open the newest documents' PDFs listed on the case page (and one print view); how many were checked."""
    links = page.locator("a[href$='.pdf'][href^='/documents/']")
    urls = [links.nth(i).get_attribute("href") for i in range(links.count())]
    urls = [u for u in urls if u][-limit:]
    for url in urls:
        assert_clean_pdf(page, url)
    if urls:
        page.goto(urls[-1].removesuffix(".pdf") + "/print")
        assert_clean(page)
    return len(urls)


@pytest.mark.parametrize(("width", "municipality"), WIDTHS)
def test_center_staff_records_a_monitoring_and_prints(page, page_errors, login, width, municipality):
    today = clock_today(SystemClock())
    page.set_viewport_size({"width": width, "height": 900})
    login(page, f"{municipality}-center-1-1")
    assert_clean(page)
    find_and_open(page, "やまもと", "山本 和子")
    case_url = page.url
    page.locator("a[href^='/tasks/']", has_text="モニタリング").first.click()
    assert_clean(page)
    page.get_by_label("実施日").fill(to_wareki(today))
    page.get_by_role("group", name="方法").get_by_label("自宅訪問").check()
    page.get_by_label("モニタリングの記録").fill("自宅を訪問し本人と面接。変化なし。")
    page.get_by_role("group", name="利用者の居宅を訪問し面接した").get_by_label("はい").check()
    page.get_by_role("group", name="状態に変化がある").get_by_label("いいえ").check()
    page.get_by_role("group", name="ケアプランの変更が必要").get_by_label("いいえ").check()
    evaluation = page.get_by_label("評価(目標の達成状況)")
    if evaluation.count():
        evaluation.fill("短期目標はおおむね達成。")
    page.get_by_role("button", name="完了する").click()
    page.wait_for_url("**#next-steps")
    assert "「モニタリング」を完了しました" in assert_clean(page)

    menu(page, "期限")
    board = page.locator("main").inner_text()
    assert "小林 ミサ" in board  # the center's 更新申請(代行) due this month
    page.goto(case_url)
    assert print_documents(page) >= 1
    assert page_errors == []


@pytest.mark.parametrize(("width", "municipality"), WIDTHS)
def test_the_insurer_issues_the_equipment_confirmation_and_prints(page, page_errors, login, width, municipality):
    today = clock_today(SystemClock())
    page.set_viewport_size({"width": width, "height": 900})
    login(page, f"{municipality}-insurer-1-1")
    assert_clean(page)
    find_and_open(page, "よしだ", "吉田 トメ")
    case_url = page.url
    page.locator("a[href^='/tasks/']", has_text="協議").first.click()
    assert_clean(page)
    page.get_by_label("協議日").fill(to_wareki(today))
    # Required yes/no questions are はい・いいえ radios (an unanswered one is refused, not read as いいえ).
    page.get_by_role("group", name="確認書を発行した").get_by_label("はい").check()
    page.get_by_role("group", name="暫定ケアプランによる事前協議で了承した").get_by_label("いいえ").check()
    page.get_by_label("確認書の発行日").fill(to_wareki(today))
    page.get_by_label("確認書の番号").fill("第12号")
    page.get_by_role("button", name="完了する").click()
    page.wait_for_url("**#next-steps")
    assert "を完了しました" in assert_clean(page)

    menu(page, "期限")
    page.goto(case_url)
    assert print_documents(page) >= 1  # the 確認書 it issued
    assert page_errors == []


@pytest.mark.parametrize(("width", "municipality"), WIDTHS)
def test_a_provider_finds_its_user_sees_nothing_to_do_and_prints_what_it_may_read(
    page, page_errors, login, width, municipality
):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, f"{municipality}-provider-1-1")
    assert "担当中のタスクはありません" in assert_clean(page)
    menu(page, "期限")
    find_and_open(page, "ヤマモト", "山本 和子")
    print_documents(page)  # the plan as providers receive it, when there is one
    assert page_errors == []


def owner_step(page: Any) -> str:
    """A user task of the diagram open in the modeler (the first one drawn from the left)."""
    return str(
        page.evaluate(
            """() => window.kaigoflowModeler.get('elementRegistry')
                .filter((e) => e.type === 'bpmn:UserTask')
                .sort((a, b) => a.x - b.x)[0].id"""
        )
    )


@pytest.mark.parametrize(("width", "municipality"), WIDTHS)
def test_the_process_owner_reads_flows_and_steps_in_japanese(page, page_errors, login, width, municipality):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, f"{municipality}-owner")
    menu_link = page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="業務フローの管理")
    menu_link.click()
    text = assert_clean(page, owner=True)
    flows = page.locator("#flows tbody tr td:first-child")
    names = [flows.nth(i).inner_text() for i in range(flows.count())]
    assert any(name.startswith("新規") for name in names), names
    assert all(not name.split()[0].isascii() for name in names), names  # a Japanese name first, the id after
    assert "プロセスID" not in text

    page.get_by_role("link", name="版の履歴").click()
    history = assert_clean(page, owner=True)
    assert "初期版(製品同梱)" in history and "processes/" not in history

    page.goto(f"/admin/compare?flow=new_case&left={municipality}@1&right={municipality}@1")
    crumbs = page.locator(".breadcrumbs a")
    hrefs = [crumbs.nth(i).get_attribute("href") or "" for i in range(crumbs.count())]
    assert hrefs and not any(h.startswith("/admin") for h in hrefs), hrefs
    assert_clean(page, owner=True)

    page.goto(f"/processes/{municipality}/edit/new_case.bpmn")
    modeler = page.locator("#modeler")
    modeler.locator("xpath=self::*[@data-state='ready']").wait_for()
    # The palette covers no part of the diagram (fitted beside it on load).
    palette = page.locator(".djs-palette").bounding_box()
    shapes = page.locator("#modeler g.djs-shape")
    assert palette is not None and shapes.count() > 5
    for index in range(shapes.count()):
        box = shapes.nth(index).bounding_box()
        if box is not None and box["width"] > 0 and box["y"] < palette["y"] + palette["height"]:
            assert box["x"] >= palette["x"] + palette["width"], "a shape of the diagram is under the palette"

    step = owner_step(page)
    page.locator(f"g.djs-element[data-element-id='{step}']").first.click()
    panel = page.locator("#properties")
    assert panel.locator("h2").first.inner_text() == "手順(担当者の作業)"
    due = panel.locator("fieldset.due-rule")
    due.get_by_label("期限の起点").select_option(label="作業できるようになった日")
    due.get_by_label("起点からの前後").select_option(label="の後")
    due.get_by_label("日数・期間").fill("10")
    due.get_by_label("日数・期間").press("Tab")
    due.get_by_label("単位").select_option(label="日")
    assert "ready+P10D" in due.inner_text()
    rule = page.evaluate(
        f"""() => window.kaigoflowModeler.get('elementRegistry').get('{step}').businessObject
            .extensionElements.values.flatMap((v) => v.properties || [])
            .find((p) => p.name === 'dueRule').value"""
    )
    assert rule == "ready+P10D"
    page.click("#save-draft")
    modeler.locator("xpath=self::*[@data-saved]").wait_for()
    assert_clean(page, owner=True)
    page.goto(f"/processes/{municipality}")
    assert "新規" in page.locator("#draft-status").inner_text()
    assert_clean(page, owner=True)
    page.get_by_role("button", name="下書きを破棄").click()
    assert page_errors == []


@pytest.mark.parametrize("width", [1366, 390])
def test_the_administrator_compares_in_japanese(page, page_errors, login, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "admin-1")
    assert_clean(page, owner=True)
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="市町村の比較").click()
    assert_clean(page, owner=True)
    page.get_by_label("手続き").select_option(label="新規")
    page.get_by_label("左(比較元)").select_option(label="豊川市")
    page.get_by_label("右(比較先)").select_option(label="A市")
    page.get_by_role("button", name="比較する").click()
    page.locator(".change").first.wait_for()
    assert_clean(page, owner=True)
    names = [n for n in page.locator(".change > strong").all_text_contents() if n.strip()]
    assert names and not [n for n in names if n.isascii()], [n for n in names if n.isascii()][:5]
    page.goto("/admin/matrix?flow=new_case")
    matrix = assert_clean(page, owner=True)
    assert "CONTRACT" not in matrix and "手順ID" not in matrix
    page.goto("/staff/")
    assert_clean(page, owner=True)
    assert page_errors == []
