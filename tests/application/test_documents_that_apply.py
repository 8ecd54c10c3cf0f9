"""The documents step asks only for what applies to this household, per person, both languages.

王秀英-like cases through the real conversation: a healthy applicant whose husband is disabled is
asked for his disability certificate (named as his), never for her own or for a diagnosis.
"""

from __future__ import annotations

from tests.conftest import BotHarness, Person
from tests.factories import (
    BAISHA_SCREENING_ZH,
    SHUANGFU_SCREENING_EN,
    WANG_FANG,
    ZHANG_GUILAN,
    after_screening,
    one_household_member,
    play,
)


async def _documents_asked(person: Person, skip: str) -> str:
    """Every document screen until the review, skipping each: what the resident was asked."""
    asked = []
    while skip in person.buttons:
        asked += [line for line in person.screen.splitlines() if line.startswith("📎")]
        await person.tap(skip)
    return "\n".join(asked)


async def test_a_disabled_husband_is_asked_for_his_certificate_only_zh(bot: BotHarness) -> None:
    resident = bot.person(5101)
    await play(resident, [*BAISHA_SCREENING_ZH, *after_screening(ZHANG_GUILAN, "village")])
    disabled = True
    await play(resident, one_household_member("配偶", 78, disabled))
    await resident.tap("✅ 同意授权核对")
    asked = await _documents_asked(resident, "⏭️ 先跳过，以后再交")
    assert "残疾人证（家庭成员 1：配偶，78 岁）" in asked, asked
    assert "医院诊断证明" not in asked
    assert asked.count("残疾人证") == 1  # not one for her as well


async def test_a_disabled_husband_is_asked_for_his_certificate_only_en(bot: BotHarness) -> None:
    resident = bot.person(5102, "en")
    script = after_screening(WANG_FANG, "village", done="done")
    await play(resident, [*SHUANGFU_SCREENING_EN, *script])
    disabled, working = True, True
    await play(resident, one_household_member("Spouse", 40, disabled, working, locale="en"))
    await resident.tap("✅ I authorise the check")
    asked = await _documents_asked(resident, "⏭️ Skip, send it later")
    assert "Disability certificate (household member 1: Spouse, 40)" in asked, asked
    assert "Hospital diagnosis" not in asked
    assert asked.count("Disability certificate") == 1
