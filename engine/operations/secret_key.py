"""The key that signs session cookies and API tokens: configured, or generated once per installation.

A key in the source would let anyone who reads it forge a session for any user, so there is none: without
KAIGOFLOW_SECRET_KEY a random key is written once into the instance folder (readable by its owner only) and
reused on every start, so sessions survive a restart and every worker of one installation agrees.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from engine.errors import KaigoflowError

MIN_BYTES = 32
KEY_FILE = "secret_key"


class SecretKeyError(KaigoflowError):
    """The configured or stored key cannot protect sessions; the app refuses to start."""

    code = "secret_key"


def installation_key(configured: str | None, instance_dir: Path) -> str:
    """The configured key if it is long enough; otherwise the installation's generated key (made on first use)."""
    if configured is not None:
        return checked(configured, "KAIGOFLOW_SECRET_KEY")
    path = instance_dir / KEY_FILE
    instance_dir.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when two workers start together, one writes and the other reads what it wrote.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return checked(path.read_text(encoding="ascii").strip(), str(path))
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(secrets.token_hex(MIN_BYTES) + "\n")
    return checked(path.read_text(encoding="ascii").strip(), str(path))


def checked(key: str, source: str) -> str:
    if len(key.encode("utf-8")) < MIN_BYTES:
        raise SecretKeyError(
            f"セッションを守る鍵が短すぎるため起動できません({source} は{MIN_BYTES}バイト以上にしてください。"
            f"未設定ならインストールごとに自動で作られます)"
        )
    return key
