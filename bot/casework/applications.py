"""Submitting the unified application: one transaction creates everything it implies.

The application, one department task per programme (its time limit starts only when the
window accepts), the first status events, the documents received, the resident's submission
receipt listing every missing document at once (一次性告知) and the window-staff alert — all
written in the caller's transaction, so either all of it exists or none of it does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import checklist
from bot.casework.drafts import ApplicationDraft
from bot.casework.notifications import receipt
from bot.casework.services import Casework
from bot.casework.tasks import FINAL, TaskState
from bot.casework.workdays import due_date
from storage import outbox
from storage.models import (
    ENDED_APPLICATION,
    Application,
    ApplicationCounter,
    ApplicationStatus,
    DepartmentTask,
    OutboxMessage,
    OutboxStatus,
    Priority,
    Resident,
    StatusEvent,
    SubmittedDocument,
)

# Staff alerts: separate messages up to DIGEST_AFTER a minute, then digests (20/min per group).
DIGEST_AFTER = 5
DIGEST_WAIT = timedelta(minutes=1)
DIGEST_MAX = 30
# What the application keeps just as the resident's draft has it (same names on both sides).
AS_DRAFTED = (
    "resident_id",
    "screening_id",
    "locale",
    "applicant_name",
    "applicant_id_number",
    "applicant_phone",
    "subject",
    "relationship",
    "subject_name",
    "subject_id_number",
    "subject_consent",
    "guardian_consent",
    "guardian_name",
    "guardian_relationship",
    "town_id",
    "village",
    "urgent",
)


@dataclass(frozen=True, slots=True)
class Submission:
    application_id: int
    number: str
    missing_documents: tuple[str, ...]
    # (programme id, open application number): when not empty nothing was created.
    duplicates: tuple[tuple[str, str], ...] = ()


async def open_duplicates(
    session: AsyncSession,
    casework: Casework,
    *,
    subject_id_number: str,
    programmes: Iterable[str],
) -> tuple[tuple[str, str], ...]:
    """Programmes the same person already has an open application for, with its number."""
    wanted = set(programmes)
    rows = await session.execute(
        select(DepartmentTask.programme_id, Application.number)
        .join(Application, Application.id == DepartmentTask.application_id)
        .where(
            Application.subject_digest == casework.digest(subject_id_number),
            Application.status.not_in(ENDED_APPLICATION),
            DepartmentTask.state.not_in([str(state) for state in FINAL]),
        )
    )
    return tuple(sorted((p, n) for p, n in rows.all() if p in wanted))


async def next_number(session: AsyncSession, *, prefix: str, year: int) -> str:
    """JJ-2026-000123: one counter row per prefix and year, bumped in one statement."""
    series = f"{prefix}-{year}"
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(ApplicationCounter)
        .values(series=series, value=1)
        .on_conflict_do_update(
            index_elements=[ApplicationCounter.series],
            set_={"value": ApplicationCounter.value + 1},
        )
        .returning(ApplicationCounter.value)
    )
    value = (await session.execute(statement)).scalar_one()
    return f"{series}-{value:06d}"


async def submit(session: AsyncSession, draft: ApplicationDraft, casework: Casework) -> Submission:
    duplicates = await open_duplicates(
        session, casework, subject_id_number=draft.subject_id_number, programmes=draft.programmes
    )
    if duplicates:
        return Submission(0, duplicates[0][1], (), duplicates)
    profile, today = casework.profile, casework.today()
    now = casework.clock()
    number = await next_number(session, prefix=profile.prefix, year=today.year)
    child = _is_child(draft.subject_id_number, today)
    application = Application(
        **{name: getattr(draft, name) for name in AS_DRAFTED},
        number=number,
        status=ApplicationStatus.SUBMITTED,
        subject_digest=casework.digest(draft.subject_id_number),
        household=list(draft.household),
        facts=dict(draft.facts),
        economic_check_authorised_at=now if draft.economic_check_authorised else None,
        submitted_at=now,
        updated_at=now,
    )
    session.add(application)
    await session.flush()
    session.add(
        StatusEvent(
            application_id=application.id,
            actor_kind="resident",
            actor_id=None,
            action="submitted",
            created_at=now,
        )
    )
    tasks = []
    for programme_id in dict.fromkeys(draft.programmes):
        programme = profile.programme(programme_id)
        if programme is None:
            continue
        limit = programme.time_limit
        task = DepartmentTask(
            application_id=application.id,
            programme_id=programme.id,
            department_id=programme.department.id,
            state=TaskState.AT_WINDOW,
            needs_public_notice=programme.public_notice and not child,
            due_on=due_date(today, limit.days, working_days=limit.working_days),
            created_at=now,
            updated_at=now,
        )
        session.add(task)
        tasks.append(task)
    await session.flush()
    for task in tasks:
        session.add(
            StatusEvent(
                application_id=application.id,
                task_id=task.id,
                actor_kind="system",
                action="created",
                created_at=now,
            )
        )
    received = {d.document_id for d in draft.documents if d.telegram_file_id}
    for document in draft.documents:
        if document.telegram_file_id:
            session.add(
                SubmittedDocument(
                    application_id=application.id,
                    document_id=document.document_id,
                    telegram_file_id=document.telegram_file_id,
                    kind=document.kind,
                    mime_type=document.mime_type,
                    size=document.size,
                    received_at=now,
                )
            )
    # Only the documents that apply to these people (一次性告知: exactly what is missing).
    needed = checklist.items(
        profile, [t.programme_id for t in tasks], facts=draft.facts, household=draft.household
    )
    missing = tuple(doc for doc in needed if doc not in received)
    resident = await session.get(Resident, draft.resident_id)
    if resident is not None:
        text, markup = receipt(casework, application, tasks, missing)
        await outbox.enqueue(
            session,
            chat_id=resident.telegram_user_id,
            purpose="receipt",
            priority=Priority.RESIDENT,
            text=text,
            reply_markup=markup,
            now=now,
        )
    if casework.staff_chat_id is not None and casework.board is not None:
        await alert_window_staff(session, casework, application, tasks, missing)
    return Submission(application.id, number, missing)


async def alert_window_staff(
    session: AsyncSession,
    casework: Casework,
    application: Application,
    tasks: Sequence[DepartmentTask],
    missing: Sequence[str],
) -> None:
    """One alert per application, until the staff chat gets busy: then a digest.

    Telegram allows about 20 messages a minute in a group. After DIGEST_AFTER alerts within
    a minute, further applications (and alerts still waiting to be sent) are listed in one
    digest message, sent DIGEST_WAIT later, with an "open" button per application.
    """
    chat_id, now, board = casework.staff_chat_id, casework.clock(), casework.board
    assert chat_id is not None and board is not None
    digest = await session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.purpose == "digest",
            OutboxMessage.status == OutboxStatus.PENDING,
            # One being sent again is marked "may be a repeat": nothing new goes into it.
            OutboxMessage.maybe_delivered.is_(False),
        )
    )
    if digest is not None and len(digest.payload.get("applications", [])) >= DIGEST_MAX:
        digest = None
    if digest is None:
        recent = await session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.purpose.in_(("alert", "digest")),
                OutboxMessage.created_at >= now - timedelta(minutes=1),
            )
        )
        if (recent or 0) < DIGEST_AFTER:
            text, markup = board.alert(casework, application, tasks, missing)
            message = await outbox.enqueue(
                session,
                chat_id=chat_id,
                purpose="alert",
                priority=Priority.STAFF,
                text=text,
                reply_markup=markup,
                now=now,
            )
            message.payload = {**message.payload, "application_id": application.id}
            return
        digest = OutboxMessage(
            chat_id=chat_id,
            purpose="digest",
            priority=Priority.STAFF,
            payload={"applications": []},
            status=OutboxStatus.PENDING,
            not_before=now + DIGEST_WAIT,
            created_at=now,
        )
        session.add(digest)
    ids: list[int] = list(digest.payload.get("applications", []))
    # Alerts not yet sent join the digest instead of going out one by one.
    waiting = (
        await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.purpose == "alert",
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        )
    ).all()
    for row in waiting:
        folded = row.payload.get("application_id")
        if isinstance(folded, int) and len(ids) < DIGEST_MAX - 1:
            ids.append(folded)
            await session.delete(row)
    ids.append(application.id)
    await session.flush()
    listed = (await session.scalars(select(Application).where(Application.id.in_(ids)))).all()
    programmes = dict(
        (
            await session.execute(
                select(DepartmentTask.application_id, func.count(DepartmentTask.id))
                .where(DepartmentTask.application_id.in_(ids))
                .group_by(DepartmentTask.application_id)
            )
        ).all()
    )
    programmes[application.id] = len(tasks)
    text, markup = board.digest(casework, sorted(listed, key=lambda a: a.id), programmes)
    payload: dict[str, Any] = {"text": text, "parse_mode": "HTML", "applications": sorted(ids)}
    if markup is not None:
        payload["reply_markup"] = markup
    digest.payload = payload


def _is_child(id_number: str, today: date) -> bool:
    """Under 18 on ``today``, from the birth date in a GB 11643 number."""
    try:
        born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return False
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age < 18
