"""CSV cells a spreadsheet would run as formulas are escaped (OWASP: = + - @ tab CR)."""

from __future__ import annotations

import csv
import io

from engine.spreadsheet import cell
from engine.spreadsheet import to_csv


def test_cells_starting_like_a_formula_get_an_apostrophe():
    for hostile in ('=HYPERLINK("https://evil.example","詳細")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert cell(hostile) == "'" + hostile
    for plain in ("山田 花子", "0123456789", "令和8年5月1日(金)", "", "a=b", "-", "'already"):
        assert cell(plain) == plain
    assert cell(None) == "" and cell(-5) == "'-5"


def test_to_csv_escapes_every_cell_and_keeps_the_bom_and_crlf():
    data = to_csv([["種別", "利用者"], ["業務", "=cmd|' /C calc'!A0"]])
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig")))) == [
        ["種別", "利用者"],
        ["業務", "'=cmd|' /C calc'!A0"],
    ]
