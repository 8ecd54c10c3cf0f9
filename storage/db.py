"""Engine and sessions. SQLite runs in WAL with IMMEDIATE write transactions; PostgreSQL as is.

An engine carries the operator's keyring (storage/crypto.py): encrypted columns read it from
the engine's dialect. A SQLite file and the folder made for it are the owner's alone.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from storage import keycheck, sqlite_inline
from storage.crypto import Keyring, attach

SQLITE_BUSY_TIMEOUT_MS = 5000
# The database file, its WAL and shared-memory files, and a folder we create for them.
OWNER_ONLY_FILE = 0o600
OWNER_ONLY_FOLDER = 0o700
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def create_engine(
    url: str, *, echo: bool = False, keyring: Keyring | None = None, foreign_keys: bool = True
) -> AsyncEngine:
    """An engine for ``url`` carrying ``keyring``; for SQLite, make sure the folder and the
    file exist (owner-only) and set the pragmas. Migrations turn SQLite's foreign keys off:
    a table rebuilt in batch mode is dropped, and the drop would cascade to every child row."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # A failed statement's error must not carry its (plain) parameters into a log.
        engine = create_async_engine(url, echo=echo, pool_pre_ping=True, hide_parameters=True)
        attach(engine.sync_engine.dialect, keyring)
        return engine
    database = parsed.database or ""
    if database and database != ":memory:":
        _create_owner_only(Path(database))
    # One connection, statements run inline (see storage/sqlite_inline.py); every unit of work
    # ends in COMMIT or ROLLBACK itself, so the pool need not roll back again on check-in.
    engine = create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,
        async_creator=partial(sqlite_inline.connect, database or ":memory:"),
        pool_size=1,
        max_overflow=0,
        pool_timeout=60,
        pool_reset_on_return=None,
    )
    attach(engine.sync_engine.dialect, keyring)
    _configure_sqlite(engine, database, foreign_keys=foreign_keys)
    return engine


def _create_owner_only(path: Path) -> None:
    """Residents' data must not be readable by other accounts on the machine."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=OWNER_ONLY_FOLDER)
        path.parent.chmod(OWNER_ONLY_FOLDER)  # mkdir's mode is masked by the umask
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, OWNER_ONLY_FILE))
    _tighten(str(path))


def _tighten(database: str) -> None:
    # SQLite gives its -wal and -shm files the database file's mode; an older file (or one
    # copied in) is tightened here too.
    if not database or database == ":memory:":
        return
    for suffix in SQLITE_COMPANIONS:
        path = Path(database + suffix)
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(OWNER_ONLY_FILE)
        except FileNotFoundError:
            continue


def _configure_sqlite(engine: AsyncEngine, database: str, *, foreign_keys: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so that we can say BEGIN IMMEDIATE:
        # in WAL a deferred transaction that later writes fails with SQLITE_BUSY at once.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()
        _tighten(database)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


AfterCommit = Callable[[Session], None]


class Database:
    """The engine, a session factory and the keyring; one per process."""

    def __init__(self, url: str, *, echo: bool = False, keyring: Keyring | None = None) -> None:
        self.url = url
        self.keyring = keyring
        self.engine = create_engine(url, echo=echo, keyring=keyring)
        # A session class of this database's own, so that its commit hooks are not every
        # database's (tests and the sandbox run several in one process).
        session_class = type("DatabaseSession", (Session,), {})
        event.listen(session_class, "after_commit", self._committed)
        event.listen(session_class, "after_rollback", self._rolled_back)
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=session_class
        )
        self._after_commit: list[AfterCommit] = []
        self._unlocking = asyncio.Lock()

    def after_commit(self, callback: AfterCommit) -> None:
        """Call ``callback`` with the session after each of its commits: what the transaction
        noted in ``session.info`` (outbox rows written, say) is durable by then."""
        self._after_commit.append(callback)

    def _committed(self, session: Session) -> None:
        try:
            for callback in self._after_commit:
                callback(session)
        finally:
            session.info.clear()

    def _rolled_back(self, session: Session) -> None:
        # Nothing noted in a transaction that did not commit happened.
        session.info.clear()

    async def unlock(self) -> None:
        """Read (or, in a new database, make) the key check: :class:`WrongKeyError` when the
        configured keys cannot read it. Start-up calls this; the first transaction otherwise."""
        if self.keyring is None or self.keyring.unlocked:
            return
        async with self._unlocking:
            if self.keyring.unlocked:
                return
            async with self.sessions() as session, session.begin():
                await keycheck.open_or_create(session, self.keyring)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on any error."""
        if self.keyring is not None and not self.keyring.unlocked:
            await self.unlock()
        async with self.sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


async def check_keys(url: str, keyring: Keyring) -> None:
    """At start-up: unlock ``keyring`` with the database's key check, or raise
    :class:`storage.crypto.WrongKeyError`. A database of its own, so no connection outlives
    the caller's event loop."""
    database = Database(url, keyring=keyring)
    try:
        await database.unlock()
    finally:
        await database.dispose()
