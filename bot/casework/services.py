"""What casework needs from the running bot, built once per process."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.policy import Profile
from bot.policy.base import CHINA
from bot.render import Renderer
from storage.crypto import Keyring

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.casework.relay.messages import RelayedText, StaffNote
    from storage.models import Application, DepartmentTask


@dataclass(frozen=True, slots=True)
class RelayLimits:
    """How "talk to staff" keeps a thread from outliving its question or flooding the group."""

    # A thread with no message either way for this long is closed.
    idle: timedelta = timedelta(minutes=30)
    # Messages one resident may have posted to the staff chat per minute; more are combined
    # into one message that waits a minute, so alerts about new applications are not held up.
    per_minute: int = 3
    # Relayed messages of one thread still waiting for the staff chat; beyond this the resident
    # is asked to wait for an answer (and is not told "sent").
    backlog: int = 10


class StaffBoard(Protocol):
    """How the staff chats show what casework decided, drawn by ``bot/staff``: casework puts
    the message in the outbox (in its own transaction) but never decides how it looks, and
    never imports the screens themselves."""

    def alert(
        self,
        casework: Casework,
        application: Application,
        tasks: Sequence[DepartmentTask],
        missing: Sequence[str],
    ) -> tuple[str, dict[str, Any] | None]:
        """The window's alert about a new application."""

    def digest(
        self, casework: Casework, applications: Sequence[Application], programmes: dict[int, int]
    ) -> tuple[str, dict[str, Any] | None]:
        """Many new applications in one message, while the staff chat is busy."""

    async def post_task_card(
        self,
        session: AsyncSession,
        casework: Casework,
        application: Application,
        task: DepartmentTask,
    ) -> None:
        """Queue the task's card to its department's chat."""

    def overdue(
        self,
        casework: Casework,
        application: Application,
        task: DepartmentTask,
        *,
        days: int,
        working_days: bool,
    ) -> tuple[str, dict[str, Any] | None]:
        """The daily reminder that ``task`` is ``days`` (working) days past its due date."""

    def documents_arrived(
        self, casework: Casework, application: Application, received: Sequence[str]
    ) -> str:
        """The window's note that the documents it asked for (``received``) have arrived."""

    def relayed(self, casework: Casework, said: RelayedText) -> tuple[str, dict[str, Any] | None]:
        """A resident's text (or one part of it) for the staff chat, to be answered by reply,
        with the button that closes the thread."""

    def relayed_more(self, casework: Casework, said: RelayedText) -> str:
        """The same, added to a message of the resident's that still waits to be sent."""

    def relay_note(self, casework: Casework, note: StaffNote) -> tuple[str, dict[str, Any] | None]:
        """A short note about "talk to staff" for the staff chat."""


@dataclass(frozen=True, slots=True)
class Casework:
    profile: Profile
    # The operator's keys; encrypted columns use the database's own copy (storage/db.py).
    keyring: Keyring
    renderer: Renderer
    clock: Callable[[], datetime]
    staff_locale: str = "zh-CN"
    staff_chat_id: int | None = None
    department_chats: Mapping[str, int] = field(default_factory=dict)
    relay: RelayLimits = field(default_factory=RelayLimits)
    # The staff screens (bot/staff); without them nothing is posted to staff chats.
    board: StaffBoard | None = None

    def digest(self, value: str) -> str:
        """The keyed digest that finds a person by ID number without decrypting anything
        (applications.subject_digest)."""
        return self.keyring.digest(value)

    def today(self) -> date:
        return self.clock().astimezone(CHINA).date()
