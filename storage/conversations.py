"""Conversations: one row per chat holding where it stands in its flow."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation


async def for_chat(session: AsyncSession, *, chat_id: int) -> Conversation | None:
    return await session.scalar(select(Conversation).where(Conversation.chat_id == chat_id))


async def set_dialog_message(
    session: AsyncSession, *, chat_id: int, message_id: int, version: int
) -> None:
    """Remember which message shows the dialog, unless the conversation moved on meanwhile."""
    await session.execute(
        update(Conversation)
        .where(Conversation.chat_id == chat_id, Conversation.version == version)
        .values(dialog_message_id=message_id)
        .execution_options(synchronize_session=False)
    )
