"""The last line: log the update id and the error, tell the resident their answers are kept."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.app_context import AppContext, Context
from bot.casework.people import locale_for
from bot.flows.model import Screen
from bot.render import DEFAULT_LOCALE

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    # No message text or names here: logs must not carry residents' personal data.
    log.error(
        "update %s failed: %s",
        update_id,
        type(error).__name__,
        exc_info=(type(error), error, error.__traceback__) if error else None,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    app = AppContext.of(context)
    renderer = app.renderer
    user = update.effective_user
    locale = locale_for(None, user.language_code if user else None, DEFAULT_LOCALE)
    screen = renderer.render(Screen("common/error.html"), locale)
    try:
        if update.callback_query is not None:
            await app.messenger.answer(update.callback_query)
        await app.messenger.send(update.effective_chat.id, screen)
    except TelegramError:
        log.warning("could not tell chat of update %s about the error", update_id)
