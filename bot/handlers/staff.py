"""Staff chats: button presses on alerts and task cards, and text typed in reply to them.

Thin: read the update, run the window or department service in one transaction (with the
update id claimed, so a redelivered update acts once), then answer the press, edit the card,
and the transaction's commit wakes the outbox dispatcher for whatever it queued.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from telegram import Message, MessageEntity, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.app_context import AppContext, Context
from bot.callbacks import FlowPress, TaskPress, WindowPress, decode
from bot.casework import relay
from bot.casework.authorization import Actor
from bot.casework.people import note_private_chat
from bot.casework.services import Casework
from bot.flows.model import Label
from bot.flows.parsing import normalise
from bot.handlers.broadcast import COMMAND as BROADCAST_COMMAND
from bot.handlers.resident import COMMANDS as RESIDENT_COMMANDS
from bot.handlers.staff_admin import COMMANDS as STAFF_ADMIN_COMMANDS
from bot.staff import department, window
from bot.staff.replies import StaffReply, forged, hint, label, said
from storage import residents, staff, updates

log = logging.getLogger(__name__)

# Typed text that looks like button data ("w|12|accept"): someone trying to act by typing.
STAFF_PATTERN = re.compile(r"^[wt]\|")
# Commands of this bot; all of them are for private chats.
OUR_COMMANDS = frozenset({*RESIDENT_COMMANDS, *STAFF_ADMIN_COMMANDS, BROADCAST_COMMAND})
# Words that mean someone is trying to act by typing; ordinary chat between staff is left alone.
ACTION_WORDS = frozenset(
    {
        "受理", "同意", "通过", "批准", "驳回", "拒绝", "不予受理", "补材料", "转办", "退回",
        "accept", "approve", "approved", "reject", "rejected", "decline", "forward",
    }
)  # fmt: skip


def staff_chats(casework: Casework) -> frozenset[int]:
    chats = set(casework.department_chats.values())
    if casework.staff_chat_id is not None:
        chats.add(casework.staff_chat_id)
    return frozenset(chats)


def is_staff_press(data: object) -> bool:
    """Data of a button on an alert or a task card."""
    return WindowPress.matches(data) or TaskPress.matches(data)


def _staff_presses(message: Message | None) -> list[WindowPress | TaskPress]:
    if message is None or message.reply_markup is None:
        return []
    found = (decode(b.callback_data) for row in message.reply_markup.inline_keyboard for b in row)
    return [press for press in found if isinstance(press, WindowPress | TaskPress)]


def waiting_for(message: Message | None) -> WindowPress | TaskPress | None:
    """What a card asks to be typed, read from its cancel button ("w|12|x|rj|other")."""
    return next((p for p in _staff_presses(message) if p.verb == "x"), None)


def is_card(message: Message | None) -> bool:
    """One of our alerts or task cards (it has staff buttons)."""
    return bool(_staff_presses(message))


class StaffText(filters.MessageFilter):
    """Text in a staff chat that is ours to answer: a reply to a card, an attempt to act, or
    words meant for the bot that it cannot place (they get a hint, never silence)."""

    def __init__(self, chats: frozenset[int], window_chat: int | None) -> None:
        super().__init__(name="StaffText")
        self.chats = chats
        self.window_chat = window_chat

    def filter(self, message: Message) -> bool:
        if message.chat.id not in self.chats or not message.text:
            return False
        replied = message.reply_to_message
        if replied is not None:
            if is_card(replied):
                return True
            # In the window chat a reply to a resident's relayed message is the relay's (it
            # hints itself); elsewhere a reply to any message of ours is ours to answer.
            ours = replied.from_user is not None and replied.from_user.is_bot
            return ours and message.chat.id != self.window_chat
        return looks_like_action(message.text) or _mentions_the_bot(message)


def _mentions_the_bot(message: Message) -> bool:
    try:
        username = message.get_bot().username
    except RuntimeError:  # no bot attached (a message built by hand)
        return False
    wanted = f"@{username}".lower()
    mentions = message.parse_entities([MessageEntity.MENTION]).values()
    return any(mention.lower() == wanted for mention in mentions)


def looks_like_action(text: str) -> bool:
    cleaned = normalise(text).strip("。.!！ ")
    return cleaned in ACTION_WORDS or bool(STAFF_PATTERN.match(cleaned))


class GroupPressHandler(CallbackQueryHandler):  # type: ignore[type-arg]
    """A press in a group chat that is none of ours, or a resident's: residents only have
    buttons in private chats, and other parts of the bot (the staff relay, "s|…") own their
    presses, so what is left is forged or garbled, and is refused with an audit."""

    def check_update(self, update: object) -> bool:
        if not isinstance(update, Update) or update.callback_query is None:
            return False
        chat, data = update.effective_chat, update.callback_query.data
        if chat is None or chat.type == "private":
            return False
        if data == relay.ANSWER_DATA:
            return True  # a resident's button (the dialogue's), never on a group message
        press = decode(data)
        return press is None or isinstance(press, FlowPress)


def staff_handlers(casework: Casework) -> list[BaseHandler]:  # type: ignore[type-arg]
    """Registered before the resident handlers: staff callback data anywhere, any press in a
    group, and text in staff chats that answers (or mistakes) a card."""
    return [
        CallbackQueryHandler(on_staff_press, pattern=is_staff_press),
        GroupPressHandler(on_staff_press),
        MessageHandler(StaffText(staff_chats(casework), casework.staff_chat_id), on_staff_text),
        MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, on_group_command),
        # The deep link of the "start the bot first" toast: /start staff.
        CommandHandler(
            "start",
            on_staff_start,
            filters=filters.ChatType.PRIVATE & filters.Regex(r"^/start(@\w+)?\s+staff\s*$"),
        ),
    ]


def _actor(update: Update) -> Actor | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None:
        return None
    return Actor(user.id, chat.id if chat else None, user.full_name)


def _combine(context: Context) -> timedelta:
    return timedelta(seconds=AppContext.of(context).settings.notify_combine_seconds)


async def on_staff_press(update: Update, context: Context) -> None:
    """A press on an alert or a task card (or forged data in a group): act once, then show."""
    query, actor = update.callback_query, _actor(update)
    if query is None or actor is None:
        return
    app = AppContext.of(context)
    casework, database = app.casework, app.database
    data = query.data if isinstance(query.data, str) else None
    pressed = decode(data)
    async with database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            return
        combine = _combine(context)
        if isinstance(pressed, WindowPress):
            reply = await window.press(
                session, casework, actor, pressed, data=data or "", combine_within=combine
            )
        elif isinstance(pressed, TaskPress):
            reply = await department.press(
                session, casework, actor, pressed, data=data or "", combine_within=combine
            )
        else:
            reply = forged(session, casework, actor, data)
    if reply.private is not None:
        # Sent before the press is answered: the toast says whether it arrived.
        await _send_private(context, reply, actor)
    if reply.start_key is not None:
        reply.toast = label(casework, reply.start_key, link=_start_link(context))
    await app.messenger.answer(query, reply.toast, alert=reply.alert)
    message = query.message if isinstance(query.message, Message) else None
    await _show(context, reply, message)


async def on_staff_text(update: Update, context: Context) -> None:
    """Typed text in a staff chat: a note, date or amount a card asked for — or a hint."""
    message, actor = update.message, _actor(update)
    if message is None or actor is None or not message.text:
        return
    app = AppContext.of(context)
    casework, database = app.casework, app.database
    card = message.reply_to_message
    waiting = waiting_for(card)
    async with database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            return
        if waiting is None:
            key = "staffmsg.hint_card" if card is not None else "staffmsg.hint_tap"
            reply = StaffReply(reply=hint(casework, key))
        elif isinstance(waiting, WindowPress):
            reply = await window.typed(
                session, casework, actor, waiting, message.text, combine_within=_combine(context)
            )
        else:
            reply = await department.typed(
                session, casework, actor, waiting, message.text, combine_within=_combine(context)
            )
    if reply.alert and reply.toast and reply.reply is None:
        # Refusals answer a press with a pop-up; a typed reply gets the same words in the chat.
        reply.reply = said(casework, reply.toast)
    if reply.reply is not None:
        try:
            await app.messenger.send(message.chat.id, reply.reply, reply_to=message.message_id)
        except TelegramError as exc:
            log.warning("could not answer typed text in a staff chat: %s", exc)
    await _show(context, StaffReply(edit=reply.edit), card)


async def _show(context: Context, reply: StaffReply, message: Message | None) -> None:
    app = AppContext.of(context)
    if reply.edit is not None and message is not None:
        await app.messenger.show(message.chat.id, reply.edit, edit=message.message_id)


async def _send_private(context: Context, reply: StaffReply, actor: Actor) -> None:
    """Unmasked details go to the staff member's private chat and nowhere else. Sent directly,
    never through the outbox, so decrypted numbers are not written to the database. If the
    private chat fails (they stopped the bot), nothing is posted anywhere, and the audit says so."""
    assert reply.private is not None
    screen, app = reply.private, AppContext.of(context)
    try:
        await app.messenger.send(actor.user_id, screen)
        return
    except (Forbidden, BadRequest) as exc:
        log.info("details not delivered privately: %s", exc)
    casework, database = app.casework, app.database
    async with database.transaction() as session:
        staff.audit(
            session,
            actor_id=actor.user_id,
            chat_id=actor.chat_id,
            action="personal_data.unmasked",
            outcome="not_delivered",
            detail={"sent_to": actor.user_id},
            at=casework.clock(),
        )
    reply.private = None
    reply.start_key = "window.details_not_delivered"
    reply.alert = True


def _start_link(context: Context) -> str:
    """The deep link that opens a private chat with the bot (its username is known once the
    application has initialised: PTB calls getMe)."""
    return f"https://t.me/{context.bot.username}?start=staff"


async def on_staff_start(update: Update, context: Context) -> None:
    """/start staff: the private chat is recorded (details may come here now), and said so."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    app = AppContext.of(context)
    casework, database = app.casework, app.database
    async with database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            return
        resident = await residents.find_or_create(session, telegram_user_id=user.id)
        note_private_chat(resident, casework.clock())
    said = casework.renderer.message(Label.of("staffmsg.private_started"), casework.staff_locale)
    await app.messenger.send(chat.id, said)


async def on_group_command(update: Update, context: Context) -> None:
    """A command typed in a group: ours work only in private chats (a group would see the
    answer), so say where to use it; any other is recorded. Never silently ignored."""
    message, actor = update.message, _actor(update)
    if message is None or actor is None or not message.text:
        return
    word = message.text[1:].split(maxsplit=1)[0] if len(message.text) > 1 else ""
    name, _, addressed = word.partition("@")
    if addressed and addressed.lower() != (context.bot.username or "").lower():
        return  # meant for another bot in the group
    name = name.lower()
    ours = name in OUR_COMMANDS
    app = AppContext.of(context)
    casework, database = app.casework, app.database
    async with database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            return
        staff.audit(
            session,
            actor_id=actor.user_id,
            chat_id=actor.chat_id,
            action="group.command",
            subject=name[:64],
            outcome="redirected" if ours else "ignored",
            at=casework.clock(),
        )
    if not ours:
        return
    link = _start_link(context)
    try:
        await app.messenger.send(
            message.chat.id,
            hint(casework, "staffmsg.command_private", command=name, link=link),
            reply_to=message.message_id,
        )
    except TelegramError as exc:
        log.warning("could not answer a command in a group: %s", exc)
