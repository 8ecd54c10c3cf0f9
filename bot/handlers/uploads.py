"""Files a resident sends in answer to a request for documents, outside any conversation step.

Thin: what a file or a u|… press means is decided in bot/casework/uploads.py, inside one
transaction; the screens it returns are rendered and sent here after the commit.
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot.app_context import AppContext, Context
from bot.callbacks import UploadPress
from bot.casework import uploads
from bot.flows.model import FileInput, Label, Screen
from bot.handlers.resident import input_of
from storage import updates

AnyHandler = BaseHandler[Update, Context, None]

# Runs before the resident dialogue (group 0): a file answering an open request stops there.
UPLOADS_GROUP = -1


def upload_handlers() -> list[AnyHandler]:
    """Register in the intercepting group: files only, and only when a request is open."""
    files = filters.ChatType.PRIVATE & (filters.PHOTO | filters.Document.ALL)
    return [
        MessageHandler(files, on_file),
        CallbackQueryHandler(on_upload_press, pattern=UploadPress.matches),
    ]


async def on_file(update: Update, context: Context) -> None:
    """Keep the file against the open request; else let the conversation have it."""
    message, user, read = update.message, update.effective_user, input_of(update)
    if message is None or user is None or read is None or not isinstance(read[0], FileInput):
        return
    app = AppContext.of(context)
    async with app.database.transaction() as session:
        sender = await uploads.awaiting_file(
            session, app.flows, chat_id=message.chat.id, telegram_user_id=user.id
        )
        if sender is None:
            return
        if not await updates.claim(session, update_id=update.update_id):
            raise ApplicationHandlerStop
        screen = await uploads.take_file(session, app.casework, sender, read[0])
    await app.messenger.send(message.chat.id, app.renderer.render(screen, sender.locale))
    raise ApplicationHandlerStop


async def on_upload_press(update: Update, context: Context) -> None:
    """u|is|…: the resident says which document a file is; u|done: everything is sent."""
    query, user = update.callback_query, update.effective_user
    press = UploadPress.decode(query.data) if query is not None else None
    if query is None or user is None or press is None:
        return
    app = AppContext.of(context)
    async with app.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            raise ApplicationHandlerStop
        sender = await uploads.sender(session, telegram_user_id=user.id)
        screen: Screen | None
        if press.action == uploads.DONE:
            screen = await uploads.everything_sent(session, app.casework, sender)
        else:
            screen = await uploads.name_file(session, app.casework, sender, press)
    if screen is None:
        await app.messenger.answer(
            query, app.renderer.text(Label("toast.stale"), sender.locale), alert=True
        )
        raise ApplicationHandlerStop
    await app.messenger.answer(query)
    if press.action == uploads.DONE:
        if isinstance(query.message, Message):
            await app.messenger.clear_buttons(query.message.chat.id, query.message.message_id)
        await app.messenger.send(user.id, app.renderer.render(screen, sender.locale))
    elif isinstance(query.message, Message):
        rendered = app.renderer.render(screen, sender.locale)
        await app.messenger.show(query.message.chat.id, rendered, edit=query.message.message_id)
    raise ApplicationHandlerStop
