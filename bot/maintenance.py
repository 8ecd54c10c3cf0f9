"""Housekeeping that keeps only what we promised to keep, run from the database on a timer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete

from storage import updates
from storage.db import Database
from storage.models import Screening

log = logging.getLogger(__name__)

# Telegram redelivers an update for at most 24 hours; keep the ids a little longer.
UPDATE_IDS_KEPT = timedelta(days=2)
# The privacy notice promises that a screening is kept for one year.
SCREENINGS_KEPT = timedelta(days=365)
EVERY = timedelta(hours=1)


async def prune(database: Database, now: datetime) -> tuple[int, int]:
    """Forget old update ids and screenings past their retention; returns what was removed."""
    async with database.transaction() as session:
        ids = await updates.forget_before(session, moment=now - UPDATE_IDS_KEPT)
        result = await session.execute(
            delete(Screening).where(Screening.created_at < now - SCREENINGS_KEPT)
        )
        screenings = int(getattr(result, "rowcount", 0) or 0)
    return ids, screenings


async def run_forever(database: Database, clock: Callable[[], datetime]) -> None:
    """Prune now and then every hour; the work is derived from rows, so restarts lose nothing."""
    while True:
        try:
            ids, screenings = await prune(database, clock())
            if ids or screenings:
                log.info("pruned %d update ids and %d screenings", ids, screenings)
        except Exception:
            log.exception("pruning failed; will try again")
        await asyncio.sleep(EVERY.total_seconds())
