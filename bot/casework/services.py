"""What casework needs from the running bot, built once per process."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.policy import Profile
from bot.render import Renderer
from storage.crypto import Keyring

# Policy dates are Chinese dates: a time limit counts days in China.
CHINA = ZoneInfo("Asia/Shanghai")


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

    def digest(self, value: str) -> str:
        """The keyed digest that finds a person by ID number without decrypting anything
        (applications.subject_digest)."""
        return self.keyring.digest(value)

    def today(self) -> date:
        return self.clock().astimezone(CHINA).date()
