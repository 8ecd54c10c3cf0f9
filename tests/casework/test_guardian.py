"""A village child director applies for a child in the bot: the window sees who the guardian
is, masked in the group's alert and in full only in the audited details."""

from __future__ import annotations

import pytest

from tests.casework.conftest import WINDOW, Desk
from tests.conftest import STAFF_CHAT
from tests.factories import (
    START_ZH,
    ZHAO_LAOSHI,
    child_director_applies,
    from_menu,
    id_number,
    play,
    skip_remaining_documents,
)
from tests.helpers import applications

CHILD = id_number("20170905", "031")  # 8 on the test clock
GUARDIAN = "陈建华"


@pytest.mark.usefixtures("casework_wired")
async def test_a_child_director_s_application_names_the_guardian_masked_in_the_group(
    desk: Desk,
) -> None:
    bot = desk.bot
    director = bot.person(7301)
    await play(director, [*START_ZH, *from_menu("临时救助")])
    await play(director, child_director_applies(ZHAO_LAOSHI, "陈小雨", CHILD, GUARDIAN))
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
