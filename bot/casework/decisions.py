"""What a department decides on its task, and what follows: the task moves on its machine
(``tasks.py``, told by the statutory clock what today allows), a ledger line and the resident's
notice are written, a referral hands the task to another department, and the application is
closed once every part has ended — all in the caller's transaction.

``record`` returns the fact (``Recorded``); the staff screens (``bot/staff``) show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import clock
from bot.casework.application_status import ApplicationAction, may, move
from bot.casework.notifications import DEFAULT_COMBINE, Reason, notify
from bot.casework.services import Casework
from bot.casework.tasks import FINAL, TaskAction, TaskState, next_state
from storage.models import Application, DepartmentTask, StatusEvent


@dataclass(frozen=True, slots=True)
class Given:
    """What staff gave with the action: a visit day, documents asked for, the amount and its
    start month, a reason, the department referred to, or a note (why a limit is extended)."""

    visit_on: date | None = None
    documents: Sequence[str] = ()
    amount: int | None = None
    start_month: str | None = None
    reason: Reason | None = None
    referred_to: str | None = None
    note: str | None = None


NOTHING_GIVEN = Given()


@dataclass(frozen=True, slots=True)
class Recorded:
    """A task action taken: the task's new state, the department's new task after a referral,
    and whether the whole application has now ended."""

    action: TaskAction
    state: TaskState
    successor: DepartmentTask | None = None
    closed: bool = False


async def record(
    session: AsyncSession,
    casework: Casework,
    application: Application,
    task: DepartmentTask,
    action: TaskAction,
    *,
    actor_kind: str,
    actor_id: int | None,
    given: Given = NOTHING_GIVEN,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> Recorded:
    """Apply ``action`` to ``task`` (InvalidAction when the machine refuses it).

    Also the entry point for the resident side: documents uploaded into a task call this with
    ``DOCUMENTS_RECEIVED`` and ``actor_kind="resident"``.
    """
    before = task.state
    task.state = str(next_state(task.state, action, conditions=clock.conditions(casework, task)))
    clock.after(casework, task, before, action)
    now = casework.clock()
    task.updated_at = now
    visit_on, documents, reason, note = given.visit_on, given.documents, given.reason, given.note
    amount, referred_to = given.amount, given.referred_to
    if visit_on is not None:
        task.visit_on, note = visit_on, visit_on.isoformat()
    if documents:
        note = ",".join(documents)
    if amount is not None:
        task.amount, task.start_month = amount, given.start_month
        note = f"{amount} yuan from {given.start_month}"
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
        note=note if action == TaskAction.EXTEND else None,
        combine_within=combine_within,
    )
    successor = None
    if referred_to is not None:
        successor = await refer(session, casework, application, task, referred_to)
    closed = await close_if_done(session, casework, application)
    return Recorded(action, TaskState(task.state), successor, closed)


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
    if not may(application.status, ApplicationAction.CLOSE):
        return False  # already closed
    move(application, ApplicationAction.CLOSE)
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


async def refer(
    session: AsyncSession,
    casework: Casework,
    application: Application,
    task: DepartmentTask,
    department_id: str,
) -> DepartmentTask:
    """A referral: the other department gets its own task, with a fresh time limit."""
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
    return successor


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
        TaskAction.DOCUMENTS_RECEIVED,
        actor_kind=actor_kind,
        actor_id=actor_id,
        combine_within=combine_within,
    )
    if casework.board is not None:
        await casework.board.post_task_card(session, casework, application, task)
