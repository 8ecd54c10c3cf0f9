"""A resident's policy-notice subscription: a separate consent, topics, stop and resume.

Nothing is sent to a resident without a subscription row carrying the version of the notices
consent they agreed to; the agreement itself is a ConsentRecord with its own purpose, apart
from the screening's privacy consent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import NoticePress
from bot.flows.model import Button, Label, Screen
from storage import residents
from storage.models import NoticeSubscription, NoticeTopic, Resident
from storage.subscriptions import latest_answers, subscription

NOTICES_CONSENT = "policy_notices"
NOTICES_CONSENT_VERSION = "2026-12"
TOPIC_ORDER = tuple(NoticeTopic)


async def agree(
    session: AsyncSession, *, resident: Resident, chat_id: int, now: datetime
) -> NoticeSubscription:
    """Record the consent and switch notices on (all notices until they choose topics)."""
    _record_consent(session, resident, granted=True, now=now)
    answers = await latest_answers(session, resident_ids=[resident.id])
    town = answers.get(resident.id, {}).get("town")
    sub = await subscription(session, resident_id=resident.id)
    if sub is None:
        sub = NoticeSubscription(resident_id=resident.id, topics=[NoticeTopic.ALL], created_at=now)
        session.add(sub)
    sub.chat_id = chat_id
    sub.active = True
    sub.stopped_reason = None
    sub.consent_version = NOTICES_CONSENT_VERSION
    sub.town_id = town if isinstance(town, str) else sub.town_id
    sub.updated_at = now
    await session.flush()
    return sub


async def decline(session: AsyncSession, *, resident: Resident, now: datetime) -> None:
    _record_consent(session, resident, granted=False, now=now)
    sub = await subscription(session, resident_id=resident.id)
    if sub is not None:
        sub.active, sub.consent_version, sub.stopped_reason = False, None, "withdrawn"
        sub.updated_at = now


def _record_consent(
    session: AsyncSession, resident: Resident, *, granted: bool, now: datetime
) -> None:
    residents.record_consent(
        session,
        resident=resident,
        purpose=NOTICES_CONSENT,
        version=NOTICES_CONSENT_VERSION,
        granted=granted,
        at=now,
    )


def toggle(sub: NoticeSubscription, choice: str, now: datetime) -> None:
    """Tap on a topic (or "town"): choose it or unchoose it. At least one topic stays."""
    if choice == "town":
        sub.town_only = not sub.town_only and sub.town_id is not None
    elif choice in TOPIC_ORDER:
        topics = set(sub.topics)
        topics.symmetric_difference_update({choice})
        sub.topics = [t for t in TOPIC_ORDER if t in topics] or [NoticeTopic.ALL]
    sub.updated_at = now


def stop(sub: NoticeSubscription, now: datetime) -> None:
    sub.active, sub.stopped_reason, sub.updated_at = False, "stop", now


def restart(sub: NoticeSubscription, now: datetime) -> None:
    sub.active, sub.stopped_reason, sub.updated_at = True, None, now


async def resume(session: AsyncSession, *, telegram_user_id: int, now: datetime) -> bool:
    """/start after /stop (or after unblocking the bot): notices on again, if they agreed."""
    sub = await session.scalar(
        select(NoticeSubscription)
        .join(Resident, Resident.id == NoticeSubscription.resident_id)
        .where(Resident.telegram_user_id == telegram_user_id)
    )
    if sub is None or sub.active or sub.consent_version is None:
        return False
    if sub.stopped_reason not in ("stop", "blocked"):
        return False
    restart(sub, now)
    return True


def consent_screen() -> Screen:
    """The separate consent to policy notices, asked before anything is sent."""
    buttons = (
        Button(Label("notices.agree"), NoticePress("agree").encode()),
        Button(Label("notices.decline"), NoticePress("decline").encode()),
    )
    return Screen("notices/consent.html", keyboard=(buttons,))


def menu_screen(sub: NoticeSubscription) -> Screen:
    """The topics to choose (or, once stopped, the way back)."""
    if not sub.active:
        resume = Button(Label("notices.resume"), NoticePress("resume").encode())
        return Screen("notices/menu.html", {"active": False}, ((resume,),))

    def mark(on: bool, name: Label | str) -> Label:
        return Label.of("notices.mark_on" if on else "notices.mark_off", name=name)

    rows = [
        (
            Button(
                mark(topic in sub.topics, Label(f"notices.topic.{topic}")),
                NoticePress("t", topic).encode(),
            ),
        )
        for topic in TOPIC_ORDER
    ]
    town = Label("notices.town_only" if sub.town_id else "notices.town_only_unknown")
    rows.append((Button(mark(sub.town_only, town), NoticePress("t", "town").encode()),))
    rows.append((Button(Label("notices.stop"), NoticePress("stop").encode()),))
    return Screen("notices/menu.html", {"active": True}, tuple(rows))
