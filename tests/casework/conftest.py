"""Staff-side casework through the real Application: staff, their groups, and applications.

Applications are submitted by calling ``submit`` directly (the resident conversation is
tested on its own); every person here is invented.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from bot.casework.services import Casework
from sandbox.models import StoredMessage
from storage import staff
from storage.db import Database
from storage.models import AuditEvent, StaffRole
from tests.conftest import DEPARTMENT_CHATS, STAFF_CHAT, BotHarness, Person
from tests.helpers import apply, audit_rows, resident_id

WINDOW = 5001  # 陈晓, window staff for every town
CIVIL = 6001  # 区民政局
MEDICAL = 6002  # 区医疗保障局
OUTSIDER = 5999  # in the staff group, but holds no role
CIVIL_CHAT = DEPARTMENT_CHATS["civil_affairs"]
MEDICAL_CHAT = DEPARTMENT_CHATS["medical_security"]


@dataclass
class Desk:
    """The staff side of the harness: groups, staff members, and what they do there."""

    bot: BotHarness

    @property
    def casework(self) -> Casework:
        work: Casework = self.bot.components.casework
        return work

    @property
    def database(self) -> Database:
        return self.bot.database

    async def resident(
        self, telegram_id: int, language_code: str = "zh-hans"
    ) -> tuple[Person, int]:
        """A resident who has started the bot (so it may write to them), and their row id."""
        person = self.bot.person(telegram_id, language_code)
        await person.send("/start")
        return person, await resident_id(self.bot, telegram_id)

    async def apply(self, resident_id: int, **changes: object) -> int:
        """Temporary and medical assistance: no public notice, so a short statutory path."""
        return await apply(
            self.bot, resident_id, **{"programmes": ("temporary", "medical"), **changes}
        )

    def messages(self, chat_id: int) -> list[StoredMessage]:
        return [m for m in self.bot.telegram.chat_messages(chat_id) if m.from_bot]

    def last(self, chat_id: int) -> StoredMessage:
        return self.messages(chat_id)[-1]

    async def press(
        self, user_id: int, chat_id: int, label: str, message_id: int | None = None
    ) -> dict[str, Any]:
        update = self.bot.telegram.make_update_press(user_id, chat_id, label, message_id)
        await self.bot.feed(update)
        return update

    async def type(
        self, user_id: int, chat_id: int, text: str, reply_to: int | None = None
    ) -> None:
        update = self.bot.telegram.make_update_text(
            user_id, text, chat_id, reply_to_message_id=reply_to
        )
        await self.bot.feed(update)

    def answer(self, query_id: str) -> str:
        answer = self.bot.telegram.callback_answer(query_id)
        assert answer is not None, "the press was not answered"
        return str(answer.get("text") or "")

    def last_answer(self) -> str:
        query = list(self.bot.telegram.callback_queries.values())[-1]
        return self.answer(query.query_id)

    async def settle(self, seconds: float = 31) -> int:
        """Let combined notices fall due, then send the outbox."""
        self.bot.clock.advance(seconds=seconds)
        return await self.bot.dispatch()

    async def audit(
        self, action: str | None = None, outcome: str | None = None
    ) -> list[AuditEvent]:
        return await audit_rows(self.bot, action, outcome)


@pytest.fixture
async def desk(bot: BotHarness) -> Desk:
    telegram = bot.telegram
    telegram.add_group(STAFF_CHAT, "窗口工作人员群")
    for department, chat_id in DEPARTMENT_CHATS.items():
        telegram.add_group(chat_id, department)
    for user_id, name in (
        (WINDOW, "陈晓"), (CIVIL, "李民政"), (MEDICAL, "赵医保"), (OUTSIDER, "路人"),
        (1087968824, "Group"), (777000, "Telegram"),
    ):  # fmt: skip
        telegram.add_user(user_id, name)
    result = Desk(bot)
    # Telegram's pacing is the dispatcher's own concern (tested there); here it would only
    # make the tests wait in real time between a resident's notices.
    assert bot.application is not None
    dispatcher = bot.application.bot_data.app.dispatcher
    dispatcher.limits = replace(
        dispatcher.limits, private_per_second=1000, private_burst=1000, group_per_minute=60000
    )
    async with result.database.transaction() as session:
        await staff.add(
            session, telegram_user_id=WINDOW, role=StaffRole.WINDOW, display_name="陈晓"
        )
        await staff.add(
            session, telegram_user_id=CIVIL, role=StaffRole.DEPARTMENT,
            department_id="civil_affairs", display_name="李民政",
        )  # fmt: skip
        await staff.add(
            session, telegram_user_id=MEDICAL, role=StaffRole.DEPARTMENT,
            department_id="medical_security", display_name="赵医保",
        )  # fmt: skip
    return result
