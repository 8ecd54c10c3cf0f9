"""Shows a dialog screen: edit the dialog message in place, or send it anew when that fails."""

from __future__ import annotations

import logging

from telegram import Bot, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.render import RenderedScreen

log = logging.getLogger(__name__)


class Messenger:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, screen: RenderedScreen) -> Message:
        return await self.bot.send_message(
            chat_id, screen.text, parse_mode=ParseMode.HTML, reply_markup=screen.markup
        )

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
                await self.bot.edit_message_text(
                    screen.text,
                    chat_id=chat_id,
                    message_id=edit,
                    parse_mode=ParseMode.HTML,
                    reply_markup=screen.markup,
                )
                return None
            except BadRequest as exc:
                if "not modified" in exc.message:
                    return None
                # Too old (about 48 h), deleted, or otherwise not editable: send it anew.
                log.info("dialog message could not be edited (%s); sending anew", exc.message)
        message = await self.send(chat_id, screen)
        return message.message_id
