"""What the resident said in the screening is not asked again in the application: who it is
for and the town are taken as given, shown on the review screen and can be changed there. And
the ID number of someone applied for is questioned when it is the applicant's own."""

from __future__ import annotations

from dataclasses import replace

from tests.conftest import BotHarness
from tests.factories import (
    BAISHA_SCREENING_ZH,
    START_ZH,
    SUN_LI,
    VALID_IDS,
    ZHANG_GUILAN,
    after_screening,
    for_family,
    from_menu,
    play,
    skip_remaining_documents,
    split_after,
)
from tests.helpers import applications


async def test_who_it_is_for_and_the_town_come_from_the_screening(bot: BotHarness) -> None:
    resident = bot.person(5501)
    await play(resident, BAISHA_SCREENING_ZH)  # for herself, in Baisha
    zhang = replace(ZHANG_GUILAN, id_number=VALID_IDS[0])
    to_the_form, rest = split_after(after_screening(zhang), ("tap", "✅ 选好了"))
    await play(resident, to_the_form)
    assert "姓名" in resident.screen and "为谁申请" not in resident.screen
    assert "🙋 我自己" not in resident.buttons
    to_the_village, rest = split_after(rest, ("say", zhang.phone))
    await play(resident, to_the_village)
    assert "村" in resident.screen and "镇或街道" not in resident.screen  # straight to the village
    await play(resident, rest)  # the village, no one else at home, the check authorised
    await skip_remaining_documents(resident)
    review = resident.screen
    assert "为谁申请：🙋 我自己" in review and "所在镇街：白沙" in review

    # Shown, and changed like any other answer.
    await resident.tap("所在镇街")
    assert "镇或街道" in resident.screen
    await resident.send("几江")
    assert "所在镇街：几江" in resident.screen
    await resident.tap("📨 确认提交申请")
    [application] = await applications(bot)
    assert application.town_id == "jijiang" and application.subject == "self"


async def test_without_a_screening_both_are_asked(bot: BotHarness) -> None:
    resident = bot.person(5502)
    await play(resident, [*START_ZH, *from_menu("临时救助")])
    assert "🙋 我自己" in resident.buttons


async def test_the_applicants_own_id_number_is_questioned_for_someone_else(
    bot: BotHarness,
) -> None:
    resident = bot.person(5503)
    await play(resident, [*START_ZH, *from_menu("临时救助")])
    await play(resident, for_family(SUN_LI, "配偶", "王强", SUN_LI.id_number))  # hers, by mistake
    assert "这是您自己的身份证号" in resident.screen
    await resident.send(VALID_IDS[2])
    assert "这是您自己的身份证号" not in resident.screen
