"""Retention with a controlled clock: each kind of record goes when the README says it does."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.maintenance import prune
from storage.db import Database
from storage.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    ConsentRecord,
    Conversation,
    NoticeSubscription,
    OutboxMessage,
    Resident,
    Screening,
    StaffThread,
    StatusEvent,
    SubmittedDocument,
)
from storage.retention import RetentionRules
from tests.conftest import TEST_SECRET_KEY, BotHarness, synthetic_keyring
from tests.factories import START_ZH, play
from tests.helpers import count
from tests.rights.test_rights import RELAYED, ZHANG, screen_and_engage

RULES = RetentionRules()  # the defaults: drafts 30 days, screenings 1 year, archive 5 years


async def abandon_a_draft(bot: BotHarness, user_id: int) -> None:
    await play(bot.person(user_id), START_ZH)


async def test_each_table_keeps_what_it_promised_and_no_longer(bot: BotHarness) -> None:
    start = bot.clock()
    # Rows stamped by the database layer's own clock agree with the bot's.
    with time_machine.travel(start, tick=False):
        _person, resident_id = await screen_and_engage(bot)
        await abandon_a_draft(bot, 4103)
    db = bot.database

    # Three days later nothing is due but update ids (stamped by the real clock: not checked).
    report = await prune(db, start + timedelta(days=3), RULES)
    assert not any(v for k, v in report.items() if k != "processed_updates")

    # After 31 days: conversations untouched since go — the abandoned draft, and 张阿姨's,
    # still on its result screen (her screening row stays for /apply); delivered texts are
    # blanked, the relayed one too.
    month = start + timedelta(days=31)
    dry = await prune(db, month, RULES, dry_run=True)
    assert dry["conversations: unfinished, untouched"] == 2
    assert dry["outbox: texts blanked"] >= 3  # receipt, window alert, relayed text
    assert await count(bot, Conversation) == 2  # a dry run changes nothing
    assert await prune(db, month, RULES) == dry
    assert await count(bot, Conversation) == 0
    assert await count(bot, Screening) == 1
    async with db.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
        assert rows and all(r.payload == {} and r.purged_at == month for r in rows)
        assert RELAYED not in str([r.payload for r in rows])

    # After a year: the screening goes.
    year = start + timedelta(days=366)
    report = await prune(db, year, RULES)
    assert report["screenings"] == 1
    assert await count(bot, Screening) == 0
    assert await count(bot, OutboxMessage) == 0  # rows deleted after 180 days

    # The application closes; five years later it is anonymised, statistics kept.
    async with db.transaction() as session:
        application = await session.scalar(select(Application))
        assert application is not None
        application.status = ApplicationStatus.CLOSED
        application.updated_at = year
        session.add(
            StatusEvent(
                application_id=application.id,
                actor_kind="staff",
                action="closed",
                note="家访：王秀英独居",
                created_at=year,
            )
        )
        session.add(
            SubmittedDocument(
                application_id=application.id,
                document_id="id_card",
                telegram_file_id="AgAD-file",
                received_at=year,
            )
        )
    assert (await prune(db, year + timedelta(days=4 * 365), RULES))["applications: anonymised"] == 0
    later = year + timedelta(days=5 * 366)
    report = await prune(db, later, RULES)
    assert report["applications: anonymised"] == 1
    async with db.transaction() as session:
        application = await session.scalar(select(Application))
        assert application is not None and application.anonymised_at == later
        assert (application.applicant_name, application.subject_name, application.village) == (
            "",
            "",
            "",
        )
        assert application.applicant_id_number == application.applicant_phone == ""
        assert application.facts == {} and application.household == []
        assert application.town_id == "baisha" and application.status == "closed"
        assert set(await session.scalars(select(StatusEvent.note))) == {None}
        assert set(await session.scalars(select(SubmittedDocument.telegram_file_id))) == {None}
        assert set(await session.scalars(select(SubmittedDocument.document_id))) == {"id_card"}
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 0
        # She still subscribes to notices: she stays. Her talk with staff, quiet for years,
        # has gone (never closed, it went once as quiet as a closed one may be kept).
        resident = await session.get(Resident, resident_id)
        assert resident is not None and resident.telegram_user_id == ZHANG
        assert await session.scalar(select(StaffThread)) is None
        # She stops the notices.
        subscription = await session.scalar(select(NoticeSubscription))
        assert subscription is not None
        subscription.active, subscription.updated_at = False, later
    final = later + timedelta(days=366)
    report = await prune(db, final, RULES)
    assert report["notice_subscriptions: stopped"] == 1
    assert report["residents: nothing left"] == 1
    async with db.transaction() as session:
        # Nothing personal is left: the row stays for the statistics, naming no account.
        resident = await session.get(Resident, resident_id)
        assert resident is not None and resident.telegram_user_id == -resident_id
        assert resident.locale is None and resident.consented_notice is None
        assert await session.scalar(select(func.count()).select_from(ConsentRecord)) == 0
    # A second run finds nothing more to do.
    assert not any((await prune(db, final, RULES)).values())


def test_db_retention_dry_run_counts_and_the_real_run_deletes(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("YIMEN_DATABASE_URL", database_url)
    monkeypatch.setenv("YIMEN_SECRET_KEY", TEST_SECRET_KEY)
    asyncio.run(_a_draft_of(database_url, datetime(2026, 3, 2, tzinfo=UTC)))
    runner = CliRunner()
    with time_machine.travel(datetime(2026, 3, 20, tzinfo=UTC), tick=False):
        early = runner.invoke(cli, ["db", "retention", "--dry-run"])
        assert early.exit_code == 0, early.output
        assert "conversations: unfinished, untouched  0" in early.output
    with time_machine.travel(datetime(2026, 4, 15, tzinfo=UTC), tick=False):
        dry = runner.invoke(cli, ["db", "retention", "--dry-run"])
        assert "conversations: unfinished, untouched  1" in dry.output
        assert "would go" in dry.output
        assert "applications: anonymised" in dry.output
        done = runner.invoke(cli, ["db", "retention"])
        assert done.exit_code == 0, done.output
        again = runner.invoke(cli, ["db", "retention", "--dry-run"])
        assert "conversations: unfinished, untouched  0" in again.output


async def _a_draft_of(database_url: str, at: datetime) -> None:
    db = Database(database_url, keyring=synthetic_keyring())
    try:
        async with db.transaction() as session:
            resident = Resident(telegram_user_id=4104, created_at=at, updated_at=at)
            session.add(resident)
            await session.flush()
            session.add(
                Conversation(
                    chat_id=4104,
                    resident_id=resident.id,
                    flow="screening",
                    step="age",
                    answers={"age": 70},
                    version=3,
                    started_at=at,
                    updated_at=at,
                )
            )
    finally:
        await db.dispose()


async def test_a_talk_with_staff_never_closed_goes_once_long_quiet(bot: BotHarness) -> None:
    start = bot.clock()
    with time_machine.travel(start, tick=False):
        resident = bot.person(4110)
        await resident.send("/start")
        await resident.send("/staff")
    db = bot.database
    async with db.transaction() as session:
        thread = await session.scalar(select(StaffThread))
        assert thread is not None and thread.status == "open"
        thread.pending_text = "我想问低保的事"  # held, and the resident never came back
    report = await prune(db, start + timedelta(days=100), RULES)
    assert report["staff_threads: closed or long quiet"] == 0
    report = await prune(db, start + timedelta(days=181), RULES)
    assert report["staff_threads: closed or long quiet"] == 1
    async with db.transaction() as session:
        assert await session.scalar(select(StaffThread)) is None
