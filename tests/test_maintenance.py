"""Retention: screenings go after a year, update ids after two days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from bot.maintenance import prune
from storage import updates
from storage.db import Database
from storage.models import ProcessedUpdate, Resident, Screening
from storage.retention import RetentionRules
from tests.conftest import synthetic_keyring


async def test_prune_keeps_what_is_recent(database_url: str) -> None:
    database = Database(database_url, keyring=synthetic_keyring())
    now = datetime(2026, 6, 1, tzinfo=UTC)
    try:
        async with database.transaction() as session:
            resident = Resident(telegram_user_id=1)
            session.add(resident)
            await session.flush()
            for age in (timedelta(days=400), timedelta(days=30)):
                session.add(
                    Screening(
                        resident_id=resident.id,
                        answers={},
                        verdicts={},
                        standards_version="x",
                        evaluated_on=date(2026, 1, 1),
                        created_at=now - age,
                    )
                )
            await updates.claim(session, update_id=1)
            await updates.claim(session, update_id=2)
            old = await session.get(ProcessedUpdate, 1)
            assert old is not None
            old.processed_at = now - timedelta(days=3)
        report = await prune(database, now, RetentionRules())
        assert (report["processed_updates"], report["screenings"]) == (1, 1)
        async with database.transaction() as session:
            assert await session.scalar(select(func.count()).select_from(Screening)) == 1
            assert await session.scalar(select(ProcessedUpdate.update_id)) == 2
        assert not any((await prune(database, now, RetentionRules())).values())
    finally:
        await database.dispose()
