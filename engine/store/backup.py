"""Backup and restore of the whole database, consistent while the app and the worker keep running.

SQLite: the online backup API copies every page of one read snapshot into a new file (WAL mode lets writers go on
meanwhile). PostgreSQL: `pg_dump --format=custom` reads one repeatable-read snapshot, and `pg_restore` loads it in
a single transaction. The connection comes from the database URL and is handed to pg_dump / pg_restore through
the PG* environment variables, so a password never shows in the process list.

A restore goes only into an empty database (no table of kaigoflow holds a row; a database made by `init-db` and
never used counts as empty), and refuses anything else: it never merges into or overwrites records.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import table
from sqlalchemy import text
from sqlalchemy.engine import make_url

from engine.errors import KaigoflowError
from engine.store.db import make_engine
from engine.store.models import Base

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
CHECKED_TABLES = ("care_case", "process_instance", "task", "document", "event", "process_version", "app_user")
"""The tables a restore reports the rows of (what must never be lost)."""


class BackupError(KaigoflowError):
    code = "backup"
    exit_code = 6


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("メモリ上の SQLite はバックアップ・復元できません(ファイルの URL を指定してください)")
    return Path(database)


def pg_environment(url: str) -> dict[str, str]:
    """The PG* variables libpq tools read, from a SQLAlchemy URL (postgresql+psycopg://user:pw@host:port/db)."""
    parsed = make_url(url)
    env = dict(os.environ)
    for name, value in (
        ("PGHOST", parsed.host),
        ("PGPORT", parsed.port),
        ("PGUSER", parsed.username),
        ("PGPASSWORD", parsed.password),
        ("PGDATABASE", parsed.database),
    ):
        if value is not None:
            env[name] = str(value)
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} が見つかりません(postgresql-client をインストールしてください)")
    return found


def _run(command: list[str], env: Mapping[str, str]) -> None:
    done = subprocess.run(command, env=dict(env), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} が失敗しました: {done.stderr.strip()[-2000:]}")


def backup(url: str, target: Path) -> None:
    """Write a consistent copy of the database to `target` (written beside it first, then renamed into place)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial_name = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    os.close(handle)
    partial = Path(partial_name)
    try:
        if _is_sqlite(url):
            _backup_sqlite(_sqlite_path(url), partial)
        else:
            command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"]
            _run(command, pg_environment(url))
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def _backup_sqlite(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"データベースのファイル {source} がありません")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        # pages=-1 (the default) copies everything in one step: one read snapshot, never a mix of two moments.
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()


def non_empty_tables(url: str) -> list[str]:
    """The kaigoflow tables of the database that hold at least one row."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            return [
                name
                for name in sorted(Base.metadata.tables)
                if name in present and conn.execute(select(text("1")).select_from(table(name)).limit(1)).first()
            ]
    finally:
        engine.dispose()


def restore(url: str, source: Path) -> dict[str, int]:
    """Load a backup into the empty database at `url`; return the rows of CHECKED_TABLES it now holds."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"バックアップのファイル {source} がありません")
    with source.open("rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    sqlite_target = _is_sqlite(url)
    if sqlite_target and not magic.startswith(SQLITE_MAGIC):
        raise BackupError("このファイルは SQLite のバックアップではありません(復元先は SQLite です)")
    if not sqlite_target and not magic.startswith(PG_DUMP_MAGIC):
        raise BackupError(
            "このファイルは PostgreSQL のバックアップではありません"
            "(kaigoflow backup か pg_dump --format=custom で作ったもの)"
        )
    if not sqlite_target or _sqlite_path(url).exists():
        filled = non_empty_tables(url)
        if filled:
            raise BackupError(
                "復元先のデータベースが空ではないため、復元しません(記録を上書きしないため)",
                details={"tables": "データのある表: " + "、".join(filled)},
            )
    if sqlite_target:
        _restore_sqlite(source, _sqlite_path(url))
    else:
        command = [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",  # drops the empty tables init-db may have made, in the same transaction
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={make_url(url).database}",
            str(source),
        ]
        _run(command, pg_environment(url))
    return row_counts(url)


def _restore_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def row_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: int(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())  # noqa: S608 - fixed names
                for name in CHECKED_TABLES
            }
    finally:
        engine.dispose()
