"""Documents a resident sends after the window or a department asked for them (补充材料).

A request is the latest "documents requested" event of an application still waiting for them
(the window asked) or of a task in `documents_needed` (a department asked); its note lists the
document ids. Each file the resident sends answers the first item still missing; "all sent"
tells the window or the department, which then carries on.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework.department import document_names, documents_received
from bot.casework.services import Casework
from bot.casework.tasks import TaskState
from bot.flows.model import Label
from storage import outbox
from storage.models import (
    Application,
    ApplicationStatus,
    DepartmentTask,
    Priority,
    StatusEvent,
    SubmittedDocument,
)

# Telegram bots can download files up to 20 MB; larger ones could never be read by staff.
MAX_BYTES = 20 * 1024 * 1024
ACCEPTED_TYPES = (
    "image/",
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)


@dataclass(frozen=True, slots=True)
class Request:
    application: Application
    task: DepartmentTask | None  # None: the window asked
    documents: tuple[str, ...]
    asked_at: datetime
    received: tuple[str, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(d for d in self.documents if d not in self.received)


async def open_requests(session: AsyncSession, *, resident_id: int) -> list[Request]:
    applications = (
        await session.scalars(
            select(Application).where(
                Application.resident_id == resident_id,
                Application.status.not_in((ApplicationStatus.REJECTED, ApplicationStatus.CLOSED)),
            )
        )
    ).all()
    requests: list[Request] = []
    for application in applications:
        if application.status == ApplicationStatus.DOCUMENTS_REQUESTED:
            request = await _request(session, application, None, "documents_requested")
            if request is not None:
                requests.append(request)
        tasks = (
            await session.scalars(
                select(DepartmentTask).where(
                    DepartmentTask.application_id == application.id,
                    DepartmentTask.state == TaskState.DOCUMENTS_NEEDED,
                )
            )
        ).all()
        for task in tasks:
            request = await _request(session, application, task, "need_documents")
            if request is not None:
                requests.append(request)
    return requests


async def _request(
    session: AsyncSession, application: Application, task: DepartmentTask | None, action: str
) -> Request | None:
    query = select(StatusEvent).where(
        StatusEvent.application_id == application.id, StatusEvent.action == action
    )
    query = query.where(
        StatusEvent.task_id.is_(None) if task is None else StatusEvent.task_id == task.id
    )
    event = await session.scalar(query.order_by(StatusEvent.id.desc()).limit(1))
    if event is None:
        return None
    documents = tuple(d for d in (event.note or "").split(",") if d)
    received = await session.scalars(
        select(SubmittedDocument.document_id).where(
            SubmittedDocument.application_id == application.id,
            SubmittedDocument.received_at >= event.created_at,
            SubmittedDocument.task_id.is_(None)
            if task is None
            else SubmittedDocument.task_id == task.id,
        )
    )
    return Request(application, task, documents, event.created_at, tuple(received.all()))


def file_problem(size: int | None, mime_type: str | None) -> str | None:
    """A label key saying why a file cannot be taken, or None."""
    if size is not None and size > MAX_BYTES:
        return "upload.too_large"
    if mime_type is None or not mime_type.lower().startswith(ACCEPTED_TYPES):
        return "upload.wrong_type"
    return None


async def receive(
    session: AsyncSession,
    casework: Casework,
    request: Request,
    *,
    file_id: str,
    kind: str,
    mime_type: str | None,
    size: int | None,
) -> str:
    """Keep the file as the first missing item of the request; returns that item's id."""
    item = request.missing[0] if request.missing else (request.documents or ("other",))[0]
    session.add(
        SubmittedDocument(
            application_id=request.application.id,
            task_id=request.task.id if request.task is not None else None,
            document_id=item,
            telegram_file_id=file_id,
            kind=kind,
            mime_type=mime_type,
            size=size,
            received_at=casework.clock(),
        )
    )
    return item


async def all_sent(
    session: AsyncSession, casework: Casework, requests: Sequence[Request], *, resident_id: int
) -> int:
    """The resident says everything is sent: departments carry on; the window is told."""
    now = casework.clock()
    for request in requests:
        application = request.application
        if request.task is not None:
            await documents_received(
                session, casework, request.task, actor_kind="resident", actor_id=resident_id
            )
            continue
        application.status = ApplicationStatus.SUBMITTED
        session.add(
            StatusEvent(
                application_id=application.id,
                actor_kind="resident",
                actor_id=resident_id,
                action="documents_received",
                note=",".join(request.received),
                created_at=now,
            )
        )
        if casework.staff_chat_id is not None:
            names = "、".join(document_names(casework, list(request.received))) or "-"
            notice = Label.of(
                "upload.staff_notice", number=application.number, documents=html.escape(names)
            )
            text = casework.renderer.text(notice, casework.staff_locale)
            await outbox.enqueue(
                session,
                chat_id=casework.staff_chat_id,
                purpose="documents",
                priority=Priority.STAFF,
                text=text,
                now=now,
            )
    return len(requests)
