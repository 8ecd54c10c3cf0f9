"""/forget and ``yimen resident forget``: withdraw the resident's consents and delete what the
law does not oblige us to keep; what must stay is named with the date it goes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework.rights.export import audit
from bot.casework.services import Casework
from bot.notices.subscriptions import NOTICES_CONSENT
from bot.policy.base import CHINA
from storage import residents, retention
from storage.models import (
    ENDED_APPLICATION,
    Application,
    Conversation,
    NoticeSubscription,
    OutboxMessage,
    OutboxStatus,
    RelayedMessage,
    RescreenNotice,
    Resident,
    Screening,
    StaffThread,
)
from storage.residents import PRIVACY_NOTICE
from storage.subscriptions import subscription

# Messages to the resident still waiting to go (receipts, decisions, requests for documents)
# are left by /forget, as is a row the dispatcher is sending this very moment (it records the
# outcome by id); everything else goes. These purposes go even while waiting:
OPTIONAL_PURPOSES = ("rescreen",)


@dataclass(frozen=True, slots=True)
class KeptApplication:
    """An application the law obliges us to keep, and until when."""

    number: str
    status: str
    # The last day it is kept whole; None while it is still being decided (then it is kept
    # for the archive period after it closes).
    until: date | None


@dataclass(frozen=True, slots=True)
class Forgetting:
    resident_id: int
    removed: dict[str, int]
    kept: tuple[KeptApplication, ...] = ()
    archive_years: int = 0


async def forget(
    session: AsyncSession, casework: Casework, resident: Resident, *, channel: str, now: datetime
) -> Forgetting:
    """Withdraw every consent and delete or anonymise all the law lets us; in one transaction.

    Kept: applications still being decided (whole, and the resident's Telegram id so that the
    decision reaches them) and closed ones inside the profile's archive period; messages on
    their way that carry a receipt or a decision. Closed applications past their archive
    period are anonymised now rather than at the next housekeeping run.
    """
    rid, chat_id = resident.id, resident.telegram_user_id
    years = casework.profile.archive.years
    # The withdrawal itself is recorded (PIPL Art. 15): processing based on consent stops now.
    residents.record_consent(
        session,
        resident=resident,
        purpose=PRIVACY_NOTICE,
        version=resident.consented_notice or "withdrawn",
        granted=False,
        at=now,
    )
    notices = await subscription(session, resident_id=rid)
    if notices is not None and notices.consent_version is not None:
        residents.record_consent(
            session,
            resident=resident,
            purpose=NOTICES_CONSENT,
            version=notices.consent_version,
            granted=False,
            at=now,
        )
    removed: dict[str, int] = {}
    relay_rows = list(
        await session.scalars(
            select(RelayedMessage.outbox_id)
            .join(StaffThread, StaffThread.id == RelayedMessage.thread_id)
            .where(StaffThread.resident_id == rid, RelayedMessage.outbox_id.is_not(None))
        )
    )
    removed["relayed_texts"] = await _delete(
        session,
        OutboxMessage,
        OutboxMessage.id.in_(relay_rows) & (OutboxMessage.status != OutboxStatus.SENDING),
    )
    # What is left is a text being sent this very moment: it cannot be called back, but its
    # stored copy goes, so that it is never sent again (the dispatcher fails a row with no text).
    await retention.blank_texts(session, relay_rows, now)
    removed["talk_to_staff"] = await _delete(session, StaffThread, StaffThread.resident_id == rid)
    removed["conversation"] = await _delete(session, Conversation, Conversation.resident_id == rid)
    removed["screenings"] = await _delete(session, Screening, Screening.resident_id == rid)
    removed["rescreen_notices"] = await _delete(
        session, RescreenNotice, RescreenNotice.resident_id == rid
    )
    removed["notice_subscriptions"] = await _delete(
        session, NoticeSubscription, NoticeSubscription.resident_id == rid
    )
    removed["messages_to_you"] = await _delete(
        session,
        OutboxMessage,
        (OutboxMessage.chat_id == chat_id)
        & (OutboxMessage.status != OutboxStatus.SENDING)
        & or_(
            OutboxMessage.status != OutboxStatus.PENDING,
            OutboxMessage.broadcast_id.is_not(None),
            OutboxMessage.purpose.in_(OPTIONAL_PURPOSES),
        ),
    )
    kept, anonymised = await _applications(session, rid, years, now)
    if not kept:
        # Nothing kept that is linked to their Telegram id: the resident row goes too (or stays
        # without it, when anonymised applications still count in the statistics). While an
        # application is kept, so is the row: a decision must reach them, and /mydata must
        # still show what we hold.
        await session.flush()
        await retention.retire_residents(session, resident_ids=[rid], now=now)
    removed["applications_anonymised"] = anonymised
    result = Forgetting(
        resident_id=rid,
        removed=removed,
        kept=tuple(kept),
        archive_years=years,
    )
    audit(
        session,
        action="rights.forget",
        resident_id=result.resident_id,
        counts=_removed_counts(result),
        channel=channel,
        at=now,
    )
    return result


async def _delete(session: AsyncSession, model: Any, where: Any) -> int:
    result = await session.execute(delete(model).where(where))
    return int(getattr(result, "rowcount", 0) or 0)


async def _applications(
    session: AsyncSession, resident_id: int, years: int, now: datetime
) -> tuple[list[KeptApplication], int]:
    applications = (
        await session.scalars(
            select(Application)
            .where(Application.resident_id == resident_id, Application.anonymised_at.is_(None))
            .order_by(Application.id)
        )
    ).all()
    closed = await retention.closed_on(
        session, application_ids=[a.id for a in applications if a.status in ENDED_APPLICATION]
    )
    kept: list[KeptApplication] = []
    anonymised = 0
    for application in applications:
        if application.status not in ENDED_APPLICATION:
            kept.append(KeptApplication(application.number, application.status, None))
            continue
        until = retention.shift_years(closed[application.id], years)
        if until > now:
            kept.append(
                KeptApplication(
                    application.number, application.status, until.astimezone(CHINA).date()
                )
            )
        else:
            await retention.anonymise(session, application, now=now)
            anonymised += 1
    return kept, anonymised


def _removed_counts(result: Forgetting) -> dict[str, int]:
    counts = dict(result.removed)
    counts["applications_kept"] = len(result.kept)
    return counts
