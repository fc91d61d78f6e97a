"""`kaigoflow serve`: gunicorn with the workers and threads asked for; `--dev` the development server."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask import Flask

from web import cli as web_cli
from web.server import GunicornServer


@pytest.fixture
def started(monkeypatch, tmp_path):
    """Record what would be served instead of serving it."""
    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.sqlite3'}")
    monkeypatch.setenv("KAIGOFLOW_CACHE_DIR", str(tmp_path / "cache"))
    seen: dict = {}

    def run_gunicorn(server: GunicornServer) -> None:
        seen["gunicorn"] = {key: server.cfg.settings[key].get() for key in ("bind", "workers", "threads", "timeout")}
        seen["worker_class"] = server.cfg.worker_class_str
        seen["app"] = server.load()  # what each worker does after the fork

    def run_flask(app: Flask, **kwargs) -> None:
        seen["flask"] = kwargs

    monkeypatch.setattr(GunicornServer, "run", run_gunicorn)
    monkeypatch.setattr(Flask, "run", run_flask)
    return seen


def test_serve_runs_gunicorn_with_the_options_given(started):
    result = CliRunner().invoke(web_cli.main, ["serve", "--port", "8123", "--workers", "3", "--threads", "4"])
    assert result.exit_code == 0, result.output
    assert started["gunicorn"] == {"bind": ["127.0.0.1:8123"], "workers": 3, "threads": 4, "timeout": 60}
    assert started["worker_class"] == "gthread"
    assert isinstance(started["app"], Flask)
    assert "flask" not in started
    assert "ワーカー 3" in result.output


def test_serve_defaults_to_two_workers_per_cpu_plus_one(started, monkeypatch):
    monkeypatch.setattr(web_cli.os, "cpu_count", lambda: 2)
    result = CliRunner().invoke(web_cli.main, ["serve"])
    assert result.exit_code == 0, result.output
    assert started["gunicorn"]["workers"] == 5
    assert started["gunicorn"]["threads"] == 2


def test_dev_runs_the_development_server(started):
    result = CliRunner().invoke(web_cli.main, ["serve", "--dev", "--port", "8124"])
    assert result.exit_code == 0, result.output
    assert started["flask"]["port"] == 8124
    assert "gunicorn" not in started
    assert "開発用" in result.output


def test_a_worker_count_of_zero_is_refused(started):
    result = CliRunner().invoke(web_cli.main, ["serve", "--workers", "0"])
    assert result.exit_code == 2
    assert "gunicorn" not in started


def test_the_worker_does_its_idle_work_until_there_is_none_then_waits(monkeypatch, tmp_path):
    import signal

    from engine.commands import cli as engine_cli

    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'worker.sqlite3'}")
    monkeypatch.setenv("KAIGOFLOW_CACHE_DIR", str(tmp_path / "cache"))
    assert CliRunner().invoke(web_cli.main, ["init-db"]).exit_code == 0
    handlers: dict = {}
    monkeypatch.setattr(engine_cli.signal, "signal", lambda signum, handler: handlers.setdefault(signum, handler))
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the first wait: stop, as SIGTERM would
        waits.append(seconds)
        handlers[signal.SIGTERM]()

    monkeypatch.setattr(engine_cli.time, "sleep", sleep)
    left = [3, 2, 0]
    built = web_cli.build_services

    def build_services():
        services = built()
        assert any(isinstance(work, web_cli.PdfDrawer) for work in services.idle_work)
        services.idle_work[:] = [lambda: left.pop(0)]
        return services

    monkeypatch.setattr(web_cli, "build_services", build_services)
    result = CliRunner().invoke(web_cli.main, ["worker", "--interval", "7"])
    assert result.exit_code == 0, result.output
    assert left == [] and waits == [7.0]  # no waiting while there was work; then the interval
    assert "3件を実行しました" in result.output and "2件を実行しました" in result.output
