"""Page templates are compiled once per process, shared by every app made in it, and compiled afresh when edited."""

from __future__ import annotations

import jinja2
import pytest
from jinja2 import DictLoader
from jinja2 import Environment

from tests.web.conftest import made_app
from web.template_cache import ProcessBytecodeCache


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates Jinja compiles from source from now on."""
    names: list[str] = []
    original = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return original(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return names


def test_a_second_app_in_the_process_renders_without_compiling_again(app, web_services, clock, compiled):
    first = app.test_client().get("/login")
    assert first.status_code == 200
    with made_app(web_services, clock, TESTING=True) as second:
        compiled.clear()
        again = second.test_client().get("/login")
    assert again.status_code == 200
    assert compiled == []
    assert again.get_data(as_text=True).replace(_token(again), "") == first.get_data(as_text=True).replace(
        _token(first), ""
    )


def _token(response) -> str:
    from tests.web.conftest import CSRF

    return CSRF.search(response.get_data(as_text=True)).group(1)


def test_an_edited_template_is_compiled_from_its_new_source():
    cache = ProcessBytecodeCache()
    sources = {"page.html": "前の文 {{ x }}"}
    before = Environment(loader=DictLoader(sources), bytecode_cache=cache)
    assert before.get_template("page.html").render(x=1) == "前の文 1"
    sources["page.html"] = "新しい文 {{ x }}"
    after = Environment(loader=DictLoader(sources), bytecode_cache=cache)
    assert after.get_template("page.html").render(x=2) == "新しい文 2"
