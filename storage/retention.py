"""Retention: what goes when, table by table, as rules the periodic job and the CLI share.

Each rule names the rows it removes (or clears) with conditions on dates, statuses and ids
only — never on personal columns or JSON contents, which are encrypted. A rule runs in
batches, each in its own transaction, so a large outbox never holds the database for long and
a run killed half-way simply continues next time. ``dry_run`` counts and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    ENDED_APPLICATION,
    Application,
    AuditEvent,
    ConsentRecord,
    Conversation,
    ConversationStatus,
    NoticeSubscription,
    OutboxMessage,
    OutboxStatus,
    ProcessedUpdate,
    RescreenNotice,
    Resident,
    Screening,
    StaffThread,
    StatusEvent,
    SubmittedDocument,
)

# Outbox rows whose fate is settled: nothing will read their text again.
FINISHED = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.UNKNOWN, OutboxStatus.CANCELLED)
BATCH = 1000


@dataclass(frozen=True, slots=True)
class RetentionRules:
    """How long each kind of record is kept (settings and the profile's archive period)."""

    update_ids: timedelta = timedelta(days=2)
    drafts: timedelta = timedelta(days=30)
    screenings: timedelta = timedelta(days=365)
    outbox_texts: timedelta = timedelta(days=30)
    outbox_rows: timedelta = timedelta(days=180)
    audit: timedelta = timedelta(days=1095)
    archive_years: int = 5


def shift_years(moment: datetime, years: int) -> datetime:
    """``years`` calendar years after ``moment`` (before it, when negative); 29 February falls
    back to the 28th. Closed applications are kept until ``shift_years(closed, archive)``."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


async def closed_on(session: AsyncSession, *, application_ids: list[int]) -> dict[int, datetime]:
    """When each closed application closed (its last change), for "kept until" dates."""
    if not application_ids:
        return {}
    rows = await session.execute(
        select(Application.id, Application.updated_at, func.max(StatusEvent.created_at))
        .outerjoin(StatusEvent, StatusEvent.application_id == Application.id)
        .where(Application.id.in_(application_ids))
        .group_by(Application.id, Application.updated_at)
    )
    return {i: max(u, e) if e is not None else u for i, u, e in rows.all()}


def _archive_due(rules: RetentionRules, now: datetime) -> ColumnElement[bool]:
    cutoff = shift_years(now, -rules.archive_years)
    recent_event = exists(
        select(StatusEvent.id).where(
            StatusEvent.application_id == Application.id, StatusEvent.created_at >= cutoff
        )
    )
    return and_(
        Application.status.in_(ENDED_APPLICATION),
        Application.anonymised_at.is_(None),
        Application.updated_at < cutoff,
        ~recent_event,
    )


async def anonymise(session: AsyncSession, application: Application, *, now: datetime) -> None:
    """Clear everything that names or describes a person; keep what statistics need.

    Kept: number, programme tasks and their states, town, dates, statuses, outcomes, amounts,
    whether it was urgent or for someone else. Cleared: names (the guardian's too), ID and phone
    numbers, relationships, village, household, facts, the rejection reason, staff notes and
    document file ids.
    """
    application.applicant_name = ""
    application.applicant_id_number = ""
    application.applicant_phone = ""
    application.subject_name = ""
    application.subject_id_number = ""
    application.relationship = None
    application.guardian_name = None
    application.guardian_relationship = None
    # An empty digest matches no ID number, so duplicate checks never find this one again.
    application.subject_digest = ""
    application.village = ""
    application.household = []
    application.facts = {}
    application.rejection_reason = None
    application.screening_id = None
    application.anonymised_at = now
    application.updated_at = now
    await session.execute(
        update(StatusEvent).where(StatusEvent.application_id == application.id).values(note=None)
    )
    await session.execute(
        update(SubmittedDocument)
        .where(SubmittedDocument.application_id == application.id)
        .values(telegram_file_id=None)
    )


@dataclass(frozen=True, slots=True)
class Rule:
    """One retention rule: a name for reports, the rows it applies to, and what it does."""

    name: str
    key: Any  # the primary key column, to batch by
    where: Callable[[RetentionRules, datetime], ColumnElement[bool]]
    # None deletes the rows; otherwise it changes one batch of them (by key) and returns how many.
    change: Callable[[AsyncSession, list[Any], datetime], Any] | None = None


def _finished_conversations(rules: RetentionRules, now: datetime) -> ColumnElement[bool]:
    # A finished screening's conversation keeps a copy of the answers: it goes a year after
    # its last use, or with the screening when the resident has no newer one (then the copy
    # can only be of an old screening, even if the conversation was touched since).
    cutoff = now - rules.screenings
    pruned = select(Screening.resident_id).where(Screening.created_at < cutoff)
    fresh = exists(
        select(Screening.id).where(
            Screening.resident_id == Conversation.resident_id, Screening.created_at >= cutoff
        )
    )
    return and_(
        Conversation.status != ConversationStatus.ACTIVE,
        or_(
            Conversation.updated_at < cutoff,
            and_(Conversation.resident_id.in_(pruned), ~fresh),
        ),
    )


def _nothing_left() -> ColumnElement[bool]:
    return and_(
        ~exists(select(Conversation.id).where(Conversation.resident_id == Resident.id)),
        ~exists(select(Screening.id).where(Screening.resident_id == Resident.id)),
        ~exists(select(NoticeSubscription.id).where(NoticeSubscription.resident_id == Resident.id)),
        ~exists(select(StaffThread.id).where(StaffThread.resident_id == Resident.id)),
        ~exists(
            select(Application.id).where(
                Application.resident_id == Resident.id, Application.anonymised_at.is_(None)
            )
        ),
    )


async def blank_texts(session: AsyncSession, ids: list[Any], now: datetime) -> None:
    """Clear the stored texts of these outbox rows (their rows stay, for the statistics)."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(payload={}, purged_at=now)
    )


async def _anonymise_batch(session: AsyncSession, ids: list[Any], now: datetime) -> None:
    for application in (
        await session.scalars(select(Application).where(Application.id.in_(ids)))
    ).all():
        await anonymise(session, application, now=now)


async def _forget_residents(session: AsyncSession, ids: list[Any], now: datetime) -> None:
    await retire_residents(session, resident_ids=ids, now=now)


async def retire_residents(
    session: AsyncSession, *, resident_ids: list[int], now: datetime
) -> None:
    """Residents with nothing personal left: deleted, or — when anonymised applications still
    point at them (statistics) — kept as a row with no Telegram id, language or consent."""
    if not resident_ids:
        return
    with_applications = set(
        (
            await session.scalars(
                select(Application.resident_id)
                .where(Application.resident_id.in_(resident_ids))
                .distinct()
            )
        ).all()
    )
    bare = [i for i in resident_ids if i not in with_applications]
    if bare:
        await session.execute(delete(Resident).where(Resident.id.in_(bare)))
    if with_applications:
        kept = list(with_applications)
        await session.execute(delete(ConsentRecord).where(ConsentRecord.resident_id.in_(kept)))
        # Telegram user ids are positive: the negated row id is unique and names nobody.
        await session.execute(
            update(Resident)
            .where(Resident.id.in_(kept))
            .values(
                telegram_user_id=-Resident.id, locale=None, consented_notice=None, updated_at=now
            )
        )


RULES: tuple[Rule, ...] = (
    Rule(
        "processed_updates",
        ProcessedUpdate.update_id,
        lambda r, now: ProcessedUpdate.processed_at < now - r.update_ids,
    ),
    Rule(
        "conversations: unfinished, untouched",
        Conversation.id,
        lambda r, now: and_(
            Conversation.status == ConversationStatus.ACTIVE,
            Conversation.updated_at < now - r.drafts,
        ),
    ),
    Rule("conversations: finished", Conversation.id, _finished_conversations),
    Rule("screenings", Screening.id, lambda r, now: Screening.created_at < now - r.screenings),
    Rule(
        "rescreen_notices",
        RescreenNotice.id,
        lambda r, now: RescreenNotice.created_at < now - r.screenings,
    ),
    Rule(
        "notice_subscriptions: stopped",
        NoticeSubscription.id,
        lambda r, now: and_(
            NoticeSubscription.active.is_(False), NoticeSubscription.updated_at < now - r.screenings
        ),
    ),
    Rule(
        "outbox: texts blanked",
        OutboxMessage.id,
        lambda r, now: and_(
            OutboxMessage.status.in_(FINISHED),
            OutboxMessage.purged_at.is_(None),
            OutboxMessage.created_at < now - r.outbox_texts,
        ),
        blank_texts,
    ),
    Rule(
        "outbox: rows deleted",
        OutboxMessage.id,
        lambda r, now: and_(
            OutboxMessage.status.in_(FINISHED), OutboxMessage.created_at < now - r.outbox_rows
        ),
    ),
    Rule(
        "staff_threads: closed or long quiet",
        StaffThread.id,
        # A thread closes when the resident next writes; one they never came back to (with a
        # text perhaps still held in it) goes once it has been quiet as long as a closed one.
        lambda r, now: or_(
            and_(StaffThread.status != "open", StaffThread.closed_at < now - r.outbox_rows),
            and_(
                StaffThread.status == "open",
                func.coalesce(StaffThread.last_activity_at, StaffThread.opened_at)
                < now - r.outbox_rows,
            ),
        ),
    ),
    Rule("applications: anonymised", Application.id, _archive_due, _anonymise_batch),
    Rule("audit_events", AuditEvent.id, lambda r, now: AuditEvent.created_at < now - r.audit),
    Rule(
        "residents: nothing left",
        Resident.id,
        lambda r, now: and_(
            Resident.telegram_user_id > 0,
            Resident.updated_at < now - r.screenings,
            _nothing_left(),
        ),
        _forget_residents,
    ),
)


async def run(
    database: Database,
    rules: RetentionRules,
    *,
    now: datetime,
    dry_run: bool = False,
    batch: int = BATCH,
) -> dict[str, int]:
    """Apply every rule (or, with ``dry_run``, count what each would touch); rule -> rows."""
    report: dict[str, int] = {}
    for rule in RULES:
        where = rule.where(rules, now)
        if dry_run:
            async with database.transaction() as session:
                count = await session.scalar(select(func.count(rule.key)).where(where))
            report[rule.name] = int(count or 0)
            continue
        done = 0
        while True:
            async with database.transaction() as session:
                ids = list(
                    (await session.scalars(select(rule.key).where(where).limit(batch))).all()
                )
                if ids:
                    if rule.change is None:
                        await session.execute(delete(rule.key.class_).where(rule.key.in_(ids)))
                    else:
                        await rule.change(session, ids, now)
            done += len(ids)
            if len(ids) < batch:
                break
        report[rule.name] = done
    return report
