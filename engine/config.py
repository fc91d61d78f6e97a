"""Settings from the environment (KAIGOFLOW_*); no Flask, no module-level state."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    processes_dir: Path
    secret_key: str | None = None
    cache_dir: Path | None = None
    """Where published versions and drafts are materialised (content-addressed); None: a private temp dir."""
    instance_dir: Path | None = None
    """Where the generated session key is kept (engine/secret_key.py); None: the web app's instance folder."""

    @classmethod
    def from_env(cls) -> Settings:
        default_db = f"sqlite:///{PROJECT_ROOT / 'instance' / 'kaigoflow.sqlite3'}"
        return cls(
            database_url=os.environ.get("KAIGOFLOW_DATABASE_URL", default_db),
            processes_dir=Path(os.environ.get("KAIGOFLOW_PROCESSES", PROJECT_ROOT / "processes")),
            secret_key=os.environ.get("KAIGOFLOW_SECRET_KEY"),
            cache_dir=Path(os.environ.get("KAIGOFLOW_CACHE_DIR", PROJECT_ROOT / "instance" / "bundles")),
            instance_dir=Path(os.environ.get("KAIGOFLOW_INSTANCE_DIR", PROJECT_ROOT / "instance")),
        )
