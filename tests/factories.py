"""Synthetic applicants for tests, and the tap scripts that carry them through the bot.

A tap script is a list of steps as in ``sandbox.scripts``: ("say", text) sends a message,
("tap", label) taps the button with that label, ("tick", part) taps the button whose label
contains ``part`` (programme toggles carry ✅ or ⬜ and a number), ("skip", label) taps it for
as long as it is offered (each document in turn). ``play`` runs one for a ``Person``. Every
person and number here is invented.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.casework.drafts import ApplicationDraft
from sandbox import scripts
from sandbox.scripts import LABELS, START_EN, START_ZH, Step, alone_on_a_small_pension, application
from tests.conftest import BotHarness, Person

GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def gb11643(first17: str) -> str:
    """A synthetic resident ID number: the 17 digits given and the right check character."""
    total = sum(int(d) * w for d, w in zip(first17, GB11643_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def id_number(born: str, sequence: str = "123", region: str = "500381") -> str:
    """A synthetic ID number born on ``born`` (YYYYMMDD) (500381: Jiangjin's old code)."""
    return gb11643(f"{region}{born}{sequence}")


# Valid and invalid numbers from domain.md (GB 11643 examples, no real people).
VALID_IDS = ("360426199101010071", "120103198806018241", "34052419800101001X")
INVALID_IDS = ("360426199101010072", "340524198001010013")


def draft(resident_id: int, **changes: object) -> ApplicationDraft:
    """王秀英 of 黄荆村, Baisha, applying for herself for 低保 and medical assistance."""
    base = ApplicationDraft(
        resident_id=resident_id,
        locale="zh-CN",
        programmes=("dibao", "medical"),
        applicant_name="王秀英",
        applicant_id_number="360426199101010071",
        applicant_phone="13812345678",
        subject="self",
        subject_name="王秀英",
        subject_id_number="360426199101010071",
        town_id="baisha",
        village="黄荆村",
        economic_check_authorised=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# ---- screenings, tap by tap -----------------------------------------------------------------

# 张桂兰, 76, alone in Baisha on a small pension: a screening in Chinese, for herself.
BAISHA_SCREENING_ZH = alone_on_a_small_pension("76岁")
# Wang Fang, 38, out of work with two children in school in Shuangfu: a screening in English.
SHUANGFU_SCREENING_EN = scripts.WANG_FANG
# A grandmother in Shimen screening for her grandson of 8, whose parents cannot bring him up.
GRANDMOTHER_SCREENING: list[Step] = [
    *START_ZH,
    ("tap", "都没有，继续"),
    ("tap", "👪 家里人"),
    ("say", "8"),
    ("say", "石门"),
    ("tap", "3"),
    ("tap", "1000–1999 元"),
    ("tap", "几乎没有"),
    ("tap", "都没有"),
    ("tap", "父母两人都不能抚养"),
    ("say", "2"),  # the household: a child at school
    ("tap", "没有"),
    ("tap", "有稳定安全的住处"),
]
# 李师傅, 45, grade-1 disability, household of two on 1,000 yuan a month, in Jijiang.
LI_SHIFU_SCREENING: list[Step] = [
    *START_ZH,
    ("tap", "都没有，继续"),
    ("tap", "🙋 我自己"),
    ("say", "45"),
    ("say", "几江"),
    ("tap", "2"),
    ("say", "1,000元"),
    ("tap", "几乎没有"),
    ("tap", "♿ 残疾一级（肢体、智力、精神或视力）"),
    ("say", "7"),  # the rest of the household: none of these
    ("tap", "没有"),
    ("tap", "有稳定安全的住处"),
]


# ---- the application form, tap by tap -----------------------------------------------------


@dataclass(frozen=True)
class Applicant:
    """What an invented resident types into the application form about themselves."""

    name: str
    id_number: str
    phone: str
    town: str
    village: str
    locale: str = "zh-CN"


SUN_LI = Applicant("孙丽", VALID_IDS[1], "13712345678", "德感", "东方红社区")
# 张桂兰, 76 on the test clock (2026-03-02), who screened in Baisha first.
ZHANG_GUILAN = Applicant("张桂兰", id_number("19500301", "022"), "13823456789", "白沙", "黄荆村")
# Wang Fang of the English screening (sandbox.scripts.WANG_FANG), in Shuangfu.
WANG_FANG = Applicant(
    "Wang Fang", VALID_IDS[1], "13912345678", "Shuangfu", "Xinglong Community", locale="en"
)
QIAN_DUODUO = Applicant("钱多多", VALID_IDS[0], "13912345678", "几江", "艾坪山社区")
# 赵老师, a village child director in Simianshan, who applies for children in her care.
ZHAO_LAOSHI = Applicant("赵老师", id_number("19850320", "018"), "13512345678", "四面山", "洪洞村")

START = {"zh-CN": START_ZH, "en": START_EN}
# The questions of "for myself", in the order the form asks them.
ASKED = ("who", "name", "id_number", "phone", "town", "village")
# What follows a screening's "apply for these", in order.
AFTER_SCREENING = ("name", "id_number", "phone", "village", "household", "authorise")


def choose(
    *programmes: str, locale: str = "zh-CN", notice: bool = True, done: bool | str = True
) -> list[Step]:
    """The application's notice agreed (unless ``notice`` is False: already past it), these
    programmes ticked, and the choice confirmed: tapped, typed when ``done`` is a text (a
    word works as well as the button), not at all when it is False."""
    labels = LABELS[locale]
    confirm: list[Step] = [("tap", labels["chosen"])] if done is True else []
    return [
        *([("tap", labels["notice"])] if notice else []),
        *(("tick", programme) for programme in programmes),
        *([("say", done)] if isinstance(done, str) else confirm),
    ]


def from_menu(*programmes: str, locale: str = "zh-CN", done: bool = True) -> list[Step]:
    """/apply with no screening behind it, for these programmes."""
    return [("say", "/apply"), *choose(*programmes, locale=locale, done=done)]


def for_myself(
    applicant: Applicant, start: str = "who", through: str = "village", *, screened: bool = False
) -> list[Step]:
    """ "For myself", then the applicant's own answers, from question ``start`` to ``through``
    (see ``ASKED``). After a screening (``screened``) who it is for and the town are known and
    not asked."""
    answers = {
        "who": ("tap", LABELS[applicant.locale]["self"]),
        "name": ("say", applicant.name),
        "id_number": ("say", applicant.id_number),
        "phone": ("say", applicant.phone),
        "town": ("say", applicant.town),
        "village": ("say", applicant.village),
    }
    asked = ASKED[ASKED.index(start) : ASKED.index(through) + 1]
    return [answers[q] for q in asked if not (screened and q in ("who", "town"))]


def for_family(applicant: Applicant, relationship: str, name: str, id_number: str) -> list[Step]:
    """ "A family member": how they are related (the button containing ``relationship``), the
    applicant's own name, ID and phone, then the family member's name and ID number."""
    return [
        ("tap", LABELS[applicant.locale]["family"]),
        ("tick", relationship),
        *for_myself(applicant, "name", "phone"),
        ("say", name),
        ("say", id_number),
    ]


def after_screening(
    applicant: Applicant, through: str = "authorise", done: bool | str = True
) -> list[Step]:
    """ "Apply for these" at the end of a screening, the programmes found left ticked, then
    the answers of ``AFTER_SCREENING`` up to ``through``: the applicant's own (who it is for
    and the town are known and not asked), no one else in the household, and the economic
    check authorised. ``done`` as for ``choose``."""
    labels = LABELS[applicant.locale]
    answers = {
        "name": ("say", applicant.name),
        "id_number": ("say", applicant.id_number),
        "phone": ("say", applicant.phone),
        "village": ("say", applicant.village),
        "household": ("tap", labels["no_household"]),
        "authorise": ("tap", labels["authorise"]),
    }
    asked = AFTER_SCREENING[: AFTER_SCREENING.index(through) + 1]
    return [
        ("tap", labels["apply_these"]),
        *choose(locale=applicant.locale, done=done),
        *(answers[q] for q in asked),
    ]


def no_household(locale: str = "zh-CN") -> list[Step]:
    return [("tap", LABELS[locale]["no_household"])]


def one_household_member(
    relationship: str, age: int, *answers: bool, locale: str = "zh-CN"
) -> list[Step]:
    """One other person in the household, and no more: added, how they are related, their
    age, then yes or no to each question asked about them in turn (a disability, then work
    or school as their age has it)."""
    labels = LABELS[locale]
    return [
        ("tap", labels["add_member"]),
        ("tap", relationship),
        ("say", str(age)),
        *(("tap", labels["yes" if answer else "no"]) for answer in answers),
        ("tap", labels["everyone"]),
    ]


def apply_for_myself(applicant: Applicant, *programmes: str) -> list[Step]:
    """A new resident: language and privacy consent, /apply for ``programmes`` for themselves,
    every answer, and no one else in the household; next comes the economic check or the
    documents."""
    return [
        *START[applicant.locale],
        *from_menu(*programmes, locale=applicant.locale),
        *for_myself(applicant),
        *no_household(applicant.locale),
    ]


def submit_after_screening(applicant: Applicant) -> list[Step]:
    """After a screening: apply for everything found, skip every document for now, submit."""
    a = applicant
    return application(a.name, a.id_number, a.phone, a.village, a.locale)


def child_director_applies(
    director: Applicant, child: str, child_id: str, guardian: str
) -> list[Step]:
    """A village child director applies for a child in her care, in her own town and village;
    the child's guardian, a parent, is named and has agreed; no one else in the household."""
    return [
        ("tap", "🤝 我照顾或负责的人（如村里的儿童、老人）"),
        ("tap", "村（社区）儿童主任"),
        ("say", director.name),
        ("say", director.id_number),
        ("say", director.phone),
        ("say", child),
        ("say", child_id),
        ("say", guardian),
        ("tap", "父母"),
        ("tap", "✅ 监护人已经同意"),
        ("say", director.town),
        ("say", director.village),
        *no_household(),
    ]


def split_after(script: Sequence[Step], step: Step) -> tuple[list[Step], list[Step]]:
    """The script up to and including ``step``, and the rest: to look at the screen between."""
    at = list(script).index(step) + 1
    return list(script[:at]), list(script[at:])


# ---- running a script ---------------------------------------------------------------------


async def play(person: Person, script: Sequence[Step]) -> None:
    """``person`` says and taps each step of ``script`` in turn (see the module's docstring)."""
    for kind, value in script:
        if kind == "say":
            await person.send(value)
        elif kind == "tap":
            await person.tap(value)
        elif kind == "tick":
            await tap_containing(person, value)
        elif kind == "skip":
            await skip_remaining_documents(person, value)
        else:
            raise ValueError(f"unknown step {kind!r}")


async def tap_containing(person: Person, part: str) -> None:
    """Tap the button whose text contains ``part`` (toggles carry ✅ or ⬜ and a number)."""
    matches = [text for text in person.buttons if part in text]
    assert matches, f"no button with {part!r} in {person.buttons}"
    await person.tap(matches[0])


async def send_photo(bot: BotHarness, person: Person) -> None:
    await bot.feed(bot.telegram.make_update_photo(person.user_id))


async def send_file(
    bot: BotHarness,
    person: Person,
    data: bytes = b"%PDF-1.4 synthetic",
    file_name: str = "hukou.pdf",
    mime_type: str = "application/pdf",
) -> None:
    await bot.feed(bot.telegram.make_update_document(person.user_id, data, file_name, mime_type))


async def skip_remaining_documents(person: Person, skip: str = "⏭️ 先跳过，以后再交") -> int:
    """Skip every document still asked for; the number skipped."""
    skipped = 0
    while skip in person.buttons:
        await person.tap(skip)
        skipped += 1
    return skipped
