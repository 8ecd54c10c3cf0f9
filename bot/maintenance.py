"""Housekeeping that keeps only what we promised to keep, run from the database on a timer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.config import Settings
from bot.policy import Profile
from storage import retention
from storage.db import Database
from storage.retention import RetentionRules

log = logging.getLogger(__name__)

EVERY = timedelta(hours=1)


def rules_from(settings: Settings, profile: Profile) -> RetentionRules:
    """The retention periods: settings (README, "Privacy"), and the profile's archive period."""
    return RetentionRules(
        update_ids=timedelta(days=settings.retain_update_ids_days),
        drafts=timedelta(days=settings.retain_drafts_days),
        screenings=timedelta(days=settings.retain_screenings_days),
        outbox_texts=timedelta(days=settings.retain_outbox_texts_days),
        outbox_rows=timedelta(days=settings.retain_outbox_rows_days),
        audit=timedelta(days=settings.retain_audit_days),
        archive_years=profile.archive.years,
    )


async def prune(
    database: Database, now: datetime, rules: RetentionRules, *, dry_run: bool = False
) -> dict[str, int]:
    """Apply every retention rule once (or count, with ``dry_run``); rule -> rows touched."""
    return await retention.run(database, rules, now=now, dry_run=dry_run)


async def run_forever(
    database: Database, clock: Callable[[], datetime], rules: RetentionRules
) -> None:
    """Prune now and then every hour; the work is derived from rows, so restarts lose nothing."""
    while True:
        try:
            report = await prune(database, clock(), rules)
            done = {name: count for name, count in report.items() if count}
            if done:
                # Counts only: nothing here names a person.
                log.info("retention: %s", ", ".join(f"{k} {v}" for k, v in done.items()))
        except Exception:
            log.exception("pruning failed; will try again")
        await asyncio.sleep(EVERY.total_seconds())
