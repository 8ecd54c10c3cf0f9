"""The dispatcher under a broadcast: 403s unsubscribe, 429s pause everything for exactly
retry_after, status notices overtake the broadcast, and crashes lose or repeat nothing."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.delivery.dispatcher import Dispatcher
from bot.notices import broadcasts
from storage import outbox
from storage.models import (
    Broadcast,
    BroadcastStatus,
    NoticeSubscription,
    OutboxMessage,
    OutboxStatus,
    Priority,
)
from tests.broadcast.conftest import FIRST, Member, parts, received, rows_of, subscribe
from tests.conftest import BotHarness

FINAL = {OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.UNKNOWN}


async def start_broadcast(bot: BotHarness, text: str = "通知", audience: dict | None = None) -> int:
    database, _, runner = parts(bot)
    async with database.transaction() as session:
        draft = Broadcast(
            created_by=9001,
            status=BroadcastStatus.DRAFT,
            text=text,
            body_html=text,
            audience=audience or {},
            created_at=bot.clock(),
        )
        session.add(draft)
        await session.flush()
        await broadcasts.start(session, draft, now=bot.clock())
        broadcast_id = draft.id
    while await runner.step():
        pass
    return broadcast_id


async def notice(bot: BotHarness, chat_id: int, text: str) -> int:
    database, _, _ = parts(bot)
    async with database.transaction() as session:
        row = await outbox.enqueue(
            session,
            chat_id=chat_id,
            purpose="status",
            priority=Priority.RESIDENT,
            text=text,
            now=bot.clock(),
        )
        await session.flush()
        return row.id


async def test_a_403_fails_the_row_and_ends_the_subscription(fast: BotHarness) -> None:
    members = [Member(FIRST + n) for n in range(10)]
    await subscribe(fast, members)
    for m in members[:3]:
        fast.telegram.user_blocks_bot(m.user_id)
    broadcast_id = await start_broadcast(fast)
    await fast.dispatch()
    _, _, runner = parts(fast)
    await runner.step()
    database, _, _ = parts(fast)
    async with database.transaction() as session:
        subs = {s.chat_id: s for s in (await session.scalars(select(NoticeSubscription))).all()}
        done = await session.get(Broadcast, broadcast_id)
    assert done is not None and done.stats["blocked"] == 3 and done.stats["sent"] == 7
    for m in members[:3]:
        assert not subs[m.user_id].active and subs[m.user_id].stopped_reason == "blocked"
    assert all(subs[m.user_id].active for m in members[3:])
    # The next broadcast no longer goes to them.
    second = await start_broadcast(fast)
    assert len(await rows_of(fast, second)) == 7


async def test_a_429_pauses_every_send_for_exactly_retry_after(fast: BotHarness) -> None:
    await subscribe(fast, [Member(FIRST + n) for n in range(40)])
    broadcast_id = await start_broadcast(fast)
    fast.telegram.inject_error(
        "sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7
    )
    _, dispatcher, _ = parts(fast)
    await dispatcher.run_once()
    calls = fast.telegram.calls_to("sendMessage")
    refused = [i for i, c in enumerate(calls) if (c.response or {}).get("error_code") == 429]
    assert len(refused) == 1
    assert len(calls) == refused[0] + 1  # nothing after the 429
    for seconds in (3, 3):
        fast.clock.advance(seconds=seconds)
        await fast.dispatch()
        assert len(fast.telegram.calls_to("sendMessage")) == len(calls)  # still paused
    fast.clock.advance(seconds=1)  # 7 s after the 429
    await fast.dispatch()
    rows = await rows_of(fast, broadcast_id)
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert all(len(received(fast, FIRST + n)) == 1 for n in range(40))


async def test_transient_errors_are_retried_with_backoff(fast: BotHarness) -> None:
    await subscribe(fast, [Member(FIRST)])
    row = await notice(fast, FIRST, "进度通知")
    fast.telegram.inject_error("sendMessage", 502, "Bad Gateway")
    await fast.dispatch()
    fast.clock.advance(seconds=1)
    await fast.dispatch()
    assert received(fast, FIRST) == []  # backing off: 2 s after the first attempt
    fast.clock.advance(seconds=1)
    await fast.dispatch()
    assert received(fast, FIRST) == ["进度通知"]
    database, _, _ = parts(fast)
    async with database.transaction() as session:
        stored = await session.get(OutboxMessage, row)
    assert stored is not None and stored.status == OutboxStatus.SENT and stored.attempts == 2


async def test_a_status_notice_overtakes_a_large_broadcast(fast: BotHarness) -> None:
    await subscribe(fast, [Member(FIRST + n) for n in range(1500)])
    await start_broadcast(fast)
    _, dispatcher, _ = parts(fast)
    await dispatcher.run_once()
    await dispatcher.run_once()
    resident = FIRST + 1499  # the broadcast reaches them last
    await notice(fast, resident, "您的申请已受理")
    before = len(fast.telegram.calls_to("sendMessage"))
    await dispatcher.run_once()
    first_of_next = fast.telegram.calls_to("sendMessage")[before]
    assert first_of_next.params["chat_id"] == resident
    assert "已受理" in str(first_of_next.params["text"])


async def until(condition: Callable[[], bool]) -> None:
    """Poll (the fake Telegram has no event to wait on), for at most 10 s."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("never happened")


async def test_the_pipeline_sends_a_status_notice_within_a_tick(fast: BotHarness) -> None:
    await subscribe(fast, [Member(FIRST + n) for n in range(1200)])
    await start_broadcast(fast)
    database, _, _ = parts(fast)
    assert fast.application is not None
    dispatcher = Dispatcher(database, fast.application.bot, fast.clock, parts(fast)[1].limits)
    task = asyncio.create_task(dispatcher.run_forever())
    try:
        await until(lambda: len(fast.telegram.calls_to("sendMessage")) >= 200)
        await notice(fast, FIRST + 1199, "进度通知")
        sent_before = len(fast.telegram.calls_to("sendMessage"))
        await until(lambda: any("进度" in str(c.params.get("text")) for c in fast.telegram.calls))
        position = next(
            i
            for i, c in enumerate(fast.telegram.calls_to("sendMessage"))
            if "进度" in str(c.params.get("text"))
        )
        # Only the tick in flight (at most one batch) went before it.
        assert position - sent_before <= dispatcher.limits.batch
        assert position < 1200
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_killed_at_random_moments_nothing_is_lost_or_repeated(fast: BotHarness) -> None:
    """Kill the dispatcher (cancel its task) at random points, over and over, as a crash would;
    each new one recovers and goes on. Every recipient ends sent, failed or unknown exactly
    once; a sent or failed row was delivered exactly as its status says; unknown at most once."""
    members = [Member(FIRST + n) for n in range(600)]
    await subscribe(fast, members)
    blocked = {m.user_id for m in members[::20]}
    for user_id in blocked:
        fast.telegram.user_blocks_bot(user_id)
    broadcast_id = await start_broadcast(fast)
    database, template, _ = parts(fast)
    assert fast.application is not None
    chance = random.Random(5)
    kills = 0
    while True:
        rows = await rows_of(fast, broadcast_id)
        if all(r.status in FINAL for r in rows):
            break
        dispatcher = Dispatcher(database, fast.application.bot, fast.clock, template.limits)
        task = asyncio.create_task(dispatcher.run_forever())
        await asyncio.sleep(chance.uniform(0.0, 0.03))
        if chance.random() < 0.3:
            fast.telegram.inject_error("sendMessage", 429, "Too Many Requests", retry_after=1)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        kills += 1
        fast.clock.advance(seconds=1)  # past any retry_after
        assert kills < 500
    assert kills >= 10
    rows = await rows_of(fast, broadcast_id)
    assert Counter(r.chat_id for r in rows) == Counter(m.user_id for m in members)
    for row in rows:
        delivered = len(received(fast, row.chat_id))
        if row.status == OutboxStatus.SENT:
            assert delivered == 1
        elif row.status == OutboxStatus.FAILED:
            assert row.chat_id in blocked and delivered == 0
        else:
            assert delivered <= 1
    unknown = sum(r.status == OutboxStatus.UNKNOWN for r in rows)
    assert unknown <= kills * template.limits.batch


async def test_a_crash_leaves_broadcast_rows_unknown_and_counted_but_resends_a_receipt(
    fast: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At most once for a broadcast, at least once for the rest, after the same crash."""
    members = [Member(FIRST + n) for n in range(5)]
    await subscribe(fast, members)
    broadcast_id = await start_broadcast(fast)
    receipt_chat = FIRST + 100
    fast.telegram.add_user(receipt_chat, "居民")
    fast.telegram.make_update_text(receipt_chat, "/start")
    receipt = await notice(fast, receipt_chat, "您的申请已受理")
    database, _, _ = parts(fast)
    async with database.transaction() as session:
        claimed = await outbox.claim_batch(session, now=fast.clock(), limit=3)
    assert receipt in {c.id for c in claimed}  # with two broadcast rows, then the process dies
    await fast.restart()
    database, dispatcher, runner = parts(fast)
    found = await dispatcher.recover()
    assert (found.resent, found.unknown) == (1, 2)
    await fast.dispatch()
    await runner.step()
    rows = await rows_of(fast, broadcast_id)
    unknown = {r.chat_id for r in rows if r.status == OutboxStatus.UNKNOWN}
    assert len(unknown) == 2
    for m in members:  # never sent twice, never sent again when unknown
        assert len(received(fast, m.user_id)) == (0 if m.user_id in unknown else 1)
    assert received(fast, receipt_chat) == ["您的申请已受理"]
    async with database.transaction() as session:
        done = await session.get(Broadcast, broadcast_id)
        assert done is not None and done.status == BroadcastStatus.FINISHED
        assert done.stats["unknown"] == 2 and done.stats["sent"] == 3
    # The administrator's status line reports them.
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.setenv("YIMEN_DATABASE_URL", str(fast.settings.database_url))
    monkeypatch.setenv("YIMEN_ADMIN_IDS", "9001")
    monkeypatch.setenv("YIMEN_SECRET_KEY", fast.settings.secret_key.get_secret_value())
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["broadcast", "status", "--admin", "9001", str(broadcast_id)]
    )
    assert result.exit_code == 0, result.output
    assert "sent 3" in result.output and "unknown 2" in result.output
