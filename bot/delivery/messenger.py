"""Shows a dialog screen: edit the dialog message in place, or send it anew when that fails."""

from __future__ import annotations

import logging

from telegram import Bot, CallbackQuery, InputFile, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.render import RenderedScreen

log = logging.getLogger(__name__)

# Telegram shows at most 200 characters of a press's answer.
TOAST_LIMIT = 200


class Messenger:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(
        self, chat_id: int, screen: RenderedScreen, *, reply_to: int | None = None
    ) -> Message:
        """Send ``screen`` (as a reply to message ``reply_to`` when given, and still sent if
        that message is gone)."""
        return await self.bot.send_message(
            chat_id,
            screen.text,
            parse_mode=ParseMode.HTML,
            reply_markup=screen.markup,
            reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True)
            if reply_to is not None
            else None,
        )

    async def answer(
        self, query: CallbackQuery, toast: str | None = None, *, alert: bool = False
    ) -> None:
        """Answer a button press: a short toast (a pop-up to dismiss when ``alert``), or
        nothing but stopping the button's spinner. A press answered too late is no failure:
        Telegram forgets an unanswered press after a while."""
        try:
            await query.answer(toast[:TOAST_LIMIT] if toast else None, show_alert=alert)
        except BadRequest as exc:
            log.info("a button press could not be answered: %s", exc)

    async def send_text(self, chat_id: int, text: str, *, reply_to: int | None = None) -> Message:
        """A short message with no buttons (its text already HTML)."""
        return await self.send(chat_id, RenderedScreen(text, None), reply_to=reply_to)

    async def send_photo(self, chat_id: int, photo: str, *, caption_html: str) -> Message:
        """A photo already on Telegram (its file id) with an HTML caption."""
        return await self.bot.send_photo(
            chat_id, photo, caption=caption_html, parse_mode=ParseMode.HTML
        )

    async def edit(self, chat_id: int, message_id: int, screen: RenderedScreen) -> bool:
        """Redraw a message that is updated again and again (a live progress message): never
        sent anew; False when it could not be edited (unchanged text is not a failure)."""
        try:
            await self._redraw(chat_id, message_id, screen)
        except TelegramError as exc:
            log.info("message not edited: %s", exc.message)
            return False
        return True

    async def _redraw(self, chat_id: int, message_id: int, screen: RenderedScreen) -> None:
        """Edit the message's text and buttons; an unchanged text is no failure."""
        try:
            await self.bot.edit_message_text(
                screen.text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=screen.markup,
            )
        except BadRequest as exc:
            if "not modified" not in exc.message:
                raise

    async def clear_buttons(self, chat_id: int, message_id: int) -> None:
        """Take the buttons off a message that has been acted on."""
        await self.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)

    async def send_document(
        self, chat_id: int, content: bytes, *, filename: str, caption: str | None = None
    ) -> Message:
        """Upload a file made for this chat (a data export): it is never stored on our side."""
        return await self.bot.send_document(
            chat_id,
            InputFile(content, filename=filename),
            caption=caption,
            parse_mode=ParseMode.HTML if caption else None,
        )

    async def show(self, chat_id: int, screen: RenderedScreen, *, edit: int | None) -> int | None:
        """Show ``screen``; returns the id of a newly sent message, None when edited in place."""
        if edit is not None:
            try:
                await self._redraw(chat_id, edit, screen)
                return None
            except BadRequest as exc:
                # Too old (about 48 h), deleted, or otherwise not editable: send it anew.
                log.info("dialog message could not be edited (%s); sending anew", exc.message)
        message = await self.send(chat_id, screen)
        return message.message_id
