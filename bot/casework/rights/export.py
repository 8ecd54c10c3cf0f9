"""/mydata and ``yimen resident export``: everything stored about a resident, decrypted, as
plain JSON values, audited with counts and the internal resident id only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework.services import Casework
from storage import staff
from storage.models import (
    Application,
    ConsentRecord,
    Conversation,
    DepartmentTask,
    NoticeSubscription,
    OutboxMessage,
    RelayedMessage,
    RescreenNotice,
    Resident,
    Screening,
    StaffThread,
    StatusEvent,
    SubmittedDocument,
)


def _when(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass(frozen=True, slots=True)
class Export:
    """Everything stored about one resident, and how many records of each kind."""

    resident_id: int
    data: dict[str, Any]
    counts: dict[str, int]


async def find_by_id_number(
    session: AsyncSession, casework: Casework, *, id_number: str
) -> list[Resident]:
    """Residents who applied for THEMSELVES with this ID number (found by its keyed digest).

    Someone who applied for a relative is not that relative: their own chat and screening are
    not the relative's to see or erase, so only "self" applications lead to a resident.
    """
    digest = casework.digest(id_number.strip().upper())
    rows = await session.execute(
        select(Application.resident_id, Application.subject).where(
            Application.subject_digest == digest
        )
    )
    # Compared here, not in SQL: only the digest is meant for look-ups.
    ids = {resident_id for resident_id, subject in rows.all() if subject == "self"}
    if not ids:
        return []
    found = await session.scalars(select(Resident).where(Resident.id.in_(ids)))
    return list(found.all())


async def export(
    session: AsyncSession, casework: Casework, resident: Resident, *, channel: str, now: datetime
) -> Export:
    """Everything stored about ``resident``, decrypted, as JSON values; audited (``channel``:
    the bot or the window's command line) without personal data."""
    rid = resident.id
    consents = (
        await session.scalars(
            select(ConsentRecord).where(ConsentRecord.resident_id == rid).order_by(ConsentRecord.id)
        )
    ).all()
    conversations = (
        await session.scalars(select(Conversation).where(Conversation.resident_id == rid))
    ).all()
    screenings = (
        await session.scalars(
            select(Screening).where(Screening.resident_id == rid).order_by(Screening.id)
        )
    ).all()
    applications = (
        await session.scalars(
            select(Application).where(Application.resident_id == rid).order_by(Application.id)
        )
    ).all()
    app_ids = [a.id for a in applications]
    tasks = await _by_application(session, DepartmentTask, app_ids)
    events = await _by_application(session, StatusEvent, app_ids)
    documents = await _by_application(session, SubmittedDocument, app_ids)
    subscriptions = (
        await session.scalars(
            select(NoticeSubscription).where(NoticeSubscription.resident_id == rid)
        )
    ).all()
    threads = (
        await session.scalars(
            select(StaffThread).where(StaffThread.resident_id == rid).order_by(StaffThread.id)
        )
    ).all()
    relayed = await _relayed_texts(session, [t.id for t in threads])
    outbox_rows = (
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.chat_id == resident.telegram_user_id,
                OutboxMessage.purged_at.is_(None),
            )
            .order_by(OutboxMessage.id)
        )
    ).all()
    rescreens = (
        await session.scalars(select(RescreenNotice).where(RescreenNotice.resident_id == rid))
    ).all()
    data: dict[str, Any] = {
        "resident": {
            "id": rid,
            "telegram_user_id": resident.telegram_user_id,
            "language": resident.locale,
            "privacy_notice_agreed": resident.consented_notice,
            "first_contact": _when(resident.created_at),
        },
        "consents": [
            {
                "purpose": c.purpose,
                "notice_version": c.notice_version,
                "granted": c.granted,
                "at": _when(c.recorded_at),
            }
            for c in consents
        ],
        "conversation": [
            {
                "flow": c.flow,
                "step": c.step,
                "status": c.status,
                "answers": dict(c.answers),
                # Work in progress (a household member half entered, documents, the facts
                # the checklist reads): theirs too.
                "in_progress": dict(c.view),
                "started_at": _when(c.started_at),
                "updated_at": _when(c.updated_at),
            }
            for c in conversations
        ],
        "screenings": [
            {
                "id": s.id,
                "answers": s.answers,
                "verdicts": s.verdicts,
                "standards_version": s.standards_version,
                "evaluated_on": _when(s.evaluated_on),
                "urgent": s.urgent,
                "chosen_programmes": s.chosen_programmes,
                "created_at": _when(s.created_at),
            }
            for s in screenings
        ],
        "applications": [
            _application(
                casework, a, tasks.get(a.id, []), events.get(a.id, []), documents.get(a.id, [])
            )
            for a in applications
        ],
        "notice_subscriptions": [
            {
                "active": s.active,
                "topics": s.topics,
                "town_only": s.town_only,
                "town": s.town_id,
                "consent_version": s.consent_version,
                "stopped_reason": s.stopped_reason,
                "created_at": _when(s.created_at),
            }
            for s in subscriptions
        ],
        "talk_to_staff": [
            {
                "id": t.id,
                "status": t.status,
                "opened_at": _when(t.opened_at),
                "closed_at": _when(t.closed_at),
                "messages_to_staff": relayed.get(t.id, []),
                "not_yet_sent": t.pending_text,
            }
            for t in threads
        ],
        "messages_to_you": [
            {
                "purpose": m.purpose,
                "status": m.status,
                "text": m.payload.get("text"),
                "created_at": _when(m.created_at),
                "sent_at": _when(m.sent_at),
            }
            for m in outbox_rows
        ],
        "rescreen_notices": [
            {
                "standards_version": r.standards_version,
                "improved": r.improved,
                "created_at": _when(r.created_at),
            }
            for r in rescreens
        ],
    }
    counts = {key: len(value) for key, value in data.items() if isinstance(value, list)}
    counts["relayed_texts"] = sum(len(v) for v in relayed.values())
    found = Export(rid, data, counts)
    audit(
        session,
        action="rights.export",
        resident_id=found.resident_id,
        counts=found.counts,
        channel=channel,
        at=now,
    )
    return found


def _application(
    casework: Casework,
    a: Application,
    tasks: list[DepartmentTask],
    events: list[StatusEvent],
    documents: list[SubmittedDocument],
) -> dict[str, Any]:
    return {
        "number": a.number,
        "status": a.status,
        "submitted_at": _when(a.submitted_at),
        "anonymised_at": _when(a.anonymised_at),
        "applicant": {
            "name": a.applicant_name,
            "id_number": a.applicant_id_number,
            "phone": a.applicant_phone,
        },
        "for": a.subject,
        "relationship": a.relationship,
        "person": {"name": a.subject_name, "id_number": a.subject_id_number},
        "subject_consent": a.subject_consent,
        "guardian": {"name": a.guardian_name, "relationship": a.guardian_relationship},
        "guardian_consent": a.guardian_consent,
        "town": a.town_id,
        "village": a.village,
        "household": a.household,
        "facts": a.facts,
        "economic_check_authorised_at": _when(a.economic_check_authorised_at),
        "urgent": a.urgent,
        "rejection_reason": a.rejection_reason,
        "programmes": [
            {
                "programme": t.programme_id,
                "department": t.department_id,
                "state": t.state,
                "due_on": _when(t.due_on),
                "amount": t.amount,
                "start_month": t.start_month,
                "visit_on": _when(t.visit_on),
            }
            for t in tasks
        ],
        "status_events": [
            {
                "at": _when(e.created_at),
                "by": e.actor_kind,
                "action": e.action,
                "note": e.note,
                "programme_task": e.task_id,
            }
            for e in events
        ],
        "documents": [
            {
                "document": d.document_id,
                "telegram_file_id": d.telegram_file_id,
                "kind": d.kind,
                "mime_type": d.mime_type,
                "size": d.size,
                "received_at": _when(d.received_at),
            }
            for d in documents
        ],
    }


async def _by_application(
    session: AsyncSession, model: Any, application_ids: list[int]
) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    if not application_ids:
        return found
    rows = await session.scalars(
        select(model).where(model.application_id.in_(application_ids)).order_by(model.id)
    )
    for row in rows.all():
        found.setdefault(row.application_id, []).append(row)
    return found


async def _relayed_texts(
    session: AsyncSession, thread_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """The resident's texts as posted to the staff chat (the outbox rows not yet purged)."""
    found: dict[int, list[dict[str, Any]]] = {}
    if not thread_ids:
        return found
    rows = await session.execute(
        select(RelayedMessage.thread_id, OutboxMessage)
        .join(OutboxMessage, OutboxMessage.id == RelayedMessage.outbox_id)
        .where(RelayedMessage.thread_id.in_(thread_ids), OutboxMessage.purged_at.is_(None))
        .order_by(RelayedMessage.id)
    )
    for thread_id, message in rows.all():
        found.setdefault(thread_id, []).append(
            {
                "text": message.payload.get("text"),
                "status": message.status,
                "created_at": _when(message.created_at),
            }
        )
    return found


def audit(
    session: AsyncSession,
    *,
    action: str,
    resident_id: int | None,
    counts: dict[str, int],
    channel: str,
    at: datetime,
) -> None:
    """One audit row with no personal data: the action, the internal id, counts, the channel."""
    staff.audit(
        session,
        actor_id=None,
        action=action,
        outcome="allowed",
        subject=f"resident:{resident_id}" if resident_id is not None else None,
        detail={"channel": channel, "counts": dict(counts)},
        at=at,
    )
