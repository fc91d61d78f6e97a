"""YAML and TOML that process owners write (scenarios, municipality.toml), read within bounds: a small file cannot
expand into a big one or hold the server.

TOML has no aliases, but Python's `tomllib` recurses once per nesting level (`a = [[[[…` ends in RecursionError,
not a TOMLDecodeError) and takes about a second per megabyte; so a TOML file is bounded by size
(`MAX_TOML_BYTES`) and every way it can fail is the same Japanese refusal.

YAML:
PyYAML's `safe_load` constructs no objects, but it does expand aliases: a few hundred bytes of nested `&a [*b, *b]`
anchors become billions of nodes (a "billion laughs" YAML bomb; 461 bytes took 119 s and 1 GB through the draft
page). Scenarios need no aliases, so anchors and aliases are refused outright (and with them merge keys `<<`), and
the file's size, its number of nodes and its nesting depth are bounded. The events are checked first with libyaml's
parser (milliseconds), and only a document that passes is built; so a hostile file is refused in well under 100 ms.
The messages are Japanese; callers add which file.
"""

from __future__ import annotations

import tomllib
from typing import Any

import yaml

MAX_YAML_BYTES = 64 * 1024
"""The largest scenario in processes/ is under 5 KB."""
MAX_NODES = 5_000
"""Scalars, lists and mappings in one file (the largest scenario has under 400)."""
MAX_DEPTH = 40
"""Nesting of lists and mappings (scenarios nest about 8 deep)."""

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML was built with it (the wheels are), else the pure-Python one."""


MAX_TOML_BYTES = 32 * 1024
"""The largest municipality.toml in processes/ is about 3 KB; 32 KB parse in well under 100 ms."""


class LoadRefused(ValueError):
    """The file is not acceptable; the message is Japanese."""


def load_toml(text: str) -> dict[str, Any]:
    """Parse a TOML document of at most MAX_TOML_BYTES; LoadRefused (Japanese) otherwise."""
    if len(text.encode("utf-8")) > MAX_TOML_BYTES:
        raise LoadRefused(f"TOMLが大きすぎます(上限 {MAX_TOML_BYTES // 1024} KB)")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LoadRefused(f"TOMLの誤り: {exc}") from None
    except RecursionError:
        raise LoadRefused("TOMLの入れ子が深すぎます") from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer of more than 4,300 digits
        raise LoadRefused(f"TOMLの値を読めません: {str(exc)[:200]}") from None


def load_yaml(text: str) -> Any:
    """Parse one YAML document within the bounds above; LoadRefused (Japanese) otherwise."""
    if len(text.encode("utf-8")) > MAX_YAML_BYTES:
        raise LoadRefused(f"YAMLが大きすぎます(上限 {MAX_YAML_BYTES // 1024} KB)")
    try:
        _check_events(text)
        return yaml.load(text, Loader=LOADER)  # noqa: S506 - a safe loader (CSafeLoader or SafeLoader)
    except LoadRefused:
        raise
    except yaml.YAMLError as exc:
        raise LoadRefused(f"YAMLとして読めません: {exc}") from None
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. an integer of more than 4,300 digits
        raise LoadRefused(f"YAMLの値を読めません: {str(exc)[:200]}") from None


def _check_events(text: str) -> None:
    nodes = depth = 0
    for event in yaml.parse(text, Loader=LOADER):
        if isinstance(event, yaml.AliasEvent):
            raise LoadRefused(f"YAMLの別名(*{event.anchor})は使えません(同じ内容はそのまま書いてください)")
        if not isinstance(event, yaml.NodeEvent):
            if isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            continue
        if event.anchor:
            raise LoadRefused(f"YAMLのアンカー(&{event.anchor})は使えません")
        nodes += 1
        if nodes > MAX_NODES:
            raise LoadRefused(f"YAMLの要素が多すぎます(上限 {MAX_NODES:,} 個)")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise LoadRefused(f"YAMLの入れ子が深すぎます(上限 {MAX_DEPTH} 段)")
