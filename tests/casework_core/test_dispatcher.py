"""The outbox dispatcher: nothing lost, nothing sent twice when its outcome is known."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from telegram.error import TimedOut

from bot.delivery.dispatcher import Dispatcher, Limits
from storage import outbox
from storage.models import OutboxMessage, OutboxStatus, Priority
from tests.conftest import STAFF_CHAT, BotHarness

REPEAT_ZH = "（重发：此消息可能已收到过）"


def dispatcher_of(bot: BotHarness) -> Dispatcher:
    assert bot.application is not None
    return bot.application.bot_data.app.dispatcher  # type: ignore[no-any-return]


async def add(
    bot: BotHarness,
    chat_id: int,
    text: str,
    priority: int = Priority.RESIDENT,
    purpose: str = "receipt",
) -> int:
    database = dispatcher_of(bot).database
    async with database.transaction() as session:
        row = await outbox.enqueue(
            session, chat_id=chat_id, purpose=purpose, priority=priority, text=text, now=bot.clock()
        )
        await session.flush()
        return row.id


async def row_of(bot: BotHarness, row_id: int) -> OutboxMessage:
    async with dispatcher_of(bot).database.transaction() as session:
        row = await session.get(OutboxMessage, row_id)
    assert row is not None
    return row


async def claim_and_die(bot: BotHarness) -> None:
    """Rows are marked `sending` and committed; the process dies before any outcome is written."""
    async with dispatcher_of(bot).database.transaction() as session:
        await outbox.claim_batch(session, now=bot.clock(), limit=10)
    await bot.restart()


def bot_texts(bot: BotHarness, chat_id: int) -> list[str]:
    return [m.text or "" for m in bot.telegram.chat_messages(chat_id) if m.from_bot]


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
    assert (await dispatcher_of(bot).recover()).total == 0
    await bot.dispatch()
    assert (await statuses(bot))[row] == OutboxStatus.SENT
    assert [m.text for m in bot.telegram.chat_messages(chat) if m.from_bot] == ["您的申请已受理"]


async def test_a_receipt_cut_off_mid_send_is_sent_again_once(bot: BotHarness) -> None:
    chat = resident(bot, 6002)
    row = await add(bot, chat, "您的申请已受理，编号 BS-2026-0001")
    await claim_and_die(bot)
    found = await dispatcher_of(bot).recover()
    assert (found.resent, found.unknown, found.failed) == (1, 0, 0)
    await bot.dispatch()
    sent = await row_of(bot, row)
    assert sent.status == OutboxStatus.SENT and sent.maybe_delivered
    # The resident reads the receipt as it was: no line about repeats meant for staff.
    assert bot_texts(bot, chat) == ["您的申请已受理，编号 BS-2026-0001"]
    # Its outcome is known now: later starts never send it again.
    await bot.restart()
    assert (await dispatcher_of(bot).recover()).total == 0
    await bot.dispatch()
    assert len(bot_texts(bot, chat)) == 1


async def test_an_unknown_receipt_left_by_an_older_version_is_sent_at_the_next_start(
    bot: BotHarness,
) -> None:
    chat = resident(bot, 6011)
    row = await add(bot, chat, "您的申请已受理")
    async with dispatcher_of(bot).database.transaction() as session:
        found = await session.get(OutboxMessage, row)
        assert found is not None
        found.status, found.attempts = OutboxStatus.UNKNOWN, 1
    await bot.restart()
    assert (await dispatcher_of(bot).recover()).resent == 1
    await bot.dispatch()
    assert bot_texts(bot, chat) == ["您的申请已受理"]


async def test_a_staff_message_sent_again_says_it_may_be_a_repeat(bot: BotHarness) -> None:
    bot.telegram.add_group(STAFF_CHAT, "窗口")
    alert = await add(bot, STAFF_CHAT, "<b>新申请</b> BS-2026-0002", Priority.STAFF, "alert")
    await claim_and_die(bot)
    assert (await dispatcher_of(bot).recover()).resent == 1
    await bot.dispatch()
    assert bot_texts(bot, STAFF_CHAT) == [f"{REPEAT_ZH}\n新申请 BS-2026-0002"]
    assert (await row_of(bot, alert)).status == OutboxStatus.SENT
    # A staff message sent the first time carries no such line.
    await add(bot, STAFF_CHAT, "新申请 BS-2026-0003", Priority.STAFF, "alert")
    await bot.dispatch()
    assert bot_texts(bot, STAFF_CHAT)[-1] == "新申请 BS-2026-0003"


async def test_the_repeat_line_is_in_the_staff_locale(bot: BotHarness) -> None:
    bot.telegram.add_group(STAFF_CHAT, "Window")
    english = bot.settings.model_copy(update={"locale": "en"})
    bot.settings = english
    await bot.restart()
    await add(bot, STAFF_CHAT, "New application", Priority.STAFF, "digest")
    await claim_and_die(bot)
    await dispatcher_of(bot).recover()
    await bot.dispatch()
    assert bot_texts(bot, STAFF_CHAT) == [
        "(Sent again: you may have seen this already)\nNew application"
    ]


async def test_a_message_that_keeps_dying_mid_send_fails_in_the_end(bot: BotHarness) -> None:
    chat = resident(bot, 6009)
    row = await add(bot, chat, "通知")
    attempts = dispatcher_of(bot).limits.max_attempts
    for _ in range(attempts):
        await claim_and_die(bot)
        await dispatcher_of(bot).recover()
    found = await row_of(bot, row)
    assert found.status == OutboxStatus.FAILED and found.attempts == attempts
    assert "no attempts left" in (found.error or "")
    await bot.dispatch()
    assert bot_texts(bot, chat) == []


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


class TimingOut:
    """Telegram that takes the request and never answers in time."""

    def __init__(self) -> None:
        self.calls = 0

    async def send_message(self, *args: object, **kwargs: object) -> None:
        self.calls += 1
        raise TimedOut("read timeout")


async def test_blocked_is_failed_for_good(bot: BotHarness) -> None:
    blocked = resident(bot, 6004)
    bot.telegram.user_blocks_bot(blocked)
    gone = await add(bot, blocked, "您的申请已受理")
    other = await add(bot, resident(bot, 6005), "y")
    await bot.dispatch()
    row = await row_of(bot, gone)
    assert row.status == OutboxStatus.FAILED and row.attempts == 1
    assert (row.error or "").startswith("blocked: ")
    assert (await statuses(bot))[other] == OutboxStatus.SENT
    # A 403 is final: neither a later tick nor a restart tries again.
    bot.clock.advance(hours=1)
    await bot.restart()
    await dispatcher_of(bot).recover()
    await bot.dispatch()
    assert (await row_of(bot, gone)).attempts == 1


async def test_a_timeout_is_retried_with_backoff_then_failed(bot: BotHarness) -> None:
    bot.telegram.add_group(STAFF_CHAT, "窗口")
    digest = await add(bot, STAFF_CHAT, "3 份新申请", Priority.STAFF, "digest")
    assert bot.application is not None
    dispatcher = Dispatcher(
        dispatcher_of(bot).database,
        bot.application.bot,
        bot.clock,
        Limits(max_attempts=3),
        repeat_notice=REPEAT_ZH,
    )
    slow = TimingOut()
    object.__setattr__(dispatcher, "bot", slow)

    async def tick() -> OutboxMessage:
        while await dispatcher.run_once():
            pass
        return await row_of(bot, digest)

    row = await tick()
    assert (row.status, row.attempts, row.maybe_delivered) == ("pending", 1, True)
    assert row.not_before == bot.clock() + timedelta(seconds=2)
    bot.clock.advance(seconds=1)
    assert (await tick()).attempts == 1  # not before its backoff
    bot.clock.advance(seconds=1)
    row = await tick()
    assert (row.status, row.attempts) == ("pending", 2)
    assert row.not_before == bot.clock() + timedelta(seconds=4)
    bot.clock.advance(seconds=4)
    row = await tick()
    assert (row.status, row.attempts, slow.calls) == ("failed", 3, 3)
    assert (row.error or "").startswith("timed out")
    bot.clock.advance(minutes=10)
    assert (await tick()).attempts == 3  # failed is final
    # An administrator sends it again; it may have arrived before, and staff are told so.
    async with dispatcher.database.transaction() as session:
        listed = await outbox.failed_since(session, since=bot.clock() - timedelta(days=1))
        assert [(r.id, r.purpose, r.attempts) for r in listed] == [(digest, "digest", 3)]
        await outbox.retry_failed(session, message_id=digest, now=bot.clock())
    await bot.dispatch()
    assert bot_texts(bot, STAFF_CHAT) == [f"{REPEAT_ZH}\n3 份新申请"]
    assert (await row_of(bot, digest)).status == OutboxStatus.SENT


async def test_a_broadcast_row_that_times_out_is_unknown(bot: BotHarness) -> None:
    chat = resident(bot, 6006)
    row = await add(bot, chat, "z", Priority.BROADCAST, "broadcast")
    dispatcher = dispatcher_of(bot)
    original = dispatcher.bot
    object.__setattr__(dispatcher, "bot", TimingOut())
    try:
        await bot.dispatch()
    finally:
        object.__setattr__(dispatcher, "bot", original)
    assert (await statuses(bot))[row] == OutboxStatus.UNKNOWN
    bot.clock.advance(hours=1)
    await bot.dispatch()
    assert (await row_of(bot, row)).attempts == 1


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


class Failing:
    """Telegram unreachable in the way given: ``cause`` is what httpx raised under PTB."""

    def __init__(self, cause: Exception) -> None:
        self.cause = cause

    async def send_message(self, *args: object, **kwargs: object) -> None:
        from telegram.error import NetworkError

        raise NetworkError(f"httpx.{type(self.cause).__name__}") from self.cause


async def test_only_a_connection_broken_after_sending_makes_a_possible_repeat(
    bot: BotHarness,
) -> None:
    import httpx

    bot.telegram.add_group(STAFF_CHAT, "窗口")
    dispatcher = dispatcher_of(bot)
    original = dispatcher.bot
    outcomes = {}
    for cause in (httpx.ConnectError("refused"), httpx.ReadError("reset by peer")):
        row = await add(bot, STAFF_CHAT, type(cause).__name__, Priority.STAFF, "alert")
        object.__setattr__(dispatcher, "bot", Failing(cause))
        try:
            await bot.dispatch()
        finally:
            object.__setattr__(dispatcher, "bot", original)
        found = await row_of(bot, row)
        outcomes[type(cause).__name__] = (found.status, found.maybe_delivered)
        bot.clock.advance(seconds=2)
        await bot.dispatch()
    assert outcomes == {"ConnectError": ("pending", False), "ReadError": ("pending", True)}
    assert bot_texts(bot, STAFF_CHAT) == ["ConnectError", f"{REPEAT_ZH}\nReadError"]


async def test_news_never_joins_a_message_that_may_have_arrived(bot: BotHarness) -> None:
    chat = resident(bot, 6010)
    database = dispatcher_of(bot).database

    async def notify(text: str) -> int:
        async with database.transaction() as session:
            row = await outbox.enqueue(
                session,
                chat_id=chat,
                purpose="notice",
                priority=Priority.RESIDENT,
                text=text,
                combine_key=f"notify:{chat}",
                now=bot.clock(),
            )
            await session.flush()
            return row.id

    first = await notify("民政局已受理")
    await claim_and_die(bot)
    await dispatcher_of(bot).recover()
    second = await notify("医保局已受理")
    assert second != first
    await bot.dispatch()
    assert sorted(bot_texts(bot, chat)) == ["医保局已受理", "民政局已受理"]


async def test_a_message_whose_text_retention_deleted_is_never_sent(bot: BotHarness) -> None:
    chat = resident(bot, 6031)
    unknown = await add(bot, chat, "您的申请已受理")
    failed = await add(bot, chat, "请补交材料")
    async with dispatcher_of(bot).database.transaction() as session:
        for row_id, status in ((unknown, OutboxStatus.UNKNOWN), (failed, OutboxStatus.FAILED)):
            row = await session.get(OutboxMessage, row_id)
            assert row is not None
            row.status, row.payload, row.purged_at = status, {}, bot.clock()
    await bot.restart()
    assert (await dispatcher_of(bot).recover()).resent == 0  # nothing left to send again
    async with dispatcher_of(bot).database.transaction() as session:
        with pytest.raises(ValueError, match="retention"):
            await outbox.retry_failed(session, message_id=failed, now=bot.clock())
    # Even a row put back by hand fails cleanly rather than sticking in `sending`.
    async with dispatcher_of(bot).database.transaction() as session:
        row = await session.get(OutboxMessage, unknown)
        assert row is not None
        row.status = OutboxStatus.PENDING
    await bot.dispatch()
    assert (await row_of(bot, unknown)).status == OutboxStatus.FAILED
    assert bot_texts(bot, chat) == []
