"""Private-chat updates from residents: text, taps, commands and anything else they send."""

from __future__ import annotations

import logging

from telegram import Update

from bot.app_context import AppContext, Context
from bot.delivery.messenger import Messenger
from bot.dialogue import Reply
from bot.flows.model import ButtonInput, CommandInput, FileInput, Input, OtherInput, TextInput

log = logging.getLogger(__name__)

COMMANDS = (
    "start",
    "apply",
    "my",
    "staff",
    "notices",
    "stop",
    "help",
    "language",
    "cancel",
    "mydata",
    "forget",
)


def input_of(update: Update) -> tuple[Input, int | None] | None:
    """The resident's input and, for a tap, the id of the message the button was on."""
    query = update.callback_query
    if query is not None:
        message_id = query.message.message_id if query.message is not None else None
        return ButtonInput(query.data or ""), message_id
    message = update.message
    if message is None:
        return None
    text = message.text
    if text is not None and text.startswith("/"):
        name, _, args = text[1:].partition(" ")
        return CommandInput(name.split("@", 1)[0].lower(), args.strip()), None
    if text is not None:
        return TextInput(text), None
    if message.photo:
        # Telegram sends each photo in several sizes, smallest first: keep the sharpest.
        largest = max(
            message.photo, key=lambda size: (size.width * size.height, size.file_size or 0)
        )
        return FileInput("photo", largest.file_id, "image/jpeg", largest.file_size), None
    document = message.document
    if document is not None:
        return (
            FileInput(
                "document",
                document.file_id,
                document.mime_type,
                document.file_size,
                document.file_name,
            ),
            None,
        )
    return OtherInput(_kind_of(message.effective_attachment)), None


def _kind_of(attachment: object) -> str:
    return type(attachment).__name__.lower() if attachment is not None else "other"


async def on_resident_update(update: Update, context: Context) -> None:
    """Store what the resident said (one transaction), then show the next screen."""
    app = AppContext.of(context)
    dialogue, messenger = app.dialogue, app.messenger
    read = input_of(update)
    user, chat = update.effective_user, update.effective_chat
    if read is None or user is None or chat is None or chat.type != "private":
        return
    event, button_message_id = read
    reply = await dialogue.handle(
        update_id=update.update_id,
        chat_id=chat.id,
        user_id=user.id,
        language_code=user.language_code,
        event=event,
        button_message_id=button_message_id,
        display_name=user.full_name,
    )
    if reply is None:
        log.info("update %s was already handled", update.update_id)
        return
    await deliver(reply, update, messenger)


async def deliver(reply: Reply, update: Update, messenger: Messenger) -> None:
    if update.callback_query is not None:
        # Always answer a tap, or the resident's button keeps spinning.
        await messenger.answer(update.callback_query, reply.toast)
    for screen in reply.before:
        await messenger.send(reply.chat_id, screen)
    if reply.dialog is None:
        return
    await messenger.show(reply.chat_id, reply.dialog, edit=reply.edit_message_id)
