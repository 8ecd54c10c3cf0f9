"""Documents a resident sends after the window or a department asked for them (补充材料).

A request is the latest "documents requested" event of an application still waiting for them
(the window asked) or of a task in `documents_needed` (a department asked); its note lists the
document ids. A file answers the one item still missing; while several are, the resident says
which one it is (until then it is kept as unnamed). "All sent" tells the window or the
department, which then carries on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import UploadPress
from bot.casework.application_status import ApplicationAction, move
from bot.casework.checklist import UNNAMED_DOCUMENT, document_name, document_names
from bot.casework.decisions import documents_received
from bot.casework.services import Casework
from bot.casework.tasks import TaskState
from bot.flows.model import Button, FileInput, Label, Screen
from bot.flows.spec import Flow, StepKind
from bot.render import DEFAULT_LOCALE
from storage import outbox, residents
from storage.models import (
    ENDED_APPLICATION,
    Application,
    ApplicationStatus,
    Conversation,
    ConversationStatus,
    DepartmentTask,
    Priority,
    Resident,
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
# The actions of an UploadPress: "everything is sent", and "this file is item … of its request".
DONE, IS = "done", "is"


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

    def matches(self, document: SubmittedDocument) -> bool:
        """Whether ``document`` was sent in answer to this request."""
        task_id = self.task.id if self.task is not None else None
        return (
            document.application_id == self.application.id
            and document.task_id == task_id
            and document.received_at >= self.asked_at
        )


@dataclass(frozen=True, slots=True)
class Sender:
    """Someone writing to the bot, with the requests for documents still open for them."""

    resident: Resident | None
    requests: list[Request]

    @property
    def locale(self) -> str:
        """The resident's language, else the one they applied in."""
        chosen = self.resident.locale if self.resident is not None else None
        applied = self.requests[0].application.locale if self.requests else None
        return chosen or applied or DEFAULT_LOCALE


async def sender(session: AsyncSession, *, telegram_user_id: int) -> Sender:
    """The person writing and the requests for documents open on their applications."""
    resident = await residents.find(session, telegram_user_id=telegram_user_id)
    if resident is None:
        return Sender(None, [])
    return Sender(resident, await open_requests(session, resident_id=resident.id))


async def awaiting_file(
    session: AsyncSession, flows: Mapping[str, Flow], *, chat_id: int, telegram_user_id: int
) -> Sender | None:
    """Whose request a file sent now answers; None when it is the conversation's: nothing is
    asked of the sender, or their conversation itself stands at a step that takes files."""
    # The conversation's own documents step is the cheaper check, and the common case.
    if await _collecting_files(session, flows, chat_id):
        return None
    found = await sender(session, telegram_user_id=telegram_user_id)
    return found if found.requests else None


async def _collecting_files(session: AsyncSession, flows: Mapping[str, Flow], chat_id: int) -> bool:
    conversation = await session.scalar(select(Conversation).where(Conversation.chat_id == chat_id))
    if conversation is None or conversation.status != ConversationStatus.ACTIVE:
        return False
    flow = flows.get(conversation.flow)
    if flow is None or conversation.step not in flow.steps:
        return False
    return flow.step(conversation.step).kind is StepKind.DOCUMENTS


async def take_file(
    session: AsyncSession, casework: Casework, sender: Sender, file: FileInput
) -> Screen:
    """Keep a file against the sender's first open request; what the resident is shown."""
    problem = file_problem(file.size, file.mime_type)
    if problem is not None:
        return note_screen(problem)
    request = sender.requests[0]
    stored = await receive(
        session,
        casework,
        request,
        file_id=file.file_id,
        kind=file.kind,
        mime_type=file.mime_type,
        size=file.size,
    )
    if stored.document_id == UNNAMED_DOCUMENT:
        return which_screen(casework, request, stored.id, sender.locale)
    return filed_screen(casework, request, stored.document_id, sender.locale)


async def name_file(
    session: AsyncSession, casework: Casework, sender: Sender, press: UploadPress
) -> Screen | None:
    """The resident said which document a file is: filed so, and what is still missing; None
    for a stale or forged tap."""
    named = await name(session, sender.requests, document_id=press.document, index=press.index)
    if named is None:
        return None
    request, item = named
    return filed_screen(casework, request, item, sender.locale)


def filed_screen(casework: Casework, request: Request, item: str, locale: str) -> Screen:
    missing = [d for d in request.missing if d != item]
    return Screen(
        "uploads/received.html",
        {
            "item": document_name(casework, item, locale),
            "number": request.application.number,
            "missing": document_names(casework, missing, locale),
        },
        ((_all_sent_button(),),),
    )


def which_screen(casework: Casework, request: Request, document_id: int, locale: str) -> Screen:
    """Several documents are asked for: the resident taps which one this file is."""
    rows = tuple(
        (
            Button(
                document_name(casework, item, locale),
                UploadPress(IS, document_id, request.documents.index(item)).encode(),
            ),
        )
        for item in request.missing
    )
    return Screen(
        "uploads/which.html", {"number": request.application.number}, (*rows, (_all_sent_button(),))
    )


def note_screen(key: str) -> Screen:
    """A short message of one label, no buttons."""
    return Screen("uploads/note.html", {"text": Label(key)})


def _all_sent_button() -> Button:
    return Button(Label("upload.all_sent"), UploadPress(DONE).encode())


async def open_requests(session: AsyncSession, *, resident_id: int) -> list[Request]:
    applications = (
        await session.scalars(
            select(Application).where(
                Application.resident_id == resident_id,
                Application.status.not_in(ENDED_APPLICATION),
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
) -> SubmittedDocument:
    """Keep the file: as the item still missing when only one is, else unnamed until the
    resident says which it is (``name``)."""
    missing = request.missing
    item = missing[0] if len(missing) == 1 else UNNAMED_DOCUMENT
    document = SubmittedDocument(
        application_id=request.application.id,
        task_id=request.task.id if request.task is not None else None,
        document_id=item,
        telegram_file_id=file_id,
        kind=kind,
        mime_type=mime_type,
        size=size,
        received_at=casework.clock(),
    )
    session.add(document)
    await session.flush()
    return document


async def name(
    session: AsyncSession, requests: Sequence[Request], *, document_id: int, index: int
) -> tuple[Request, str] | None:
    """File an unnamed document as item ``index`` of its request; None when it is not one of
    this resident's unnamed documents or the item is not asked for (a stale or forged tap)."""
    document = await session.get(SubmittedDocument, document_id)
    if document is None or document.document_id != UNNAMED_DOCUMENT:
        return None
    request = next((r for r in requests if r.matches(document)), None)
    if request is None or not 0 <= index < len(request.documents):
        return None
    item = request.documents[index]
    document.document_id = item
    received = (*(r for r in request.received if r != UNNAMED_DOCUMENT), item)
    return replace(request, received=received), item


async def everything_sent(session: AsyncSession, casework: Casework, sender: Sender) -> Screen:
    """The resident tapped "everything is sent": the requests with files go on; what they are
    told."""
    answered = [r for r in sender.requests if r.received]
    if sender.resident is None or not answered:
        return note_screen("upload.nothing_sent")
    await all_sent(session, casework, answered, resident_id=sender.resident.id)
    return note_screen("upload.passed_on")


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
        move(application, ApplicationAction.DOCUMENTS_RECEIVED)
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
        if casework.staff_chat_id is not None and casework.board is not None:
            text = casework.board.documents_arrived(casework, application, request.received)
            await outbox.enqueue(
                session,
                chat_id=casework.staff_chat_id,
                purpose="documents",
                priority=Priority.STAFF,
                text=text,
                now=now,
            )
    return len(requests)
