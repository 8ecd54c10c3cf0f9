"""/broadcast for administrators: compose, choose the audience, preview, test, confirm, schedule;
and the pause / resume / cancel buttons of the live progress message.

The composer's steps and decisions are in `bot/notices/composer.py`; here each update is
claimed, authorised and audited (a non-administrator is refused, and that is audited), and
what the composer decided is rendered and sent after the commit.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.app_context import AppContext, Context
from bot.callbacks import BroadcastPress
from bot.casework.authorization import authorise
from bot.flows.model import Label, Screen
from bot.notices import broadcasts, composer
from bot.notices.composer import Desk, Reply, ShowDraft, Typed
from bot.notices.lifecycle import BroadcastError
from bot.notices.runner import progress_screen
from bot.render import RenderedScreen
from storage import updates
from storage.broadcasts import draft_of
from storage.models import Broadcast, StaffRole

COMMAND = "broadcast"


def broadcast_handlers(
    admin_ids: tuple[int, ...],
) -> list[BaseHandler[Update, Context, None]]:
    """Register in the notices group, before the resident dialogue."""
    # Composing input is only looked for from administrators; admins known from the database
    # are added to this filter when they open /broadcast.
    composers = filters.User(user_id=admin_ids, allow_empty=True)
    private = filters.ChatType.PRIVATE

    async def open_(update: Update, context: Context) -> None:
        await on_broadcast(update, context, admin_ids, composers)

    async def cancel(update: Update, context: Context) -> None:
        await on_cancel_draft(update, context, admin_ids)

    async def compose(update: Update, context: Context) -> None:
        await on_compose(update, context, admin_ids)

    async def button(update: Update, context: Context) -> None:
        await on_button(update, context, admin_ids)

    return [
        CommandHandler(COMMAND, open_, filters=private),
        CommandHandler("cancel", cancel, filters=private & composers),
        CallbackQueryHandler(button, pattern=BroadcastPress.matches),
        MessageHandler(
            private
            & composers
            & (filters.TEXT | filters.PHOTO | filters.Document.ALL)
            & ~filters.COMMAND,
            compose,
        ),
    ]


def _desk(app: AppContext, session: AsyncSession, chat_id: int) -> Desk:
    components = app.components
    footer = app.renderer.text(Label("notices.footer"), app.default_locale)
    return Desk(session, components.profile, components.clock, footer, chat_id)


async def _allowed(
    app: AppContext,
    session: AsyncSession,
    user_id: int,
    chat_id: int,
    action: str,
    admin_ids: tuple[int, ...],
    subject: str | None = None,
) -> bool:
    decision = await authorise(
        session,
        app.casework,
        user_id=user_id,
        chat_id=chat_id,
        role=StaffRole.ADMIN,
        action=action,
        subject=subject,
        admin_ids=admin_ids,
    )
    return decision.allowed


async def _send(app: AppContext, chat_id: int, reply: Reply, draft: Broadcast | None) -> None:
    """The reply's messages in order; the draft as residents will see it where it belongs."""
    renderer, locale = app.renderer, app.default_locale
    for message in reply.messages:
        if isinstance(message, ShowDraft):
            if draft is None:
                continue
            if draft.photo_file_id:
                await app.messenger.send_photo(
                    chat_id, draft.photo_file_id, caption_html=draft.body_html
                )
            else:
                await app.messenger.send_text(chat_id, draft.body_html)
        elif isinstance(message, Screen):
            await app.messenger.send(chat_id, renderer.render(message, locale))
        else:
            await app.messenger.send(chat_id, RenderedScreen(renderer.text(message, locale), None))


async def on_broadcast(
    update: Update,
    context: Context,
    admin_ids: tuple[int, ...],
    composers: filters.User,
) -> None:
    """Open (or continue) a draft and ask for its text; refused for anyone but an admin."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    app = AppContext.of(context)
    async with app.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            raise ApplicationHandlerStop
        desk = _desk(app, session, chat.id)
        if not await _allowed(app, session, user.id, chat.id, "broadcast.open", admin_ids):
            said = Label("broadcast.refused")
        else:
            composers.add_user_ids(user.id)
            try:
                draft = await broadcasts.draft_for(
                    session, admin_id=user.id, chat_id=chat.id, now=desk.clock()
                )
            except BroadcastError as exc:
                said = composer.error(exc)
            else:
                composer.open_draft(draft)
                await session.flush()
                said = composer.ask_text(desk, draft)
    await _send(app, chat.id, Reply([said]), None)
    raise ApplicationHandlerStop


async def on_cancel_draft(update: Update, context: Context, admin_ids: tuple[int, ...]) -> None:
    """/cancel while composing discards the draft; otherwise the dialogue handles /cancel."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    app = AppContext.of(context)
    async with app.database.transaction() as session:
        draft = await draft_of(session, admin_id=user.id)
        if draft is None:
            return
        if not await updates.claim(session, update_id=update.update_id):
            raise ApplicationHandlerStop
        subject = f"broadcast:{draft.id}"
        await _allowed(app, session, user.id, chat.id, "broadcast.discard", admin_ids, subject)
        broadcasts.discard(draft, now=app.components.clock())
    await _send(app, chat.id, Reply([Label("broadcast.discarded")]), None)
    raise ApplicationHandlerStop


async def on_compose(update: Update, context: Context, admin_ids: tuple[int, ...]) -> None:
    """Text, photo, audience or time for the admin's draft; not for us when there is none."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    app = AppContext.of(context)
    chat_id = message.chat.id
    async with app.database.transaction() as session:
        draft = await draft_of(session, admin_id=user.id)
        if draft is None or draft.draft_step is None:
            return  # not composing: the update goes on to the dialogue
        if not await updates.claim(session, update_id=update.update_id):
            raise ApplicationHandlerStop
        subject = f"broadcast:{draft.id}"
        if not await _allowed(
            app, session, user.id, chat_id, "broadcast.compose", admin_ids, subject
        ):
            reply = Reply([Label("broadcast.refused")])
        else:
            given = Typed(
                message.text or message.caption or "",
                message.photo[-1].file_id if message.photo else None,
                message.document is not None,
            )
            reply = await composer.typed(_desk(app, session, chat_id), draft, given)
    await _send(app, chat_id, reply, draft)
    raise ApplicationHandlerStop


async def on_button(update: Update, context: Context, admin_ids: tuple[int, ...]) -> None:
    """b|<id>|<action>: composing choices and the progress message's pause/resume/cancel."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    app = AppContext.of(context)
    press = BroadcastPress.decode(query.data)
    if press is None:
        await app.messenger.answer(query)
        raise ApplicationHandlerStop
    chat_id = query.message.chat.id
    broadcast: Broadcast | None = None
    action = f"broadcast.{press.action}"
    subject = f"broadcast:{press.broadcast}"
    async with app.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            await app.messenger.answer(query)
            raise ApplicationHandlerStop
        if not await _allowed(app, session, user.id, chat_id, action, admin_ids, subject):
            reply = Reply(toast=Label("broadcast.refused"))
        else:
            broadcast = await session.get(Broadcast, press.broadcast)
            reply = Reply()
            if broadcast is not None:
                desk = _desk(app, session, chat_id)
                reply = await composer.pressed(desk, broadcast, press.action)
    toast = app.renderer.text(reply.toast, app.default_locale) if reply.toast else None
    await app.messenger.answer(query, toast)
    if broadcast is None:
        raise ApplicationHandlerStop
    await _send(app, chat_id, reply, broadcast)
    if reply.started or press.action in composer.CONTROLS:
        await _show_progress(app, press.broadcast, chat_id, new_message=reply.started)
    raise ApplicationHandlerStop


async def _show_progress(
    app: AppContext, broadcast_id: int, chat_id: int, *, new_message: bool
) -> None:
    """Send the progress message once (its id is kept), or redraw it now."""
    runner, components = app.broadcast_runner, app.components
    if not new_message:
        await runner.show_progress(force=True, only=broadcast_id)
        return
    async with components.database.transaction() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        current = await broadcasts.progress(session, broadcast, now=components.clock())
    shown = runner.renderer.render(progress_screen(current), runner.locale)
    sent = await app.messenger.send(chat_id, shown)
    async with components.database.transaction() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        broadcast.chat_id, broadcast.progress_message_id = chat_id, sent.message_id
