"""Parse uploaded or library XML without trusting it: no DTDs, no entities, no network, bounded size."""

from __future__ import annotations

from typing import Any

from lxml import etree

from engine.errors import Problem

MAX_XML_BYTES = 2 * 1024 * 1024
"""A real municipality diagram is well under 200 KB; anything past 2 MB is refused before parsing."""

_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": False,
}


def parse(content: bytes, filename: str) -> tuple[Any, list[Problem]]:
    """Return (root element, problems). The root is None whenever a problem was found."""
    if len(content) > MAX_XML_BYTES:
        limit = MAX_XML_BYTES // 1024 // 1024
        return None, [Problem(filename, f"ファイルが大きすぎます(上限 {limit} MB)", rule="xml-size")]
    head = content[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in content.lower():
        message = "DOCTYPE・実体宣言を含むXMLは受け付けません(外部実体・実体展開攻撃の防止)"
        return None, [Problem(filename, message, rule="xml-unsafe")]
    try:
        root = etree.fromstring(content, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        message = f"XMLとして正しくありません: {exc.msg}"
        return None, [Problem(filename, message, rule="xml-syntax", line=line)]
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        # The byte check above misses a DOCTYPE after a long comment or in UTF-16; the parser has not loaded or
        # expanded anything (options above), but such a file is refused all the same.
        message = "DOCTYPE・実体宣言を含むXMLは受け付けません(外部実体・実体展開攻撃の防止)"
        return None, [Problem(filename, message, rule="xml-unsafe")]
    return root, []
