"""The town window's part of "一门受理": accept and route, ask for documents, refuse with a
reason, or open the unmasked details (audited) — one transaction per press.

Multi-step choices (which documents, which reason) live in the callback data and in the
keyboard of the alert itself, so nothing is held in memory between presses and a restart
loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import clock, department
from bot.casework.authorization import authorise
from bot.casework.notices import (
    Actor,
    Keyboard,
    Press,
    StaffReply,
    alert_screen,
    checklist,
    display_name,
    document_name,
    document_picker,
    forged,
    guardian_relationship,
    label,
    mask_of,
    parse_mask,
    picked,
    refusal,
    render,
)
from bot.casework.notifications import DEFAULT_COMBINE, Reason, notify
from bot.casework.services import CHINA, Casework
from bot.casework.tasks import TaskAction, TaskState, next_state
from bot.flows.model import Button, Label, Screen
from bot.flows.parsing import strip_invisible
from bot.render import RenderedScreen
from storage import outbox, staff
from storage.models import (
    Application,
    ApplicationStatus,
    DepartmentTask,
    Priority,
    Resident,
    StaffRole,
    StatusEvent,
    SubmittedDocument,
)

REASONS = ("not_local_hukou", "duplicate", "incomplete", "outside_scope", "other")
OPEN = (ApplicationStatus.SUBMITTED, ApplicationStatus.DOCUMENTS_REQUESTED)
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
MAX_NOTE = 500


async def press(
    session: AsyncSession,
    casework: Casework,
    actor: Actor,
    pressed: Press,
    *,
    data: str,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> StaffReply:
    """One press on an alert: validate, authorise, act, and say what the alert shows now."""
    application = await session.get(Application, pressed.target)
    if application is None or VERBS.get(pressed.verb) != len(pressed.args):
        return forged(session, casework, actor, data)
    decision = await authorise(
        session,
        casework,
        user_id=actor.user_id,
        chat_id=actor.chat_id,
        role=StaffRole.WINDOW,
        action=f"window.{pressed.verb}",
        subject=application.number,
        town_id=application.town_id,
    )
    if not decision.allowed:
        return refusal(casework, decision.reason)
    view = await _View.load(session, casework, application, actor)
    if pressed.verb in CHANGING and application.status not in OPEN:
        return StaffReply(
            toast=label(casework, "window.already_handled"),
            edit=await view.screen(),
        )
    verb, args = pressed.verb, pressed.args
    if verb == "accept":
        return await _accept(view, combine_within)
    if verb == "documents":
        items = view.checklist(for_staff=True)
        return await view.documents_picker(mask_of(items, view.missing))
    if verb in ("dt", "dc"):
        items = view.checklist(for_staff=True)
        mask = parse_mask(args[0], len(items))
        if mask is None or (verb == "dt" and not _index_ok(args[1], len(items))):
            return forged(session, casework, actor, data)
        if verb == "dt":
            return await view.documents_picker(mask ^ (1 << int(args[1])))
        if mask == 0:
            return StaffReply(toast=label(casework, "window.pick_one"))
        return await _request_documents(view, picked(items, mask), combine_within)
    if verb == "reject":
        return await view.reasons()
    if verb in ("rj", "rn"):
        if args[0] not in REASONS:
            return forged(session, casework, actor, data)
        if verb == "rj":
            return await view.note_prompt(args[0])
        if args[0] == "other":  # "other" means nothing without a word of explanation
            return forged(session, casework, actor, data)
        return await _reject(view, Reason(args[0]), combine_within)
    if verb == "details":
        return await _details(view)
    if verb == "open":
        rendered = await view.screen()
        text = rendered.text
        markup = rendered.markup.to_dict() if rendered.markup else None
        await outbox.enqueue(
            session,
            chat_id=casework.staff_chat_id or actor.chat_id or 0,
            purpose="alert",
            priority=Priority.STAFF,
            text=text,
            reply_markup=markup,
            now=casework.clock(),
        )
        return StaffReply(toast=label(casework, "window.opened"), wake=True)
    return StaffReply(edit=await view.screen())  # back, x


async def typed(
    session: AsyncSession,
    casework: Casework,
    actor: Actor,
    application_id: int,
    waiting: Sequence[str],
    text: str,
    *,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> StaffReply:
    """Text typed as a reply to an alert that asks for a note (``waiting`` = ("rj", reason))."""
    application = await session.get(Application, application_id)
    if application is None or len(waiting) != 2 or waiting[1] not in REASONS:
        return forged(session, casework, actor, "|".join(waiting))
    decision = await authorise(
        session,
        casework,
        user_id=actor.user_id,
        chat_id=actor.chat_id,
        role=StaffRole.WINDOW,
        action="window.rn",
        subject=application.number,
        town_id=application.town_id,
    )
    if not decision.allowed:
        return refusal(casework, decision.reason)
    view = await _View.load(session, casework, application, actor)
    if application.status not in OPEN:
        return StaffReply(reply=_hint(casework, "window.already_handled"), edit=await view.screen())
    note = " ".join(strip_invisible(text).split())[:MAX_NOTE]
    if not note:
        return StaffReply(reply=_hint(casework, "staffmsg.hint_note"))
    return await _reject(view, Reason(waiting[1], note), combine_within)


# ---- the actions ------------------------------------------------------------------------------


async def _accept(view: _View, combine_within: timedelta) -> StaffReply:
    """Accepted: every task goes to its department (the time limit starts now), resident told."""
    session, casework, application = view.session, view.casework, view.application
    now = casework.clock()
    forwarded: list[DepartmentTask] = []
    for task in view.tasks:
        if task.state != TaskState.AT_WINDOW:
            continue
        task.state = str(next_state(task.state, TaskAction.FORWARD, needs_public_notice=False))
        # Statutory limits count from acceptance (受理), not from the online submission.
        clock.start(casework, task)
        task.updated_at = now
        session.add(_event(view, "forward", task=task))
        forwarded.append(task)
    application.status = ApplicationStatus.ACCEPTED
    application.updated_at = now
    session.add(_event(view, "accepted"))
    for task in forwarded:
        await department.send_card(session, casework, application, task)
    await notify(
        session,
        casework,
        application,
        kind="accepted",
        tasks=forwarded,
        combine_within=combine_within,
    )
    return StaffReply(
        toast=label(casework, "window.done.accepted"), edit=await view.screen(), wake=True
    )


async def _request_documents(
    view: _View, documents: list[str], combine_within: timedelta
) -> StaffReply:
    session, casework, application = view.session, view.casework, view.application
    application.status = ApplicationStatus.DOCUMENTS_REQUESTED
    application.updated_at = casework.clock()
    session.add(_event(view, "documents_requested", note=",".join(documents)))
    await notify(
        session,
        casework,
        application,
        kind="documents_requested",
        documents=documents,
        combine_within=combine_within,
    )
    return StaffReply(
        toast=label(casework, "window.done.documents"), edit=await view.screen(), wake=True
    )


async def _reject(view: _View, reason: Reason, combine_within: timedelta) -> StaffReply:
    """Refused: the application and its waiting tasks end; the resident learns why and how
    to appeal."""
    session, casework, application = view.session, view.casework, view.application
    now = casework.clock()
    for task in view.tasks:
        if task.state == TaskState.AT_WINDOW:
            task.state = str(next_state(task.state, TaskAction.WITHDRAW, needs_public_notice=False))
            task.updated_at = now
            session.add(_event(view, "withdraw", task=task))
    application.status = ApplicationStatus.REJECTED
    application.rejection_reason = reason.stored()
    application.updated_at = now
    session.add(_event(view, "rejected", note=reason.stored()))
    await notify(
        session,
        casework,
        application,
        kind="rejected",
        reason=reason,
        combine_within=combine_within,
    )
    return StaffReply(
        toast=label(casework, "window.done.rejected"), edit=await view.screen(), wake=True
    )


DETAIL_FIELDS = ["applicant_id_number", "applicant_phone", "subject_id_number"]


async def _details(view: _View) -> StaffReply:
    """The unmasked view: decrypted here, never stored in the outbox, sent only to the staff
    member's private chat (never a group), and audited with where it went."""
    casework, application = view.casework, view.application
    started = await view.session.scalar(
        select(Resident.private_chat_at).where(Resident.telegram_user_id == view.actor.user_id)
    )
    staff.audit(
        view.session,
        actor_id=view.actor.user_id,
        chat_id=view.actor.chat_id,
        action="personal_data.unmasked",
        subject=application.number,
        outcome="allowed" if started is not None else "withheld",
        detail={
            "fields": DETAIL_FIELDS,
            # The chat the details went to, never their content.
            "sent_to": view.actor.user_id if started is not None else None,
            **({} if started is not None else {"reason": "no private chat with the bot"}),
        },
        at=casework.clock(),
    )
    if started is None:
        return StaffReply(alert=True, needs_private_chat=True)
    profile = casework.profile
    screen = Screen(
        "staff/details.html",
        {
            "application": application,
            "town": profile.town(application.town_id),
            "applicant_id": application.applicant_id_number,
            "phone": application.applicant_phone,
            "subject_id": application.subject_id_number,
            "guardian_relationship": guardian_relationship(casework, application),
            "tasks": [(t, profile.programme(t.programme_id)) for t in view.tasks],
            "received": [document_name(casework, d) for d in view.received],
            "missing": [document_name(casework, d) for d in view.missing],
        },
    )
    return StaffReply(
        toast=label(casework, "window.details_sent"), private=render(casework, screen)
    )


def _event(
    view: _View, action: str, *, task: DepartmentTask | None = None, note: str | None = None
) -> StatusEvent:
    """A ledger line: who (the staff member), when, what, and the note they gave."""
    return StatusEvent(
        application_id=view.application.id,
        task_id=task.id if task is not None else None,
        actor_kind="staff",
        actor_id=view.actor.user_id,
        action=action,
        note=note,
        created_at=view.casework.clock(),
    )


def _index_ok(text: str, size: int) -> bool:
    return text.isdigit() and int(text) < size


def _hint(casework: Casework, key: str) -> RenderedScreen:
    return render(casework, Screen("staff/hint.html", {"text": label(casework, key)}))


# ---- what the alert shows ---------------------------------------------------------------------


class _View:
    """An application with what its alert needs, loaded once per press."""

    def __init__(
        self,
        session: AsyncSession,
        casework: Casework,
        application: Application,
        actor: Actor,
        tasks: list[DepartmentTask],
        received: list[str],
    ) -> None:
        self.session, self.casework, self.application, self.actor = (
            session,
            casework,
            application,
            actor,
        )
        self.tasks, self.received = tasks, received
        self.missing = [d for d in self.checklist() if d not in received]

    @classmethod
    async def load(
        cls, session: AsyncSession, casework: Casework, application: Application, actor: Actor
    ) -> _View:
        tasks = list(
            await session.scalars(
                select(DepartmentTask)
                .where(DepartmentTask.application_id == application.id)
                .order_by(DepartmentTask.id)
            )
        )
        received = list(
            await session.scalars(
                select(SubmittedDocument.document_id).where(
                    SubmittedDocument.application_id == application.id,
                    SubmittedDocument.telegram_file_id.is_not(None),
                )
            )
        )
        return cls(session, casework, application, actor, tasks, received)

    def checklist(self, *, for_staff: bool = False) -> list[str]:
        return checklist(
            self.casework,
            [t.programme_id for t in self.tasks],
            self.application,
            for_staff=for_staff,
        )

    async def screen(
        self, *, prompt: str | None = None, keyboard: Keyboard | None = None
    ) -> RenderedScreen:
        application = self.application
        if keyboard is None and application.status not in OPEN:
            keyboard = ((Button(Label.of("staff.details"), f"w|{application.id}|details"),),)
        outcome = await self.outcome()
        screen = alert_screen(
            self.casework,
            application,
            self.tasks,
            self.missing,
            outcome=outcome,
            prompt=prompt,
            keyboard=keyboard,
        )
        return render(self.casework, screen)

    async def outcome(self) -> str | None:
        """What the window last did, by whom and when: shown under the alert."""
        event = await self.session.scalar(
            select(StatusEvent)
            .where(
                StatusEvent.application_id == self.application.id,
                StatusEvent.task_id.is_(None),
                StatusEvent.action.in_(("accepted", "documents_requested", "rejected")),
            )
            .order_by(StatusEvent.id.desc())
            .limit(1)
        )
        if event is None:
            return None
        fallback = self.actor.name if event.actor_id == self.actor.user_id else ""
        who = await display_name(self.session, event.actor_id, fallback)
        when = event.created_at.astimezone(CHINA).strftime("%m-%d %H:%M")
        casework = self.casework
        if event.action == "accepted":
            names = [
                d.name.text(casework.staff_locale)
                for d in (casework.profile.departments.get(t.department_id) for t in self.tasks)
                if d is not None
            ]
            return label(
                casework,
                "window.outcome.accepted",
                who=who,
                when=when,
                departments="、".join(dict.fromkeys(names)),
            )
        if event.action == "documents_requested":
            docs = [document_name(casework, d) for d in (event.note or "").split(",") if d]
            return label(
                casework, "window.outcome.documents", who=who, when=when, documents="、".join(docs)
            )
        reason = Reason.read(event.note) or Reason("other")
        text = label(casework, f"reason.{reason.code}")
        if reason.note:
            text = f"{text}（{reason.note}）"
        return label(casework, "window.outcome.rejected", who=who, when=when, reason=text)

    async def documents_picker(self, mask: int) -> StaffReply:
        a, items = self.application.id, self.checklist(for_staff=True)
        rows = document_picker(self.casework, f"w|{a}|dt", items, mask)
        rows += (
            (
                Button(Label.of("window.send_request"), f"w|{a}|dc|{mask:x}"),
                Button(Label.of("staff.back"), f"w|{a}|back"),
            ),
        )
        return StaffReply(
            edit=await self.screen(
                prompt=label(self.casework, "window.prompt.documents"), keyboard=rows
            )
        )

    async def reasons(self) -> StaffReply:
        a = self.application.id
        rows = (
            *((Button(Label.of(f"reason.{code}"), f"w|{a}|rj|{code}"),) for code in REASONS),
            (Button(Label.of("staff.back"), f"w|{a}|back"),),
        )
        return StaffReply(
            edit=await self.screen(
                prompt=label(self.casework, "window.prompt.reason"), keyboard=rows
            )
        )

    async def note_prompt(self, reason: str) -> StaffReply:
        a = self.application.id
        rows: list[tuple[Button, ...]] = []
        if reason != "other":
            rows.append((Button(Label.of("window.reject_without_note"), f"w|{a}|rn|{reason}"),))
        # The cancel button also marks what typed text answers: x|rj|<reason>.
        rows.append((Button(Label.of("staff.cancel"), f"w|{a}|x|rj|{reason}"),))
        key = "window.prompt.note_required" if reason == "other" else "window.prompt.note"
        prompt = label(self.casework, key, reason=label(self.casework, f"reason.{reason}"))
        return StaffReply(edit=await self.screen(prompt=prompt, keyboard=tuple(rows)))
