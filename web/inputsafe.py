"""Input no backend can store, refused at the door as a clear 400 rather than failing deep inside as a 500.

- JSON bodies nested too deeply (Python's json raises RecursionError, which Flask does not turn into a 400) or
  carrying NaN/Infinity (Python reads them, JSON and PostgreSQL do not);
- NUL characters anywhere in the path, the query string or a posted form: PostgreSQL cannot store them in text,
  so any query or insert with one fails. No care record contains one, so the request is refused outright;
- ids in the path (`<int:…>`) or the query beyond the id columns' INTEGER (2**31 - 1): PostgreSQL refuses to
  compare an INTEGER column with a larger number, SQLite anything beyond 64 bits.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

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


DATABASE_INT_MAX = 2**31 - 1
"""The largest value of an INTEGER id column (engine/store/models.py) on both backends."""
TOO_LARGE = "番号が大きすぎます。画面の一覧から開き直してください。"


def database_int(raw: str) -> int | None:
    """The number in `raw` when an id column can hold it (digits only, at most DATABASE_INT_MAX); None otherwise."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > len(str(DATABASE_INT_MAX)):
        return None
    value = int(raw)
    return value if value <= DATABASE_INT_MAX else None


class DatabaseIntConverter(IntegerConverter):
    """`<int:…>` in every route: a number beyond an id column is a 400 in Japanese, never a 500 from the driver."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > DATABASE_INT_MAX:
            raise BadRequest(TOO_LARGE)
        return number


UNREADABLE_JSON = "送られた内容をJSONとして読み取れません(入れ子が深すぎるか、NaN などJSONにない値が含まれています)。"


def json_problem() -> str:
    """Why the request's JSON body could not be read, in Japanese (get_json(silent=True) gave nothing)."""
    raw = request.get_data(as_text=True)
    return NUL_MESSAGE if NUL in raw or "\\u0000" in raw else UNREADABLE_JSON


def init_app(app: Flask) -> None:
    """Before any route is registered: the converter applies to the rules added afterwards."""
    app.json = SafeJSONProvider(app)
    app.url_map.converters["int"] = DatabaseIntConverter
    app.before_request(refuse_nul)
