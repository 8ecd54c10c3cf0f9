"""Residents' notice subscription: /notices (menu), /stop, n|… taps, and /start resuming notices.

Registered in NOTICES_GROUP, before the resident dialogue: /notices, /stop and n|… end there
(ApplicationHandlerStop); /start only switches notices back on and goes on to the dialogue,
which handles it as always.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.app_context import AppContext
from bot.casework.people import locale_for
from bot.flows.model import Label
from bot.notices import subscriptions
from bot.notices.subscriptions import View
from bot.render import RenderedScreen, Renderer
from storage import updates
from storage.subscriptions import subscription

NOTICES_GROUP = -20


def notice_handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("notices", on_notices, filters=private),
        CommandHandler("stop", on_stop, filters=private),
        CommandHandler("start", on_start_resume, filters=private),
        CallbackQueryHandler(on_notice_button, pattern=r"^n\|"),
    ]


async def on_notices(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the menu of topics, or ask for the notices consent first."""
    app = AppContext.of(context)
    components = app.components
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    async with components.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            raise ApplicationHandlerStop
        resident = await subscriptions.resident_of(session, telegram_user_id=user.id)
        locale = locale_for(resident, user.language_code, components.dialogue.default_locale)
        sub = await subscription(session, resident_id=resident.id)
        renderer: Renderer = components.renderer
        if sub is None or sub.consent_version is None:
            view = subscriptions.consent_view(renderer, locale)
        else:
            view = subscriptions.menu_view(renderer, sub, locale)
    await _send(context, chat.id, view)
    raise ApplicationHandlerStop


async def on_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop every notice at once."""
    app = AppContext.of(context)
    components = app.components
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    async with components.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            raise ApplicationHandlerStop
        resident = await subscriptions.resident_of(session, telegram_user_id=user.id)
        locale = locale_for(resident, user.language_code, components.dialogue.default_locale)
        sub = await subscription(session, resident_id=resident.id)
        key = "notices.not_subscribed"
        if sub is not None and sub.active:
            subscriptions.stop(sub, components.clock())
            key = "notices.stopped"
    text = components.renderer.text(Label(key), locale)
    await app.messenger.send_text(chat.id, text)
    raise ApplicationHandlerStop


async def on_start_resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start also switches notices back on after /stop; the dialogue then handles /start."""
    app = AppContext.of(context)
    components = app.components
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    async with components.database.transaction() as session:
        # The dialogue claims this update after us: a redelivered /start was seen already.
        if await updates.seen(session, update_id=update.update_id):
            return
        resumed = await subscriptions.resume(
            session, telegram_user_id=user.id, now=components.clock()
        )
        if resumed:
            resident = await subscriptions.resident_of(session, telegram_user_id=user.id)
            locale = locale_for(resident, user.language_code, components.dialogue.default_locale)
    if resumed:
        text = components.renderer.text(Label("notices.resumed"), locale)
        await app.messenger.send_text(chat.id, text)


async def on_notice_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """n|agree, n|decline, n|t|<topic>, n|stop, n|resume: change and redraw the menu."""
    app = AppContext.of(context)
    components = app.components
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    parts = (query.data or "").split("|")
    now = components.clock()
    renderer: Renderer = components.renderer
    toast: str | None = None
    async with components.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            await query.answer()
            raise ApplicationHandlerStop
        resident = await subscriptions.resident_of(session, telegram_user_id=user.id)
        locale = locale_for(resident, user.language_code, components.dialogue.default_locale)
        sub = await subscription(session, resident_id=resident.id)
        action = parts[1] if len(parts) > 1 else ""
        if action == "agree":
            sub = await subscriptions.agree(
                session, resident=resident, chat_id=query.message.chat.id, now=now
            )
            view = subscriptions.menu_view(renderer, sub, locale)
        elif action == "decline":
            await subscriptions.decline(session, resident=resident, now=now)
            view = View(renderer.text(Label("notices.declined"), locale), None)
        elif action == "apply":
            view = View(renderer.text(Label("notices.apply_hint"), locale), None)
        elif sub is None or sub.consent_version is None:
            view = subscriptions.consent_view(renderer, locale)
        elif action == "t" and len(parts) == 3 and sub.active:
            subscriptions.toggle(sub, parts[2], now)
            view = subscriptions.menu_view(renderer, sub, locale)
        elif action == "stop":
            subscriptions.stop(sub, now)
            view = subscriptions.menu_view(renderer, sub, locale)
            toast = renderer.text(Label("notices.stopped"), locale)
        elif action == "resume":
            sub.active, sub.stopped_reason, sub.updated_at = True, None, now
            view = subscriptions.menu_view(renderer, sub, locale)
            toast = renderer.text(Label("notices.resumed"), locale)
        else:
            view = subscriptions.menu_view(renderer, sub, locale)
    await query.answer(toast)
    if action == "apply":
        await _send(context, query.message.chat.id, view)
        raise ApplicationHandlerStop
    # Redrawn in place (sent anew if it can no longer be edited).
    await app.messenger.show(query.message.chat.id, _screen(view), edit=query.message.message_id)
    raise ApplicationHandlerStop


async def _send(context: ContextTypes.DEFAULT_TYPE, chat_id: int, view: View) -> None:
    await AppContext.of(context).messenger.send(chat_id, _screen(view))


def _screen(view: View) -> RenderedScreen:
    return RenderedScreen(view.text, view.markup)
