"""Children under 14 (PIPL Art. 31; Minor Protection Law Art. 72): a child does not apply
alone, and an application for a child records the adult applicant and the guardian's consent."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from bot.flows.application import ApplicationHost
from bot.flows.model import DialogState
from bot.policy import default_profile_path, load_profile
from storage.models import Base
from tests.conftest import BotHarness, Person
from tests.factories import (
    LABELS,
    START,
    SUN_LI,
    Applicant,
    for_family,
    for_myself,
    from_menu,
    id_number,
    no_household,
    play,
    skip_remaining_documents,
)
from tests.helpers import applications, conversation

CHILD = id_number("20150610", "045")  # 10 on the test clock (2026-03-02)
ALMOST_14 = id_number("20120303", "027")  # turns 14 tomorrow: still a child today
JUST_14 = id_number("20120302", "019")  # 14 today: may apply for themselves
PARENT = id_number("19880415", "036")
ZHOU_LAN = Applicant("周兰", PARENT, "13512345678", "德感", "东方红社区")
ZHOU_MING = Applicant("Zhou Ming", PARENT, "13512345678", "Degan", "Dongfanghong", locale="en")

# What a child sees in each language, and what shows the bot kept nothing.
CHILD_ALONE = {
    "zh-CN": {
        "name": "刘小雨",
        "told": ("不满 14 岁", "爸爸妈妈或其他监护人", "儿童主任", "都没有保存", "/apply"),
    },
    "en": {
        "name": "Liu Xiaoyu",
        "told": ("under 14", "parent or other guardian", "child director", "kept nothing"),
    },
}


async def everything_stored(bot: BotHarness) -> str:
    """Every row of every table, as text: what a reader of the database could find."""
    async with bot.database.transaction() as session:
        rows = []
        for table in Base.metadata.sorted_tables:
            rows.extend(str(tuple(row)) for row in await session.execute(select(table)))
    return "\n".join(rows)


async def open_application(person: Person, programme: str, locale: str = "zh-CN") -> None:
    await play(person, [*START[locale], *from_menu(programme, locale=locale)])


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_a_child_applying_alone_is_told_kindly_and_nothing_is_kept(
    bot: BotHarness, locale: str
) -> None:
    texts = CHILD_ALONE[locale]
    child = bot.person(5401, "zh-hans" if locale == "zh-CN" else "en")
    await open_application(child, "1. ", locale)
    await child.tap(LABELS[locale]["self"])
    await child.send(str(texts["name"]))
    await child.send(CHILD)

    for words in texts["told"]:
        assert words in child.screen, words
    assert child.buttons == []  # no way on: an adult applies with the child
    assert await applications(bot) == []
    kept = await conversation(bot, child.user_id)
    assert kept.status == "finished"
    assert set(kept.answers) <= {"language", "consent", "notice"}  # consents only
    assert kept.history == [] and kept.view == {}
    stored = await everything_stored(bot)
    assert str(texts["name"]) not in stored and CHILD not in stored

    # What they type next is a new conversation, not an answer to the old application.
    await child.send("/apply")
    assert LABELS[locale]["notice"] in child.buttons


async def test_a_child_cannot_apply_for_someone_else_either(bot: BotHarness) -> None:
    child = bot.person(5402)
    await open_application(child, "临时救助")
    await child.tap("👪 家里人")
    await child.tap("祖父母、外祖父母")
    await child.send("刘小雨")
    await child.send(ALMOST_14)
    assert "不满 14 岁" in child.screen and child.buttons == []
    assert "刘小雨" not in await everything_stored(bot)


async def test_at_14_a_young_person_applies_for_themselves(bot: BotHarness) -> None:
    young = bot.person(5403)
    await open_application(young, "临时救助")
    await play(
        young, for_myself(replace(SUN_LI, name="刘小禾", id_number=JUST_14), through="id_number")
    )
    assert "手机号" in young.screen and "不满 14 岁" not in young.screen


async def test_an_adult_applying_for_themselves_is_not_asked_about_a_guardian(
    bot: BotHarness,
) -> None:
    adult = bot.person(5404)
    await open_application(adult, "临时救助")
    await play(adult, for_myself(SUN_LI, through="phone"))
    assert "镇或街道" in adult.screen and "监护人" not in adult.screen
    await play(adult, [*for_myself(SUN_LI, "town"), *no_household()])
    await skip_remaining_documents(adult)
    assert "监护人" not in adult.screen
    await adult.tap("📨 确认提交申请")
    [application] = await applications(bot)
    assert application.subject == "self" and application.applicant_name == "孙丽"
    assert application.guardian_name is None and application.guardian_relationship is None
    assert application.guardian_consent is False


async def test_a_parent_confirms_being_the_guardian_and_can_change_it_on_review(
    bot: BotHarness,
) -> None:
    mother = bot.person(5405)
    await open_application(mother, "临时救助")
    await play(mother, for_family(ZHOU_LAN, "父母", "周小雨", CHILD))
    # Whoever types is asked whether they are the guardian: a button the child cannot be
    # offered, as a child never gets this far.
    assert "不满 14 岁" in mother.screen and "您是 周小雨 的监护人吗" in mother.screen
    assert mother.buttons[:2] == ["✅ 是，我是孩子的监护人，同意申请", "不是，监护人是别人"]
    await mother.tap("✅ 是，我是孩子的监护人，同意申请")
    assert "镇或街道" in mother.screen
    await play(mother, [*for_myself(ZHOU_LAN, "town"), *no_household()])
    await skip_remaining_documents(mother)
    assert "孩子的监护人：✅ 是，我是孩子的监护人，同意申请" in mother.screen

    # On review she corrects it: the guardian is the child's grandfather, who agreed.
    await mother.tap("孩子的监护人")
    await mother.tap("不是，监护人是别人")
    await mother.send("周德明")
    await mother.tap("祖父母、外祖父母")
    assert "周德明" in mother.screen
    await mother.tap("✅ 监护人已经同意")
    review = mother.screen
    assert "请核对" in review and "监护人姓名：周德明" in review
    assert (
        "监护人和孩子的关系：祖父母、外祖父母" in review
        and "监护人同意：✅ 监护人已经同意" in review
    )
    await mother.tap("📨 确认提交申请")
    [application] = await applications(bot)
    assert application.applicant_name == "周兰" and application.relationship == "parent"
    assert (application.guardian_name, application.guardian_relationship) == (
        "周德明",
        "grandparent",
    )
    assert application.guardian_consent is True and application.subject_consent is False


async def test_the_guardian_s_own_confirmation_is_recorded_as_theirs(bot: BotHarness) -> None:
    father = bot.person(5406, "en")
    await open_application(father, "Temporary assistance", "en")
    await play(father, for_family(ZHOU_MING, "Parent", "Zhou Xiaoyu", CHILD))
    assert "under 14" in father.screen and "Are you the guardian of Zhou Xiaoyu?" in father.screen
    await father.tap("✅ Yes, I am the child's guardian and I agree")
    await play(father, [*for_myself(ZHOU_MING, "town"), *no_household("en")])
    await skip_remaining_documents(father, "⏭️ Skip, send it later")
    await father.tap("📨 Submit the application")
    [application] = await applications(bot)
    assert (application.guardian_name, application.guardian_relationship) == ("Zhou Ming", "parent")
    assert application.guardian_consent is True


async def test_a_guardian_who_has_not_agreed_stops_the_application(bot: BotHarness) -> None:
    cadre = bot.person(5407)
    await open_application(cadre, "临时救助")
    await cadre.tap("🤝 我照顾或负责的人（如村里的儿童、老人）")
    await cadre.tap("村（社区）干部")
    await cadre.send("吴主任")
    await cadre.send(PARENT)
    await cadre.send("13512345678")
    await cadre.send("吴小雨")
    await cadre.send(CHILD)
    # A cadre is not asked whether they are the guardian: they name the guardian.
    assert "您是 吴小雨 的监护人吗" not in cadre.screen and "监护人</b>的姓名" in (
        cadre.last.html or ""
    )
    await cadre.send("吴建国")
    await cadre.tap("父母")
    await cadre.tap("监护人还没有同意")
    assert "需要先征得同意" in cadre.screen
    assert cadre.buttons == ["⬅️ 上一步"]  # nothing goes on without the guardian
    assert await applications(bot) == []


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        # The applicant confirmed they are the guardian: their own name and relationship.
        ({"for_whom": "family", "relationship": "parent", "guardian": "self"}, ("周兰", "parent")),
        ({"for_whom": "in_care", "role": "guardian", "guardian": "self"}, ("周兰", "guardian")),
        # Someone else is the guardian: the one named, with the consent confirmed.
        (
            {
                "for_whom": "in_care",
                "role": "child_director",
                "guardian_name": "陈建华",
                "guardian_relationship": "civil_affairs",
                "guardian_consent": "agree",
            },
            ("陈建华", "civil_affairs"),
        ),
    ],
)
def test_the_guardian_recorded_for_a_child(
    answers: dict[str, str], expected: tuple[str, str]
) -> None:
    host = ApplicationHost(load_profile(default_profile_path()), lambda: date(2026, 3, 2))
    base = {"applicant_name": "周兰", "applicant_id": PARENT, "subject_id": CHILD}
    state = DialogState(flow="application", step="review", answers={**base, **answers})
    assert host.guardian(state) == (*expected, True)


def test_no_guardian_is_recorded_for_an_adult_whatever_answers_were_left() -> None:
    host = ApplicationHost(load_profile(default_profile_path()), lambda: date(2026, 3, 2))
    left = {
        "guardian_name": "陈建华",
        "guardian_relationship": "parent",
        "guardian_consent": "agree",
    }
    for answers in (
        {"for_whom": "family", "subject_id": PARENT, **left},  # the subject changed to an adult
        {"for_whom": "self", "applicant_id": PARENT, **left},
    ):
        state = DialogState(flow="application", step="review", answers=answers)
        assert host.guardian(state) == (None, None, False)
