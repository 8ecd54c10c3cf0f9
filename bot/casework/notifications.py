"""Plain-language notices to the resident as the window and the departments act.

Each notice says what happened, what happens next and, while a part is still being decided,
its statutory time limit and the days left. Notices to one resident within a short window
are combined into one message (outbox ``combine_key``), so five quick clicks by staff do not
become five pings on the resident's phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import clock
from bot.casework.checklist import document_name
from bot.casework.services import Casework
from bot.casework.tasks import FINAL, TaskState
from bot.casework.workdays import working_days_left
from bot.flows.model import Label, Screen
from storage import outbox
from storage.models import Application, DepartmentTask, Priority, Resident

DEFAULT_COMBINE = timedelta(seconds=30)
Markup = dict[str, Any] | None


def as_markup(screen: Screen, casework: Casework, locale: str) -> tuple[str, Markup]:
    """A screen as the text and keyboard an outbox row holds."""
    rendered = casework.renderer.render(screen, locale)
    return rendered.text, rendered.stored_markup


def receipt(
    casework: Casework,
    application: Application,
    tasks: Sequence[DepartmentTask],
    missing: Sequence[str],
) -> tuple[str, Markup]:
    """The submission receipt (提交回执): number, programmes, every missing document at once.

    Not an acceptance: the acceptance notice (受理通知) follows when the window accepts, and
    the time limits start then (intake.py).
    """
    profile = casework.profile
    screen = Screen(
        "casework/receipt.html",
        {
            "application": application,
            "tasks": [(t, profile.programme(t.programme_id)) for t in tasks],
            "missing": [document_name(casework, doc, application.locale) for doc in missing],
            "town": profile.town(application.town_id),
        },
    )
    return as_markup(screen, casework, application.locale)


@dataclass(frozen=True, slots=True)
class Reason:
    """A rejection reason from a list, plus what staff typed (kept in one text column)."""

    code: str
    note: str | None = None

    def stored(self) -> str:
        return f"{self.code}: {self.note}" if self.note else self.code

    @classmethod
    def read(cls, text: str | None) -> Reason | None:
        if not text:
            return None
        code, _, note = text.partition(": ")
        return cls(code, note or None)


def time_left(
    casework: Casework, task: DepartmentTask, today: date | None = None
) -> tuple[int, bool, date]:
    """Days left until the task's due date, whether they are working days, and that date as
    the statutory clock has it (extended once, or stopped during the notice of 低保: then the
    days left stand still)."""
    limit = clock.limit_of(casework, task)
    working = limit.working_days if limit is not None else True
    today, due = today or casework.today(), clock.effective_due(casework, task)
    if working:
        return working_days_left(today, due), True, due
    return (due - today).days, False, due


def is_deciding(task: DepartmentTask) -> bool:
    """Still waiting for a decision (an approved task only waits for payment)."""
    return task.state not in FINAL and task.state != TaskState.APPROVED


async def notify(
    session: AsyncSession,
    casework: Casework,
    application: Application,
    *,
    kind: str,
    task: DepartmentTask | None = None,
    tasks: Sequence[DepartmentTask] = (),
    documents: Sequence[str] = (),
    reason: Reason | None = None,
    referred_to: str | None = None,
    note: str | None = None,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> None:
    """Queue the resident's notice about ``kind`` in their language, combined with others."""
    resident = await session.get(Resident, application.resident_id)
    if resident is None:
        return
    locale = application.locale
    profile = casework.profile
    context: dict[str, object] = {
        "kind": kind,
        "application": application,
        "town": profile.town(application.town_id),
        "documents": [document_name(casework, d, locale) for d in documents],
        "reason": Label.of(f"reason.{reason.code}") if reason else None,
        "note": reason.note if reason else note,
        "district": profile.name.text(locale),
        "tasks": [_task_view(casework, t) for t in tasks],
        "task": _task_view(casework, task) if task is not None else None,
        "referred_to": referred_to,
        "notice_days": profile.public_notice.days,
        "notice_ends": clock.notice_ends(casework, task),
    }
    text, markup = as_markup(Screen("casework/notice.html", context), casework, locale)
    await outbox.enqueue(
        session,
        chat_id=resident.telegram_user_id,
        purpose="notice",
        priority=Priority.RESIDENT,
        text=text,
        reply_markup=markup,
        combine_key=f"notify:{resident.id}",
        combine_within=combine_within,
        now=casework.clock(),
    )


@dataclass(frozen=True, slots=True)
class TaskView:
    """What a notice shows about one task, already in plain values."""

    task: DepartmentTask
    programme: object
    department: object
    days_left: int
    working_days: bool
    deciding: bool
    days_allowed: int  # the time limit in force (the extended one once extended)
    paused: bool  # the clock is stopped (the public notice does not count)
    due_on: object  # the due date as it stands today


def _task_view(casework: Casework, task: DepartmentTask) -> TaskView:
    programme = casework.profile.programme(task.programme_id)
    department = casework.profile.departments.get(task.department_id)
    days, working, due = time_left(casework, task)
    limit = clock.limit_of(casework, task)
    allowed = clock.days_allowed(limit, extended=task.extended) if limit else 0
    return TaskView(
        task,
        programme,
        department,
        days,
        working,
        is_deciding(task),
        allowed,
        task.paused_since is not None,
        due,
    )
