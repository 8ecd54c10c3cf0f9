"""Residents choose notices, stop them, resume them; a block ends them."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import ConsentRecord, NoticeSubscription
from tests.broadcast.conftest import parts
from tests.conftest import BotHarness


async def subscription(bot: BotHarness, user_id: int) -> NoticeSubscription | None:
    database, _, _ = parts(bot)
    async with database.transaction() as session:
        return await session.scalar(
            select(NoticeSubscription).where(NoticeSubscription.chat_id == user_id)
        )


async def test_notices_need_their_own_consent_then_topics_can_be_chosen(
    fast: BotHarness,
) -> None:
    resident = fast.person(5101)
    screen = await resident.send("/notices")
    assert "政策通知" in (screen.text or "")
    assert await subscription(fast, 5101) is None  # nothing before the answer
    await resident.tap("✅ 同意接收")
    sub = await subscription(fast, 5101)
    assert sub is not None and sub.active and sub.topics == ["all"]
    await resident.tap("⬜ 老年人")
    sub = await subscription(fast, 5101)
    assert sub is not None and sub.topics == ["all", "older"]
    await resident.tap("✅ 全部通知")
    sub = await subscription(fast, 5101)
    assert sub is not None and sub.topics == ["older"]
    database, _, _ = parts(fast)
    async with database.transaction() as session:
        consents = (await session.scalars(select(ConsentRecord))).all()
    assert [(c.purpose, c.granted) for c in consents] == [("policy_notices", True)]


async def test_declining_keeps_only_the_refusal(fast: BotHarness) -> None:
    resident = fast.person(5102)
    await resident.send("/notices")
    screen = await resident.tap("❌ 不用了")
    assert "不会给您发通知" in (screen.text or "")
    assert await subscription(fast, 5102) is None


async def test_stop_ends_everything_and_start_resumes(fast: BotHarness) -> None:
    resident = fast.person(5103)
    await resident.send("/notices")
    await resident.tap("✅ 同意接收")
    reply = await resident.send("/stop")
    assert "已停止全部通知" in (reply.text or "")
    sub = await subscription(fast, 5103)
    assert sub is not None and not sub.active and sub.stopped_reason == "stop"
    await resident.send("/start")
    texts = [m.text or "" for m in resident.messages]
    assert any("已恢复" in t for t in texts)
    sub = await subscription(fast, 5103)
    assert sub is not None and sub.active
    # The dialogue still answered /start as always (the language or consent question).
    assert "已恢复" not in resident.screen


async def test_stop_without_subscription_says_so(fast: BotHarness) -> None:
    reply = await fast.person(5104).send("/stop")
    assert "没有订阅" in (reply.text or "")
