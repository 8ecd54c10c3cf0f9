"""A resident's applications as they see them: status ledger, next step, time limit, days left.

Read-only. Three queries per screen (applications, their tasks, their status events), so the
"My applications" screen costs the same however long the ledger grows. Screens are built here;
the handler only renders and sends them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import MyPress
from bot.casework import checklist, clock
from bot.casework.notifications import time_left
from bot.casework.relay import talk_to_staff_button
from bot.casework.services import Casework
from bot.casework.tasks import FINAL, TaskAction, TaskState
from bot.flows.model import Button, Label, Screen
from bot.policy.base import CHINA, LocalText
from bot.policy.profile import Department, Document, Programme
from bot.render import DEFAULT_LOCALE, RenderedScreen, Renderer
from storage.models import Application, ApplicationStatus, DepartmentTask, StatusEvent

# Ledger actions with their own wording; anything another part of casework adds later is shown
# as a neutral "updated" line rather than failing the whole screen.
KNOWN_ACTIONS = frozenset(
    {"submitted", "created", *(str(a) for a in TaskAction), *(str(s) for s in ApplicationStatus)}
)
# Notes staff write for these actions are addressed to the resident (a reason, a date); other
# notes may be internal working notes and stay with staff.
RESIDENT_NOTES = frozenset({"reject", "rejected", "need_documents", "documents_requested", "refer"})
# Telegram takes 4096 characters; leave room for entities and the keyboard's sake.
FITS = 3900
# Buttons to open an application: the newest ones; older ones stay listed above.
MAX_BUTTONS = 8


@dataclass(frozen=True, slots=True)
class LedgerLine:
    on: date
    action: str  # a key under my.action.*
    note: str | None = None  # staff's own words, shown as written
    reason: str | None = None  # a key under reason.* (the window's and departments' list)
    documents: tuple[Document, ...] = ()
    department: Department | None = None  # where a task was referred
    visit_on: str | None = None


@dataclass(frozen=True, slots=True)
class TaskView:
    programme_id: str
    programme: Programme | None
    department: Department | None
    state: str
    final: bool
    limit_days: int | None
    working_days: bool
    due_on: date
    days_left: int | None  # None once the task has ended; negative when overdue
    lines: tuple[LedgerLine, ...]

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


@dataclass(frozen=True, slots=True)
class ApplicationView:
    id: int
    number: str
    submitted_on: date
    status: str
    lines: tuple[LedgerLine, ...]  # the window's part: submitted, accepted, documents…
    tasks: tuple[TaskView, ...]


async def applications_of(
    session: AsyncSession,
    casework: Casework,
    *,
    resident_id: int,
    application_id: int | None = None,
) -> list[ApplicationView]:
    """The resident's applications, newest first (or just one of them), with their ledgers."""
    query = select(Application).where(Application.resident_id == resident_id)
    if application_id is not None:
        query = query.where(Application.id == application_id)
    applications = (
        await session.scalars(
            query.order_by(Application.submitted_at.desc(), Application.id.desc())
        )
    ).all()
    if not applications:
        return []
    ids = [a.id for a in applications]
    tasks = (
        await session.scalars(
            select(DepartmentTask)
            .where(DepartmentTask.application_id.in_(ids))
            .order_by(DepartmentTask.id)
        )
    ).all()
    events = (
        await session.scalars(
            select(StatusEvent)
            .where(StatusEvent.application_id.in_(ids))
            .order_by(StatusEvent.created_at, StatusEvent.id)
        )
    ).all()
    tasks_of: dict[int, list[DepartmentTask]] = defaultdict(list)
    for task in tasks:
        tasks_of[task.application_id].append(task)
    lines_of: dict[tuple[int, int | None], list[LedgerLine]] = defaultdict(list)
    for event in events:
        lines_of[(event.application_id, event.task_id)].append(_line(casework, event))
    today = casework.today()
    return [
        ApplicationView(
            id=a.id,
            number=a.number,
            submitted_on=a.submitted_at.astimezone(CHINA).date(),
            status=a.status,
            lines=tuple(lines_of[(a.id, None)]),
            tasks=tuple(
                _task_view(casework, t, lines_of[(a.id, t.id)], today) for t in tasks_of[a.id]
            ),
        )
        for a in applications
    ]


def _line(casework: Casework, event: StatusEvent) -> LedgerLine:
    """Casework stores notes for staff ("id_card,hukou", "income_above_line: …"); the resident
    sees them in words: document names, the reason from the list, the department referred to."""
    on = event.created_at.astimezone(CHINA).date()
    action = event.action if event.action in KNOWN_ACTIONS else "other"
    note = event.note or ""
    if not note or event.action not in RESIDENT_NOTES | {"schedule_visit"}:
        return LedgerLine(on, action)
    if event.action in ("need_documents", "documents_requested"):
        wanted = [part.strip() for part in note.split(",")]
        return LedgerLine(on, action, documents=_documents(casework, wanted))
    if event.action in ("reject", "rejected"):
        code, _, words = note.partition(": ")
        known = f"reason.{code}" in casework.renderer.catalogue(DEFAULT_LOCALE).entries
        return LedgerLine(on, action, note=words or None, reason=code if known else None)
    if event.action == "refer":
        return LedgerLine(on, action, department=casework.profile.departments.get(note))
    return LedgerLine(on, action, visit_on=note[:10])


def _documents(casework: Casework, wanted: Sequence[str]) -> tuple[Document, ...]:
    found = {
        d.id: d
        for programme in casework.profile.programmes
        for d in programme.documents
        if d.id in wanted
    }
    # A household member's copy ("…@1.spouse.62") is named with whose it is.
    profile, renderer = casework.profile, casework.renderer
    known = {d.id for p in profile.programmes for d in p.documents}
    for item in wanted:
        if item not in found and checklist.split(item)[0] in known:
            names = {
                loc: checklist.item_name(profile, renderer, item, loc) for loc in profile.locales
            }
            found[item] = Document(item, LocalText(names))
    return tuple(found[w] for w in wanted if w in found)


def _task_view(
    casework: Casework, task: DepartmentTask, lines: Sequence[LedgerLine], today: date
) -> TaskView:
    programme = casework.profile.programme(task.programme_id)
    limit = programme.time_limit if programme is not None else None
    final = task.state in {str(state) for state in FINAL}
    left, working, due = time_left(casework, task, today)
    days_left = None if final else left
    return TaskView(
        programme_id=task.programme_id,
        programme=programme,
        department=casework.profile.departments.get(task.department_id),
        state=task.state if task.state in {str(s) for s in TaskState} else "other",
        final=final,
        limit_days=clock.days_allowed(limit, extended=task.extended) if limit else None,
        working_days=working,
        due_on=due,
        days_left=days_left,
        lines=tuple(lines),
    )


# ---- screens --------------------------------------------------------------------------------


def list_screen(applications: Sequence[ApplicationView], *, full: bool = True) -> Screen:
    """Every application with its tasks; ``full`` adds each task's ledger lines."""
    if not applications:
        return Screen("my/none.html", {}, ((talk_to_staff_button(),),))
    buttons = tuple(
        (Button(Label.of("my.open", number=a.number), MyPress(str(a.id)).encode()),)
        for a in applications[:MAX_BUTTONS]
    )
    return Screen(
        "my/list.html",
        {"applications": list(applications), "full": full},
        (*buttons, (talk_to_staff_button(),)),
    )


def application_screen(application: ApplicationView, *, last_lines: int | None = None) -> Screen:
    """One application in full; ``last_lines`` keeps only each task's latest ledger lines."""
    return Screen(
        "my/application.html",
        {"application": application, "last_lines": last_lines},
        (
            (Button(Label.of("my.back"), MyPress("list").encode()),),
            (talk_to_staff_button(),),
        ),
    )


def refused_screen() -> Screen:
    return Screen(
        "my/refused.html", {}, ((Button(Label.of("my.back"), MyPress("list").encode()),),)
    )


def render_list(
    renderer: Renderer, applications: Sequence[ApplicationView], locale: str
) -> RenderedScreen:
    """The full list when it fits in one message, else the list without ledger lines."""
    rendered = renderer.render(list_screen(applications), locale)
    if len(rendered.text) <= FITS:
        return rendered
    compact = renderer.render(list_screen(applications, full=False), locale)
    if len(compact.text) <= FITS:
        return compact
    # Very many applications: the newest ones, each still openable below.
    return renderer.render(list_screen(applications[:MAX_BUTTONS], full=False), locale)


def render_application(
    renderer: Renderer, application: ApplicationView, locale: str
) -> RenderedScreen:
    """One application; a very long ledger keeps each task's latest lines."""
    for last_lines in (None, 8, 3, 1):
        rendered = renderer.render(application_screen(application, last_lines=last_lines), locale)
        if len(rendered.text) <= FITS:
            return rendered
    return rendered


def wanted(press: MyPress | None) -> int | str | None:
    """``m|123`` -> 123, ``m|list`` -> "list"; anything else (forged, garbled) -> None."""
    if press is None:
        return None
    if press.view == "list":
        return press.view
    if press.view.isascii() and press.view.isdigit() and len(press.view) <= 18:
        return int(press.view)
    return None
