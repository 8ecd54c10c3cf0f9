"""A department's task card and its actions on the statutory path, one transaction per press.

The card's buttons come from the task machine (``allowed_actions``), told by the statutory
clock what the rules and the calendar allow (``clock.conditions``); a press the machine refuses
(a stale card, a forged button, a notice ended before its last day) is answered with the reason
and changes nothing. Actions that need a value — the home visit date, the amount and start
month, the reason, the department to refer to, why the time limit is extended — ask for it on
the card itself; typed answers are replies to the card.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import clock
from bot.casework.authorization import authorise
from bot.casework.notices import (
    Actor,
    Keyboard,
    Press,
    StaffReply,
    checklist,
    display_name,
    document_name,
    document_picker,
    forged,
    label,
    parse_mask,
    picked,
    refusal,
    render,
)
from bot.casework.notifications import DEFAULT_COMBINE, Reason, notify, time_left
from bot.casework.personal_data import mask_name
from bot.casework.services import CHINA, Casework
from bot.casework.tasks import (
    FINAL,
    InvalidAction,
    TaskAction,
    TaskState,
    allowed_actions,
    next_state,
)
from bot.casework.workdays import is_working_day
from bot.flows.model import Button, Label, Screen
from bot.flows.parsing import normalise, parse_number, strip_invisible
from bot.render import RenderedScreen
from storage import outbox, staff
from storage.models import (
    Application,
    ApplicationStatus,
    DepartmentTask,
    Priority,
    StaffRole,
    StatusEvent,
)

A = TaskAction
REASONS = (
    "income_above_line",
    "assets_exceed",
    "criteria_not_met",
    "documents_not_provided",
    "other",
)
# Taken at once; the others ask for a value first.
DIRECT = frozenset(
    {
        A.ACCEPT,
        A.CHECK_DONE,
        A.START_NOTICE,
        A.END_NOTICE,
        A.START_PAYMENT,
        A.DOCUMENTS_RECEIVED,
        A.VISIT_DONE,
        A.OBJECTION,
    }
)
ASKING = frozenset({A.SCHEDULE_VISIT, A.NEED_DOCUMENTS, A.APPROVE, A.REJECT, A.REFER, A.EXTEND})
# Second steps: verb -> (the task action it completes, number of arguments).
STEPS = {
    "vd": (A.SCHEDULE_VISIT, 1),  # visit date YYYYMMDD
    "nt": (A.NEED_DOCUMENTS, 2),  # toggle a document: mask, index
    "nc": (A.NEED_DOCUMENTS, 1),  # confirm the documents: mask
    "am": (A.APPROVE, 2),  # amount, start month YYYYMM
    "rr": (A.REJECT, 1),  # a reason was chosen: ask for an optional note
    "rn": (A.REJECT, 1),  # reject with that reason and no note
    "rf": (A.REFER, 1),  # refer to that department
}
VISIT_CHOICES = 5  # working days offered as buttons for the home visit
MAX_AMOUNT = 1_000_000
MAX_NOTE = 500


async def _authorised_card(
    session: AsyncSession,
    casework: Casework,
    actor: Actor,
    task: DepartmentTask | None,
    *,
    verb: str,
    data: str,
) -> _Card | StaffReply:
    """The task's card for someone allowed to act on it, or the (audited) refusal."""
    if task is None:
        return forged(session, casework, actor, data)
    application = await session.get(Application, task.application_id)
    if application is None:
        return forged(session, casework, actor, data)
    decision = await authorise(
        session,
        casework,
        user_id=actor.user_id,
        chat_id=actor.chat_id,
        role=StaffRole.DEPARTMENT,
        action=f"task.{verb}",
        subject=f"{application.number}/{task.id}",
        department_id=task.department_id,
    )
    if not decision.allowed:
        return refusal(casework, decision.reason)
    return _Card(session, casework, application, task, actor)


async def press(
    session: AsyncSession,
    casework: Casework,
    actor: Actor,
    pressed: Press,
    *,
    data: str,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> StaffReply:
    """One press on a task card: validate, authorise, let the machine decide, act, re-render."""
    task = await session.get(DepartmentTask, pressed.target)
    verb, args = pressed.verb, pressed.args
    action = _action_of(verb, args)
    if action is None:
        return forged(session, casework, actor, data)
    card = await _authorised_card(session, casework, actor, task, verb=verb, data=data)
    if isinstance(card, StaffReply):
        return card
    task = card.task
    if verb in ("card", "x"):
        return StaffReply(edit=await card.screen())
    try:
        next_state(task.state, action, conditions=clock.conditions(casework, task))
    except InvalidAction as exc:
        return await _invalid(card, action, exc)
    if action in DIRECT and verb == action:
        return await apply(card, action, combine_within=combine_within)
    if verb == A.SCHEDULE_VISIT:
        return await card.ask_visit_date()
    if verb == "vd":
        day = _day(args[0])
        if day is None or not _visit_day_ok(casework, day):
            return forged(session, casework, actor, data)
        return await apply(card, action, visit_on=day, combine_within=combine_within)
    if verb in (A.NEED_DOCUMENTS, "nt", "nc"):
        items = checklist(casework, [task.programme_id], card.application, for_staff=True)
        mask = 0 if verb == A.NEED_DOCUMENTS else parse_mask(args[0], len(items))
        if mask is None or (verb == "nt" and not (args[1].isdigit() and int(args[1]) < len(items))):
            return forged(session, casework, actor, data)
        if verb == "nt":
            mask ^= 1 << int(args[1])
        if verb != "nc":
            return await card.documents_picker(items, mask)
        if mask == 0:
            return StaffReply(toast=label(casework, "window.pick_one"))
        return await apply(
            card, action, documents=picked(items, mask), combine_within=combine_within
        )
    if verb == A.APPROVE:
        if _pays(casework, task):
            return await card.ask_amount()
        return await apply(card, action, combine_within=combine_within)
    if verb == "am":
        amount, month = _amount(args[0]), _month(args[1])
        if amount is None or month is None:
            return forged(session, casework, actor, data)
        return await apply(
            card, action, amount=amount, start_month=month, combine_within=combine_within
        )
    if verb == A.EXTEND:
        return await card.ask_extension_reason()
    if verb == A.REJECT:
        return await card.reasons()
    if verb in ("rr", "rn"):
        if args[0] not in REASONS or (verb == "rn" and args[0] == "other"):
            return forged(session, casework, actor, data)
        if verb == "rr":
            return await card.note_prompt(args[0])
        return await apply(card, action, reason=Reason(args[0]), combine_within=combine_within)
    if verb == A.REFER:
        return await card.departments()
    # rf
    if args[0] not in casework.profile.departments or args[0] == task.department_id:
        return forged(session, casework, actor, data)
    return await apply(card, action, referred_to=args[0], combine_within=combine_within)


async def typed(
    session: AsyncSession,
    casework: Casework,
    actor: Actor,
    task_id: int,
    waiting: Sequence[str],
    text: str,
    *,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> StaffReply:
    """Text typed as a reply to a card asking for a value (``waiting``: its cancel button)."""
    task = await session.get(DepartmentTask, task_id)
    kind = waiting[0] if waiting else ""
    action = {
        "visit": A.SCHEDULE_VISIT,
        "amount": A.APPROVE,
        "rj": A.REJECT,
        "ext": A.EXTEND,
    }.get(kind)
    if action is None:
        return forged(session, casework, actor, "|".join(waiting))
    card = await _authorised_card(
        session, casework, actor, task, verb=str(action), data="|".join(waiting)
    )
    if isinstance(card, StaffReply):
        return card
    task = card.task
    try:
        next_state(task.state, action, conditions=clock.conditions(casework, task))
    except InvalidAction as exc:
        return await _invalid(card, action, exc)
    if action == A.EXTEND:
        # The rule allows the longer limit only with a reason on record: no reason, no change.
        why = " ".join(text.split())[:MAX_NOTE]
        if not why:
            return StaffReply(reply=hint(casework, "staffmsg.hint_note"))
        return await apply(card, action, note=why, combine_within=combine_within)
    if action == A.SCHEDULE_VISIT:
        day = parse_date(text, casework.today())
        if day is None or not _visit_day_ok(casework, day):
            return StaffReply(reply=hint(casework, "dept.hint.date"))
        return await apply(card, action, visit_on=day, combine_within=combine_within)
    if action == A.APPROVE:
        amount, month = parse_amount_and_month(text, casework.today())
        if amount is None:
            return StaffReply(reply=hint(casework, "dept.hint.amount"))
        if month is None:
            return await card.ask_month(amount)
        return await apply(
            card, action, amount=amount, start_month=month, combine_within=combine_within
        )
    if len(waiting) != 2 or waiting[1] not in REASONS:
        return forged(session, casework, actor, "|".join(waiting))
    note = " ".join(strip_invisible(text).split())[:MAX_NOTE]
    if not note:
        return StaffReply(reply=hint(casework, "staffmsg.hint_note"))
    return await apply(card, action, reason=Reason(waiting[1], note), combine_within=combine_within)


async def apply(
    card: _Card,
    action: TaskAction,
    *,
    visit_on: date | None = None,
    documents: Sequence[str] = (),
    amount: int | None = None,
    start_month: str | None = None,
    reason: Reason | None = None,
    referred_to: str | None = None,
    note: str | None = None,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> StaffReply:
    """The task moves on: its row, a ledger line and the resident's notice, in one transaction."""
    session, casework, task, application = card.session, card.casework, card.task, card.application
    await record(
        session,
        casework,
        application,
        task,
        action,
        actor_kind="staff",
        actor_id=card.actor.user_id if card.actor else None,
        visit_on=visit_on,
        documents=documents,
        amount=amount,
        start_month=start_month,
        reason=reason,
        referred_to=referred_to,
        note=note,
        combine_within=combine_within,
    )
    return StaffReply(
        toast=label(casework, f"dept.done.{action}"), edit=await card.screen(), wake=True
    )


async def record(
    session: AsyncSession,
    casework: Casework,
    application: Application,
    task: DepartmentTask,
    action: TaskAction,
    *,
    actor_kind: str,
    actor_id: int | None,
    visit_on: date | None = None,
    documents: Sequence[str] = (),
    amount: int | None = None,
    start_month: str | None = None,
    reason: Reason | None = None,
    referred_to: str | None = None,
    note: str | None = None,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> None:
    """Apply ``action`` to ``task`` (InvalidAction when the machine refuses it).

    Also the entry point for the resident side: documents uploaded into a task call this with
    ``DOCUMENTS_RECEIVED`` and ``actor_kind="resident"``.
    """
    before = task.state
    task.state = str(next_state(task.state, action, conditions=clock.conditions(casework, task)))
    clock.after(casework, task, before, action)
    now = casework.clock()
    task.updated_at = now
    if visit_on is not None:
        task.visit_on, note = visit_on, visit_on.isoformat()
    if documents:
        note = ",".join(documents)
    if amount is not None:
        task.amount, task.start_month = amount, start_month
        note = f"{amount} yuan from {start_month}"
    if reason is not None:
        note = reason.stored()
    target_name: str | None = None
    if referred_to is not None:
        note = referred_to
        target = casework.profile.departments[referred_to]
        target_name = target.name.text(application.locale)
    session.add(
        StatusEvent(
            application_id=application.id,
            task_id=task.id,
            actor_kind=actor_kind,
            actor_id=actor_id,
            action=str(action),
            note=note,
            created_at=now,
        )
    )
    await notify(
        session,
        casework,
        application,
        kind=str(action),
        task=task,
        documents=documents,
        reason=reason,
        referred_to=target_name,
        note=note if action == A.EXTEND else None,
        combine_within=combine_within,
    )
    if referred_to is not None:
        await _hand_over(session, casework, application, task, referred_to)
    await close_if_done(session, casework, application)


async def close_if_done(
    session: AsyncSession, casework: Casework, application: Application
) -> bool:
    """When every task has ended, the application is closed (one ledger line says so)."""
    states = (
        await session.scalars(
            select(DepartmentTask.state).where(DepartmentTask.application_id == application.id)
        )
    ).all()
    if not states or any(state not in FINAL for state in states):
        return False
    if application.status == ApplicationStatus.CLOSED:
        return False
    application.status = ApplicationStatus.CLOSED
    application.updated_at = casework.clock()
    session.add(
        StatusEvent(
            application_id=application.id,
            actor_kind="system",
            action="closed",
            created_at=application.updated_at,
        )
    )
    return True


async def _hand_over(
    session: AsyncSession,
    casework: Casework,
    application: Application,
    task: DepartmentTask,
    department_id: str,
) -> None:
    """A referral: the other department gets its own task, with a fresh time limit and a card."""
    now = casework.clock()
    successor = DepartmentTask(
        application_id=application.id,
        programme_id=task.programme_id,
        department_id=department_id,
        state=str(TaskState.RECEIVED),
        needs_public_notice=task.needs_public_notice,
        due_on=task.due_on,
        created_at=now,
        updated_at=now,
    )
    clock.start(casework, successor)  # a fresh time limit from the day it is handed over
    session.add(successor)
    await session.flush()
    session.add(
        StatusEvent(
            application_id=application.id,
            task_id=successor.id,
            actor_kind="system",
            action="created",
            note=f"referred from {task.department_id}",
            created_at=now,
        )
    )
    await send_card(session, casework, application, successor)


async def send_card(
    session: AsyncSession, casework: Casework, application: Application, task: DepartmentTask
) -> None:
    """Queue the task card to its department's chat (the window's chat when none is set)."""
    chat_id = casework.department_chats.get(task.department_id) or casework.staff_chat_id
    if chat_id is None:
        return
    card = _Card(session, casework, application, task, None)
    rendered = await card.screen()
    await outbox.enqueue(
        session,
        chat_id=chat_id,
        purpose="task_card",
        priority=Priority.STAFF,
        text=rendered.text,
        reply_markup=rendered.markup.to_dict() if rendered.markup else None,
        now=casework.clock(),
    )


async def _invalid(card: _Card, action: TaskAction, exc: InvalidAction) -> StaffReply:
    """The machine said no: tell the person why, audit it, and show the card as it is now."""
    casework, task = card.casework, card.task
    staff.audit(
        card.session,
        actor_id=card.actor.user_id if card.actor else None,
        chat_id=card.actor.chat_id if card.actor else None,
        action=f"task.{action}",
        subject=f"{card.application.number}/{task.id}",
        outcome="refused",
        detail={"reason": str(exc), "state": task.state},
        at=casework.clock(),
    )
    return StaffReply(
        toast=invalid_text(casework, task, action, exc), alert=True, edit=await card.screen()
    )


def invalid_text(casework: Casework, task: DepartmentTask, action: str, exc: InvalidAction) -> str:
    """The machine's reason, in the staff's language."""
    state = label(casework, f"task_state.{task.state}")
    if exc.code == "final":
        return label(casework, "dept.invalid.final", state=state)
    if exc.code == "notice_running" and task.notice_started_on is not None:
        ends = clock.notice_ends_on(casework.profile.public_notice, task.notice_started_on)
        return label(
            casework,
            "dept.invalid.notice_running",
            days=casework.profile.public_notice.days,
            ends=ends.isoformat(),
            resume=(ends + timedelta(days=1)).isoformat(),
        )
    if exc.code == "visit_day" and task.visit_on is not None:
        return label(casework, "dept.invalid.visit_day", day=task.visit_on.isoformat())
    if exc.code == "extend":
        limit = clock.limit_of(casework, task)
        if limit is not None and limit.extended_days is not None:
            return label(casework, "dept.invalid.extended_once", days=limit.extended_days)
        return label(casework, "dept.invalid.no_extension")
    if exc.code in ("approve_notice", "approve_check", "no_notice", "visit_first", "objection"):
        return label(casework, f"dept.invalid.{exc.code}")
    return label(
        casework,
        "dept.invalid.sequence",
        action=label(casework, f"dept.action.{action}"),
        state=state,
    )


def hint(casework: Casework, key: str, **params: object) -> RenderedScreen:
    return render(casework, Screen("staff/hint.html", {"text": label(casework, key, **params)}))


# ---- reading what staff type and press -------------------------------------------------------

_FULL_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_SHORT_DATE = re.compile(r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_FULL_MONTH = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:起|开始)?")
_SHORT_MONTH = re.compile(r"(\d{1,2})\s*月(?:份)?(?:起|开始)?")


def parse_date(text: str, today: date) -> date | None:
    """2026-03-09, 2026年3月9日, 3月9日, 3/9 → a date (this year, or next if already past)."""
    cleaned = normalise(text)
    full = _FULL_DATE.search(cleaned)
    try:
        if full:
            return date(int(full[1]), int(full[2]), int(full[3]))
        short = _SHORT_DATE.search(cleaned)
        if short:
            day = date(today.year, int(short[1]), int(short[2]))
            return day if day >= today else date(today.year + 1, day.month, day.day)
    except ValueError:
        return None
    return None


def parse_amount_and_month(text: str, today: date) -> tuple[int | None, str | None]:
    """ "800 2026-04", "800元，2026年4月起", "一千五 4月" → (yuan, "YYYY-MM"); parts may be None."""
    cleaned = normalise(text)
    month: str | None = None
    found = _FULL_MONTH.search(cleaned)
    if found and 1 <= int(found[2]) <= 12:
        month = f"{int(found[1]):04d}-{int(found[2]):02d}"
    else:
        found = _SHORT_MONTH.search(cleaned)
        if found and 1 <= int(found[1]) <= 12:
            month = f"{today.year:04d}-{int(found[1]):02d}"
    rest = (cleaned[: found.start()] + " " + cleaned[found.end() :]) if found and month else cleaned
    rest = re.sub(r"[，,；;]", " ", rest).strip()
    number = parse_number(rest.split()[0]) if rest.split() else None
    if number is None:
        number = parse_number(rest)
    amount = _whole(number)
    return amount, month


def _whole(number: Decimal | None) -> int | None:
    if number is None or number != number.to_integral_value() or not 0 < number <= MAX_AMOUNT:
        return None
    return int(number)


def _action_of(verb: str, args: Sequence[str]) -> TaskAction | None:
    if verb in ("card",) and not args:
        return A.ACCEPT  # a re-render; never applied
    if verb == "x" and len(args) in (1, 2):
        return A.ACCEPT  # cancel a prompt; never applied
    if verb in STEPS:
        action, count = STEPS[verb]
        return action if len(args) == count else None
    if args or verb not in {str(a) for a in DIRECT | ASKING}:
        return None
    return TaskAction(verb)


def _day(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 else None
    except ValueError:
        return None


def _visit_day_ok(casework: Casework, day: date) -> bool:
    today = casework.today()
    return today <= day <= today + timedelta(days=90)


def _amount(text: str) -> int | None:
    return _whole(Decimal(text)) if text.isdigit() else None


def _month(text: str) -> str | None:
    if len(text) != 6 or not text.isdigit() or not 1 <= int(text[4:]) <= 12:
        return None
    return f"{text[:4]}-{text[4:]}"


def _notice_ends(casework: Casework, task: DepartmentTask) -> str | None:
    """The notice's last full day while it is up (shown on the card), else None."""
    return clock.notice_ends(casework, task) if task.state == TaskState.NOTICE_STARTED else None


def _pays(casework: Casework, task: DepartmentTask) -> bool:
    programme = casework.profile.programme(task.programme_id)
    return programme is not None and programme.pays


# ---- the card ---------------------------------------------------------------------------------


class _Card:
    """A task with what its card needs."""

    def __init__(
        self,
        session: AsyncSession,
        casework: Casework,
        application: Application,
        task: DepartmentTask,
        actor: Actor | None,
    ) -> None:
        self.session, self.casework, self.application, self.task = (
            session,
            casework,
            application,
            task,
        )
        self.actor = actor

    def buttons(self) -> Keyboard:
        t = self.task
        # The calendar is left out here: a card stays up for days, so "visit made" and "notice
        # ended" are shown and a press before their day is refused with the date.
        conditions = replace(
            clock.conditions(self.casework, t), visit_day_reached=True, notice_over=True
        )
        actions = [str(a) for a in allowed_actions(t.state, conditions=conditions)]
        if t.state == TaskState.DOCUMENTS_NEEDED:
            # Paper documents handed in at the window count too: the department can say so.
            actions.insert(0, str(A.DOCUMENTS_RECEIVED))
        buttons = [Button(Label.of(f"dept.action.{a}"), f"t|{t.id}|{a}") for a in actions]
        return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))

    async def screen(
        self, *, prompt: str | None = None, keyboard: Keyboard | None = None
    ) -> RenderedScreen:
        casework, task, application = self.casework, self.task, self.application
        profile = casework.profile
        days_left, working, due_on = time_left(casework, task)
        screen = Screen(
            "staff/task_card.html",
            {
                "task": task,
                "application": application,
                "programme": profile.programme(task.programme_id),
                "department": profile.departments.get(task.department_id),
                "town": profile.town(application.town_id),
                "subject": mask_name(application.subject_name),
                "state": Label.of(f"task_state.{task.state}"),
                "days_left": days_left,
                "working_days": working,
                "due_on": due_on,
                "notice_days": profile.public_notice.days,
                "notice_ends": _notice_ends(casework, task),
                "deciding": task.state not in FINAL and task.state != TaskState.APPROVED,
                "reason": await self._reason(),
                "outcome": await self.outcome(),
                "prompt": prompt,
            },
            self.buttons() if keyboard is None else keyboard,
        )
        return render(casework, screen)

    async def _last_event(self) -> StatusEvent | None:
        return await self.session.scalar(
            select(StatusEvent)
            .where(StatusEvent.task_id == self.task.id, StatusEvent.actor_kind != "system")
            .order_by(StatusEvent.id.desc())
            .limit(1)
        )

    async def _reason(self) -> str | None:
        if self.task.state != TaskState.REJECTED:
            return None
        event = await self._last_event()
        reason = Reason.read(event.note if event else None)
        if reason is None:
            return None
        text = label(self.casework, f"reason.{reason.code}")
        return f"{text}（{reason.note}）" if reason.note else text

    async def outcome(self) -> str | None:
        """The last action on the task, by whom and when."""
        event = await self._last_event()
        if event is None:
            return None
        fallback = self.actor.name if self.actor and event.actor_id == self.actor.user_id else ""
        if event.actor_kind == "resident":
            who = label(self.casework, "dept.by_resident")
        else:
            who = await display_name(self.session, event.actor_id, fallback)
        when = event.created_at.astimezone(CHINA).strftime("%m-%d %H:%M")
        key = f"dept.action.{event.action}"
        what = (
            label(self.casework, key)
            if key in self.casework.renderer.catalogue(self.casework.staff_locale).entries
            else event.action
        )
        return label(self.casework, "dept.outcome", what=what, who=who, when=when)

    def _back(self) -> tuple[Button, ...]:
        return (Button(Label.of("staff.back"), f"t|{self.task.id}|card"),)

    async def ask_visit_date(self) -> StaffReply:
        t, day = self.task.id, self.casework.today()
        days: list[date] = []
        while len(days) < VISIT_CHOICES:
            day += timedelta(days=1)
            if is_working_day(day):
                days.append(day)
        buttons = [Button(d.strftime("%m-%d"), f"t|{t}|vd|{d:%Y%m%d}") for d in days]
        rows = (
            tuple(buttons[:3]),
            tuple(buttons[3:]),
            (Button(Label.of("staff.cancel"), f"t|{t}|x|visit"),),
        )
        return StaffReply(
            edit=await self.screen(prompt=label(self.casework, "dept.prompt.visit"), keyboard=rows)
        )

    async def documents_picker(self, items: Sequence[str], mask: int) -> StaffReply:
        t = self.task.id
        rows = document_picker(self.casework, f"t|{t}|nt", items, mask)
        rows += ((Button(Label.of("dept.send_request"), f"t|{t}|nc|{mask:x}"), *self._back()),)
        return StaffReply(
            edit=await self.screen(
                prompt=label(self.casework, "dept.prompt.documents"), keyboard=rows
            )
        )

    async def ask_extension_reason(self) -> StaffReply:
        limit = clock.limit_of(self.casework, self.task)
        days = limit.extended_days if limit is not None else None
        rows = ((Button(Label.of("staff.cancel"), f"t|{self.task.id}|x|ext"),),)
        prompt = label(self.casework, "dept.prompt.extend", days=days)
        return StaffReply(edit=await self.screen(prompt=prompt, keyboard=rows))

    async def ask_amount(self) -> StaffReply:
        rows = ((Button(Label.of("staff.cancel"), f"t|{self.task.id}|x|amount"),),)
        return StaffReply(
            edit=await self.screen(prompt=label(self.casework, "dept.prompt.amount"), keyboard=rows)
        )

    async def ask_month(self, amount: int) -> StaffReply:
        t, today = self.task.id, self.casework.today()
        months = []
        year, month = today.year, today.month
        for _ in range(3):
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        buttons = tuple(Button(f"{y}-{m:02d}", f"t|{t}|am|{amount}|{y}{m:02d}") for y, m in months)
        rows = (buttons, (Button(Label.of("staff.cancel"), f"t|{t}|x|amount"),))
        prompt = label(self.casework, "dept.prompt.month", amount=amount)
        # Keep the cancel marker: a typed "800 2026-04" still answers this card.
        return StaffReply(edit=await self.screen(prompt=prompt, keyboard=rows))

    async def reasons(self) -> StaffReply:
        t = self.task.id
        rows = (
            *((Button(Label.of(f"reason.{c}"), f"t|{t}|rr|{c}"),) for c in REASONS),
            self._back(),
        )
        return StaffReply(
            edit=await self.screen(prompt=label(self.casework, "dept.prompt.reason"), keyboard=rows)
        )

    async def note_prompt(self, reason: str) -> StaffReply:
        t = self.task.id
        rows: list[tuple[Button, ...]] = []
        if reason != "other":
            rows.append((Button(Label.of("dept.reject_without_note"), f"t|{t}|rn|{reason}"),))
        rows.append((Button(Label.of("staff.cancel"), f"t|{t}|x|rj|{reason}"),))
        key = "window.prompt.note_required" if reason == "other" else "window.prompt.note"
        prompt = label(self.casework, key, reason=label(self.casework, f"reason.{reason}"))
        return StaffReply(edit=await self.screen(prompt=prompt, keyboard=tuple(rows)))

    async def departments(self) -> StaffReply:
        t, locale = self.task.id, self.casework.staff_locale
        others = [
            d for d in self.casework.profile.departments.values() if d.id != self.task.department_id
        ]
        buttons = [Button(d.name.text(locale), f"t|{t}|rf|{d.id}") for d in others]
        rows = (*(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)), self._back())
        return StaffReply(
            edit=await self.screen(prompt=label(self.casework, "dept.prompt.refer"), keyboard=rows)
        )


async def documents_received(
    session: AsyncSession,
    casework: Casework,
    task: DepartmentTask,
    *,
    actor_kind: str = "resident",
    actor_id: int | None = None,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> None:
    """For the resident side: the documents a department asked for have arrived; the
    department gets the task card again, with what it can do next."""
    application = await session.get(Application, task.application_id)
    if application is None:
        return
    await record(
        session,
        casework,
        application,
        task,
        A.DOCUMENTS_RECEIVED,
        actor_kind=actor_kind,
        actor_id=actor_id,
        combine_within=combine_within,
    )
    await send_card(session, casework, application, task)


def document_names(
    casework: Casework, documents: Sequence[str], locale: str | None = None
) -> list[str]:
    return [document_name(casework, d, locale) for d in documents]
