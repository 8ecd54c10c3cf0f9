"""/broadcast for administrators: compose, choose the audience, preview, test, confirm, schedule;
and the pause / resume / cancel buttons of the live progress message.

The draft is a `broadcasts` row (status draft, `draft_step`), so composing survives a restart.
Every action is authorised and audited; a non-administrator is refused, and that is audited.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.app_context import AppContext
from bot.casework.authorization import authorise
from bot.casework.services import CHINA
from bot.flows.model import Label
from bot.notices import audience as audiences
from bot.notices import broadcasts
from bot.notices.audience import Audience, AudienceError
from bot.notices.broadcasts import BroadcastError
from bot.notices.runner import progress_view
from bot.render import RenderedScreen
from storage import staff, updates
from storage.broadcasts import draft_of, running_broadcast
from storage.models import Broadcast, BroadcastStatus, StaffRole

Reply = Callable[[str, InlineKeyboardMarkup | None], Awaitable[Message]]


def broadcast_handlers(
    admin_ids: tuple[int, ...],
) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Register in the notices group, before the resident dialogue."""
    # Composing input is only looked for from administrators; admins known from the database
    # are added to this filter when they open /broadcast.
    composers = filters.User(user_id=admin_ids, allow_empty=True)
    private = filters.ChatType.PRIVATE

    async def open_(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await on_broadcast(update, context, admin_ids, composers)

    async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await on_cancel_draft(update, context, admin_ids)

    async def compose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await on_compose(update, context, admin_ids)

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await on_button(update, context, admin_ids)

    return [
        CommandHandler("broadcast", open_, filters=private),
        CommandHandler("cancel", cancel, filters=private & composers),
        CallbackQueryHandler(button, pattern=r"^b\|"),
        MessageHandler(
            private
            & composers
            & (filters.TEXT | filters.PHOTO | filters.Document.ALL)
            & ~filters.COMMAND,
            compose,
        ),
    ]


class _Desk:
    """What one administrator's update needs: the session, the texts, the clock."""

    def __init__(self, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession) -> None:
        app = AppContext.of(context)
        components = app.components
        self.context = context
        self.session = session
        self.renderer = components.renderer
        self.profile = components.profile
        self.casework = app.casework
        self.clock: Callable[[], datetime] = components.clock
        self.locale: str = components.dialogue.default_locale
        self.footer = self.t("notices.footer")

    def t(self, key: str, **params: object) -> str:
        """A label for an HTML message: what was typed (an audience, a time) is escaped, so
        "town=<b" is shown as typed instead of breaking the message."""
        escaped = {
            k: html.escape(v, quote=False) if isinstance(v, str) else v for k, v in params.items()
        }
        return str(self.renderer.text(Label.of(key, **escaped), self.locale))

    def error(self, exc: BroadcastError) -> str:
        return self.t(f"broadcast.error.{exc.key}", **exc.params)

    async def allowed(
        self,
        user_id: int,
        chat_id: int | None,
        action: str,
        admin_ids: tuple[int, ...],
        subject: str | None = None,
    ) -> bool:
        decision = await authorise(
            self.session,
            self.casework,
            user_id=user_id,
            chat_id=chat_id,
            role=StaffRole.ADMIN,
            action=action,
            subject=subject,
            admin_ids=admin_ids,
        )
        return decision.allowed


async def on_broadcast(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    admin_ids: tuple[int, ...],
    composers: filters.User,
) -> None:
    """Open (or continue) a draft and ask for its text; refused for anyone but an admin."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    app = AppContext.of(context)
    database = app.database
    async with database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            raise ApplicationHandlerStop
        desk = _Desk(context, session)
        if not await desk.allowed(user.id, chat.id, "broadcast.open", admin_ids):
            text, markup = desk.t("broadcast.refused"), None
        else:
            composers.add_user_ids(user.id)
            running = await running_broadcast(session)
            draft = await draft_of(session, admin_id=user.id)
            if running is not None:
                text, markup = desk.t("broadcast.error.running", id=running.id), None
            else:
                if draft is None:
                    draft = Broadcast(
                        created_by=user.id,
                        chat_id=chat.id,
                        status=BroadcastStatus.DRAFT,
                        created_at=desk.clock(),
                    )
                    session.add(draft)
                draft.draft_step = "text"
                await session.flush()
                text, markup = _ask_text(desk, draft), None
    await app.messenger.send(chat.id, RenderedScreen(text, markup))
    raise ApplicationHandlerStop


def _ask_text(desk: _Desk, draft: Broadcast) -> str:
    footer = len(desk.footer) + 2
    return desk.t(
        "broadcast.ask_text",
        id=draft.id,
        limit=broadcasts.MAX_TEXT - footer,
        caption=broadcasts.MAX_CAPTION - footer,
    )


async def on_cancel_draft(
    update: Update, context: ContextTypes.DEFAULT_TYPE, admin_ids: tuple[int, ...]
) -> None:
    """/cancel while composing discards the draft; otherwise the dialogue handles /cancel."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    app = AppContext.of(context)
    database = app.database
    async with database.transaction() as session:
        draft = await draft_of(session, admin_id=user.id)
        if draft is None:
            return
        if not await updates.claim(session, update_id=update.update_id):
            raise ApplicationHandlerStop
        desk = _Desk(context, session)
        await desk.allowed(
            user.id, chat.id, "broadcast.discard", admin_ids, f"broadcast:{draft.id}"
        )
        draft.status, draft.draft_step = BroadcastStatus.CANCELLED, None
        draft.finished_at = desk.clock()
        text = desk.t("broadcast.discarded")
    await app.messenger.send_text(chat.id, text)
    raise ApplicationHandlerStop


async def on_compose(
    update: Update, context: ContextTypes.DEFAULT_TYPE, admin_ids: tuple[int, ...]
) -> None:
    """Text, photo, audience or time for the admin's draft; not for us when there is none."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    app = AppContext.of(context)
    database = app.database
    replies: list[tuple[str, InlineKeyboardMarkup | None]] = []
    preview: Broadcast | None = None
    async with database.transaction() as session:
        draft = await draft_of(session, admin_id=user.id)
        if draft is None or draft.draft_step is None:
            return  # not composing: the update goes on to the dialogue
        if not await updates.claim(session, update_id=update.update_id):
            raise ApplicationHandlerStop
        desk = _Desk(context, session)
        subject = f"broadcast:{draft.id}"
        if not await desk.allowed(
            user.id, message.chat.id, "broadcast.compose", admin_ids, subject
        ):
            replies.append((desk.t("broadcast.refused"), None))
        else:
            preview = await _compose_step(desk, draft, message, replies)
    for text, markup in replies:
        await app.messenger.send(message.chat.id, RenderedScreen(text, markup))
    if preview is not None:
        await _send_preview(context, message.chat.id, preview)
    raise ApplicationHandlerStop


async def _compose_step(
    desk: _Desk,
    draft: Broadcast,
    message: Message,
    replies: list[tuple[str, InlineKeyboardMarkup | None]],
) -> Broadcast | None:
    step = draft.draft_step
    text = message.text or message.caption or ""
    photo = message.photo[-1].file_id if message.photo else None
    b = draft.id
    try:
        if step == "text":
            if message.document is not None:
                raise BroadcastError("not_image") if not text else BroadcastError("empty")
            broadcasts.check_text(text, footer=desk.footer, with_photo=photo is not None)
            draft.text = text.strip()
            draft.body_html = broadcasts.body_html(draft.text, desk.footer)
            if photo is not None:
                draft.photo_file_id = photo
                draft.draft_step = "audience"
                replies.append(_ask_audience(desk, b))
            else:
                draft.draft_step = "photo"
                no_photo = _keyboard([[(desk.t("broadcast.no_photo"), f"b|{b}|nophoto")]])
                replies.append((desk.t("broadcast.ask_photo"), no_photo))
        elif step == "photo":
            if photo is None:
                raise BroadcastError("not_image")
            broadcasts.check_text(draft.text, footer=desk.footer, with_photo=True)
            draft.photo_file_id = photo
            draft.draft_step = "audience"
            replies.append(_ask_audience(desk, b))
        elif step == "audience":
            try:
                chosen = audiences.parse(text, desk.profile)
            except AudienceError as exc:
                raise BroadcastError(f"audience_{exc.key}", **exc.params) from None
            return await _choose_audience(desk, draft, chosen, replies)
        elif step == "schedule":
            at = _parse_time(text)
            await _start(desk, draft, message.chat.id, replies, at=at)
    except BroadcastError as exc:
        if exc.key == "too_long" and step == "photo":
            draft.draft_step = "text"
        replies.append((desk.error(exc), None))
    return None


async def _choose_audience(
    desk: _Desk,
    draft: Broadcast,
    chosen: Audience,
    replies: list[tuple[str, InlineKeyboardMarkup | None]],
) -> Broadcast | None:
    recipients = await broadcasts.count(desk.session, chosen, desk.clock())
    if recipients == 0:
        raise BroadcastError("nobody")
    draft.audience = chosen.to_json()
    draft.recipients = recipients
    draft.draft_step = "confirm"
    b = draft.id
    keyboard = _keyboard(
        [
            [(desk.t("broadcast.test"), f"b|{b}|test"), (desk.t("broadcast.send"), f"b|{b}|send")],
            [
                (desk.t("broadcast.schedule"), f"b|{b}|schedule"),
                (desk.t("broadcast.change_audience"), f"b|{b}|audience"),
            ],
            [(desk.t("broadcast.discard"), f"b|{b}|discard")],
        ]
    )
    summary = desk.t("broadcast.preview", id=b, audience=chosen.describe(), count=f"{recipients:,}")
    replies.append((summary, keyboard))
    return draft


def _ask_audience(desk: _Desk, b: int) -> tuple[str, InlineKeyboardMarkup]:
    return desk.t("broadcast.ask_audience"), _keyboard(
        [[(desk.t("broadcast.everyone"), f"b|{b}|everyone")]]
    )


async def _start(
    desk: _Desk,
    draft: Broadcast,
    chat_id: int,
    replies: list[tuple[str, InlineKeyboardMarkup | None]],
    *,
    at: datetime | None = None,
) -> None:
    now = desk.clock()
    recipients = await broadcasts.start(desk.session, draft, now=now, at=at)
    staff.audit(
        desk.session,
        actor_id=draft.created_by,
        chat_id=chat_id,
        action="broadcast.confirmed",
        subject=f"broadcast:{draft.id}",
        outcome="allowed",
        detail={
            "audience": draft.audience,
            "recipients": recipients,
            "scheduled_for": at.isoformat() if at else None,
            "photo": draft.photo_file_id is not None,
        },
        at=now,
    )
    if at is not None:
        shown = at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        replies.append(
            (desk.t("broadcast.scheduled", id=draft.id, at=shown, count=f"{recipients:,}"), None)
        )


def _parse_time(text: str) -> datetime:
    try:
        local = datetime.strptime(text.strip().replace("T", " "), "%Y-%m-%d %H:%M")
    except ValueError:
        raise BroadcastError("bad_time") from None
    return local.replace(tzinfo=CHINA).astimezone(UTC)


async def _send_preview(context: ContextTypes.DEFAULT_TYPE, chat_id: int, draft: Broadcast) -> None:
    """What residents will see, sent to the administrator only."""
    messenger = AppContext.of(context).messenger
    if draft.photo_file_id:
        await messenger.send_photo(chat_id, draft.photo_file_id, caption_html=draft.body_html)
    else:
        await messenger.send_text(chat_id, draft.body_html)


async def on_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, admin_ids: tuple[int, ...]
) -> None:
    """b|<id>|<action>: composing choices and the progress message's pause/resume/cancel."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    parts = (query.data or "").split("|")
    if len(parts) != 3 or not parts[1].isdigit():
        await query.answer()
        raise ApplicationHandlerStop
    broadcast_id, action = int(parts[1]), parts[2]
    chat_id = query.message.chat.id
    app = AppContext.of(context)
    database = app.database
    replies: list[tuple[str, InlineKeyboardMarkup | None]] = []
    toast: str | None = None
    preview = test = started = False
    subject = f"broadcast:{broadcast_id}"
    async with database.transaction() as session:
        if not await updates.claim(session, update_id=update.update_id):
            await query.answer()
            raise ApplicationHandlerStop
        desk = _Desk(context, session)
        if not await desk.allowed(user.id, chat_id, f"broadcast.{action}", admin_ids, subject):
            toast = desk.t("broadcast.refused")
            broadcast = None
        else:
            broadcast = await session.get(Broadcast, broadcast_id)
        try:
            if broadcast is None:
                pass
            elif action in ("pause", "resume", "cancel"):
                await _control(desk, broadcast, action)
            elif broadcast.status != BroadcastStatus.DRAFT:
                raise BroadcastError("state")
            elif action == "nophoto":
                broadcast.draft_step = "audience"
                replies.append(_ask_audience(desk, broadcast.id))
            elif action == "everyone":
                preview = await _choose_audience(desk, broadcast, Audience(), replies) is not None
            elif action == "audience":
                broadcast.draft_step = "audience"
                replies.append(_ask_audience(desk, broadcast.id))
            elif action == "test":
                test = True
                toast = desk.t("broadcast.tested")
            elif action == "schedule":
                broadcast.draft_step = "schedule"
                replies.append((desk.t("broadcast.ask_schedule"), None))
            elif action == "send":
                await _start(desk, broadcast, chat_id, replies)
                started = True
            elif action == "discard":
                broadcast.status, broadcast.draft_step = BroadcastStatus.CANCELLED, None
                broadcast.finished_at = desk.clock()
                replies.append((desk.t("broadcast.discarded"), None))
        except BroadcastError as exc:
            toast = desk.error(exc)
            replies.append((toast, None))
    await query.answer(toast[:200] if toast else None)
    if broadcast is not None and (preview or test):
        await _send_preview(context, chat_id, broadcast)
    for text, markup in replies:
        await app.messenger.send(chat_id, RenderedScreen(text, markup))
    if broadcast is not None and (started or action in ("pause", "resume", "cancel")):
        await _show_progress(context, broadcast_id, chat_id, new_message=started)
    raise ApplicationHandlerStop


async def _control(desk: _Desk, broadcast: Broadcast, action: str) -> None:
    if action == "pause":
        await broadcasts.pause(desk.session, broadcast)
    elif action == "resume":
        await broadcasts.resume(desk.session, broadcast)
    else:
        await broadcasts.cancel(desk.session, broadcast, now=desk.clock())


async def _show_progress(
    context: ContextTypes.DEFAULT_TYPE, broadcast_id: int, chat_id: int, *, new_message: bool
) -> None:
    """Send the progress message once (its id is kept), or redraw it now."""
    app = AppContext.of(context)
    runner, components = app.broadcast_runner, app.components
    if new_message:
        async with components.database.transaction() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            assert broadcast is not None
            current = await broadcasts.progress(session, broadcast, now=components.clock())
        text, markup = progress_view(runner.renderer, current, runner.locale)
        sent = await app.messenger.send(chat_id, RenderedScreen(text, markup))
        async with components.database.transaction() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            assert broadcast is not None
            broadcast.chat_id, broadcast.progress_message_id = chat_id, sent.message_id
        runner.wake()
        return
    await runner.show_progress(force=True, only=broadcast_id)


def _keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )
