"""Staff chats stay usable with careless or hostile input: commands typed in a group are
answered or recorded, and invisible characters never reach a stored note."""

from __future__ import annotations

from storage.models import Application
from tests.casework.conftest import CIVIL, CIVIL_CHAT, STAFF_CHAT, WINDOW, Desk
from tests.helpers import audit_rows


async def test_our_commands_typed_in_a_group_are_answered_and_recorded(desk: Desk) -> None:
    bot = desk.bot
    for command in ("/staff_add 7100 window", "/broadcast", "/start@yimen_test_bot"):
        await desk.type(WINDOW, STAFF_CHAT, command)
        answer = desk.last(STAFF_CHAT).text or ""
        assert "私聊" in answer and "https://t.me/yimen_test_bot?start=staff" in answer, command
    before = len(desk.messages(STAFF_CHAT))
    await desk.type(WINDOW, STAFF_CHAT, "/help@another_bot")  # not ours: left alone
    await desk.type(WINDOW, STAFF_CHAT, "/whatever")  # unknown: recorded only
    assert len(desk.messages(STAFF_CHAT)) == before
    rows = await audit_rows(bot, "group.command")
    assert [(r.subject, r.outcome) for r in rows] == [
        ("staff_add", "redirected"),
        ("broadcast", "redirected"),
        ("start", "redirected"),
        ("whatever", "ignored"),
    ]


async def test_staff_notes_lose_their_invisible_characters(desk: Desk) -> None:
    _, resident_id = await desk.resident(7301)
    application_id = await desk.apply(resident_id)
    await desk.bot.dispatch()
    alert = desk.last(STAFF_CHAT)
    await desk.press(WINDOW, STAFF_CHAT, "❌ 不予受理")
    await desk.press(WINDOW, STAFF_CHAT, "不是本地户籍")
    await desk.type(WINDOW, STAFF_CHAT, "户口在\u202e綦江区\u200b", reply_to=alert.message_id)
    async with desk.database.transaction() as session:
        application = await session.get(Application, application_id)
        assert application is not None
        assert application.rejection_reason == "not_local_hukou: 户口在綦江区"


async def test_a_residents_button_forged_in_a_group_is_refused_and_recorded(desk: Desk) -> None:
    _, resident_id = await desk.resident(7302)
    await desk.apply(resident_id)
    await desk.bot.dispatch()
    alert = desk.last(STAFF_CHAT)
    query_id = await desk.bot.forge(WINDOW, STAFF_CHAT, alert.message_id, "s|answer")
    assert "无效" in desk.answer(query_id)  # answered, not left spinning
    rows = await audit_rows(desk.bot, "staff.forged_callback")
    assert [r.detail["data"] for r in rows] == ["s|answer"]


async def test_words_for_the_bot_it_cannot_place_get_a_hint_not_silence(desk: Desk) -> None:
    telegram = desk.bot.telegram
    chat = telegram.chats[CIVIL_CHAT]
    # A message of ours that is not a task card (a reminder, a notice of documents received).
    note = telegram.store_message(
        chat, from_bot=True, sender_id=telegram.bot_id, text="⏰ 1 项已超期"
    )
    before = len(desk.messages(CIVIL_CHAT))
    await desk.type(CIVIL, CIVIL_CHAT, "收到，马上办", reply_to=note.message_id)
    hint = desk.last(CIVIL_CHAT)
    assert len(desk.messages(CIVIL_CHAT)) == before + 1  # the bot's hint
    assert hint.from_bot and "按钮" in (hint.text or "")
    await desk.type(CIVIL, CIVIL_CHAT, "@yimen_test_bot 在吗？")
    assert desk.last(CIVIL_CHAT).from_bot and "按钮" in (desk.last(CIVIL_CHAT).text or "")
    # Colleagues talking among themselves are left alone.
    before = len(desk.messages(CIVIL_CHAT))
    await desk.type(CIVIL, CIVIL_CHAT, "今天下午谁去白沙？")
    assert len(desk.messages(CIVIL_CHAT)) == before
