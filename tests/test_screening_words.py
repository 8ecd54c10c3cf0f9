"""What residents read in the self-check: addressed to the right person, in plain words, and
never to a child screening alone. Through the real Application, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from sandbox.scripts import START_EN, START_ZH, alone_on_a_small_pension
from storage.models import Conversation, Screening
from tests.conftest import BotHarness
from tests.factories import play
from tests.helpers import count

TEMPLATES = Path(__file__).parents[1] / "bot" / "templates"
# Words an older resident stumbles on, and notes to ourselves, never shown in the self-check.
BUREAUCRATIC = ("筛查", "申请对象", "自然日", "占位", "placeholder")


async def conversation_answers(bot: BotHarness) -> dict[str, object]:
    async with bot.database.transaction() as session:
        conversation = await session.scalar(select(Conversation))
    assert conversation is not None
    return dict(conversation.answers)


@pytest.mark.parametrize(
    ("start", "myself", "age", "words"),
    [
        (START_ZH, "🙋 我自己", "12", ("不满 14 岁", "监护人", "儿童主任", "没有保存")),
        (START_EN, "🙋 Myself", "12", ("under 14", "guardian", "child director", "not kept")),
        (START_ZH, "🙋 我自己", "0", ("不满 14 岁",)),
    ],
)
async def test_a_child_cannot_screen_alone(
    bot: BotHarness, start: list[tuple[str, str]], myself: str, age: str, words: tuple[str, ...]
) -> None:
    child = bot.person(3001)
    await play(child, start)
    await child.tap(child.buttons[-1])  # no urgent need
    await child.tap(myself)
    await child.send(age)
    for word in words:
        assert word in child.screen, child.screen
    assert child.buttons == []  # it stops here: no next question, no way on
    # Nothing the child said is kept: no screening, and the conversation holds no answers.
    assert await count(bot, Screening) == 0
    # Only the language and the privacy consent stay (they say nothing about the child).
    assert set(await conversation_answers(bot)) <= {"language", "consent"}
    await child.send("4")  # typing on does not carry the self-check on either
    assert await count(bot, Screening) == 0


async def test_changing_ones_age_to_under_14_forgets_the_stored_screening(
    bot: BotHarness,
) -> None:
    resident = bot.person(3008)
    await play(resident, alone_on_a_small_pension("76"))
    assert await count(bot, Screening) == 1
    await resident.tap("✏️ 修改回答")
    await resident.tap("年龄")
    await resident.send("12")
    assert "不满 14 岁" in resident.screen
    assert await count(bot, Screening) == 0
    # Only the language and the privacy consent stay (they say nothing about the child).
    assert set(await conversation_answers(bot)) <= {"language", "consent"}


async def test_a_grown_up_screening_for_a_child_goes_on(bot: BotHarness) -> None:
    grandmother = bot.person(3002)
    await play(grandmother, START_ZH)
    await grandmother.tap("都没有，继续")
    await grandmother.tap("👪 家里人")
    await grandmother.send("6")
    assert "镇或街道" in grandmother.screen and "他（她）" in grandmother.screen


async def test_questions_for_someone_else_say_he_or_she(bot: BotHarness) -> None:
    helper = bot.person(3003)
    await play(helper, START_EN)
    await helper.tap("None of these, go on")
    await helper.tap("👪 A family member")
    assert "How old is the person who needs help" in helper.screen
    await helper.send("70")
    assert "does this person live" in helper.screen
    await helper.send("Baisha")
    await helper.tap("1")
    await helper.send("300")
    await helper.tap("Almost nothing")
    assert "Does this person have" in helper.screen
    await helper.tap("Neither")
    assert "Does this person need someone's help" in helper.screen


async def test_urgent_need_for_someone_else_is_addressed_to_them(bot: BotHarness) -> None:
    neighbour = bot.person(3004)
    await play(neighbour, START_ZH)
    await neighbour.tap("🍚 今晚没有吃的")
    await neighbour.tap("继续 ➡️")
    await neighbour.tap("🤝 我照顾的人（如村里的儿童、老人）")
    await play(neighbour, alone_on_a_small_pension("80")[5:])
    assert "📋" in neighbour.screen
    assert "他（她）现在有<b>紧急困难</b>" in neighbour.screen or "他（她）现在有紧急困难" in (
        neighbour.screen
    )
    assert "您有紧急困难" not in neighbour.screen


async def test_an_older_person_alone_is_not_told_child_programmes_are_not_for_now(
    bot: BotHarness,
) -> None:
    elder = bot.person(3005)
    await play(elder, alone_on_a_small_pension("76"))
    assert "📋" in elder.screen
    for child_programme in ("事实无人抚养", "孤儿", "困境儿童", "育儿补贴", "就业救助"):
        assert child_programme not in elder.screen, child_programme
    assert "暂不符合" in elder.screen  # programmes that could apply but do not are still listed


async def test_an_unconfirmed_time_limit_is_not_shown_as_days(bot: BotHarness) -> None:
    elder = bot.person(3006)
    await play(elder, alone_on_a_small_pension("76"))
    await elder.tap("🔎 医疗救助")  # its time limit is a placeholder in the profile
    assert "以镇街窗口告知为准" in elder.screen
    for word in BUREAUCRATIC:
        assert word not in elder.screen, word
    await elder.tap("⬅️ 返回结果")
    await elder.tap("🔎 最低生活保障（低保）")  # a sourced time limit: in days
    assert "30 个工作日" in elder.screen and "自然日" not in elder.screen


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_resident_templates_use_plain_words(locale: str) -> None:
    folders = ("screening", "application", "common", "my", "casework", "relay", "rights")
    templates = [t for f in folders for t in sorted((TEMPLATES / locale / f).rglob("*.html"))]
    labels = sorted((TEMPLATES / locale).rglob("*.yaml"))
    assert templates and labels
    for template in (*templates, *labels):
        text = template.read_text(encoding="utf-8")
        for word in BUREAUCRATIC:
            assert word not in text, (template.name, word)
        if locale == "zh-CN":
            assert not re.search("你(?!们)", text), template.name  # 您, always


async def test_the_household_answer_can_be_changed_from_the_results(bot: BotHarness) -> None:
    parent = bot.person(3007)
    await play(parent, START_EN)
    script = [
        ("tap", "None of these, go on"),
        ("tap", "🙋 Myself"),
        ("say", "38"),
        ("say", "Shuangfu"),
        ("tap", "3"),
        ("say", "1200"),
        ("tap", "Almost nothing"),
        ("tap", "Neither"),
        ("say", "7"),  # none of these
        ("tap", "None"),
        ("tap", "A stable, safe home"),
    ]
    await play(parent, script)
    assert "📋" in parent.screen and "Childcare subsidy" not in parent.screen
    await parent.tap("✏️ Change an answer")
    await parent.tap("The rest of the household")
    await parent.tap("⬜ 1. 👶 A child under 3")
    await parent.tap("✅ Done")
    assert "📋" in parent.screen and "Childcare subsidy" in parent.screen


async def test_every_not_for_now_has_its_reasons_a_tap_away(bot: BotHarness) -> None:
    elder = bot.person(3008)
    await play(elder, alone_on_a_small_pension("76"))
    not_now = elder.screen.split("暂不符合</b>：")[-1].split("暂不符合：")[-1].split("\n")[0]
    names = [n for n in not_now.split("、") if n]
    assert names, elder.screen
    why = [b for b in elder.buttons if b.startswith("❔ ") and b.endswith("：为什么暂不符合")]
    assert sorted(b.removeprefix("❔ ").removesuffix("：为什么暂不符合") for b in why) == sorted(
        names
    )
    await elder.tap(why[0])
    assert "判断：暂不符合" in elder.screen.replace("<b>", "").replace("</b>", "")
    assert "仍然可以到镇街便民服务窗口申请" in elder.screen
    await elder.tap("⬅️ 返回结果")
    assert "📋" in elder.screen
