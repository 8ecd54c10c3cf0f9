"""An administrator broadcasts from the bot: compose, audience, preview, test, confirm, control."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import AuditEvent, Broadcast, BroadcastStatus, OutboxStatus
from tests.broadcast.conftest import (
    ADMIN,
    FIRST,
    Member,
    broadcast_row,
    parts,
    received,
    rows_of,
    subscribe,
)
from tests.conftest import BotHarness, Person


async def drain(bot: BotHarness) -> None:
    """Run the broadcast loop and the dispatcher until nothing is left to do."""
    _, _, runner = parts(bot)
    for _ in range(200):
        busy = await runner.step()
        sent = await bot.dispatch()
        if not busy and not sent:
            await runner.show_progress(force=True)
            return
    raise AssertionError("the broadcast never finished")


async def compose(admin: Person, text: str, audience: str | None = None) -> str:
    await admin.send("/broadcast")
    await admin.send(text)
    await admin.tap("➡️ 不配图")
    if audience is None:
        await admin.tap("👥 全部订阅者")
    else:
        await admin.send(audience)
    return admin.screen


async def latest_broadcast(bot: BotHarness) -> Broadcast:
    database, _, _ = parts(bot)
    async with database.transaction() as session:
        found = await session.scalar(select(Broadcast).order_by(Broadcast.id.desc()).limit(1))
        assert found is not None
        return found


async def test_preview_count_is_what_is_sent(fast: BotHarness) -> None:
    members = [Member(FIRST + n) for n in range(250)]
    await subscribe(fast, members)
    admin = fast.person(ADMIN)
    await compose(admin, "新的低保标准从下月起执行 <详见镇街>")
    summary = [m.text or "" for m in admin.messages if "收件人" in (m.text or "")][-1]
    assert "250" in summary
    await admin.tap("✅ 确认发送")
    await drain(fast)
    broadcast = await latest_broadcast(fast)
    assert broadcast.status == BroadcastStatus.FINISHED
    assert broadcast.stats["sent"] == broadcast.recipients == 250
    for m in members:
        (text,) = received(fast, m.user_id)
        assert text.startswith("新的低保标准从下月起执行 <详见镇街>")  # escaped, shown as typed
        assert "/stop" in text
    progress = admin.messages[-1].text or ""
    assert "已完成" in progress and "已发送 250" in progress


async def test_test_message_goes_to_the_admin_only(fast: BotHarness) -> None:
    await subscribe(fast, [Member(FIRST)])
    admin = fast.person(ADMIN)
    await compose(admin, "测试通知")
    before = len(admin.messages)
    await admin.tap("🧪 先发给我")
    assert any("测试通知" in (m.text or "") for m in admin.messages[before:])
    assert received(fast, FIRST) == []


async def test_pause_resume_and_cancel(fast: BotHarness) -> None:
    await subscribe(fast, [Member(FIRST + n) for n in range(300)])
    admin = fast.person(ADMIN)
    await compose(admin, "暂停测试")
    await admin.tap("✅ 确认发送")
    _, _, runner = parts(fast)
    await runner.step(max_batches=1)  # 100 recipients written
    await admin.tap("⏸ 暂停")
    broadcast = await latest_broadcast(fast)
    assert broadcast.status == BroadcastStatus.PAUSED
    await runner.step()  # the rest is written, held
    assert await fast.dispatch() == 0
    assert {r.status for r in await rows_of(fast, broadcast.id)} == {OutboxStatus.HELD}
    await admin.tap("▶️ 继续")
    await fast.dispatch()
    sent = [r for r in await rows_of(fast, broadcast.id) if r.status == OutboxStatus.SENT]
    assert len(sent) == 300
    await drain(fast)
    # Another broadcast, cancelled halfway.
    await compose(admin, "取消测试")
    await admin.tap("✅ 确认发送")
    second = await latest_broadcast(fast)
    await runner.step(max_batches=1)
    dispatcher = parts(fast)[1]
    await dispatcher.run_once()  # one batch only
    await admin.tap("✖️ 取消")
    await drain(fast)
    second = await broadcast_row(fast, second.id)
    assert second.status == BroadcastStatus.CANCELLED
    stats = second.stats
    assert 0 < stats["sent"] < 300 and stats["sent"] + stats["cancelled"] == 300
    assert stats["remaining"] == 0


async def test_schedule_waits_for_its_time(fast: BotHarness) -> None:
    await subscribe(fast, [Member(FIRST)])
    admin = fast.person(ADMIN)
    await compose(admin, "定时通知")
    await admin.tap("🕘 定时发送")
    reply = await admin.send("2026-03-02 09:00")  # 01:00 UTC: already past (clock is 02:00)
    assert "已经过去" in (reply.text or "")
    reply = await admin.send("2026-03-02 11:00")
    assert "将于 2026-03-02 11:00" in (reply.text or "")
    await drain(fast)
    assert received(fast, FIRST) == []
    fast.clock.advance(hours=1, minutes=1)
    await drain(fast)
    assert len(received(fast, FIRST)) == 1


async def test_bad_input_gets_a_clear_message_and_sends_nothing(fast: BotHarness) -> None:
    await subscribe(fast, [Member(FIRST, town="baisha")])
    admin = fast.person(ADMIN)
    await admin.send("/broadcast")
    reply = await admin.send("   ")
    assert "不能是空的" in (reply.text or "")
    reply = await admin.send("长" * 5000)
    assert "太长" in (reply.text or "")
    await admin.send("正常的通知")
    await fast.feed(
        fast.telegram.make_update_document(
            ADMIN, b"%PDF-1.4", file_name="photo.jpg", mime_type="application/pdf"
        )
    )
    assert "这不是图片" in admin.screen
    await admin.tap("➡️ 不配图")
    reply = await admin.send("town=nowhere")
    assert "没看懂对象" in (reply.text or "")
    reply = await admin.send("town=jijiang")  # nobody subscribed there
    assert "一个人也没有" in (reply.text or "")
    await admin.send("town=白沙")
    await admin.tap("✅ 确认发送")
    # A second broadcast while this one runs.
    reply = await admin.send("/broadcast")
    assert "在进行中" in (reply.text or "")
    await drain(fast)
    assert len(received(fast, FIRST)) == 1


async def test_non_admins_are_refused_and_audited(fast: BotHarness) -> None:
    await subscribe(fast, [Member(FIRST)])
    stranger = fast.person(5555)
    reply = await stranger.send("/broadcast")
    assert "只有管理员" in (reply.text or "")
    admin = fast.person(ADMIN)
    await compose(admin, "管理员的通知")
    broadcast = await latest_broadcast(fast)
    # The stranger presses a button of the admin's draft (callback data is forgeable).
    forged = fast.telegram.make_update_tap(
        ADMIN, ADMIN, admin.last.message_id, f"b|{broadcast.id}|send"
    )
    forged["callback_query"]["from"] = {"id": 5555, "is_bot": False, "first_name": "陌生人"}
    await fast.feed(forged)
    assert (await broadcast_row(fast, broadcast.id)).status == BroadcastStatus.DRAFT
    database, _, _ = parts(fast)
    async with database.transaction() as session:
        refused = (
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.actor_id == 5555, AuditEvent.outcome == "refused"
                )
            )
        ).all()
    assert {r.action for r in refused} == {"broadcast.open", "broadcast.send"}
    await admin.tap("✅ 确认发送")
    async with database.transaction() as session:
        confirmed = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "broadcast.confirmed")
        )
    assert confirmed is not None and confirmed.detail["recipients"] == 1


async def test_photo_broadcast_and_caption_limit(fast: BotHarness) -> None:
    await subscribe(fast, [Member(FIRST)])
    admin = fast.person(ADMIN)
    await admin.send("/broadcast")
    await admin.send("长" * 1500)  # fine as a message, too long as a caption
    await fast.feed(fast.telegram.make_update_photo(ADMIN))
    assert "太长" in admin.screen
    await admin.send("短一点的通知")
    await fast.feed(fast.telegram.make_update_photo(ADMIN))
    await admin.tap("👥 全部订阅者")
    await admin.tap("✅ 确认发送")
    await drain(fast)
    (photo,) = [m for m in fast.telegram.chat_messages(FIRST) if m.from_bot]
    assert photo.photo and (photo.caption or "").startswith("短一点的通知")


async def test_markup_typed_as_an_audience_is_shown_as_typed(fast: BotHarness) -> None:
    await subscribe(fast, [Member(FIRST, town="baisha")])
    admin = fast.person(ADMIN)
    await admin.send("/broadcast")
    await admin.send("正常的通知")
    await admin.tap("➡️ 不配图")
    for typed in ("town=<b", "town=</a>", "<b>town</b>=x"):
        reply = await admin.send(typed)  # once "can't parse entities": no answer at all
        assert "没看懂对象" in (reply.text or ""), typed
        assert typed.split("=")[-1] in (reply.text or "") or "<b>town</b>" in (reply.text or "")
    await admin.send("town=白沙")
    assert any("✅ 确认发送" in m.button_texts for m in admin.messages[-3:])


async def test_one_broadcast_at_a_time(fast: BotHarness) -> None:
    """While one broadcast is being sent, neither the bot nor the command line opens another."""
    await subscribe(fast, [Member(FIRST)])
    admin = fast.person(ADMIN)
    await compose(admin, "第一条通知")
    await admin.tap("✅ 确认发送")
    first = await latest_broadcast(fast)
    assert first.status == BroadcastStatus.SENDING

    await admin.send("/broadcast")
    assert f"已经有一个群发（#{first.id}）在进行中" in admin.screen
    assert (await latest_broadcast(fast)).id == first.id  # no second draft was made

    await drain(fast)
    await admin.send("/broadcast")
    assert "在进行中" not in admin.screen
    assert (await latest_broadcast(fast)).id != first.id
