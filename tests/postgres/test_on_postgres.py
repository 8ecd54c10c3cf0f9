"""The bot on PostgreSQL: the migrations both ways and against the models, and the same
journeys, idempotency and key rotation the SQLite tests prove, run here on a real server.

The journeys are the SQLite tests themselves, imported: this folder's ``database_url`` gives
them a PostgreSQL database instead of a SQLite file.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from storage import outbox, updates
from storage.crypto import Keyring
from storage.db import Database, create_engine
from storage.migrate import alembic_config, upgrade_async
from storage.models import Application, Base, Priority
from tests.casework.conftest import desk  # noqa: F401  (the journeys' fixture)
from tests.casework.test_journey import (  # noqa: F401  (run again, on PostgreSQL)
    test_accept_then_two_departments_decide_differently,
)
from tests.casework.test_statutory_path import (  # noqa: F401
    test_dibao_from_acceptance_to_approval_held_by_the_clock,
)
from tests.conftest import TEST_SECRET_KEY, BotHarness
from tests.helpers import apply, resident
from tests.privacy.test_keys import (  # noqa: F401
    test_a_rotation_stopped_halfway_goes_on_where_it_stopped,
    test_rotation_round_trip,
)
from tests.test_resilience import (  # noqa: F401
    test_a_double_tap_answers_once,
    test_a_repeated_update_has_no_second_effect,
    test_concurrent_updates_of_one_chat_stay_in_order,
    test_restart_in_the_middle_resumes_where_it_was,
)


async def test_migrations_up_down_and_up_again(empty_database_url: str) -> None:
    await upgrade_async(empty_database_url)
    await asyncio.to_thread(command.downgrade, alembic_config(empty_database_url), "base")
    assert await _tables(empty_database_url) <= {"alembic_version"}
    await upgrade_async(empty_database_url)
    assert {"applications", "outbox", "key_check", "staff_threads"} <= await _tables(
        empty_database_url
    )


async def test_the_migrations_build_what_the_models_declare(database_url: str) -> None:
    engine = create_engine(database_url)

    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()


async def test_personal_data_is_stored_encrypted(bot: BotHarness, database_url: str) -> None:
    await apply(bot, await resident(bot, 1001))
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT applicant_name, subject_id_number, village FROM applications")
                )
            ).one()
    finally:
        await engine.dispose()
    kid = Keyring.parse(TEST_SECRET_KEY).key_id
    assert all(str(value).startswith(f"{kid}:") for value in row), row
    async with bot.database.transaction() as session:
        assert (await session.scalars(select(Application.applicant_name))).one() == "王秀英"


async def test_an_update_id_is_claimed_once(database_url: str) -> None:
    database = Database(database_url, keyring=Keyring.parse(TEST_SECRET_KEY))
    try:
        async with database.transaction() as session:
            assert await updates.claim(session, update_id=77)
        async with database.transaction() as session:
            assert not await updates.claim(session, update_id=77)
    finally:
        await database.dispose()


async def test_two_dispatchers_never_claim_the_same_message(database_url: str) -> None:
    """Several workers may send from one outbox: a row one of them has claimed (locked, not
    yet committed) is skipped by the other, so no message is sent twice."""
    database = Database(database_url, keyring=Keyring.parse(TEST_SECRET_KEY))
    now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    try:
        async with database.transaction() as session:
            for chat_id in range(1001, 1041):
                await outbox.enqueue(
                    session, chat_id=chat_id, purpose="receipt", priority=Priority.RESIDENT,
                    text="您的申请已收到", now=now,
                )  # fmt: skip
        async with database.transaction() as first, database.transaction() as second:
            mine = await outbox.claim_batch(first, now=now, limit=15)
            # Waiting on the first worker's locks would hang here: fail instead.
            theirs = await asyncio.wait_for(
                outbox.claim_batch(second, now=now, limit=15), timeout=10
            )
        assert len(mine) == 15 and theirs  # the second worker is not held up by the first
        assert not {c.id for c in mine} & {c.id for c in theirs}
        async with database.transaction() as session:
            left = await outbox.claim_batch(session, now=now, limit=40)
        claimed = [c.id for c in (*mine, *theirs, *left)]
        assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 40
    finally:
        await database.dispose()


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            return {str(name) for (name,) in rows}
    finally:
        await engine.dispose()
