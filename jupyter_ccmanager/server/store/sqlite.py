"""SQLite store of session records and output tails.

One file (WAL mode), a schema version with migrations, and one rule: a store
that cannot be read is never fatal and never deleted. It is moved aside
(``<name>.corrupt-<timestamp>``), a fresh store starts, and the server keeps
serving. Environment values are never stored: they hold API keys.

All methods are synchronous and meant to run on one worker thread (see
``persistence.py``); the connection is opened with ``check_same_thread=False``
for that reason and is only ever used by one thread at a time.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        model TEXT NOT NULL,        -- the session model as JSON (no environment)
        spec TEXT NOT NULL,         -- how to relaunch it: base argv, agent
        updated_at REAL NOT NULL
    );
    CREATE TABLE output (
        id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        start INTEGER NOT NULL,     -- absolute offset of data's first byte
        data BLOB NOT NULL
    );
    """,
    # Who runs a session: its leader's pid, terminal session id and start time (so a
    # restart after kill -9 can end what still runs), and the server that owns the
    # record ("<pid>:<start>", so a second server on this data dir leaves it alone).
    2: """
    ALTER TABLE sessions ADD COLUMN leader_pid INTEGER;
    ALTER TABLE sessions ADD COLUMN leader_sid INTEGER;
    ALTER TABLE sessions ADD COLUMN leader_start INTEGER;
    ALTER TABLE sessions ADD COLUMN owner TEXT;
    """,
}


@dataclass(frozen=True)
class Leader:
    """A session's process leader: pid, terminal session id, start time (clock ticks)."""

    pid: int
    sid: int
    start: int | None


#: What is saved per session: (model, spec, output tail start, output tail or None =
#: unchanged, the running leader or None).
Record = tuple[dict[str, Any], dict[str, Any], int, "bytes | None", "Leader | None"]


@dataclass
class StoredSession:
    id: str
    model: dict[str, Any]
    spec: dict[str, Any]
    output_start: int
    output: bytes
    leader: Leader | None = None
    owner: str | None = None


class StoreCorrupt(Exception):
    """The file is not a store this code can read."""


class SessionStore:
    """The session records of one server."""

    def __init__(self, path: str, owner: str | None = None) -> None:
        self.path = path
        self.owner = owner  # written into every record this store saves
        self.moved_aside: str | None = None
        self.errors = 0
        self.last_write: float | None = None
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        try:
            self.db = self._open()
        except (sqlite3.DatabaseError, StoreCorrupt) as err:
            self.moved_aside = f"{path}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}"
            log.warning(
                "ccmanager: session store %s is unreadable (%s); moved to %s, starting afresh",
                path,
                err,
                self.moved_aside,
            )
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.replace(path + suffix, self.moved_aside + suffix)
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise StoreCorrupt("integrity check failed")
            self._migrate(db)
        except BaseException:
            db.close()
            raise
        return db

    def _migrate(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if version == 0 and tables:
            raise StoreCorrupt(f"not a ccmanager store (tables: {sorted(tables)})")
        if version > SCHEMA_VERSION:
            raise StoreCorrupt(f"schema version {version} is newer than {SCHEMA_VERSION}")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            db.executescript(f"BEGIN; {MIGRATIONS[target]}; PRAGMA user_version={target}; COMMIT;")
        expected = {"sessions", "output"}
        present = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not expected <= present:
            raise StoreCorrupt(f"missing tables: {sorted(expected - present)}")

    def load(self) -> list[StoredSession]:
        """Every stored session, oldest first; unreadable rows are skipped and logged."""
        rows = self.db.execute(
            "SELECT s.id, s.model, s.spec, o.start, o.data, s.leader_pid, s.leader_sid, "
            "s.leader_start, s.owner FROM sessions s "
            "LEFT JOIN output o ON o.id = s.id ORDER BY s.rowid"
        ).fetchall()
        stored = []
        for sid, model, spec, start, data, pid, psid, pstart, owner in rows:
            leader = Leader(pid, psid or pid, pstart) if pid else None
            try:
                record = StoredSession(
                    sid, json.loads(model), json.loads(spec), start or 0, data or b"",
                    leader, owner,
                )  # fmt: skip
                stored.append(record)
            except ValueError as err:
                log.warning("ccmanager: skipping unreadable stored session %s: %s", sid, err)
        return stored

    def save(self, records: list[Record]) -> None:
        """Upsert records in one transaction."""
        now = time.time()
        try:
            self.db.execute("BEGIN")
            for model, spec, start, tail, leader in records:
                self.db.execute(
                    "INSERT INTO sessions (id, model, spec, updated_at, leader_pid, leader_sid, "
                    "leader_start, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET model=excluded.model, spec=excluded.spec, "
                    "updated_at=excluded.updated_at, leader_pid=excluded.leader_pid, "
                    "leader_sid=excluded.leader_sid, leader_start=excluded.leader_start, "
                    "owner=excluded.owner",
                    (
                        model["id"], json.dumps(model), json.dumps(spec), now,
                        leader.pid if leader else None, leader.sid if leader else None,
                        leader.start if leader else None, self.owner,
                    ),
                )  # fmt: skip
                if tail is not None:
                    self.db.execute(
                        "INSERT INTO output (id, start, data) VALUES (?, ?, ?) "
                        "ON CONFLICT(id) DO UPDATE SET start=excluded.start, data=excluded.data",
                        (model["id"], start, tail),
                    )
            self.db.execute("COMMIT")
            self.last_write = now
        except sqlite3.Error:
            self.errors += 1
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    def claim(self, session_ids: list[str]) -> None:
        """Mark records as this server's at once (before the first periodic save), so a
        second server starting meanwhile sees them owned."""
        self.db.executemany(
            "UPDATE sessions SET owner = ? WHERE id = ?", [(self.owner, i) for i in session_ids]
        )

    def delete(self, session_id: str) -> None:
        self.db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def health(self) -> dict[str, Any]:
        return {
            "enabled": True,
            "path": self.path,
            "errors": self.errors,
            "last_write": self.last_write,
            "moved_aside": self.moved_aside,
        }

    def close(self) -> None:
        self.db.close()
