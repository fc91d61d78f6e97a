"""Input no backend can store, refused at the door as a clear 400 rather than failing deep inside as a 500.

- JSON bodies nested too deeply (Python's json raises RecursionError, which Flask does not turn into a 400) or
  carrying NaN/Infinity (Python reads them, JSON and PostgreSQL do not);
- NUL characters anywhere in the path, the query string or a posted form: PostgreSQL cannot store them in text,
  so any query or insert with one fails. No care record contains one, so the request is refused outright.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import request
from flask.json.provider import DefaultJSONProvider

from web import errors

NUL = "\x00"
NUL_MESSAGE = "使えない文字(NUL)が含まれています。入力内容を確認してください。"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _has_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class SafeJSONProvider(DefaultJSONProvider):
    ensure_ascii = False  # Japanese messages readable in the API's JSON

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_constant", _refuse_constant)
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        if _has_nul(value):
            raise ValueError("NUL in JSON")
        return value


def refuse_nul() -> Any:
    """before_request: a 400 for a NUL in the path, the query or the form (JSON bodies: SafeJSONProvider)."""
    if NUL in request.path or any(NUL in k or NUL in v for k, v in request.args.items(multi=True)):
        return errors.error_response(400, NUL_MESSAGE)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if any(NUL in k or NUL in v for k, v in request.form.items(multi=True)):
            return errors.error_response(400, NUL_MESSAGE)
    return None


def init_app(app: Flask) -> None:
    app.json = SafeJSONProvider(app)
    app.before_request(refuse_nul)
