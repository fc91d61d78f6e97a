"""Developer text that must never reach staff (issue 13): what the role walks check on every page and PDF.

Staff pages and 帳票 show no seed file names, manual line citations, design notes, internal keys, JSON, ISO months
or diagram ids. Process owners' and administrators' pages may show sources (the diagrams carry them), so for them
only the id-like strings are checked.
"""

from __future__ import annotations

import io
import re
from typing import Any

SOURCES = {
    "seed file name": re.compile(r"_[0-9a-f]{16}\.txt"),
    "manual line citation": re.compile(r"\(\d{3}:\d+(?:-\d+)?\)"),
    "design note": re.compile(r"DOMAIN\.md"),
    "seed folder": re.compile(r"\.\./shared/seeds"),
}
IDS = {
    "internal key in parentheses": re.compile(r"\([a-z][a-z0-9]*_[a-z0-9_]+\)|\((?:delegated|route|consent)\)"),
    "checklist internals": re.compile(r"_checklist_flags|_bmi\b"),
    "JSON": re.compile(r"\{\s*\"|\"\s*:\s*[\[{\"0-9tfn]"),
    "ISO month": re.compile(r"(?<![0-9-])20\d\d-(?:0[1-9]|1[0-2])(?![0-9-])"),
    "element id in brackets": re.compile(r"\[[a-z][a-z0-9_]*\]"),
    "BPMN type": re.compile(r"User Task|Exclusive Gateway|Call Activity"),
}


def developer_strings(text: str, owner: bool = False) -> list[str]:
    """What of the developer text is in `text`: '<kind>: <the match>' each."""
    patterns = IDS if owner else {**SOURCES, **IDS}
    return [f"{kind}: {match.group(0)}" for kind, pattern in patterns.items() for match in pattern.finditer(text)]


def assert_clean(page: Any, owner: bool = False) -> str:
    """The page's visible text and title hold no developer text; returns the text."""
    text = page.title() + "\n" + page.locator("body").inner_text()
    found = developer_strings(text, owner)
    assert not found, f"{page.url}: {found[:5]}"
    return text


def assert_clean_pdf(page: Any, url: str) -> str:
    """The PDF at `url` (fetched with the page's session) is a PDF whose text holds no developer text."""
    from pypdf import PdfReader

    # The first PDF of a run loads WeasyPrint and its fonts: on a busy machine that takes longer than a page.
    response = page.request.get(url, timeout=120_000)
    assert response.ok, f"{url}: {response.status}"
    body = response.body()
    assert body.startswith(b"%PDF"), f"{url} is not a PDF"
    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(body)).pages)
    found = developer_strings(text)
    assert not found, f"{url}: {found[:5]}"
    return text
