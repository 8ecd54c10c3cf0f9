"""The window's alert: reject with a reason, refusals, forged data, double taps, typed text."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Application, DepartmentTask, OutboxMessage
from tests.casework.conftest import CIVIL, CIVIL_CHAT, OUTSIDER, WINDOW, Desk
from tests.conftest import STAFF_CHAT

APPEAL = {
    "zh-CN": [
        "不予受理", "不是本地户籍", "户口在綦江区", "行政复议", "60 日", "行政诉讼", "6 个月",
    ],
    "en": [
        "not accepted", "hukou) is not local", "户口在綦江区", "administrative review",
        "60 days", "administrative lawsuit", "6 months",
    ],
}  # fmt: skip


@pytest.mark.parametrize(("locale", "language_code"), [("zh-CN", "zh-hans"), ("en", "en")])
async def test_reject_with_reason_and_note_tells_the_resident_how_to_appeal(
    desk: Desk, locale: str, language_code: str
) -> None:
    person, resident_id = await desk.resident(7002, language_code)
    application_id = await desk.apply(resident_id, locale=locale)
    await desk.bot.dispatch()
    alert = desk.last(STAFF_CHAT)
    await desk.press(WINDOW, STAFF_CHAT, "❌ 不予受理")
    await desk.press(WINDOW, STAFF_CHAT, "不是本地户籍")
    assert "回复这条消息" in desk.last(STAFF_CHAT).text
    await desk.type(WINDOW, STAFF_CHAT, "户口在綦江区", reply_to=alert.message_id)
    await desk.settle()
    notice = person.messages[-1].text or ""
    assert all(word in notice for word in APPEAL[locale]), notice
    edited = desk.bot.telegram.message(STAFF_CHAT, alert.message_id)
    assert (
        edited is not None and "陈晓" in (edited.text or "") and "不予受理" in (edited.text or "")
    )
    assert edited.button_texts == ["🔍 查看详情"]
    async with desk.database.transaction() as session:
        application = await session.get(Application, application_id)
        assert application is not None and application.status == "rejected"
        assert application.rejection_reason == "not_local_hukou: 户口在綦江区"
        states = set(await session.scalars(select(DepartmentTask.state)))
    assert states == {"withdrawn"}


async def test_reasons_without_a_note_and_other_needs_one(desk: Desk) -> None:
    _, resident_id = await desk.resident(7003)
    await desk.apply(resident_id)
    await desk.bot.dispatch()
    await desk.press(WINDOW, STAFF_CHAT, "❌ 不予受理")
    await desk.press(WINDOW, STAFF_CHAT, "其他原因")
    assert "❌ 不加说明，直接不予受理" not in desk.last(STAFF_CHAT).button_texts
    await desk.press(WINDOW, STAFF_CHAT, "✖️ 取消")
    await desk.press(WINDOW, STAFF_CHAT, "❌ 不予受理")
    await desk.press(WINDOW, STAFF_CHAT, "重复申请（已有同一事项在办理）")
    await desk.press(WINDOW, STAFF_CHAT, "❌ 不加说明，直接不予受理")
    assert "重复申请" in (desk.last(STAFF_CHAT).text or "")


async def test_a_double_tap_on_accept_acts_once(desk: Desk) -> None:
    _, resident_id = await desk.resident(7004)
    await desk.apply(resident_id)
    await desk.bot.dispatch()
    telegram = desk.bot.telegram
    # Both taps leave the phone before the edited alert comes back.
    first = telegram.make_update_press(WINDOW, STAFF_CHAT, "✅ 受理并转办")
    second = telegram.make_update_press(WINDOW, STAFF_CHAT, "✅ 受理并转办")
    await desk.bot.feed(first)
    await desk.bot.feed(second)
    await desk.bot.feed(second)  # and Telegram redelivers one of them
    assert "已经处理过" in desk.answer(second["callback_query"]["id"])
    await desk.settle()
    assert len(desk.messages(CIVIL_CHAT)) == 1  # one card, not two
    async with desk.database.transaction() as session:
        notices = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "notice"))
        )
    assert len(notices) == 1


async def test_forged_and_garbled_presses_are_refused_and_audited(desk: Desk) -> None:
    _, resident_id = await desk.resident(7005)
    await desk.apply(resident_id)
    await desk.bot.dispatch()
    alert = desk.last(STAFF_CHAT).message_id
    for data in ("w|999|accept", "t|1|fly", "garbage", "w|1|accept|1|2|3|4", "w|1|dt|zz|0"):
        query = await desk.bot.forge(WINDOW, STAFF_CHAT, alert, data)
        assert "无效" in desk.answer(query), data
    rows = await desk.audit("staff.forged_callback", "refused")
    assert [r.detail["data"] for r in rows] == [
        "w|999|accept", "t|1|fly", "garbage", "w|1|accept|1|2|3|4", "w|1|dt|zz|0",
    ]  # fmt: skip
    assert all(r.actor_id == WINDOW and r.chat_id == STAFF_CHAT for r in rows)


@pytest.mark.parametrize(
    ("user_id", "chat", "answer"),
    [
        (OUTSIDER, STAFF_CHAT, "权限"),
        (1087968824, STAFF_CHAT, "匿名"),
        (777000, STAFF_CHAT, "匿名"),
        (WINDOW, CIVIL_CHAT, "工作群"),  # the window's button, pressed in a department chat
        (CIVIL, STAFF_CHAT, "权限"),  # department staff on a window alert
    ],
)
async def test_presses_without_the_role_or_in_the_wrong_chat_are_refused(
    desk: Desk, user_id: int, chat: int, answer: str
) -> None:
    _, resident_id = await desk.resident(7006)
    application_id = await desk.apply(resident_id)
    await desk.bot.dispatch()
    if chat == STAFF_CHAT:
        query = (await desk.press(user_id, chat, "✅ 受理并转办"))["callback_query"]["id"]
    else:
        await desk.bot.feed(desk.bot.telegram.make_update_text(CIVIL, "hello", CIVIL_CHAT))
        message_id = desk.bot.telegram.chat_messages(CIVIL_CHAT)[-1].message_id
        query = await desk.bot.forge(user_id, chat, message_id, f"w|{application_id}|accept")
    assert answer in desk.answer(query)
    refused = await desk.audit("window.accept", "refused")
    assert [(r.actor_id, r.chat_id) for r in refused] == [(user_id, chat)]
    async with desk.database.transaction() as session:
        application = await session.get(Application, application_id)
        assert application is not None and application.status == "submitted"


async def test_staff_typing_instead_of_tapping_gets_a_specific_hint(desk: Desk) -> None:
    _, resident_id = await desk.resident(7007)
    await desk.apply(resident_id)
    await desk.bot.dispatch()
    alert = desk.last(STAFF_CHAT)
    await desk.type(WINDOW, STAFF_CHAT, "受理")
    assert "点提醒或任务卡片下面的按钮" in (desk.last(STAFF_CHAT).text or "")
    await desk.type(WINDOW, STAFF_CHAT, "同意，转民政", reply_to=alert.message_id)
    assert "要点下面的按钮操作" in (desk.last(STAFF_CHAT).text or "")
    before = len(desk.messages(STAFF_CHAT))
    await desk.type(WINDOW, STAFF_CHAT, "下午三点开会")  # staff talking among themselves
    assert len(desk.messages(STAFF_CHAT)) == before


async def test_details_are_unmasked_only_on_request_and_audited(desk: Desk) -> None:
    _, resident_id = await desk.resident(7008)
    await desk.apply(resident_id)
    await desk.bot.dispatch()
    alert = desk.last(STAFF_CHAT)
    assert "13812345678" not in (alert.text or "") and "138****5678" in (alert.text or "")
    # 陈晓 has started the bot privately: the details go there, and only there.
    await desk.bot.person(WINDOW).send("/start staff")
    assert "以后申请详情只会私信发到这里" in (desk.messages(WINDOW)[-1].text or "")
    posted_before = len(desk.messages(STAFF_CHAT))
    await desk.press(WINDOW, STAFF_CHAT, "🔍 查看详情")
    details = desk.messages(WINDOW)[-1]
    assert "13812345678" in (details.text or "") and "360426199101010071" in (details.text or "")
    assert len(desk.messages(STAFF_CHAT)) == posted_before
    assert "私信" in desk.last_answer()
    rows = await desk.audit("personal_data.unmasked")
    assert [(r.actor_id, r.outcome, r.detail["sent_to"]) for r in rows] == [
        (WINDOW, "allowed", WINDOW)
    ]
    async with desk.database.transaction() as session:
        texts = [str(m.payload) for m in await session.scalars(select(OutboxMessage))]
    assert not any("13812345678" in text for text in texts)  # never stored in clear


async def test_details_never_reach_a_group_without_a_private_chat(desk: Desk) -> None:
    _, resident_id = await desk.resident(7010)
    await desk.apply(resident_id)
    await desk.bot.dispatch()
    posted_before = len(desk.messages(STAFF_CHAT))
    # 陈晓 never wrote to the bot privately: nothing is posted anywhere, the toast says why.
    await desk.press(WINDOW, STAFF_CHAT, "🔍 查看详情")
    toast = desk.last_answer()
    assert "https://t.me/yimen_test_bot?start=staff" in toast and "没有发出任何内容" in toast
    assert len(desk.messages(STAFF_CHAT)) == posted_before
    assert desk.messages(WINDOW) == []
    everywhere = [
        m.text or ""
        for chat in desk.bot.telegram.chats
        for m in desk.bot.telegram.chat_messages(chat)
    ]
    assert not any("13812345678" in text for text in everywhere)
    rows = await desk.audit("personal_data.unmasked")
    assert [(r.outcome, r.detail["sent_to"]) for r in rows] == [("withheld", None)]

    # Once they have stopped the bot, a press delivers nothing and is audited as such.
    await desk.bot.person(WINDOW).send("/start staff")
    press = desk.bot.telegram.make_update_press(WINDOW, STAFF_CHAT, "🔍 查看详情")
    desk.bot.telegram.people[WINDOW].blocked_bot = True  # the private chat now answers 403
    await desk.bot.feed(press)
    assert "https://t.me/yimen_test_bot?start=staff" in desk.last_answer()
    assert len(desk.messages(STAFF_CHAT)) == posted_before
    outcomes = [r.outcome for r in await desk.audit("personal_data.unmasked")]
    assert outcomes == ["withheld", "allowed", "not_delivered"]


async def test_request_documents_asks_the_resident_with_a_clear_list(desk: Desk) -> None:
    person, resident_id = await desk.resident(7009)
    application_id = await desk.apply(resident_id)
    await desk.bot.dispatch()
    await desk.press(WINDOW, STAFF_CHAT, "📎 要求补材料")
    # Everything still missing is ticked already; the window unticks what it does not need.
    assert "☑️ 居民身份证" in desk.last(STAFF_CHAT).button_texts
    await desk.press(WINDOW, STAFF_CHAT, "☑️ 救助申请书（一表登记）")
    await desk.press(WINDOW, STAFF_CHAT, "📨 发送补材料通知")
    await desk.settle()
    notice = person.messages[-1].text or ""
    assert "补充以下材料" in notice and "居民身份证" in notice and "救助申请书" not in notice
    async with desk.database.transaction() as session:
        application = await session.get(Application, application_id)
        assert application is not None and application.status == "documents_requested"
    assert "✅ 受理并转办" in desk.last(STAFF_CHAT).button_texts  # it can still be accepted
