"""Settings from the environment (KAIGOFLOW_*); no Flask, no module-level state."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from engine.errors import KaigoflowError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    processes_dir: Path
    secret_key: str | None = None
    cache_dir: Path | None = None
    """Where published versions and drafts are materialised (content-addressed); None: a private temp dir."""
    base_url: str | None = None
    """How staff reach the app (https://kaigo.example.jp): links and ids the app hands out (the iCal feed) use it,
    never the Host header of a request. None: the feed's events carry no link."""
    instance_dir: Path | None = None
    """Where the generated session key is kept (engine/operations/secret_key.py); None: the web app's instance
    folder."""

    @classmethod
    def from_env(cls) -> Settings:
        default_db = f"sqlite:///{PROJECT_ROOT / 'instance' / 'kaigoflow.sqlite3'}"
        return cls(
            database_url=os.environ.get("KAIGOFLOW_DATABASE_URL", default_db),
            processes_dir=Path(os.environ.get("KAIGOFLOW_PROCESSES", PROJECT_ROOT / "processes")),
            secret_key=os.environ.get("KAIGOFLOW_SECRET_KEY"),
            cache_dir=Path(os.environ.get("KAIGOFLOW_CACHE_DIR", PROJECT_ROOT / "instance" / "bundles")),
            base_url=os.environ.get("KAIGOFLOW_BASE_URL") or None,
            instance_dir=Path(os.environ.get("KAIGOFLOW_INSTANCE_DIR", PROJECT_ROOT / "instance")),
        )


def checked_base_url(configured: str | None) -> str | None:
    """KAIGOFLOW_BASE_URL without a trailing slash; a value that is not an http(s) URL of a host stops startup."""
    if not configured:
        return None
    parts = urlsplit(configured)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise KaigoflowError(
            f"KAIGOFLOW_BASE_URL「{configured}」は https://kaigo.example.jp のように、"
            "職員が開くアドレスで指定してください"
        )
    return configured.rstrip("/")
