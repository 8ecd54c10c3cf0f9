"""A department's presses on its task card and its typed answers, one transaction each.

The card's buttons come from the task machine (``allowed_actions``), told by the statutory
clock what the rules and the calendar allow (``clock.conditions``); a press the machine refuses
(a stale card, a forged button, a notice ended before its last day) is answered with the reason
and changes nothing. Actions that need a value — the home visit date, the amount and start
month, the reason, the department to refer to, why the time limit is extended — ask for it on
the card itself (``prompts``); typed answers are replies to the card. ``casework.decisions``
records what was decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import TaskPress
from bot.casework import clock, decisions
from bot.casework.authorization import Actor
from bot.casework.checklist import asked_of
from bot.casework.decisions import NOTHING_GIVEN, Given
from bot.casework.notifications import DEFAULT_COMBINE, Reason
from bot.casework.services import Casework
from bot.casework.tasks import InvalidAction, TaskAction, next_state
from bot.staff import prompts
from bot.staff import typed as read
from bot.staff.replies import StaffReply, forged, hint, refused
from bot.staff.task_card import TaskCard
from storage.models import Application, DepartmentTask, StaffRole

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
# What a reply to a card answers, by its cancel button (x|<kind>…).
TYPED = {"visit": A.SCHEDULE_VISIT, "amount": A.APPROVE, "rj": A.REJECT, "ext": A.EXTEND}


async def _authorised_card(
    session: AsyncSession,
    casework: Casework,
    actor: Actor,
    task_id: int,
    *,
    verb: str,
    data: str,
) -> TaskCard | StaffReply:
    """The task's card for someone allowed to act on it, or the (audited) refusal."""
    task = await session.get(DepartmentTask, task_id)
    if task is None:
        return forged(session, casework, actor, data)
    application = await session.get(Application, task.application_id)
    if application is None:
        return forged(session, casework, actor, data)
    subject, department = f"{application.number}/{task.id}", task.department_id
    no = await refused(
        session,
        casework,
        actor,
        StaffRole.DEPARTMENT,
        f"task.{verb}",
        subject,
        department_id=department,
    )
    if no is not None:
        return no
    return TaskCard(session, casework, application, task, actor)


async def press(
    session: AsyncSession,
    casework: Casework,
    actor: Actor,
    pressed: TaskPress,
    *,
    data: str,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> StaffReply:
    """One press on a task card: validate, authorise, let the machine decide, act, re-render."""
    verb, args = pressed.verb, pressed.args
    action = _action_of(verb, args)
    if action is None:
        return forged(session, casework, actor, data)
    card = await _authorised_card(session, casework, actor, pressed.task, verb=verb, data=data)
    if isinstance(card, StaffReply):
        return card
    task = card.task
    if verb in ("card", "x"):
        return StaffReply(edit=await card.screen())
    try:
        next_state(task.state, action, conditions=clock.conditions(casework, task))
    except InvalidAction as exc:
        return await card.refused(action, exc)

    if action in DIRECT and verb == action:
        return await _record(card, action, combine_within)
    if verb == A.SCHEDULE_VISIT:
        return await card.show(prompts.visit_day(casework, card.press))
    if verb == "vd":
        day = read.day_of(args[0])
        if day is None or not read.visit_day_ok(day, casework.today()):
            return forged(session, casework, actor, data)
        return await _record(card, action, combine_within, Given(visit_on=day))
    if verb in (A.NEED_DOCUMENTS, "nt", "nc"):
        items = asked_of(casework, [task.programme_id], card.application, for_staff=True)
        picker = prompts.DocumentPicker(casework, card.press, items, "nt", "nc", "card")
        answer = await picker.chosen(
            verb, args, show=card.show, forged=lambda: forged(session, casework, actor, data)
        )
        if isinstance(answer, StaffReply):
            return answer
        return await _record(card, action, combine_within, Given(documents=answer))
    if verb == A.APPROVE:
        if _pays(casework, task):
            return await card.show(prompts.amount(casework, card.press))
        return await _record(card, action, combine_within)
    if verb == "am":
        amount, month = read.amount_of(args[0]), read.month_of(args[1])
        if amount is None or month is None:
            return forged(session, casework, actor, data)
        return await _record(card, action, combine_within, Given(amount=amount, start_month=month))
    if verb == A.EXTEND:
        limit = clock.limit_of(casework, task)
        days = limit.extended_days if limit is not None else None
        return await card.show(prompts.extension(casework, card.press, days))
    if verb in (A.REJECT, "rr", "rn"):
        why = _reasons(card).answer(verb, args)
        if why is None:
            return forged(session, casework, actor, data)
        if isinstance(why, prompts.Prompt):
            return await card.show(why)
        return await _record(card, action, combine_within, Given(reason=why))
    if verb == A.REFER:
        return await card.show(prompts.department(casework, card.press, task.department_id))
    # rf
    if args[0] not in casework.profile.departments or args[0] == task.department_id:
        return forged(session, casework, actor, data)
    return await _record(card, action, combine_within, Given(referred_to=args[0]))


async def typed(
    session: AsyncSession,
    casework: Casework,
    actor: Actor,
    waiting: TaskPress,
    text: str,
    *,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> StaffReply:
    """Text typed as a reply to a card asking for a value (``waiting``: its cancel button)."""
    asked = waiting.args
    action = TYPED.get(asked[0] if asked else "")
    if action is None:
        return forged(session, casework, actor, "|".join(asked))
    card = await _authorised_card(
        session, casework, actor, waiting.task, verb=str(action), data="|".join(asked)
    )
    if isinstance(card, StaffReply):
        return card
    task = card.task
    try:
        next_state(task.state, action, conditions=clock.conditions(casework, task))
    except InvalidAction as exc:
        return await card.refused(action, exc)
    if action == A.SCHEDULE_VISIT:
        day = read.parse_date(text, casework.today())
        if day is None or not read.visit_day_ok(day, casework.today()):
            return StaffReply(reply=hint(casework, "dept.hint.date"))
        return await _record(card, action, combine_within, Given(visit_on=day))
    if action == A.APPROVE:
        amount, month = read.parse_amount_and_month(text, casework.today())
        if amount is None:
            return StaffReply(reply=hint(casework, "dept.hint.amount"))
        if month is None:
            return await card.show(prompts.start_month(casework, card.press, amount))
        return await _record(card, action, combine_within, Given(amount=amount, start_month=month))
    if action == A.REJECT and (len(asked) != 2 or asked[1] not in REASONS):
        return forged(session, casework, actor, "|".join(asked))
    # A reason, or why the time limit is extended (the rule allows the longer limit only with
    # a reason on record): no words, no change.
    note = read.note(text)
    if not note:
        return StaffReply(reply=hint(casework, "staffmsg.hint_note"))
    if action == A.EXTEND:
        return await _record(card, action, combine_within, Given(note=note))
    return await _record(card, action, combine_within, Given(reason=Reason(asked[1], note)))


def _reasons(card: TaskCard) -> prompts.ReasonPicker:
    return prompts.ReasonPicker(
        card.casework,
        card.press,
        REASONS,
        choose="rr",
        back="card",
        key="dept.prompt.reason",
        without_note="dept.reject_without_note",
    )


async def _record(
    card: TaskCard, action: TaskAction, combine_within: timedelta, given: Given = NOTHING_GIVEN
) -> StaffReply:
    """The task moves on (its row, a ledger line and the resident's notice); a department
    the task was referred to gets its own card."""
    recorded = await decisions.record(
        card.session,
        card.casework,
        card.application,
        card.task,
        action,
        actor_kind="staff",
        actor_id=card.actor.user_id if card.actor else None,
        given=given,
        combine_within=combine_within,
    )
    if recorded.successor is not None:
        await TaskCard(card.session, card.casework, card.application, recorded.successor).post()
    return await card.done(action)


def _action_of(verb: str, args: Sequence[str]) -> TaskAction | None:
    if verb == "card" and not args:
        return A.ACCEPT  # a re-render; never applied
    if verb == "x" and len(args) in (1, 2):
        return A.ACCEPT  # cancel a prompt; never applied
    if verb in STEPS:
        action, count = STEPS[verb]
        return action if len(args) == count else None
    if args or verb not in {str(a) for a in DIRECT | ASKING}:
        return None
    return TaskAction(verb)


def _pays(casework: Casework, task: DepartmentTask) -> bool:
    programme = casework.profile.programme(task.programme_id)
    return programme is not None and programme.pays
