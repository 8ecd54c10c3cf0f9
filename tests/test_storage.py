"""Migrations from empty, and the models they create agree with the code."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from storage import outbox
from storage.db import Database
from storage.migrate import upgrade, upgrade_async
from storage.models import Base, Priority, Resident
from tests.conftest import synthetic_keyring


def test_upgrade_head_on_an_empty_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
        mode = connection.execute("pragma journal_mode").fetchone()[0]
    assert {
        "residents",
        "consent_records",
        "conversations",
        "processed_updates",
        "screenings",
    } <= tables
    assert mode == "wal"
    upgrade(f"sqlite+aiosqlite:///{path}")  # a second run is harmless


def test_migrations_match_the_models(tmp_path: Path) -> None:
    path = tmp_path / "compare.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


async def test_connections_use_wal_busy_timeout_and_immediate_transactions(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}"
    await upgrade_async(url)
    database = Database(url)
    try:
        async with database.transaction() as session:
            connection = await session.connection()
            timeout = (await connection.exec_driver_sql("pragma busy_timeout")).scalar()
            assert timeout is not None and int(timeout) >= 5000
            session.add(Resident(telegram_user_id=2**52 + 7))  # ids need more than 32 bits
        async with database.transaction() as session:
            stored = await session.get(Resident, 1)
            assert stored is not None and stored.telegram_user_id == 2**52 + 7
    finally:
        await database.dispose()


async def test_a_commit_that_writes_outbox_rows_wakes_whoever_waits(tmp_path: Path) -> None:
    """Writers only commit: the dispatcher is told by the commit, and only when it counts."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'wake.db'}"
    await upgrade_async(url)
    database = Database(url, keyring=synthetic_keyring())
    woken: list[str] = []
    outbox.on_queued(database, lambda: woken.append("woken"))
    try:
        async with database.transaction() as session:
            session.add(Resident(telegram_user_id=101))
        assert woken == []  # nothing for the outbox
        with pytest.raises(RuntimeError):
            async with database.transaction() as session:
                await outbox.enqueue(
                    session, chat_id=101, purpose="test", priority=Priority.RESIDENT, text="x"
                )
                assert woken == []  # not before the commit
                raise RuntimeError("rolled back")
        assert woken == []  # a row that was never committed wakes nobody
        async with database.transaction() as session:
            await outbox.enqueue(
                session, chat_id=101, purpose="test", priority=Priority.RESIDENT, text="y"
            )
            assert woken == []
        assert woken == ["woken"]
        async with database.transaction() as session:
            session.add(Resident(telegram_user_id=102))
        assert woken == ["woken"]  # the note went with its transaction
    finally:
        await database.dispose()
