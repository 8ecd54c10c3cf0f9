"""Broadcast tests: a bot whose limits are high enough that volume tests take milliseconds,
and residents subscribed in bulk straight into the database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import insert, select

from bot.delivery.dispatcher import Dispatcher
from bot.notices.runner import BroadcastRunner
from bot.notices.subscriptions import NOTICES_CONSENT_VERSION
from storage.db import Database
from storage.models import (
    Broadcast,
    NoticeSubscription,
    OutboxMessage,
    Resident,
    Screening,
)
from tests.conftest import TEST_SECRET_KEY, BotHarness, Clock, started_bot

ADMIN = 9001
FIRST = 700_000


@pytest.fixture
async def fast(database_url: str, clock: Clock) -> AsyncIterator[BotHarness]:
    """The bot with Telegram's limits raised a hundredfold (the fake does not enforce them)."""
    harness = await started_bot(
        clock,
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
        admin_ids=str(ADMIN),
        send_rate=3000,
        chat_rate=100,
        broadcast_batch=100,
    )
    yield harness
    await harness.stop()


def parts(bot: BotHarness) -> tuple[Database, Dispatcher, BroadcastRunner]:
    assert bot.application is not None
    app = bot.application.bot_data.app
    return app.database, app.dispatcher, app.broadcast_runner


@dataclass(frozen=True)
class Member:
    user_id: int
    town: str = "baisha"
    topics: tuple[str, ...] = ("all",)
    answers: dict[str, Any] | None = None
    town_only: bool = False


async def subscribe(bot: BotHarness, members: Sequence[Member]) -> None:
    """Residents who agreed to notices, written in bulk (and known to the fake Telegram)."""
    database, _, _ = parts(bot)
    now = bot.clock()
    for m in members:
        bot.telegram.add_user(m.user_id, f"居民{m.user_id}")
        bot.telegram.make_update_text(m.user_id, "/start")  # the private chat exists
    async with database.transaction() as session:
        await session.execute(
            insert(Resident), [{"telegram_user_id": m.user_id, "locale": "zh-CN"} for m in members]
        )
        ids = dict((await session.execute(select(Resident.telegram_user_id, Resident.id))).all())
        await session.execute(
            insert(NoticeSubscription),
            [
                {
                    "resident_id": ids[m.user_id],
                    "chat_id": m.user_id,
                    "active": True,
                    "topics": list(m.topics),
                    "town_only": m.town_only,
                    "town_id": m.town,
                    "consent_version": NOTICES_CONSENT_VERSION,
                    "created_at": now,
                    "updated_at": now,
                }
                for m in members
            ],
        )
        screened = [m for m in members if m.answers is not None]
        if screened:
            await session.execute(
                insert(Screening),
                [
                    {
                        "resident_id": ids[m.user_id],
                        "answers": m.answers,
                        "verdicts": {},
                        "standards_version": "2026-01-01",
                        "evaluated_on": now.date(),
                        "created_at": now,
                        "updated_at": now,
                    }
                    for m in screened
                ],
            )


async def rows_of(bot: BotHarness, broadcast_id: int) -> list[OutboxMessage]:
    database, _, _ = parts(bot)
    async with database.transaction() as session:
        return list(
            (
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast_id)
                )
            ).all()
        )


async def broadcast_row(bot: BotHarness, broadcast_id: int) -> Broadcast:
    database, _, _ = parts(bot)
    async with database.transaction() as session:
        found = await session.get(Broadcast, broadcast_id)
        assert found is not None
        return found


def received(bot: BotHarness, user_id: int) -> list[str]:
    return [m.text or m.caption or "" for m in bot.telegram.chat_messages(user_id) if m.from_bot]
