"""The town window's decisions on an application (一门受理): accept and route every part to its
department, ask for documents first, refuse with a reason, or open the unmasked details.

Each decision writes its rows (status, tasks, ledger lines, the resident's notice in the
outbox) in the caller's transaction and returns what happened as a fact; how the window sees
it is ``bot/staff``'s business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import clock
from bot.casework.application_status import AT_WINDOW, ApplicationAction, move
from bot.casework.authorization import Actor
from bot.casework.checklist import asked_of
from bot.casework.notifications import DEFAULT_COMBINE, Reason, notify
from bot.casework.services import Casework
from bot.casework.tasks import TaskAction, TaskState, next_state
from storage import staff
from storage.models import (
    Application,
    DepartmentTask,
    Resident,
    StatusEvent,
    SubmittedDocument,
)

REASONS = ("not_local_hukou", "duplicate", "incomplete", "outside_scope", "other")
# The ledger lines that record the window's decisions (the last one is shown on the alert).
DECIDED = ("accepted", "documents_requested", "rejected")
DETAIL_FIELDS = ["applicant_id_number", "applicant_phone", "subject_id_number"]


@dataclass(slots=True)
class Case:
    """An application with its tasks and the documents received, loaded once per press."""

    application: Application
    tasks: list[DepartmentTask]
    received: list[str]
    missing: list[str] = field(default_factory=list)

    @classmethod
    async def load(
        cls, session: AsyncSession, casework: Casework, application: Application
    ) -> Case:
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
        case = cls(application, tasks, received)
        case.missing = [d for d in case.checklist(casework) if d not in received]
        return case

    @property
    def at_window(self) -> bool:
        """Still waiting for the window's decision."""
        return self.application.status in AT_WINDOW

    def checklist(self, casework: Casework, *, for_staff: bool = False) -> list[str]:
        programmes = [t.programme_id for t in self.tasks]
        return asked_of(casework, programmes, self.application, for_staff=for_staff)


@dataclass(frozen=True, slots=True)
class Accepted:
    """Every task waiting at the window went to its department; their clocks started."""

    forwarded: tuple[DepartmentTask, ...]


@dataclass(frozen=True, slots=True)
class DocumentsRequested:
    documents: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: Reason


async def accept(
    session: AsyncSession,
    casework: Casework,
    case: Case,
    actor_id: int,
    *,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> Accepted:
    """Accepted: every task goes to its department (the time limit starts now), resident told."""
    application = case.application
    move(application, ApplicationAction.ACCEPT)
    forwarded = _move_waiting_tasks(session, casework, case, actor_id, TaskAction.FORWARD)
    for task in forwarded:
        # Statutory limits count from acceptance (受理), not from the online submission.
        clock.start(casework, task)
    await _decided(session, casework, case, actor_id, "accepted", combine_within, tasks=forwarded)
    return Accepted(tuple(forwarded))


async def request_documents(
    session: AsyncSession,
    casework: Casework,
    case: Case,
    actor_id: int,
    documents: Sequence[str],
    *,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> DocumentsRequested:
    """The window asks for documents before accepting; the resident is told which, at once."""
    move(case.application, ApplicationAction.REQUEST_DOCUMENTS)
    await _decided(
        session,
        casework,
        case,
        actor_id,
        "documents_requested",
        combine_within,
        note=",".join(documents),
        documents=documents,
    )
    return DocumentsRequested(tuple(documents))


async def reject(
    session: AsyncSession,
    casework: Casework,
    case: Case,
    actor_id: int,
    reason: Reason,
    *,
    combine_within: timedelta = DEFAULT_COMBINE,
) -> Rejected:
    """Refused: the application and its waiting tasks end; the resident learns why and how
    to appeal."""
    application = case.application
    move(application, ApplicationAction.REJECT)
    _move_waiting_tasks(session, casework, case, actor_id, TaskAction.WITHDRAW)
    application.rejection_reason = reason.stored()
    await _decided(
        session,
        casework,
        case,
        actor_id,
        "rejected",
        combine_within,
        note=reason.stored(),
        reason=reason,
    )
    return Rejected(reason)


async def reveal(session: AsyncSession, casework: Casework, case: Case, actor: Actor) -> bool:
    """May the unmasked details go to the staff member's private chat (they have started one)?
    Audited either way, with where they went, never their content."""
    started = await session.scalar(
        select(Resident.private_chat_at).where(Resident.telegram_user_id == actor.user_id)
    )
    staff.audit(
        session,
        actor_id=actor.user_id,
        chat_id=actor.chat_id,
        action="personal_data.unmasked",
        subject=case.application.number,
        outcome="allowed" if started is not None else "withheld",
        detail={
            "fields": DETAIL_FIELDS,
            # The chat the details went to, never their content.
            "sent_to": actor.user_id if started is not None else None,
            **({} if started is not None else {"reason": "no private chat with the bot"}),
        },
        at=casework.clock(),
    )
    return started is not None


async def last_decision(session: AsyncSession, application: Application) -> StatusEvent | None:
    """The window's last decision on the application (its ledger line)."""
    return await session.scalar(
        select(StatusEvent)
        .where(
            StatusEvent.application_id == application.id,
            StatusEvent.task_id.is_(None),
            StatusEvent.action.in_(DECIDED),
        )
        .order_by(StatusEvent.id.desc())
        .limit(1)
    )


async def _decided(
    session: AsyncSession,
    casework: Casework,
    case: Case,
    actor_id: int,
    decision: str,
    combine_within: timedelta,
    *,
    note: str | None = None,
    tasks: Sequence[DepartmentTask] = (),
    documents: Sequence[str] = (),
    reason: Reason | None = None,
) -> None:
    """The decision's ledger line and the resident's notice of it (both named ``decision``)."""
    application = case.application
    application.updated_at = casework.clock()
    session.add(_event(casework, application, actor_id, decision, note=note))
    await notify(
        session,
        casework,
        application,
        kind=decision,
        tasks=tasks,
        documents=documents,
        reason=reason,
        combine_within=combine_within,
    )


def _move_waiting_tasks(
    session: AsyncSession, casework: Casework, case: Case, actor_id: int, action: TaskAction
) -> list[DepartmentTask]:
    """The tasks still at the window move on by ``action`` (forward or withdraw), each with
    its ledger line."""
    moved = [task for task in case.tasks if task.state == TaskState.AT_WINDOW]
    for task in moved:
        task.state = str(next_state(task.state, action))
        task.updated_at = casework.clock()
        session.add(_event(casework, case.application, actor_id, str(action), task=task))
    return moved


def _event(
    casework: Casework,
    application: Application,
    actor_id: int,
    action: str,
    *,
    task: DepartmentTask | None = None,
    note: str | None = None,
) -> StatusEvent:
    """A ledger line: who (the staff member), when, what, and the note they gave."""
    return StatusEvent(
        application_id=application.id,
        task_id=task.id if task is not None else None,
        actor_kind="staff",
        actor_id=actor_id,
        action=action,
        note=note,
        created_at=casework.clock(),
    )
