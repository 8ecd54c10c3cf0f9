"""The policy finds the person (政策找人): re-evaluate stored screenings under new standards.

Only residents who agreed to notices (and have not stopped them) are looked at. For each, their
latest screening is evaluated again under the standards in force today; every programme whose
verdict improved is told to them in one personal notice with an "apply" button. A row per
resident and standards version records that this was done, so it happens once per change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import NoticePress
from bot.flows.model import Button, Label, Screen
from bot.policy import Evaluation, Profile, Verdict, evaluate
from bot.render import DEFAULT_LOCALE, Renderer
from storage import outbox, subscriptions
from storage.db import Database
from storage.models import Priority, RescreenNotice, Resident, Screening

# After staff alerts, before bulk broadcasts: personal, but never urgent.
PRIORITY = Priority.STAFF + 5
_RANK = {Verdict.LIKELY.value: 0, Verdict.POSSIBLE.value: 1, Verdict.UNLIKELY.value: 2}


@dataclass(frozen=True, slots=True)
class RescreenResult:
    standards_version: str
    checked: int
    notified: int


async def run(
    database: Database,
    profile: Profile,
    renderer: Renderer,
    *,
    today: date,
    now: datetime,
    bot: str | None,
    batch: int = 500,
) -> RescreenResult:
    """Look at every consenting subscriber once per standards version; returns the counts."""
    standards = profile.standards_in_force(today)
    checked = notified = 0
    after = 0
    while True:
        async with database.transaction() as session:
            subs = await subscriptions.subscribers_after(session, after_id=after, limit=batch)
            if not subs:
                break
            after = subs[-1].id
            c, n = await _batch(
                session, profile, renderer, subs, standards.version, today, now, bot
            )
            checked, notified = checked + c, notified + n
        if len(subs) < batch:
            break
    return RescreenResult(standards.version, checked, notified)


async def _batch(
    session: AsyncSession,
    profile: Profile,
    renderer: Renderer,
    subs: list[subscriptions.Subscriber],
    version: str,
    today: date,
    now: datetime,
    bot: str | None,
) -> tuple[int, int]:
    ids = [s.resident_id for s in subs]
    done = set(
        (
            await session.scalars(
                select(RescreenNotice.resident_id).where(
                    RescreenNotice.resident_id.in_(ids),
                    RescreenNotice.standards_version == version,
                )
            )
        ).all()
    )
    screenings: dict[int, Screening] = {}
    rows = await session.scalars(select(Screening).where(Screening.resident_id.in_(ids)))
    for screening in rows.all():
        known = screenings.get(screening.resident_id)
        if known is None or known.id < screening.id:
            screenings[screening.resident_id] = screening
    locales = dict(
        (
            await session.execute(select(Resident.id, Resident.locale).where(Resident.id.in_(ids)))
        ).all()
    )
    checked = notified = 0
    for sub in subs:
        found = screenings.get(sub.resident_id)
        if sub.resident_id in done or found is None or found.standards_version == version:
            continue
        screening = found
        checked += 1
        evaluation = evaluate(profile, screening.answers, today)
        improved: dict[str, list[str]] = {}
        for result in evaluation.results:
            before = (screening.verdicts.get(result.programme.id) or {}).get("verdict")
            if before in _RANK and _RANK[result.verdict.value] < _RANK[before]:
                improved[result.programme.id] = [before, result.verdict.value]
        notice = RescreenNotice(
            resident_id=sub.resident_id,
            screening_id=screening.id,
            standards_version=version,
            improved=improved,
            created_at=now,
        )
        session.add(notice)
        if improved:
            locale = locales.get(sub.resident_id) or DEFAULT_LOCALE
            screen = rescreen_screen(profile, evaluation, improved, locale, bot)
            rendered = renderer.render(screen, locale)
            row = await outbox.enqueue(
                session,
                chat_id=sub.chat_id,
                purpose="rescreen",
                priority=PRIORITY,
                text=rendered.text,
                reply_markup=rendered.stored_markup,
                now=now,
            )
            await session.flush()
            notice.outbox_id = row.id
            notified += 1
    return checked, notified


def rescreen_screen(
    profile: Profile,
    evaluation: Evaluation,
    improved: dict[str, list[str]],
    locale: str,
    bot: str | None,
) -> Screen:
    """What changed for one resident, programme by programme, with a way to apply."""
    lines = []
    for programme_id, (before, now) in improved.items():
        result = evaluation.result(programme_id)
        lines.append(
            {
                "programme": result.programme.name.text(locale),
                "before": before,
                "now": now,
                "reason": result.summary.text(locale),
            }
        )
    standards = profile.standards_in_force(evaluation.on)
    # A deep link opens the bot with /start, which offers to continue or start the screening
    # and its application; callback data would need a handler in the dialogue.
    link = f"https://t.me/{bot}?start=apply" if bot else None
    apply = Button(Label("notices.apply"), NoticePress("apply").encode(), url=link)
    context = {"standards": standards.effective.isoformat(), "lines": lines}
    return Screen("notices/rescreen.html", context, ((apply,),))
