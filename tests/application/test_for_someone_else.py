"""Applying for someone else: the relationship and the person's or guardian's consent."""

from __future__ import annotations

from tests.conftest import BotHarness
from tests.factories import (
    GRANDMOTHER_SCREENING,
    START_ZH,
    ZHAO_LAOSHI,
    Applicant,
    child_director_applies,
    choose,
    for_family,
    from_menu,
    id_number,
    one_household_member,
    play,
    skip_remaining_documents,
    split_after,
)
from tests.helpers import applications

GRANDMOTHER = id_number("19580612", "124")
GRANDSON = id_number("20170905", "031")  # 8 on the test clock: under 14
TEEN = id_number("20090405", "047")  # 16: consents himself
DIRECTOR = ZHAO_LAOSHI.id_number


async def test_a_grandmother_applies_for_a_de_facto_unsupported_grandson(bot: BotHarness) -> None:
    grandmother = bot.person(5101)
    await play(grandmother, GRANDMOTHER_SCREENING)
    await grandmother.tap("📝 申请这些帮助")
    await grandmother.tap("✅ 同意，开始填写")
    assert any(b.startswith("✅") and "事实无人抚养" in b for b in grandmother.buttons)
    await grandmother.tap("✅ 选好了")
    # For a family member, as she said in the screening: asked only how they are related.
    await grandmother.tap("祖父母、外祖父母")
    await grandmother.send("李秀芳")
    await grandmother.send(GRANDMOTHER)
    await grandmother.send("13698765432")
    assert "您替他（她）申请的这个人" in grandmother.screen
    await grandmother.send("李小明")
    await grandmother.send(GRANDSON)
    # Under 14 (from the ID number's birth date): the guardian consents, not the child; a
    # grandmother may be the guardian, and confirms she is.
    assert "不满 14 岁" in grandmother.screen and "监护人同意" in grandmother.screen
    assert "您是 李小明 的监护人吗" in grandmother.screen
    await grandmother.tap("✅ 是，我是孩子的监护人，同意申请")
    await grandmother.send("新店村")  # in Shimen, as the screening said
    disabled, working = False, False
    await play(grandmother, one_household_member("祖父母、外祖父母", 68, disabled, working))
    await grandmother.tap("✅ 同意授权核对")
    await skip_remaining_documents(grandmother)
    assert "请核对" in grandmother.screen and "李小明" in grandmother.screen
    await grandmother.tap("📨 确认提交申请")
    assert "申请已提交" in grandmother.screen

    [application] = await applications(bot)
    assert application.subject == "family" and application.relationship == "grandparent"
    assert application.applicant_name == "李秀芳" and application.subject_name == "李小明"
    assert application.guardian_consent is True and application.subject_consent is False
    # She is the guardian: her own name and relationship are the guardian's.
    assert (application.guardian_name, application.guardian_relationship) == (
        "李秀芳",
        "grandparent",
    )
    assert application.facts["child_situation"] == "parents_unable"  # from the screening


async def test_a_village_child_director_applies_for_a_child(bot: BotHarness) -> None:
    director = bot.person(5102)
    await play(director, [*START_ZH, *from_menu(done=False)])  # consents, then /apply
    # With no screening for this person, every programme is offered and none is ticked.
    assert not any(b.startswith("✅ ") and "." in b for b in director.buttons)
    await play(director, choose("困境儿童", notice=False))
    script = child_director_applies(ZHAO_LAOSHI, "陈小雨", GRANDSON, "陈建华")
    up_to_the_child, rest = split_after(script, ("say", GRANDSON))
    await play(director, up_to_the_child)
    # A child director is not the child's guardian: the guardian is named, and has agreed.
    assert "监护人" in director.screen and "姓名" in director.screen
    await play(director, rest)
    # No economic check for this programme: straight to the documents.
    assert "材料 1 /" in director.screen
    await skip_remaining_documents(director)
    await director.tap("📨 确认提交申请")
    [application] = await applications(bot)
    assert application.subject == "in_care" and application.relationship == "child_director"
    assert application.guardian_consent is True and application.guardian_name == "陈建华"
    assert application.economic_check_authorised_at is None


async def test_someone_over_14_consents_themselves(bot: BotHarness) -> None:
    mother = bot.person(5103)
    await play(mother, [*START_ZH, *from_menu("教育救助")])
    zhou_lan = Applicant("周兰", DIRECTOR, "13512345678", "德感", "东方红社区")
    await play(mother, for_family(zhou_lan, "父母", "周强", TEEN))
    assert "本人同意" in mother.screen and "不满 14 岁" not in mother.screen
    await mother.tap("✅ 本人已同意")
    assert "镇或街道" in mother.screen
