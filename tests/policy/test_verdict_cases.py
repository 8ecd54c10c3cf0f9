"""The verdict rules as named cases a policy officer can read and check against the source.

Each case is a situation (invented people only), the answers the screening would record, the
programme, the verdict expected, and words of the reason the resident reads in both languages.
The standards are those in force on 1 March 2026: dibao 770 yuan a month in a street (urban),
630 in a town (rural). When the rule is not certain the verdict is "possible", never "unlikely".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from bot.policy import Verdict, default_profile_path, evaluate, load_profile

PROFILE = load_profile(default_profile_path())
ON = date(2026, 3, 1)
LIKELY, POSSIBLE, UNLIKELY = Verdict.LIKELY, Verdict.POSSIBLE, Verdict.UNLIKELY


def exact(yuan: int) -> dict[str, int]:
    return {"min": yuan, "max": yuan}


def answers(**given: object) -> dict[str, object]:
    """A screening with nothing special, changed where the case says so."""
    base: dict[str, object] = {
        "urgent": "none",
        "for_whom": "family",
        "town": "jijiang",  # a street: the urban line, 770
        "assets": "none",
        "health": "none",
        "hardship": "none",
        "housing": "stable",
    }
    return {**base, **given}


@dataclass(frozen=True)
class Case:
    name: str
    answers: dict[str, object]
    programme: str
    verdict: Verdict
    reason_zh: str  # words of the reasons shown in Chinese
    reason_en: str  # and in English
    source: str = ""  # the rule the case follows
    tags: tuple[str, ...] = field(default=())


# A child looked after by grandparents: household of 3 on 1500 a month (500 per person).
CHILD = {"age": 9, "household_size": 3, "income": exact(1500), "household": ["in_school"]}

CASES = [
    # --- 事实无人抚养儿童 (民发〔2019〕62号) ---------------------------------------------------
    Case(
        "unsupported child: mother detained and father in prison",
        answers(**CHILD, child_situation="parents_unable"),
        "unsupported_child",
        LIKELY,
        "父母双方都不能抚养",
        "Both parents are unable",
        "62号: both parents each meet a condition",
    ),
    Case(
        "unsupported child: father dead, mother in compulsory drug rehabilitation",
        answers(**CHILD, child_situation="one_gone_other_unable"),
        "unsupported_child",
        LIKELY,
        "一方去世、失踪而另一方不能抚养",
        "one has died or is missing and the other is unable",
        "62号: one parent dead or missing, the other meets a condition",
    ),
    Case(
        "unsupported child: mother detained, raised by the father (the seed's case)",
        answers(**CHILD, child_situation="one_unable"),
        "unsupported_child",
        POSSIBLE,
        "另一方也不能抚养",
        "if the other cannot either",
        "62号: depends on the other parent, which the window checks",
    ),
    Case(
        "unsupported child: the helper is not sure which situation fits",
        answers(**CHILD, child_situation="unsure"),
        "unsupported_child",
        POSSIBLE,
        "要看父母双方的情况",
        "It depends on both parents",
    ),
    Case(
        "unsupported child: the parents can care for the child",
        answers(**CHILD, child_situation="none"),
        "unsupported_child",
        UNLIKELY,
        "父母能抚养孩子",
        "The parents can bring the child up",
    ),
    Case(
        "a child whose mother is detained is a child in difficulty",
        answers(**CHILD, child_situation="one_unable"),
        "child_in_difficulty",
        LIKELY,
        "孩子处在困境中",
        "The child is in difficulty",
    ),
    Case(
        "orphan: no amount is shown while the 2025–2026 standard is not confirmed",
        answers(**CHILD, child_situation="orphan"),
        "orphan",
        LIKELY,
        "标准以区民政局公布为准",
        "at the rate the district civil affairs bureau publishes",
    ),
    # --- 特困: unable to work (特困人员认定办法 2021 Art. 7) -----------------------------------
    Case(
        "extreme poverty: intellectual disability grade 3, aged 40, alone, no income",
        answers(
            for_whom="self",
            age=40,
            household_size=1,
            income=exact(0),
            health="disability_3_mental",
        ),
        "tekun",
        LIKELY,
        "智力、精神残疾一至三级",
        "intellectual or mental grade 1–3",
    ),
    Case(
        "extreme poverty: physical disability grade 2, aged 40, alone, no income",
        answers(for_whom="self", age=40, household_size=1, income=exact(0), health="disability_2"),
        "tekun",
        LIKELY,
        "无劳动能力",
        "counts as unable to work",
    ),
    Case(
        "extreme poverty: hearing disability grade 1 does not count as unable to work",
        answers(
            for_whom="self",
            age=40,
            household_size=1,
            income=exact(0),
            health="disability_12_other",
        ),
        "tekun",
        UNLIKELY,
        "不属于“无劳动能力”",
        "does not count as unable to work",
    ),
    Case(
        "extreme poverty: disabled, grade not known to the helper",
        answers(age=40, household_size=1, income=exact(0), health="disability_unsure"),
        "tekun",
        POSSIBLE,
        "要看残疾的类别和等级",
        "depends on the kind and grade",
    ),
    Case(
        "extreme poverty: seriously ill, aged 50 — the town looks into it",
        answers(age=50, household_size=1, income=exact(0), health="illness"),
        "tekun",
        POSSIBLE,
        "重病的由镇街了解情况",
        "for a serious illness the town office looks into it",
    ),
    # --- someone else in the household (两项补贴, 单人保) ----------------------------------
    Case(
        "care subsidy: a healthy mother screening, her son has a grade 1 disability",
        answers(
            for_whom="self",
            age=45,
            household_size=3,
            income={"min": 5000, "max": None},
            household=["member_severe_disability"],
        ),
        "disability",
        LIKELY,
        "一、二级重度残疾人",
        "grade 1 or 2 (severe) disability",
        "国发〔2015〕52号: the care subsidy follows the disabled member",
    ),
    Case(
        "living subsidy: a disabled member in a household below the dibao line",
        answers(
            for_whom="self",
            age=45,
            household_size=3,
            income=exact(900),
            household=["member_disability"],
        ),
        "disability",
        LIKELY,
        "困难残疾人生活补贴",
        "living subsidy applies",
    ),
    Case(
        "single-member dibao: a severely disabled adult in a household just above the line",
        answers(
            age=30,
            household_size=3,
            income=exact(2700),  # 900 per person: above 770
            health="disability_1",
            household=["none"],
        ),
        "dibao_single",
        POSSIBLE,
        "单独算一户",
        "household of one",
    ),
    Case(
        "single-member dibao: a seriously ill parent counts too",
        answers(
            for_whom="self",
            age=30,
            household_size=3,
            income=exact(2700),
            household=["member_illness"],
        ),
        "dibao_single",
        POSSIBLE,
        "单独算一户",
        "household of one",
    ),
    Case(
        "single-member dibao: nobody severely disabled or ill",
        answers(age=30, household_size=3, income=exact(2700), household=["none"]),
        "dibao_single",
        UNLIKELY,
        "没有说到家里有重度残疾或重病的人",
        "Nobody severely disabled or seriously ill",
    ),
    # --- near the line ------------------------------------------------------------------------
    Case(
        "dibao: 900 a month alone in a street, a little above the line of 770",
        answers(age=50, household_size=1, income=exact(900)),
        "dibao",
        POSSIBLE,
        "略高于低保标准 770 元",
        "a little above the dibao line of 770",
    ),
    Case(
        "dibao: 1300 a month alone, more than 1.5 × the line",
        answers(age=50, household_size=1, income=exact(1300)),
        "dibao",
        UNLIKELY,
        "不低于当地低保标准 770 元",
        "not below the local dibao line of 770",
    ),
    Case(
        "medical assistance: a household near the line (低保边缘)",
        answers(age=50, household_size=1, income=exact(900)),
        "medical",
        POSSIBLE,
        "低保边缘",
        "near-the-line group",
    ),
    Case(
        "medical assistance: a well-off family with a seriously ill member (支出型)",
        answers(
            age=40,
            household_size=3,
            income=exact(20000),
            household=["member_illness"],
        ),
        "medical",
        POSSIBLE,
        "因病致贫",
        "pushed into hardship by what it pays for treatment",
    ),
    Case(
        "medical assistance: a well-off family, nobody ill",
        answers(age=40, household_size=3, income=exact(20000), household=["none"]),
        "medical",
        UNLIKELY,
        "也没有说到家里有人重病",
        "no serious illness was mentioned",
    ),
    # --- natural disasters vs a house fire ---------------------------------------------------
    Case(
        "a house fire goes to temporary assistance",
        answers(age=45, household_size=4, income=exact(4000), hardship="accident_illness"),
        "temporary",
        LIKELY,
        "火灾、事故等意外",
        "fire, accident",
    ),
    Case(
        "a house fire is not disaster-victim relief",
        answers(age=45, household_size=4, income=exact(4000), hardship="accident_illness"),
        "disaster",
        UNLIKELY,
        "火灾、事故等意外由临时救助帮扶",
        "fires and accidents are helped by temporary assistance",
    ),
    Case(
        "a flood goes to disaster-victim relief",
        answers(age=45, household_size=4, income=exact(4000), hardship="disaster"),
        "disaster",
        LIKELY,
        "自然灾害",
        "natural disaster",
    ),
    Case(
        "after a flood, temporary assistance is for the town to judge",
        answers(age=45, household_size=4, income=exact(4000), hardship="disaster"),
        "temporary",
        POSSIBLE,
        "受灾后基本生活仍有困难",
        "still hard after a disaster",
    ),
    # --- elder services that need an assessment ---------------------------------------------
    Case(
        "home care bed: an 80-year-old who needs help — possible, needs assessment",
        answers(age=80, household_size=2, income=exact(3000), elder="needs_care"),
        "home_care_bed",
        POSSIBLE,
        "老年人能力评估",
        "assessment of the older person's abilities",
    ),
    Case(
        "elder-care vouchers: needs help — possible, needs assessment, no amount shown",
        answers(age=80, household_size=2, income=exact(3000), elder="needs_care"),
        "elder_care_subsidy",
        POSSIBLE,
        "老年人能力评估",
        "assessment of the older person's abilities",
    ),
    Case(
        "home care bed: an older person who manages daily life",
        answers(age=70, household_size=2, income=exact(3000), elder="neither"),
        "home_care_bed",
        UNLIKELY,
        "日常生活能自理",
        "Manages daily life without help",
    ),
    Case(
        "home modification: a disabled older person on a low income — still needs a home visit",
        answers(age=75, household_size=1, income=exact(300), health="disability_2"),
        "aging_modification",
        POSSIBLE,
        "上门评估",
        "home visit",
    ),
    # --- the childcare subsidy (育儿补贴, 2025) -----------------------------------------------
    Case(
        "childcare subsidy: a household with a baby",
        answers(age=30, household_size=3, income=exact(6000), household=["under_3"]),
        "childcare_subsidy",
        LIKELY,
        "3600",
        "3600 yuan a year",
    ),
    Case(
        "childcare subsidy: screening for a 2-year-old",
        answers(age=2, household_size=3, income=exact(6000), household=["none"]),
        "childcare_subsidy",
        LIKELY,
        "孩子未满 3 岁",
        "The child is under 3",
    ),
    Case(
        "education assistance: a 20-year-old alone on a low income may be at university",
        answers(for_whom="self", age=20, household_size=1, income=exact(300)),
        "education",
        POSSIBLE,
        "大学",
        "university",
        "社会救助暂行办法 Art. 33 (普通高等教育)",
    ),
    # --- work -------------------------------------------------------------------------------
    Case(
        "employment assistance: a parent out of work in a household below the line",
        answers(
            for_whom="self",
            age=38,
            household_size=3,
            income=exact(1200),
            household=["in_school", "jobless"],
        ),
        "employment",
        LIKELY,
        "没找到工作",
        "has no job",
    ),
    Case(
        "employment assistance: someone alone of working age says they are out of work",
        answers(for_whom="self", age=30, household_size=1, income=exact(300), employment="yes"),
        "employment",
        LIKELY,
        "没找到工作",
        "has no job",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_verdict(case: Case) -> None:
    result = evaluate(PROFILE, case.answers, ON).result(case.programme)
    shown = {locale: " ".join(r.text(locale) for r in result.reasons) for locale in PROFILE.locales}
    assert result.verdict is case.verdict, shown["en"]
    assert case.reason_zh in shown["zh-CN"], shown["zh-CN"]
    assert case.reason_en in shown["en"], shown["en"]


@pytest.mark.parametrize(
    ("name", "given", "not_for_them", "for_them"),
    [
        (
            "an older person living alone is not offered child programmes",
            answers(age=68, household_size=1, income=exact(400)),
            {
                "unsupported_child",
                "orphan",
                "child_in_difficulty",
                "childcare_subsidy",
                "dibao_single",  # someone alone applies for dibao itself
                "education",  # nobody in the household is at school
                "employment",  # not of working age, and nobody else
            },
            {"dibao", "community_elder_care"},
        ),
        (
            "a child is not offered elder care",
            answers(**CHILD, child_situation="none"),
            {"home_care_bed", "aging_modification", "community_elder_care", "elder_care_subsidy"},
            {"unsupported_child", "education"},
        ),
    ],
)
def test_programmes_for_someone_else_entirely_are_not_listed(
    name: str, given: dict[str, object], not_for_them: set[str], for_them: set[str]
) -> None:
    evaluation = evaluate(PROFILE, given, ON)
    for programme in not_for_them:
        result = evaluation.result(programme)
        assert result.verdict is UNLIKELY and not result.applies, programme
    for programme in for_them:
        assert evaluation.result(programme).applies, programme


def test_childcare_subsidy_starts_in_2025() -> None:
    given = answers(age=1, household_size=3, income=exact(6000))
    assert evaluate(PROFILE, given, date(2024, 6, 1)).result("childcare_subsidy").verdict is (
        UNLIKELY
    )
    assert evaluate(PROFILE, given, date(2025, 1, 1)).result("childcare_subsidy").verdict is (
        LIKELY
    )


def test_one_answer_never_makes_an_assessed_elder_service_likely() -> None:
    """Whatever the answers, services that need an assessment stay at most "possible"."""
    for health in ("none", "disability_1", "disability_2"):
        for elder in ("needs_care", "neither", "unsure"):
            given = answers(age=85, household_size=1, income=exact(0), health=health, elder=elder)
            evaluation = evaluate(PROFILE, given, ON)
            for programme in ("home_care_bed", "aging_modification", "elder_care_subsidy"):
                assert evaluation.result(programme).verdict is not LIKELY, (programme, health)
