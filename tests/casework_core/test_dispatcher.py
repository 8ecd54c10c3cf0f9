"""The outbox dispatcher: nothing lost, nothing sent twice when its outcome is known."""

from __future__ import annotations

from sqlalchemy import select

from bot.delivery.dispatcher import Dispatcher
from storage import outbox
from storage.models import OutboxMessage, OutboxStatus, Priority
from tests.conftest import STAFF_CHAT, BotHarness


def dispatcher_of(bot: BotHarness) -> Dispatcher:
    assert bot.application is not None
    return bot.application.bot_data["dispatcher"]  # type: ignore[no-any-return]


async def add(bot: BotHarness, chat_id: int, text: str, priority: int = Priority.RESIDENT) -> int:
    database = dispatcher_of(bot).database
    async with database.transaction() as session:
        row = await outbox.enqueue(
            session, chat_id=chat_id, purpose="test", priority=priority, text=text, now=bot.clock()
        )
        await session.flush()
        return row.id


async def statuses(bot: BotHarness) -> dict[int, str]:
    async with dispatcher_of(bot).database.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
        return {row.id: row.status for row in rows}


def resident(bot: BotHarness, user_id: int) -> int:
    bot.telegram.add_user(user_id, "居民")
    bot.telegram.make_update_text(user_id, "/start")  # the private chat exists
    return user_id


async def test_a_crash_between_commit_and_send_loses_nothing(bot: BotHarness) -> None:
    chat = resident(bot, 6001)
    row = await add(bot, chat, "您的申请已受理")
    # The process dies right after the commit: nothing was sent. A new process starts.
    await bot.restart()
    assert await dispatcher_of(bot).recover() == 0
    await bot.dispatch()
    assert (await statuses(bot))[row] == OutboxStatus.SENT
    assert [m.text for m in bot.telegram.chat_messages(chat) if m.from_bot] == ["您的申请已受理"]


async def test_a_crash_mid_send_is_unknown_and_never_resent(bot: BotHarness) -> None:
    chat = resident(bot, 6002)
    row = await add(bot, chat, "通知")
    dispatcher = dispatcher_of(bot)
    async with dispatcher.database.transaction() as session:
        await outbox.claim_batch(session, now=bot.clock(), limit=10)  # marked sending, then death
    await bot.restart()
    assert await dispatcher_of(bot).recover() == 1
    await bot.dispatch()
    assert (await statuses(bot))[row] == OutboxStatus.UNKNOWN
    assert not [m for m in bot.telegram.chat_messages(chat) if m.from_bot]


async def test_retry_after_is_honoured(bot: BotHarness) -> None:
    chat = resident(bot, 6003)
    row = await add(bot, chat, "稍后送达")
    bot.telegram.inject_error("sendMessage", 429, "Too Many Requests: retry after 5", retry_after=5)
    await bot.dispatch()
    assert (await statuses(bot))[row] == OutboxStatus.PENDING
    calls = len(bot.telegram.calls_to("sendMessage"))
    bot.clock.advance(seconds=4)
    await bot.dispatch()
    assert len(bot.telegram.calls_to("sendMessage")) == calls  # nothing before retry_after
    bot.clock.advance(seconds=1)
    await bot.dispatch()
    assert (await statuses(bot))[row] == OutboxStatus.SENT


async def test_blocked_is_failed_and_timeouts_are_unknown(bot: BotHarness) -> None:
    blocked = resident(bot, 6004)
    bot.telegram.user_blocks_bot(blocked)
    gone = await add(bot, blocked, "x")
    slow = await add(bot, resident(bot, 6005), "y")
    await bot.dispatch()
    assert (await statuses(bot))[gone] == OutboxStatus.FAILED
    assert (await statuses(bot))[slow] == OutboxStatus.SENT
    timed_out = await add(bot, resident(bot, 6006), "z")
    from telegram.error import TimedOut

    async def time_out(*args: object, **kwargs: object) -> None:
        raise TimedOut("read timeout")

    dispatcher = dispatcher_of(bot)
    original = dispatcher.bot.send_message
    object.__setattr__(dispatcher, "bot", type("B", (), {"send_message": time_out})())
    try:
        await bot.dispatch()
    finally:
        object.__setattr__(dispatcher, "bot", original.__self__)
    assert (await statuses(bot))[timed_out] == OutboxStatus.UNKNOWN


async def test_resident_notices_go_before_staff_alerts(bot: BotHarness) -> None:
    bot.telegram.add_group(STAFF_CHAT, "窗口")
    staff_row = await add(bot, STAFF_CHAT, "新申请", Priority.STAFF)
    resident_row = await add(bot, resident(bot, 6007), "进度通知", Priority.RESIDENT)
    await bot.dispatch()
    sent = [c.params["chat_id"] for c in bot.telegram.calls_to("sendMessage")]
    assert sent.index(6007) < sent.index(STAFF_CHAT)
    assert (await statuses(bot)) == {staff_row: "sent", resident_row: "sent"}


async def test_notices_in_a_short_window_are_combined(bot: BotHarness) -> None:
    from datetime import timedelta

    chat = resident(bot, 6008)
    database = dispatcher_of(bot).database
    async with database.transaction() as session:
        for text in ("民政局已受理", "医保局已受理"):
            await outbox.enqueue(
                session,
                chat_id=chat,
                purpose="notice",
                priority=0,
                text=text,
                combine_key=f"notify:{chat}",
                combine_within=timedelta(seconds=30),
                now=bot.clock(),
            )
    await bot.dispatch()
    assert not [m for m in bot.telegram.chat_messages(chat) if m.from_bot]  # still waiting
    bot.clock.advance(seconds=30)
    await bot.dispatch()
    texts = [m.text for m in bot.telegram.chat_messages(chat) if m.from_bot]
    assert texts == ["民政局已受理\n\n医保局已受理"]
