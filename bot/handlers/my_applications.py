"""/my and its buttons (m|…): the resident's applications and the ledger of each."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.app_context import AppContext, Context
from bot.callbacks import MyPress
from bot.casework import ledger
from storage import staff, updates


def my_applications_handlers() -> list[BaseHandler[Update, Context, None]]:
    """Register before the resident catch-all so /my and m|… never reach the flow."""
    return [
        CommandHandler("my", on_my, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_my_button, pattern=MyPress.matches),
    ]


async def on_my(update: Update, context: Context) -> None:
    """Show every application of the resident, newest first; reads only."""
    app, user, chat = AppContext.of(context), update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    async with app.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            return
        resident, locale = await app.known_resident_and_locale(session, user)
        views = (
            await ledger.applications_of(session, app.casework, resident_id=resident.id)
            if resident is not None
            else []
        )
    await app.messenger.send(chat.id, ledger.render_list(app.casework.renderer, views, locale))


async def on_my_button(update: Update, context: Context) -> None:
    """Open one application (only one's own) or go back to the list, editing in place."""
    app, query, user = AppContext.of(context), update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    chat_id, message_id = query.message.chat.id, query.message.message_id
    wanted = ledger.wanted(MyPress.decode(query.data))
    async with app.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            await app.messenger.answer(query)
            return
        resident, locale = await app.known_resident_and_locale(session, user)
        renderer = app.casework.renderer
        resident_id = resident.id if resident is not None else -1
        if wanted == "list":
            views = await ledger.applications_of(session, app.casework, resident_id=resident_id)
            screen = ledger.render_list(renderer, views, locale)
        else:
            views = (
                await ledger.applications_of(
                    session, app.casework, resident_id=resident_id, application_id=wanted
                )
                if isinstance(wanted, int)
                else []
            )
            if views:
                screen = ledger.render_application(renderer, views[0], locale)
            else:
                # Someone else's application, or data no button of ours carries: say no
                # kindly, and keep a trace of the attempt.
                staff.audit(
                    session,
                    actor_id=user.id,
                    chat_id=chat_id,
                    action="my.open",
                    subject=(query.data or "")[:64],
                    outcome="refused",
                    detail={"reason": "not the resident's application"},
                    at=app.casework.clock(),
                )
                screen = renderer.render(ledger.refused_screen(), locale)
    await app.messenger.answer(query)
    await app.messenger.show(chat_id, screen, edit=message_id)
