"""The town window's presses on an alert and its typed notes, one transaction each: check the
press, authorise it (audited), let ``casework.intake`` decide, and show the alert as it is now.

Multi-step choices (which documents, which reason) live in the callback data and in the
keyboard of the alert itself, so nothing is held in memory between presses and a restart
loses nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import WindowPress
from bot.casework import intake
from bot.casework.authorization import Actor
from bot.casework.intake import REASONS, Case
from bot.casework.notifications import DEFAULT_COMBINE, Reason
from bot.casework.services import Casework
from bot.staff import prompts
from bot.staff import typed as read
from bot.staff.alert import AlertView
from bot.staff.replies import StaffReply, forged, hint, label, refused
from bot.staff.task_card import TaskCard
from storage import outbox
from storage.models import Application, Priority, StaffRole

# Verb -> how many arguments it carries. Anything else is forged or garbled.
VERBS = {
    "accept": 0,
    "documents": 0,
    "dt": 2,  # toggle a document: mask, index
    "dc": 1,  # confirm the documents: mask
    "reject": 0,
    "rj": 1,  # a reason was chosen: ask for an optional note
    "rn": 1,  # reject with that reason and no note
    "details": 0,
    "back": 0,
    "x": 2,  # cancel a typed-input prompt (x|rj|<reason>)
    "open": 0,  # from a digest: post the full alert
}
CHANGING = frozenset({"accept", "documents", "dt", "dc", "reject", "rj", "rn"})


async def _authorised(
    session: AsyncSession,
    casework: Casework,
    actor: Actor,
    application: Application,
    verb: str,
) -> AlertView | StaffReply:
    """The alert for someone allowed to act on it, or the (audited) refusal."""
    action, town = f"window.{verb}", application.town_id
    refusal = await refused(
        session, casework, actor, StaffRole.WINDOW, action, application.number, town_id=town
    )
    if refusal is not None:
        return refusal
    return AlertView(session, casework, await Case.load(session, casework, application), actor)


async def press(
    session: AsyncSession,
    casework: Casework,
    actor: Actor,
    pressed: WindowPress,
    *,
    data: str,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> StaffReply:
    """One press on an alert: validate, authorise, act, and say what the alert shows now."""
    application = await session.get(Application, pressed.application)
    verb, args = pressed.verb, pressed.args
    if application is None or VERBS.get(verb) != len(args):
        return forged(session, casework, actor, data)
    view = await _authorised(session, casework, actor, application, verb)
    if isinstance(view, StaffReply):
        return view
    case = view.case
    if verb in CHANGING and not case.at_window:
        return StaffReply(toast=label(casework, "window.already_handled"), edit=await view.screen())
    if verb == "accept":
        accepted = await intake.accept(
            session, casework, case, actor.user_id, combine_within=combine_within
        )
        for task in accepted.forwarded:
            await TaskCard(session, casework, application, task).post()
        return await view.done("window.done.accepted")
    if verb in ("documents", "dt", "dc"):
        items = case.checklist(casework, for_staff=True)
        picker = prompts.DocumentPicker(casework, view.press, items, "dt", "dc", "back")
        answer = await picker.chosen(
            verb,
            args,
            show=view.show,
            forged=lambda: forged(session, casework, actor, data),
            ticked=read.mask_of(items, case.missing),
        )
        if isinstance(answer, StaffReply):
            return answer
        await intake.request_documents(
            session,
            casework,
            case,
            actor.user_id,
            answer,
            combine_within=combine_within,
        )
        return await view.done("window.done.documents")
    if verb in ("reject", "rj", "rn"):
        why = _reasons(view).answer(verb, args)
        if why is None:
            return forged(session, casework, actor, data)
        if isinstance(why, prompts.Prompt):
            return await view.show(why)
        return await _reject(view, why, combine_within)
    if verb == "details":
        return await _details(view)
    if verb == "open":
        rendered = await view.screen()
        await outbox.enqueue(
            session,
            chat_id=casework.staff_chat_id or actor.chat_id or 0,
            purpose="alert",
            priority=Priority.STAFF,
            text=rendered.text,
            reply_markup=rendered.stored_markup,
            now=casework.clock(),
        )
        return StaffReply(toast=label(casework, "window.opened"))
    return StaffReply(edit=await view.screen())  # back, x


async def typed(
    session: AsyncSession,
    casework: Casework,
    actor: Actor,
    waiting: WindowPress,
    text: str,
    *,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> StaffReply:
    """Text typed as a reply to an alert that asks for a note (its cancel button, ``waiting``,
    is x|rj|<reason>)."""
    application = await session.get(Application, waiting.application)
    if application is None or not (len(waiting.args) == 2 and waiting.args[1] in REASONS):
        return forged(session, casework, actor, "|".join(waiting.args))
    view = await _authorised(session, casework, actor, application, "rn")
    if isinstance(view, StaffReply):
        return view
    if not view.case.at_window:
        return StaffReply(reply=hint(casework, "window.already_handled"), edit=await view.screen())
    note = read.note(text)
    if not note:
        return StaffReply(reply=hint(casework, "staffmsg.hint_note"))
    return await _reject(view, Reason(waiting.args[1], note), combine_within)


def _reasons(view: AlertView) -> prompts.ReasonPicker:
    return prompts.ReasonPicker(
        view.casework,
        view.press,
        REASONS,
        choose="rj",
        back="back",
        key="window.prompt.reason",
        without_note="window.reject_without_note",
    )


async def _reject(view: AlertView, reason: Reason, combine_within: timedelta) -> StaffReply:
    await intake.reject(
        view.session,
        view.casework,
        view.case,
        view.actor.user_id,
        reason,
        combine_within=combine_within,
    )
    return await view.done("window.done.rejected")


async def _details(view: AlertView) -> StaffReply:
    """The unmasked view: never stored in the outbox, sent only to the staff member's private
    chat (never a group), and audited with where it went."""
    if not await intake.reveal(view.session, view.casework, view.case, view.actor):
        return StaffReply(alert=True, start_key="window.details_start_bot")
    return StaffReply(toast=label(view.casework, "window.details_sent"), private=view.details())
