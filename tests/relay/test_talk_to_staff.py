"""Talk to staff: the resident writes, window staff answer by replying in the staff chat."""

from __future__ import annotations

from sqlalchemy import func, select

from sandbox.models import StoredMessage
from storage.models import RelayedMessage, StaffRole, StaffThread
from tests.conftest import STAFF_CHAT, BotHarness, Person
from tests.helpers import add_staff, apply, audit_rows, resident

WINDOW_STAFF = 7001  # 陈晓, window staff for every town (synthetic)
STRANGER = 7002  # in the staff group, but holds no role


def staff_messages(bot: BotHarness) -> list[StoredMessage]:
    return [m for m in bot.telegram.chat_messages(STAFF_CHAT) if m.from_bot]


async def staff_group(bot: BotHarness) -> None:
    bot.telegram.add_group(STAFF_CHAT, "窗口工作人员群")
    bot.telegram.add_user(WINDOW_STAFF, "陈晓")
    bot.telegram.add_user(STRANGER, "路人")
    await add_staff(bot, WINDOW_STAFF, StaffRole.WINDOW)


async def write_to_staff(bot: BotHarness, user_id: int, text: str) -> tuple[Person, StoredMessage]:
    """A resident opens "talk to staff" and writes ``text``; it is sent: the resident, and the
    message it became in the staff chat."""
    person = bot.person(user_id)
    await person.send("/staff")
    await person.send(text)
    await bot.dispatch()
    return person, staff_messages(bot)[-1]


async def reply_in_staff_chat(bot: BotHarness, user_id: int, text: str, to: int | None) -> None:
    await bot.feed(
        bot.telegram.make_update_text(user_id, text, chat_id=STAFF_CHAT, reply_to_message_id=to)
    )
    await bot.dispatch()


async def thread_count(bot: BotHarness, status: str) -> int:
    async with bot.database.transaction() as session:
        count = await session.scalar(
            select(func.count()).select_from(StaffThread).where(StaffThread.status == status)
        )
        return int(count or 0)


async def test_round_trip_resident_to_staff_and_back_then_close(bot: BotHarness) -> None:
    await staff_group(bot)
    await apply(bot, await resident(bot, 1001))
    await bot.dispatch()  # the receipt and the window alert
    person = bot.person(1001)

    opened = await person.send("/staff")
    assert "联系窗口工作人员" in (opened.text or "")
    assert person.buttons == ["✖️ 结束对话"]

    ack = await person.send("请问低保要带什么材料？")
    assert "已转给工作人员" in (ack.text or "")
    await bot.dispatch()
    posted = staff_messages(bot)[-1]
    # Masked name and application number, never the full name.
    assert "💬 居民 王** / JJ-2026-000001" in (posted.text or "")
    assert "请问低保要带什么材料？" in (posted.text or "")
    assert "王秀英" not in (posted.text or "")

    await reply_in_staff_chat(
        bot, WINDOW_STAFF, "请带户口簿和身份证到白沙镇窗口。", posted.message_id
    )
    answer = person.last.text or ""
    assert "窗口工作人员回复" in answer and "请带户口簿和身份证到白沙镇窗口。" in answer
    allowed = await audit_rows(bot, "relay.answer")
    assert [(r.actor_id, r.outcome) for r in allowed] == [(WINDOW_STAFF, "allowed")]
    async with bot.database.transaction() as session:
        relayed = (await session.scalars(select(RelayedMessage))).one()
        assert relayed.staff_message_id == posted.message_id  # kept once the reply found it

    closed = await person.tap("✖️ 结束对话")
    assert "对话已结束" in (closed.text or "")
    assert await thread_count(bot, "open") == 0

    # Closed: the next text is the conversation's again, and staff see nothing new.
    before = len(staff_messages(bot))
    await person.send("/start")
    await person.send("你好")
    await bot.dispatch()
    assert len(staff_messages(bot)) == before


async def test_answer_arrives_in_the_residents_language(bot: BotHarness) -> None:
    await staff_group(bot)
    await resident(bot, 1005, locale="en")
    person = bot.person(1005, "en")
    assert "Talk to the window staff" in ((await person.send("/staff")).text or "")
    await person.send("Can my daughter apply for me?")
    await bot.dispatch()
    posted = staff_messages(bot)[-1]
    # No application yet: the masked Telegram name stands in (居民1005 -> 居*****).
    assert "💬 居民 居*****" in (posted.text or "")
    await reply_in_staff_chat(bot, WINDOW_STAFF, "可以，请她带上您的身份证。", posted.message_id)
    answer = person.last.text or ""
    assert "The window staff replied" in answer and "可以，请她带上您的身份证。" in answer


async def test_someone_without_a_window_role_cannot_answer(bot: BotHarness) -> None:
    await staff_group(bot)
    person, posted = await write_to_staff(bot, 1001, "我家房子漏雨了")
    last_for_resident = person.last.message_id

    await reply_in_staff_chat(bot, STRANGER, "别管了", posted.message_id)
    assert person.last.message_id == last_for_resident  # nothing reached the resident
    refused = await audit_rows(bot, "relay.answer")
    assert [(r.actor_id, r.outcome) for r in refused] == [(STRANGER, "refused")]
    assert "只有登记过的窗口工作人员" in (staff_messages(bot)[-1].text or "")

    # The anonymous group admin is never anyone either.
    bot.telegram.add_user(1087968824, "Group")
    await reply_in_staff_chat(bot, 1087968824, "匿名回复", posted.message_id)
    assert person.last.message_id == last_for_resident
    assert [r.outcome for r in await audit_rows(bot, "relay.answer")] == ["refused", "refused"]


async def test_staff_writing_without_replying_get_a_hint(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1001)
    await person.send("/staff")
    await person.send("在吗？")
    await bot.dispatch()
    await reply_in_staff_chat(bot, WINDOW_STAFF, "在的，请讲", None)
    assert '请"回复"居民的那条 💬 消息' in (staff_messages(bot)[-1].text or "")
    # Not again and again: one reminder per person in a while.
    count = len(staff_messages(bot))
    await reply_in_staff_chat(bot, WINDOW_STAFF, "还在吗", None)
    assert len(staff_messages(bot)) == count
    # Someone without a role chatting in the group gets no hint.
    await reply_in_staff_chat(bot, STRANGER, "大家好", None)
    assert len(staff_messages(bot)) == count


async def test_staff_close_the_conversation_and_the_resident_is_told(bot: BotHarness) -> None:
    await staff_group(bot)
    person, posted = await write_to_staff(bot, 1001, "谢谢，没有别的问题了")

    # A stranger's tap is refused and audited; the thread stays open.
    await bot.feed(bot.telegram.make_update_press(STRANGER, STAFF_CHAT, "✖️ 结束与该居民的对话"))
    assert await thread_count(bot, "open") == 1
    assert [r.outcome for r in await audit_rows(bot, "relay.close")] == ["refused"]

    await bot.feed(
        bot.telegram.make_update_press(
            WINDOW_STAFF, STAFF_CHAT, "✖️ 结束与该居民的对话", posted.message_id
        )
    )
    await bot.dispatch()
    assert await thread_count(bot, "open") == 0
    assert "工作人员结束了这次对话" in (person.last.text or "")
    assert person.buttons == ["💬 联系工作人员"]


async def test_a_redelivered_message_is_relayed_once(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1001)
    await person.send("/staff")
    update = bot.telegram.make_update_text(1001, "只发一次")
    await bot.feed(update)
    await bot.feed(update)
    await bot.dispatch()
    assert sum("只发一次" in (m.text or "") for m in staff_messages(bot)) == 1


async def test_talk_to_staff_button_opens_a_thread_from_any_screen(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1001)
    await person.send("/my")
    opened = await person.tap("💬 联系工作人员")
    assert "联系窗口工作人员" in (opened.text or "")
    assert await thread_count(bot, "open") == 1
    # Pressing it again does not open a second thread.
    await person.send("/my")
    again = await person.tap("💬 联系工作人员")
    assert "您正在和窗口工作人员对话" in (again.text or "")
    assert await thread_count(bot, "open") == 1
