"""Talk to staff next to a flow: a thread ends when the resident moves on, a typed answer never
slips into the staff chat, long texts arrive whole, and one resident cannot flood the group."""

from __future__ import annotations

from sqlalchemy import select

from bot.casework.relay import MESSAGE_LIMIT, SEND_DATA
from sandbox.html_entities import utf16_len
from storage.models import OutboxMessage, StaffThread
from tests.conftest import BotHarness, Person
from tests.factories import (
    QIAN_DUODUO,
    START_ZH,
    VALID_IDS,
    choose,
    for_myself,
    from_menu,
    play,
)
from tests.helpers import apply, resident
from tests.relay.test_talk_to_staff import (
    WINDOW_STAFF,
    reply_in_staff_chat,
    staff_group,
    staff_messages,
    thread_count,
    write_to_staff,
)

NAME = QIAN_DUODUO.name
ANSWER = "1️⃣ 是回答上面的问题"
SEND = "2️⃣ 是发给工作人员的"


def staff_text(bot: BotHarness) -> str:
    return "\n".join(m.text or "" for m in staff_messages(bot))


async def at_the_name_question(bot: BotHarness, person: Person) -> None:
    """A new resident: language and consent, /apply for temporary assistance for themselves."""
    await play(person, [*START_ZH, *from_menu("临时救助"), *for_myself(QIAN_DUODUO, through="who")])
    assert "姓名" in person.screen, person.screen


async def test_relay_then_apply_leaks_nothing_to_the_group(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1101)
    await play(person, START_ZH)
    await person.send("/staff")
    await person.send("请问临时救助怎么申请？")
    # The screening's first question is waiting too: the resident says where the text goes.
    assert person.buttons == [ANSWER, SEND]
    await person.tap(SEND)
    await bot.dispatch()
    assert "请问临时救助怎么申请？" in staff_text(bot)

    await person.send("/apply")
    # The thread ended with /apply, and the resident is told so above the application.
    assert any("和工作人员的对话已结束" in (m.text or "") for m in person.messages[-3:])
    assert await thread_count(bot, "open") == 0
    await play(person, [*choose("临时救助"), *for_myself(QIAN_DUODUO, through="id_number")])
    assert "手机号" in person.screen
    await bot.dispatch()
    posted = staff_text(bot)
    assert NAME not in posted and VALID_IDS[0] not in posted


async def test_start_and_cancel_end_the_thread_too(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1102)
    for command in ("/start", "/cancel"):
        await person.send("/staff")
        assert await thread_count(bot, "open") == 1
        await person.send(command)
        assert await thread_count(bot, "open") == 0, command
    await person.send("我叫钱多多")
    await bot.dispatch()
    assert "钱多多" not in staff_text(bot)


async def test_a_typed_answer_while_both_are_open_is_held_and_the_resident_chooses(
    bot: BotHarness,
) -> None:
    await staff_group(bot)
    person = bot.person(1103)
    await at_the_name_question(bot, person)
    await person.send("/staff")  # a question to staff in the middle of the application
    await person.send(NAME)
    assert NAME in person.screen and person.buttons == [ANSWER, SEND]
    await bot.dispatch()
    assert NAME not in staff_text(bot)  # held, not relayed

    await person.tap(ANSWER)
    assert "身份证号" in person.screen  # the name answered the flow's question
    assert await thread_count(bot, "open") == 0
    # At the ID question the thread is closed; even with a thread open an ID is never relayed.
    await person.send("/staff")
    await person.send(VALID_IDS[0])
    assert "手机号" in person.screen
    await bot.dispatch()
    posted = staff_text(bot)
    assert NAME not in posted and VALID_IDS[0] not in posted


async def test_send_to_staff_relays_the_held_text_once(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1104)
    await at_the_name_question(bot, person)
    await person.send("/staff")
    await person.send("我不会写字，能请人代填吗？")
    which = person.last
    await person.tap(SEND)
    assert "已转给工作人员" in person.screen
    await bot.dispatch()
    assert staff_text(bot).count("我不会写字，能请人代填吗？") == 1
    # A second tap on the same question sends nothing again, and says so.
    before = len(staff_messages(bot))
    update = bot.telegram.make_update_tap(
        person.user_id, person.user_id, which.message_id, SEND_DATA
    )
    await bot.feed(update)
    await bot.dispatch()
    assert len(staff_messages(bot)) == before
    # The flow's question still waits; the thread is still open for more questions.
    assert await thread_count(bot, "open") == 1


async def test_a_quiet_thread_closes_after_the_idle_time(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1105)
    await person.send("/staff")
    await person.send("在吗？")
    bot.clock.advance(minutes=29)
    await person.send("还在吗？")
    await bot.dispatch()
    assert "还在吗？" in staff_text(bot)
    bot.clock.advance(minutes=31)
    await person.send("/my 不是命令的一句话")  # anything typed after the quiet spell
    await person.send("我叫钱多多")
    await bot.dispatch()
    assert "钱多多" not in staff_text(bot)
    assert await thread_count(bot, "open") == 0


async def test_idle_closing_tells_the_resident(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1106)
    await play(person, START_ZH)
    await person.send("/staff")
    bot.clock.advance(minutes=45)
    await person.send("你好")
    assert any("已自动结束" in (m.text or "") for m in person.messages[-3:])


async def test_a_text_too_long_for_one_message_arrives_whole_in_parts(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1107)
    await person.send("/staff")
    # 4,000 characters: with the header, more than Telegram takes in one message.
    text = "".join(f"第{i}句：我家的情况是这样的<b>不是标记</b>。\n" for i in range(160))[:4000]
    await person.send(text)
    assert "分成了 2 条" in person.screen
    await bot.dispatch()
    posted = [m.text or "" for m in staff_messages(bot)]
    assert len(posted) == 2 and all(utf16_len(p) <= MESSAGE_LIMIT for p in posted)
    assert "第 1/2 段" in posted[0] and "第 2/2 段" in posted[1]
    joined = "".join("".join(p.split("：", 1)[1].split("↩️")[0].split()) for p in posted)
    assert joined == "".join(text.split())  # nothing lost, markup shown as typed
    async with bot.database.transaction() as session:
        failed = await session.scalars(select(OutboxMessage).where(OutboxMessage.status != "sent"))
        assert list(failed) == []


async def test_one_resident_cannot_hold_up_a_new_application_alert(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1108)
    await person.send("/staff")
    for i in range(60):
        await person.send(f"第{i}条")
    # Someone else applies meanwhile: their alert must not wait behind the flood.
    await apply(bot, await resident(bot, 1109))
    await bot.dispatch()
    posted = staff_messages(bot)
    assert len(posted) <= 6, [m.text for m in posted]
    assert any("JJ-2026-000001" in (m.text or "") and "新申请" in (m.text or "") for m in posted)
    # The rest is combined into one message a minute later: nothing is lost.
    bot.clock.advance(minutes=2)
    await bot.dispatch()
    text = staff_text(bot)
    assert all(f"第{i}条" in text for i in range(60))
    assert len(staff_messages(bot)) <= 7


async def test_never_told_sent_for_what_was_not(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1110)
    await person.send("/staff")
    answers = []
    for i in range(14):  # long texts, none delivered yet: the backlog fills up
        await person.send(f"第{i}段" + "很长的说明。" * 500)
        answers.append(person.screen)
    told_sent = [i for i, a in enumerate(answers) if "已转给工作人员" in a]
    refused = [i for i, a in enumerate(answers) if "没有</b>发出去" in a or "没有发出去" in a]
    assert refused and sorted(told_sent + refused) == list(range(14))
    for _ in range(20):
        bot.clock.advance(minutes=1)
        await bot.dispatch()
    text = staff_text(bot)
    for i in told_sent:
        assert f"第{i}段" in text
    for i in refused:
        assert f"第{i}段" not in text


async def test_an_empty_or_invisible_text_is_not_sent(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1111)
    await person.send("/staff")
    await person.send("\u200b\u202e\u2066\ufeff")
    assert "没有发出去" in person.screen
    await bot.dispatch()
    assert staff_messages(bot) == []
    async with bot.database.transaction() as session:
        thread = (await session.scalars(select(StaffThread))).one()
        assert thread.status == "open"


async def test_typing_the_choice_works_like_tapping_it(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1112)
    await at_the_name_question(bot, person)
    await person.send("/staff")
    await person.send(NAME)
    await person.send("1")  # an older resident may type the choice instead of tapping it
    assert "身份证号" in person.screen
    await person.send("/staff")
    await person.send("身份证丢了怎么办？")  # at the ID question: never held, the form's answer
    assert "⚠️" in person.screen and person.buttons != [ANSWER, SEND]
    await bot.dispatch()
    assert NAME not in staff_text(bot) and "身份证丢了" not in staff_text(bot)


async def test_texts_typed_before_choosing_are_kept_together(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1113)
    await at_the_name_question(bot, person)
    await person.send("/staff")
    await person.send("我想问一下")
    await person.send("我女儿能替我办吗？")
    assert "我想问一下" in person.screen and "我女儿能替我办吗？" in person.screen
    await person.send("发给工作人员")
    assert "已转给工作人员" in person.screen
    await bot.dispatch()
    posted = staff_text(bot)
    assert "我想问一下" in posted and "我女儿能替我办吗？" in posted


async def test_closing_and_reopening_does_not_reset_the_throttle(bot: BotHarness) -> None:
    await staff_group(bot)
    person = bot.person(1114)
    await person.send("/staff")
    for i in range(3):
        await person.send(f"第{i}条")
    await person.tap("✖️ 结束对话")
    await person.send("/staff")
    await person.send("第3条")
    assert "合在一起" in person.screen  # combined, a little later
    await bot.dispatch()
    assert len(staff_messages(bot)) == 3
    bot.clock.advance(minutes=2)
    await bot.dispatch()
    assert "第3条" in staff_text(bot)


async def test_a_long_staff_answer_reaches_the_resident_whole(bot: BotHarness) -> None:
    await staff_group(bot)
    person, posted = await write_to_staff(bot, 1115, "需要带什么材料？")
    answer = ("请带户口簿、身份证和收入证明。" * 273)[:4090]  # with the header, too long for one
    await reply_in_staff_chat(bot, WINDOW_STAFF, answer, posted.message_id)
    parts = [m.text or "" for m in person.messages if "窗口工作人员回复" in (m.text or "")]
    assert len(parts) == 2 and "第 1/2 段" in parts[0]
    received = "".join(p.split("：", 1)[1].split("✖️")[0] for p in parts)
    assert "".join(received.split()) == answer


async def test_an_id_number_typed_at_its_question_long_after_never_reaches_the_group(
    bot: BotHarness,
) -> None:
    await staff_group(bot)
    person = bot.person(1131)
    await at_the_name_question(bot, person)
    await person.send(NAME)
    assert "身份证号" in person.screen
    await person.send("/staff")
    # Staff and resident talk for long, the question still stands (no answer given to it).
    bot.clock.advance(minutes=90)
    await person.send(VALID_IDS[1])
    await bot.dispatch()
    assert VALID_IDS[1] not in staff_text(bot)
    assert "接着来" in person.screen or "手机" in person.screen  # the flow had it


async def test_an_id_number_in_a_relayed_question_is_masked_for_the_group(
    bot: BotHarness,
) -> None:
    await staff_group(bot)
    person = bot.person(1132)
    await play(person, START_ZH)
    await person.send("/cancel")
    await person.send("/staff")
    await person.send(f"我的身份证是 {VALID_IDS[1]}，能查一下吗？电话 13712345678")
    if SEND in person.buttons:
        await person.tap(SEND)
    await bot.dispatch()
    text = staff_text(bot)
    assert VALID_IDS[1] not in text and "能查一下吗" in text
    assert VALID_IDS[1][:3] + "*" in text
