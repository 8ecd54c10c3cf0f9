"""Complete screenings by eight synthetic residents, through the real Application.

Each persona taps and types as a person would; the test asserts the verdicts stored with the
screening and the reasons the resident reads on the result screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from sandbox.scripts import START_EN, START_ZH, WANG_FANG, alone_on_a_small_pension
from storage.models import Screening
from tests.conftest import BotHarness
from tests.factories import GRANDMOTHER_SCREENING, LI_SHIFU_SCREENING, play

QUESTION_NUMBER = re.compile(r"第 (\d+) 题|Question (\d+) of")


@dataclass(frozen=True)
class Persona:
    name: str
    script: list[tuple[str, str]]
    verdicts: dict[str, str]
    reasons: list[str] = field(default_factory=list)
    urgent: bool = False


PERSONAS = [
    Persona(
        "older person living alone on a small pension",
        alone_on_a_small_pension("76岁"),
        {
            "dibao": "likely",
            "tekun": "likely",
            "medical": "likely",
            "community_elder_care": "likely",
            "disaster": "unlikely",
            "education": "unlikely",
        },
        ["400", "630"],
    ),
    Persona(
        "grandparents caring for a de facto unsupported child",
        GRANDMOTHER_SCREENING,
        {"unsupported_child": "likely", "orphan": "unlikely", "elder_care_subsidy": "unlikely"},
        ["事实无人抚养"],
    ),
    Persona(
        "grandmother of a child whose mother is detained and whose father brings him up",
        [
            *START_ZH,
            ("tap", "都没有，继续"),
            ("tap", "👪 家里人"),
            ("say", "6"),
            ("say", "石门"),
            ("tap", "3"),
            ("tap", "1000–1999 元"),
            ("tap", "几乎没有"),
            ("tap", "都没有"),
            ("tap", "一方不能抚养，另一方在带孩子"),
            ("say", "2"),
            ("tap", "没有"),
            ("tap", "有稳定安全的住处"),
        ],
        {"unsupported_child": "possible", "child_in_difficulty": "likely"},
        ["另一方也不能抚养"],
    ),
    Persona(
        "grade-1 disabled person in a dibao household",
        LI_SHIFU_SCREENING,
        {"dibao": "likely", "disability": "likely", "medical": "likely", "employment": "unlikely"},
        ["500", "770"],
    ),
    Persona(
        "household after a house fire",
        [
            *START_ZH,
            ("tap", "🏠 今晚没有地方住"),
            ("tap", "继续 ➡️"),
            ("tap", "👪 家里人"),
            ("say", "50"),
            ("say", "德感"),
            ("tap", "4"),
            ("tap", "3000–4999 元"),
            ("tap", "有一点，不多"),
            ("tap", "都没有"),
            ("say", "2"),  # the household: a child at school
            ("tap", "🔥 火灾、车祸等意外，或突发重病"),
            ("tap", "房子危险或损坏"),
        ],
        # A house fire is temporary assistance; disaster relief is for natural disasters.
        {"disaster": "unlikely", "temporary": "likely", "tekun": "unlikely"},
        [],
        urgent=True,
    ),
    Persona(
        "unemployed parent",
        WANG_FANG,
        {"dibao": "likely", "employment": "likely", "education": "likely"},
        ["400", "770"],
    ),
    Persona(
        "student from an extreme-poverty family",
        [
            *START_ZH,
            ("tap", "都没有，继续"),
            ("tap", "👪 家里人"),
            ("say", "15"),
            ("say", "白沙"),
            ("tap", "1"),
            ("tap", "没有收入"),
            ("tap", "几乎没有"),
            ("tap", "都没有"),
            ("tap", "父母两人都不能抚养"),
            ("tap", "没有"),
            ("tap", "有稳定安全的住处"),
        ],
        {"tekun": "likely", "education": "likely", "dibao": "likely"},
        [],
    ),
    Persona(
        "household just above the line",
        [
            *START_ZH,
            ("tap", "都没有，继续"),
            ("tap", "🙋 我自己"),
            ("say", "40"),
            ("say", "几江"),
            ("tap", "2"),
            ("tap", "1000–1999 元"),
            ("tap", "说不清"),
            ("tap", "都没有"),
            ("say", "7"),  # the rest of the household: none of these
            ("tap", "没有"),
            ("tap", "有稳定安全的住处"),
        ],
        {"dibao": "possible", "tekun": "unlikely"},
        ["770"],
    ),
    Persona(
        "well-off household",
        [
            *START_EN,
            ("tap", "None of these, go on"),
            ("tap", "🙋 Myself"),
            ("say", "35"),
            ("say", "Jijiang"),
            ("tap", "3"),
            ("say", "20000"),
            ("tap", "Neither"),
            ("say", "2"),  # the household: a child at school
            ("tap", "None"),
            ("tap", "A stable, safe home"),
        ],
        {
            "dibao": "unlikely",
            "tekun": "unlikely",
            "employment": "unlikely",
            "temporary": "unlikely",
        },
        [],
    ),
]


async def latest_screening(bot: BotHarness) -> Screening:
    async with bot.database.transaction() as session:
        screening = await session.scalar(select(Screening).order_by(Screening.id.desc()))
    assert screening is not None
    return screening


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: p.name)
async def test_persona_completes_a_screening(bot: BotHarness, persona: Persona) -> None:
    resident = bot.person(2000 + PERSONAS.index(persona))
    questions = 0
    for step in persona.script:
        await play(resident, [step])
        numbered = QUESTION_NUMBER.search(resident.screen)
        questions = max(questions, int(numbered.group(1) or numbered.group(2)) if numbered else 0)
    assert "📋" in resident.screen, resident.screen  # the result screen
    assert questions <= 12, f"{questions} questions"
    screening = await latest_screening(bot)
    verdicts = {pid: record["verdict"] for pid, record in screening.verdicts.items()}
    expected = {pid: verdicts.get(pid) for pid in persona.verdicts}
    assert expected == persona.verdicts
    assert screening.urgent is persona.urgent
    assert screening.standards_version == "2026-01-01"
    for reason in persona.reasons:
        assert reason in resident.screen
    # Transparency (PIPL Art. 24): the result always says who decides.
    assert "审核决定" in resident.screen or "final decision" in resident.screen


async def test_details_apply_and_change_an_answer(bot: BotHarness) -> None:
    resident = bot.person(2100)
    await play(resident, PERSONAS[0].script)
    await resident.tap("🔎 最低生活保障（低保）")
    details = resident.screen
    for part in ("条件", "需要的材料", "居民身份证", "审核部门", "民政", "办理时限"):
        assert part in details, part
    await resident.tap("⬅️ 返回结果")
    assert "📋" in resident.screen
    await resident.tap("✏️ 修改回答")
    await resident.tap("家庭月收入")
    await resident.send("20000")
    # Only the income was asked again; the result is re-evaluated at once.
    assert "📋" in resident.screen
    screening = await latest_screening(bot)
    assert screening.verdicts["dibao"]["verdict"] == "unlikely"
    await resident.tap("✏️ 修改回答")
    await resident.tap("家庭月收入")
    await resident.tap("没有收入")
    # The assets question was dropped with the high income; now it counts again.
    assert "存款" in resident.screen
    await resident.tap("几乎没有")
    await resident.tap("📝 申请这些帮助")
    assert "统一申请表" in resident.screen
    screening = await latest_screening(bot)
    assert screening.chosen_programmes is not None and "dibao" in screening.chosen_programmes
    assert "disaster" not in screening.chosen_programmes
