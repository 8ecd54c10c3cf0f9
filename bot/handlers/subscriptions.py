"""Residents' notice subscription: /notices (menu), /stop, n|… taps, and /start resuming notices.

Registered in NOTICES_GROUP, before the resident dialogue: /notices, /stop and n|… end there
(ApplicationHandlerStop); /start only switches notices back on and goes on to the dialogue,
which handles it as always.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update, User
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    filters,
)

from bot.app_context import AppContext, Context
from bot.callbacks import NoticePress
from bot.flows.model import Label, Screen
from bot.notices import subscriptions
from bot.render import RenderedScreen
from storage import updates
from storage.models import NoticeSubscription, Resident
from storage.subscriptions import subscription

NOTICES_GROUP = -20


def subscription_handlers() -> list[BaseHandler[Update, Context, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("notices", on_notices, filters=private),
        CommandHandler("stop", on_stop, filters=private),
        CommandHandler("start", on_start_resume, filters=private),
        CallbackQueryHandler(on_notice_button, pattern=NoticePress.matches),
    ]


async def _subscriber(
    session: AsyncSession, app: AppContext, user: User
) -> tuple[Resident, str, NoticeSubscription | None]:
    """The resident (created on first contact), their language, their subscription if any."""
    resident, locale = await app.resident_and_locale(session, user)
    return resident, locale, await subscription(session, resident_id=resident.id)


async def on_notices(update: Update, context: Context) -> None:
    """Show the menu of topics, or ask for the notices consent first."""

    def menu(app: AppContext, sub: NoticeSubscription | None) -> Screen | Label:
        if sub is None or sub.consent_version is None:
            return subscriptions.consent_screen()
        return subscriptions.menu_screen(sub)

    await _answer(update, context, menu)


async def on_stop(update: Update, context: Context) -> None:
    """Stop every notice at once."""

    def stop(app: AppContext, sub: NoticeSubscription | None) -> Screen | Label:
        if sub is None or not sub.active:
            return Label("notices.not_subscribed")
        subscriptions.stop(sub, app.components.clock())
        return Label("notices.stopped")

    await _answer(update, context, stop)


async def _answer(
    update: Update,
    context: Context,
    decide: Callable[[AppContext, NoticeSubscription | None], Screen | Label],
) -> None:
    """Claim a command, decide with the resident's subscription, answer in their language."""
    app = AppContext.of(context)
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    async with app.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            raise ApplicationHandlerStop
        _, locale, sub = await _subscriber(session, app, user)
        shown = decide(app, sub)
    await app.messenger.send(chat.id, _rendered(app, shown, locale))
    raise ApplicationHandlerStop


def _rendered(app: AppContext, shown: Screen | Label, locale: str) -> RenderedScreen:
    if isinstance(shown, Screen):
        return app.renderer.render(shown, locale)
    return app.renderer.message(shown, locale)


async def on_start_resume(update: Update, context: Context) -> None:
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
            _resident, locale = await app.resident_and_locale(session, user)
    if resumed:
        said = components.renderer.message(Label("notices.resumed"), locale)
        await app.messenger.send(chat.id, said)


async def on_notice_button(update: Update, context: Context) -> None:
    """n|agree, n|decline, n|t|<topic>, n|stop, n|resume: change and redraw the menu."""
    app = AppContext.of(context)
    components = app.components
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    press = NoticePress.decode(query.data) or NoticePress("")
    now = components.clock()
    toast: Label | None = None
    async with components.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            await app.messenger.answer(query)
            raise ApplicationHandlerStop
        resident, locale, sub = await _subscriber(session, app, user)
        action = press.action
        if action == "agree":
            sub = await subscriptions.agree(
                session, resident=resident, chat_id=query.message.chat.id, now=now
            )
            shown: Screen | Label = subscriptions.menu_screen(sub)
        elif action == "decline":
            await subscriptions.decline(session, resident=resident, now=now)
            shown = Label("notices.declined")
        elif action == "apply":
            shown = Label("notices.apply_hint")
        elif sub is None or sub.consent_version is None:
            shown = subscriptions.consent_screen()
        elif action == "t" and press.topic and sub.active:
            subscriptions.toggle(sub, press.topic, now)
            shown = subscriptions.menu_screen(sub)
        elif action == "stop":
            subscriptions.stop(sub, now)
            shown, toast = subscriptions.menu_screen(sub), Label("notices.stopped")
        elif action == "resume":
            subscriptions.restart(sub, now)
            shown, toast = subscriptions.menu_screen(sub), Label("notices.resumed")
        else:
            shown = subscriptions.menu_screen(sub)
    await app.messenger.answer(query, app.renderer.text(toast, locale) if toast else None)
    rendered = _rendered(app, shown, locale)
    if action == "apply":
        await app.messenger.send(query.message.chat.id, rendered)
        raise ApplicationHandlerStop
    # Redrawn in place (sent anew if it can no longer be edited).
    await app.messenger.show(query.message.chat.id, rendered, edit=query.message.message_id)
    raise ApplicationHandlerStop
