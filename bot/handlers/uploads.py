"""Files a resident sends in answer to a request for documents, outside any conversation step."""

from __future__ import annotations

import html
import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.app_context import AppContext
from bot.casework import uploads
from bot.casework.checklist import UNNAMED_DOCUMENT, document_name, document_names
from bot.casework.people import find_resident
from bot.casework.services import Casework
from bot.dialogue import ResidentDialogue
from bot.flows.model import Label
from bot.flows.spec import StepKind
from bot.render import DEFAULT_LOCALE, RenderedScreen, Renderer, join_names
from storage import updates
from storage.models import Conversation, ConversationStatus, Resident

AnyHandler = BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]

# Runs before the resident dialogue (group 0): a file answering an open request stops there.
UPLOADS_GROUP = -1
# "This file is item <index> of its request": u|is|<submitted document id>|<index>.
NAMED = re.compile(r"^u\|is\|(\d{1,15})\|(\d{1,2})$")


def upload_handlers() -> list[AnyHandler]:
    """Register in the intercepting group: files only, and only when a request is open."""
    files = filters.ChatType.PRIVATE & (filters.PHOTO | filters.Document.ALL)
    return [
        MessageHandler(files, on_file),
        CallbackQueryHandler(on_all_sent, pattern=r"^u\|done$"),
        CallbackQueryHandler(on_named, pattern=NAMED.pattern),
    ]


async def on_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep the file against the open request; else let the conversation have it."""
    message, user = update.message, update.effective_user
    if message is None or user is None:
        return
    app = AppContext.of(context)
    dialogue, casework, renderer = app.dialogue, app.casework, app.renderer
    mime: str | None
    if message.photo:
        largest = max(message.photo, key=lambda p: p.width * p.height)
        file_id, kind, mime, size = largest.file_id, "photo", "image/jpeg", largest.file_size
    else:
        document = message.document
        assert document is not None
        file_id, kind, size = document.file_id, "document", document.file_size
        mime = document.mime_type
    async with dialogue.database.transaction() as session:
        resident = await find_resident(session, telegram_user_id=user.id)
        if resident is None or await _collecting_files(session, dialogue, message.chat.id):
            return
        requests = await uploads.open_requests(session, resident_id=resident.id)
        if not requests:
            return
        if not await updates.claim(session, update_id=update.update_id):
            raise ApplicationHandlerStop
        locale = _locale(resident, requests)
        problem = uploads.file_problem(size, mime)
        if problem is not None:
            text, markup = renderer.text(Label(problem), locale), None
        else:
            request = requests[0]
            stored = await uploads.receive(
                session, casework, request, file_id=file_id, kind=kind, mime_type=mime, size=size
            )
            if stored.document_id == UNNAMED_DOCUMENT:
                text, markup = _which(casework, renderer, request, stored.id, locale)
            else:
                text, markup = _filed(casework, renderer, request, stored.document_id, locale)
    await app.messenger.send(message.chat.id, RenderedScreen(text, markup))
    raise ApplicationHandlerStop


async def on_named(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The resident says which document a file is: file it so, and say what is still missing."""
    query, user = update.callback_query, update.effective_user
    match = NAMED.match(query.data or "") if query and isinstance(query.data, str) else None
    if query is None or user is None or match is None:
        return
    app = AppContext.of(context)
    dialogue, casework, renderer = app.dialogue, app.casework, app.renderer
    async with dialogue.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            raise ApplicationHandlerStop
        resident, requests = await _requests_of(session, user.id)
        named = await uploads.name(
            session, requests, document_id=int(match[1]), index=int(match[2])
        )
        locale = _locale(resident, requests)
        if named is not None:
            request, item = named
            text, markup = _filed(casework, renderer, request, item, locale)
    if named is None:
        await query.answer(renderer.text(Label("toast.stale"), locale), show_alert=True)
        raise ApplicationHandlerStop
    await query.answer()
    if isinstance(query.message, Message):
        await app.messenger.show(
            query.message.chat.id, RenderedScreen(text, markup), edit=query.message.message_id
        )
    raise ApplicationHandlerStop


async def _requests_of(
    session: AsyncSession, telegram_user_id: int
) -> tuple[Resident | None, list[uploads.Request]]:
    """The resident writing, and the requests for documents still open on their applications."""
    resident = await find_resident(session, telegram_user_id=telegram_user_id)
    if resident is None:
        return None, []
    return resident, await uploads.open_requests(session, resident_id=resident.id)


def _locale(resident: Resident | None, requests: list[uploads.Request]) -> str:
    """The resident's language, else the one they applied in."""
    chosen = resident.locale if resident is not None else None
    return chosen or (requests[0].application.locale if requests else None) or DEFAULT_LOCALE


def _filed(
    casework: Casework, renderer: Renderer, request: uploads.Request, item: str, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    missing = [d for d in request.missing if d != item]
    text = renderer.text(
        Label.of(
            "upload.received",
            item=html.escape(document_name(casework, item, locale)),
            number=request.application.number,
            missing=html.escape(join_names(document_names(casework, missing, locale), locale))
            or "-",
        ),
        locale,
    )
    return text, _all_sent_button(renderer, locale)


def _which(
    casework: Casework,
    renderer: Renderer,
    request: uploads.Request,
    document_id: int,
    locale: str,
) -> tuple[str, InlineKeyboardMarkup]:
    """Several documents are asked for: the resident taps which one this file is."""
    text = renderer.text(Label.of("upload.which", number=request.application.number), locale)
    rows = [
        [
            InlineKeyboardButton(
                document_name(casework, item, locale),
                callback_data=f"u|is|{document_id}|{request.documents.index(item)}",
            )
        ]
        for item in request.missing
    ]
    rows.extend(list(row) for row in _all_sent_button(renderer, locale).inline_keyboard)
    return text, InlineKeyboardMarkup(rows)


def _all_sent_button(renderer: Renderer, locale: str) -> InlineKeyboardMarkup:
    label = renderer.text(Label("upload.all_sent"), locale)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data="u|done")]])


async def on_all_sent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    app = AppContext.of(context)
    dialogue, casework, renderer = app.dialogue, app.casework, app.renderer
    async with dialogue.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            raise ApplicationHandlerStop
        resident, requests = await _requests_of(session, user.id)
        locale = (resident.locale if resident else None) or DEFAULT_LOCALE
        answered = [r for r in requests if r.received]
        if resident is not None and answered:
            await uploads.all_sent(session, casework, answered, resident_id=resident.id)
    key = "upload.passed_on" if answered else "upload.nothing_sent"
    await query.answer()
    if isinstance(query.message, Message):
        await app.messenger.clear_buttons(query.message.chat.id, query.message.message_id)
    await app.messenger.send_text(user.id, renderer.text(Label(key), locale))
    app.wake_dispatcher()
    raise ApplicationHandlerStop


async def _collecting_files(
    session: AsyncSession, dialogue: ResidentDialogue, chat_id: int
) -> bool:
    """Whether the resident's conversation itself is at a step that takes files."""
    conversation = await session.scalar(select(Conversation).where(Conversation.chat_id == chat_id))
    if conversation is None or conversation.status != ConversationStatus.ACTIVE:
        return False
    engine = dialogue.engines.get(conversation.flow)
    if engine is None or conversation.step not in engine.flow.steps:
        return False
    return engine.flow.step(conversation.step).kind is StepKind.DOCUMENTS
