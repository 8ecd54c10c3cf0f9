"""A department's task card: the programme, the time left, the public notice, the last action
(by whom, when), and the buttons the task machine allows now; the machine's refusals in the
staff's words."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import TaskPress
from bot.casework import clock
from bot.casework.authorization import Actor
from bot.casework.notifications import Reason, is_deciding, time_left
from bot.casework.personal_data import mask_name
from bot.casework.services import Casework
from bot.casework.tasks import InvalidAction, TaskAction, TaskState, allowed_actions
from bot.flows.model import Button, Label, Screen
from bot.render import RenderedScreen
from bot.staff.prompts import Prompt, rows_of
from bot.staff.replies import Keyboard, StaffReply, display_name, label, render, when
from storage import outbox, staff
from storage.models import Application, DepartmentTask, Priority, StatusEvent


class TaskCard:
    """A task with what its card needs; ``actor`` is who pressed (None when posted)."""

    def __init__(
        self,
        session: AsyncSession,
        casework: Casework,
        application: Application,
        task: DepartmentTask,
        actor: Actor | None = None,
    ) -> None:
        self.session, self.casework, self.application = session, casework, application
        self.task, self.actor = task, actor

    def press(self, verb: str, *args: str) -> str:
        return TaskPress(self.task.id, verb, args).encode()

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
            actions.insert(0, str(TaskAction.DOCUMENTS_RECEIVED))
        return rows_of([Button(Label.of(f"dept.action.{a}"), self.press(a)) for a in actions])

    async def screen(
        self, *, prompt: str | None = None, keyboard: Keyboard | None = None
    ) -> RenderedScreen:
        casework, task, application = self.casework, self.task, self.application
        profile = casework.profile
        days_left, working, due_on = time_left(casework, task)
        last = await self._last_event()
        notice_ends = (
            clock.notice_ends(casework, task) if task.state == TaskState.NOTICE_STARTED else None
        )
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
                # The notice's last full day while it is up.
                "notice_ends": notice_ends,
                "deciding": is_deciding(task),
                "reason": self._reason(last),
                "outcome": await self._outcome(last),
                "prompt": prompt,
            },
            self.buttons() if keyboard is None else keyboard,
        )
        return render(casework, screen)

    async def show(self, prompt: Prompt) -> StaffReply:
        return StaffReply(edit=await self.screen(prompt=prompt.text, keyboard=prompt.keyboard))

    async def done(self, action: TaskAction) -> StaffReply:
        """The task moved: say so, show the card as it is now, and send the notices."""
        toast = label(self.casework, f"dept.done.{action}")
        return StaffReply(toast=toast, edit=await self.screen())

    async def post(self) -> None:
        """Queue the card to its department's chat (the window's chat when none is set)."""
        casework, task = self.casework, self.task
        chat_id = casework.department_chats.get(task.department_id) or casework.staff_chat_id
        if chat_id is None:
            return
        rendered = await self.screen()
        await outbox.enqueue(
            self.session,
            chat_id=chat_id,
            purpose="task_card",
            priority=Priority.STAFF,
            text=rendered.text,
            reply_markup=rendered.stored_markup,
            now=casework.clock(),
        )

    async def refused(self, action: TaskAction, exc: InvalidAction) -> StaffReply:
        """The machine said no: tell the person why, audit it, and show the card as it is."""
        casework, task, actor = self.casework, self.task, self.actor
        staff.audit(
            self.session,
            actor_id=actor.user_id if actor else None,
            chat_id=actor.chat_id if actor else None,
            action=f"task.{action}",
            subject=f"{self.application.number}/{task.id}",
            outcome="refused",
            detail={"reason": str(exc), "state": task.state},
            at=casework.clock(),
        )
        toast = invalid_text(casework, task, action, exc)
        return StaffReply(toast=toast, alert=True, edit=await self.screen())

    async def _last_event(self) -> StatusEvent | None:
        return await self.session.scalar(
            select(StatusEvent)
            .where(StatusEvent.task_id == self.task.id, StatusEvent.actor_kind != "system")
            .order_by(StatusEvent.id.desc())
            .limit(1)
        )

    def _reason(self, event: StatusEvent | None) -> str | None:
        if self.task.state != TaskState.REJECTED:
            return None
        reason = Reason.read(event.note if event else None)
        if reason is None:
            return None
        text = label(self.casework, f"reason.{reason.code}")
        return f"{text}（{reason.note}）" if reason.note else text

    async def _outcome(self, event: StatusEvent | None) -> str | None:
        """The last action on the task, by whom and when."""
        if event is None:
            return None
        actor, casework = self.actor, self.casework
        fallback = actor.name if actor and event.actor_id == actor.user_id else ""
        if event.actor_kind == "resident":
            who = label(casework, "dept.by_resident")
        else:
            who = await display_name(self.session, event.actor_id, fallback)
        key = f"dept.action.{event.action}"
        known = key in casework.renderer.catalogue(casework.staff_locale).entries
        what = label(casework, key) if known else event.action
        return label(casework, "dept.outcome", what=what, who=who, when=when(event.created_at))


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
