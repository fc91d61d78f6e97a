"""CSV for spreadsheets: UTF-8 with a byte order mark, and no cell a spreadsheet would run as a formula.

A case named `=HYPERLINK("https://evil.example", "詳細")` would become a live formula in Excel or LibreOffice in every
organisation that opens the report. OWASP's rule: a cell starting with = + - @, a tab or a carriage return gets a
leading apostrophe, which spreadsheets show as text and do not display. Every CSV the product writes goes through
`to_csv`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HARMLESS = frozenset({"-"})
"""A lone dash (the matrix's "not in this flow") cannot be a formula and reads better unescaped."""


def cell(value: Any) -> str:
    """The text of one cell, escaped when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and text not in HARMLESS:
        return "'" + text
    return text


def to_csv(rows: Iterable[Iterable[Any]]) -> bytes:
    """Rows as CSV bytes (CRLF line ends, a BOM so Excel opens Japanese correctly), every cell escaped."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
