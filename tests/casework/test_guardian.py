"""A village child director applies for a child in the bot: the window sees who the guardian
is, masked in the group's alert and in full only in the audited details."""

from __future__ import annotations

from tests.application.conftest import applications, id_number, play, skip_remaining_documents
from tests.casework.conftest import WINDOW, Desk
from tests.conftest import STAFF_CHAT

DIRECTOR = id_number("19850320", "018")
CHILD = id_number("20170905", "031")  # 8 on the test clock
GUARDIAN = "陈建华"


async def test_a_child_director_s_application_names_the_guardian_masked_in_the_group(
    desk: Desk,
) -> None:
    bot = desk.bot
    assert bot.application is not None
    components = bot.application.bot_data.app.components
    if getattr(components.dialogue, "casework", None) is None:
        components.dialogue.casework = components.casework  # as tests/application wires it
    director = bot.person(7301)
    await play(director, [("say", "/start"), ("tap", "中文"), ("tap", "✅ 同意，开始")])
    await director.send("/apply")
    await director.tap("✅ 同意，开始填写")
    await director.tap(next(b for b in director.buttons if "临时救助" in b))
    await director.tap("✅ 选好了")
    await director.tap("🤝 我照顾或负责的人（如村里的儿童、老人）")
    await director.tap("村（社区）儿童主任")
    await director.send("赵老师")
    await director.send(DIRECTOR)
    await director.send("13512345678")
    await director.send("陈小雨")
    await director.send(CHILD)
    await director.send(GUARDIAN)
    await director.tap("父母")
    await director.tap("✅ 监护人已经同意")
    await director.send("四面山")
    await director.send("洪洞村")
    await director.tap("✅ 没有其他家庭成员")
    await skip_remaining_documents(director)
    assert f"监护人姓名：{GUARDIAN}" in director.screen
    await director.tap("📨 确认提交申请")

    [application] = await applications(bot)
    assert application.applicant_name == "赵老师" and application.relationship == "child_director"
    assert (application.guardian_name, application.guardian_relationship) == (GUARDIAN, "parent")
    assert application.guardian_consent is True and application.subject_consent is False

    await bot.dispatch()
    alert = desk.last(STAFF_CHAT).text or ""
    assert "监护人：陈**（父母）　已同意" in alert
    assert GUARDIAN not in alert

    # The window member has a private chat with the bot: the unmasked details go there.
    await bot.person(WINDOW).send("/start")
    await desk.press(WINDOW, STAFF_CHAT, "🔍 查看详情", desk.last(STAFF_CHAT).message_id)
    details = [m.text or "" for m in desk.messages(WINDOW) if "详情" in (m.text or "")]
    assert details and f"监护人：{GUARDIAN}（父母）　监护人已同意" in details[-1]
    assert "申请人本人是监护人" not in details[-1]
    assert not any(GUARDIAN in (m.text or "") for m in desk.messages(STAFF_CHAT))
