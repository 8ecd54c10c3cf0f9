"""Talk to staff: /staff, the s|… buttons, residents' texts while a thread is open, and the
staff chat's replies. Each update is one transaction; messages go out through the outbox."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update, User
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.app_context import AppContext, Context
from bot.callbacks import RelayPress
from bot.casework import relay
from bot.casework.authorization import authorise
from bot.casework.people import note_private_chat
from bot.flows.model import Label, Screen
from storage import staff, updates
from storage.models import StaffRole, StaffThread

Handler = BaseHandler[Update, Context, None]

# A staff member chatting in the staff chat is reminded how to answer at most this often.
HINT_EVERY = timedelta(minutes=10)


def relay_handlers() -> list[Handler]:
    """Register in group 0, before the resident catch-all handlers."""
    return [
        CommandHandler("staff", on_staff_command, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_relay_button, pattern=is_relay_press),
        MessageHandler(
            filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND, on_staff_chat_text
        ),
    ]


def is_relay_press(data: object) -> bool:
    """Relay presses but ``answer``, which is the dialogue's: the held text goes on to the
    flow's question."""
    press = RelayPress.decode(data)
    return press is not None and press.action != relay.ANSWER


# ---- the resident's side -------------------------------------------------------------------


async def on_staff_command(update: Update, context: Context) -> None:
    """/staff: open (or show) the resident's thread with the window staff."""
    await _open(update, AppContext.of(context))


async def on_relay_button(update: Update, context: Context) -> None:
    """s|open and s|close from residents; s|close|<thread> from the staff chat."""
    app, query, user = AppContext.of(context), update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    press, chat = RelayPress.decode(query.data), query.message.chat
    if press is None:
        return
    if chat.type != "private":
        await _staff_closes(update, app, user, chat.id, press)
        return
    if press.action == relay.OPEN:
        await app.messenger.answer(query)
        await _open(update, app)
        return
    if press.action == relay.SEND:
        await _send_held(update, app, user, chat.id)
        return
    # In a private chat any close button closes the presser's own thread, whatever it names.
    async with app.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            await app.messenger.answer(query)
            return
        _resident, locale = await app.resident_and_locale(session, user)
        thread = await relay.open_thread_of(session, telegram_user_id=user.id)
        closed = thread is not None and await relay.close_thread(
            session,
            app.casework,
            thread,
            by_staff=False,
            default_locale=app.default_locale,
            now=app.casework.clock(),
        )
    renderer = app.casework.renderer
    if not closed:
        await app.messenger.answer(query, renderer.text(Label.of("relay.toast.not_open"), locale))
        return
    await app.messenger.answer(query)
    screen = Screen("relay/closed.html", {}, ((relay.talk_to_staff_button(),),))
    await app.messenger.send(chat.id, renderer.render(screen, locale))


async def _send_held(update: Update, app: AppContext, user: User, chat_id: int) -> None:
    """s|send: the text held while a flow's question was waiting goes to the staff after all."""
    query = update.callback_query
    assert query is not None
    renderer, now = app.casework.renderer, app.casework.clock()
    screen: Screen | None = None
    async with app.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            await app.messenger.answer(query)
            return
        _resident, locale = await app.resident_and_locale(session, user)
        thread = await relay.open_thread_of(session, telegram_user_id=user.id)
        held = thread.pending_text if thread is not None else None
        if thread is not None and held is not None:
            thread.pending_text = None
            relayed = await relay.relay_to_staff(
                session, app.casework, thread, text=held, telegram_name=user.full_name, now=now
            )
            if relayed.outcome is not relay.Relayed.SENT:
                thread.pending_text = held  # not sent: kept for another try
            screen = relayed.screen()
    if screen is None:
        # Tapped twice, or the thread ended meanwhile: nothing was sent, and we say so.
        await app.messenger.answer(
            query, renderer.text(Label.of("relay.toast.nothing_held"), locale)
        )
        return
    await app.messenger.answer(query)
    await app.messenger.send(chat_id, renderer.render(screen, locale))


async def _open(update: Update, app: AppContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    async with app.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            return
        resident, locale = await app.resident_and_locale(session, user)
        note_private_chat(resident, app.casework.clock())
        if app.casework.staff_chat_id is None:
            # No staff chat to relay to: say so rather than swallow the resident's messages.
            screen = Screen("relay/unavailable.html")
        else:
            _thread, opened = await relay.open_thread(session, resident, now=app.casework.clock())
            screen = Screen("relay/opened.html", {"again": not opened}, ((relay.close_button(),),))
    await app.messenger.send(chat.id, app.casework.renderer.render(screen, locale))


# ---- the staff chat ------------------------------------------------------------------------


async def on_staff_chat_text(update: Update, context: Context) -> None:
    """A reply to a resident's message is the answer; other staff messages get a hint."""
    app, user, message = AppContext.of(context), update.effective_user, update.message
    if user is None or message is None or message.text is None or user.is_bot:
        return
    if message.chat.id != app.casework.staff_chat_id:
        return
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.is_bot
    if replied is not None and to_bot:
        await _staff_answers(update, app, user, message, replied)
    elif replied is None:
        await _maybe_hint(update, app, user)


async def _staff_answers(
    update: Update, app: AppContext, user: User, message: Message, replied: Message
) -> None:
    chat_id, now = message.chat.id, app.casework.clock()
    async with app.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            return
        thread = await relay.thread_replied_to(
            session, staff_chat_id=chat_id, message_id=replied.message_id
        )
        if thread is None:
            if await _is_window_staff(session, user.id):
                await relay.tell_staff_chat(session, app.casework, relay.StaffNote.HINT, now=now)
        else:
            if await _window_may(
                session, app, user, chat_id, thread, "relay.answer", f"thread:{thread.id}"
            ):
                await relay.answer_resident(
                    session,
                    app.casework,
                    thread,
                    text=message.text or "",
                    default_locale=app.default_locale,
                    now=now,
                )
            else:
                await relay.tell_staff_chat(session, app.casework, relay.StaffNote.REFUSED, now=now)


async def _window_may(
    session: AsyncSession,
    app: AppContext,
    user: User,
    chat_id: int,
    thread: StaffThread | None,
    action: str,
    subject: str,
) -> bool:
    """Window staff may act on a thread of a town they serve; audited, allowed or not."""
    town = (
        await relay.answering_town(session, thread, staff_user_id=user.id)
        if thread is not None
        else None
    )
    decision = await authorise(
        session,
        app.casework,
        user_id=user.id,
        chat_id=chat_id,
        role=StaffRole.WINDOW,
        action=action,
        subject=subject,
        town_id=town,
    )
    return decision.allowed


async def _staff_closes(
    update: Update, app: AppContext, user: User, chat_id: int, press: RelayPress
) -> None:
    query = update.callback_query
    assert query is not None
    thread_id = press.thread if press.action == relay.CLOSE and press.thread else None
    renderer, locale, now = app.casework.renderer, app.casework.staff_locale, app.casework.clock()
    async with app.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            await app.messenger.answer(query)
            return
        thread = await session.get(StaffThread, thread_id) if thread_id is not None else None
        allowed = await _window_may(
            session, app, user, chat_id, thread, "relay.close", press.encode()
        )
        if not allowed or thread is None:
            toast = "relay.toast.refused" if not allowed else "relay.toast.not_open"
        else:
            closed = await relay.close_thread(
                session,
                app.casework,
                thread,
                by_staff=True,
                default_locale=app.default_locale,
                now=now,
            )
            toast = "relay.toast.closed" if closed else "relay.toast.not_open"
    await app.messenger.answer(query, renderer.text(Label.of(toast), locale))


async def _maybe_hint(update: Update, app: AppContext, user: User) -> None:
    """Remind window staff how to answer, when residents are waiting and not too often."""
    hints = app.relay_hints
    now = app.casework.clock()
    last = hints.get(user.id)
    if last is not None and now - last < HINT_EVERY:
        return
    async with app.database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            return
        if not await _is_window_staff(session, user.id):
            return
        if not await relay.any_open_thread(session, now=now, idle=app.casework.relay.idle):
            return
        await relay.tell_staff_chat(session, app.casework, relay.StaffNote.HINT, now=now)
    hints[user.id] = now


async def _is_window_staff(session: AsyncSession, user_id: int) -> bool:
    roles = await staff.roles_of(session, telegram_user_id=user_id)
    return any(r.role == StaffRole.WINDOW for r in roles)
