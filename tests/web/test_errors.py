"""Error answers in Japanese: pages for people, JSON under /api."""

from __future__ import annotations

from tests.web.conftest import made_app


def test_unknown_page_is_a_japanese_404(login_as):
    response = login_as("alpha.center").get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "ページが見つかりません" in page and '<html lang="ja">' in page and "受信箱に戻る" in page


def test_unknown_api_path_is_json(login_as):
    response = login_as("alpha.center").get("/api/nothing")
    assert response.status_code == 404
    assert response.get_json()["error"] == "ページが見つかりません"


def test_wrong_method_is_explained(login_as):
    response = login_as("alpha.center").get("/logout")
    assert response.status_code == 405 and "この方法では操作できません" in response.get_data(as_text=True)


def test_a_crash_is_a_japanese_500_without_details(web_services, clock, world):
    with made_app(web_services, clock, TESTING=True) as app:

        @app.get("/boom")
        def boom():
            raise RuntimeError("secret internals")

        response = app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "システムエラーが発生しました" in page and "secret internals" not in page
