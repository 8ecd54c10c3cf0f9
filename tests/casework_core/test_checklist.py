"""Only the documents that apply, per person: named cases a policy officer can read.

Each case: who applies for what, the household, and the documents asked for (or not).
The Jiangjin profile itself is used, so a change to its document entries shows here.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.casework import checklist
from bot.casework.applications import submit
from bot.casework.drafts import DocumentDraft
from bot.policy import default_profile_path, load_profile
from storage.models import OutboxMessage
from tests import factories
from tests.conftest import STAFF_CHAT, BotHarness
from tests.helpers import resident

PROFILE = load_profile(default_profile_path())
HEALTHY = {"health": "none"}
HUSBAND_DISABLED = [{"relationship": "spouse", "age": 62, "disability": "yes", "working": "no"}]
SON_HEALTHY = [{"relationship": "child", "age": 15, "disability": "no", "in_school": "yes"}]

# (the case, programmes, self-check facts, household, asked for, not asked for)
CASES: list[
    tuple[str, tuple[str, ...], dict[str, Any], list[dict[str, Any]], set[str], set[str]]
] = [
    (
        "a healthy woman living alone applies for 低保: no certificate, no diagnosis",
        ("dibao",),
        HEALTHY,
        [],
        {"id_card", "hukou_book", "income_proof", "economic_check_authorisation"},
        {"disability_certificate", "diagnosis"},
    ),
    (
        "she has a grade-1 disability herself: one certificate, hers",
        ("dibao",),
        {"health": "disability_1"},
        SON_HEALTHY,
        {"disability_certificate"},
        {"disability_certificate@1.child.15", "diagnosis"},
    ),
    (
        "she is healthy, her husband (62) is disabled: one certificate, his",
        ("dibao",),
        HEALTHY,
        HUSBAND_DISABLED,
        {"disability_certificate@1.spouse.62"},
        {"disability_certificate", "diagnosis"},
    ),
    (
        "she is seriously ill: a diagnosis for her, no certificate",
        ("dibao",),
        {"health": "illness"},
        [],
        {"diagnosis"},
        {"disability_certificate"},
    ),
    (
        "a disability not yet certified: no certificate to bring (the federation assesses)",
        ("dibao",),
        {"health": "disability_uncertified"},
        [],
        set(),
        {"disability_certificate"},
    ),
    (
        "低保 and medical assistance together: no proof of 低保 status asked",
        ("dibao", "medical"),
        HEALTHY,
        [],
        {"medical_bills"},
        {"assistance_status_proof", "diagnosis"},
    ),
    (
        "medical assistance alone, his wife (70) ill: proof of status, her diagnosis",
        ("medical",),
        HEALTHY,
        [{"relationship": "spouse", "age": 70, "disability": "no", "illness": "yes"}],
        {"assistance_status_proof", "medical_bills", "diagnosis@1.spouse.70"},
        {"diagnosis"},
    ),
    (
        "a child without care: one proof per parent, whichever fits, not every kind",
        ("unsupported_child",),
        {},
        [],
        {"parents_proof", "guardian_id"},
        {"parents_situation_proof", "parents_death_proof"},
    ),
]


@pytest.mark.parametrize(
    ("case", "programmes", "facts", "household", "asked", "not_asked"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_only_the_documents_that_apply(
    case: str,
    programmes: tuple[str, ...],
    facts: dict[str, Any],
    household: list[dict[str, Any]],
    asked: set[str],
    not_asked: set[str],
) -> None:
    items = checklist.items(PROFILE, programmes, facts=facts, household=household)
    assert asked <= set(items), case
    assert not (not_asked & set(items)), case
    assert len(items) == len(set(items))  # each once


# The 一次性告知 on the submission receipt: exactly what is still missing, per person.
RECEIPT = {
    "zh-CN": {
        "missing": ["家庭经济状况核对授权书", "残疾人证（家庭成员 1：配偶，62 岁）"],
        "not_missing": ["居民身份证", "医院诊断证明", "低保或特困人员证明"],
    },
    "en": {
        "missing": [
            "Authorisation for the household economic check",
            "Disability certificate (household member 1: Spouse, 62)",
        ],
        "not_missing": ["Resident ID card", "Hospital diagnosis", "Proof of dibao"],
    },
}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_the_receipt_lists_exactly_what_is_missing_per_person(
    bot: BotHarness, locale: str
) -> None:
    """王秀英 (healthy) applies for 低保 with her disabled husband; her ID card is sent."""
    components = bot.components
    resident_id = await resident(bot, 5001)
    draft = factories.draft(
        resident_id,
        locale=locale,
        programmes=("dibao",),
        facts=HEALTHY,
        household=tuple(HUSBAND_DISABLED),
        documents=(DocumentDraft("id_card", "file-1", "photo", "image/jpeg", 2048),),
    )
    async with components.database.transaction() as session:
        submission = await submit(session, draft, components.casework)
        messages = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert "disability_certificate@1.spouse.62" in submission.missing_documents
    assert "id_card" not in submission.missing_documents
    receipt = messages[0].payload["text"]
    for name in RECEIPT[locale]["missing"]:
        assert name in receipt, receipt
    for name in RECEIPT[locale]["not_missing"]:
        assert name not in receipt, receipt
    # The window sees the same list, in the staff's language.
    alert = next(m for m in messages if m.chat_id == STAFF_CHAT).payload["text"]
    assert "残疾人证（家庭成员 1：配偶，62 岁）" in alert and "医院诊断证明" not in alert
