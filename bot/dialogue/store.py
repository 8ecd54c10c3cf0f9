"""A resident's conversation at rest: loaded with the resident in one query, saved as a row
whose answers and view are encrypted by their column types (``storage/crypto.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.model import DialogState
from storage import residents
from storage.models import Conversation, ConversationStatus, Resident


@dataclass(slots=True)
class Loaded:
    """What every resident update starts from."""

    resident: Resident
    conversation: Conversation | None
    # The id of the resident's open conversation with staff ("talk to staff"), if any.
    open_thread: int | None

    @property
    def state(self) -> DialogState | None:
        """The flow's state as the engine reads it; a copy, so the row changes only on save."""
        row = self.conversation
        if row is None:
            return None
        return DialogState(
            flow=row.flow,
            step=row.step,
            answers=dict(row.answers),
            history=list(row.history),
            view=dict(row.view),
            version=row.version,
            active=row.status == ConversationStatus.ACTIVE,
            updated_at=row.updated_at,
        )


async def load(session: AsyncSession, *, user_id: int, chat_id: int) -> Loaded:
    """The resident (created on first contact), their conversation and open staff thread."""
    resident, conversation, open_thread = await residents.with_conversation(
        session, telegram_user_id=user_id, chat_id=chat_id
    )
    return Loaded(resident, conversation, open_thread)


def save(
    session: AsyncSession,
    loaded: Loaded,
    state: DialogState,
    *,
    chat_id: int,
    cancelled: bool,
) -> Conversation:
    """Write ``state`` to the conversation's row (created for a first conversation)."""
    conversation = loaded.conversation
    if conversation is None:
        conversation = Conversation(
            chat_id=chat_id, resident_id=loaded.resident.id, started_at=state.updated_at
        )
        session.add(conversation)
        loaded.conversation = conversation
    ended = ConversationStatus.CANCELLED if cancelled else ConversationStatus.FINISHED
    conversation.flow = state.flow
    conversation.step = state.step
    conversation.answers = state.answers
    conversation.history = state.history
    conversation.view = state.view
    conversation.version = state.version
    conversation.status = ConversationStatus.ACTIVE if state.active else ended
    conversation.updated_at = state.updated_at or datetime.now(UTC)
    return conversation
