"""The facts a rule may read: the answers of the screening and what is derived from them.

Each fact has a kind (a number, an amount of yuan, one choice or a set of ticked choices) and,
for choices, the answers it may take; `bot/policy/rule_parsing.py` checks every rule against
them and `bot/policy/eligibility.py` reads the answers through them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final, TypeAlias

from bot.policy.base import TownKind


class FactKind(StrEnum):
    NUMBER = "number"  # a whole number: age, household size
    AMOUNT = "amount"  # yuan a month, possibly a range
    CHOICE = "choice"  # one of a fixed set of answers
    SET = "set"  # several of a fixed set of answers, ticked together


@dataclass(frozen=True, slots=True)
class FactSpec:
    kind: FactKind
    choices: frozenset[str] = frozenset()
    unknown: frozenset[str] = frozenset()  # answers that mean "I don't know"
    derived: bool = False  # computed from other answers, never read from the answers


def _choice(*values: str, unknown: Iterable[str] = ()) -> FactSpec:
    return FactSpec(FactKind.CHOICE, frozenset(values), frozenset(unknown))


# The answers of the screening conversation (bot/flows/screening.yaml) and what we derive from
# them. Town choices are the profile's town ids.
FACTS: Final[Mapping[str, FactSpec]] = MappingProxyType(
    {
        "urgent": _choice("no_food", "no_shelter", "at_risk", "none"),
        "for_whom": _choice("self", "family", "in_care"),
        "age": FactSpec(FactKind.NUMBER),
        "town": FactSpec(FactKind.CHOICE),
        "household_size": FactSpec(FactKind.NUMBER),
        "income": FactSpec(FactKind.AMOUNT),
        "assets": _choice("none", "modest", "substantial", "unsure", unknown=["unsure"]),
        # Disability grades as the certificate gives them, split where a rule differs by kind:
        # 特困 counts intellectual or mental grades 1–3, physical 1–2 and visual 1 as unable to
        # work; the care subsidy counts every grade 1–2.
        "health": _choice(
            "none",
            "illness",
            "disability_1",  # grade 1: physical, intellectual, mental or visual
            "disability_2",  # grade 2: physical, intellectual or mental
            "disability_12_other",  # grade 1–2 hearing or speech, or grade 2 visual
            "disability_3_mental",  # grade 3 intellectual or mental
            "disability_3_4",  # any other grade 3 or 4
            "disability_uncertified",
            "disability_unsure",  # disabled, grade or kind not known to the one answering
        ),
        # The parents of a child, in the words of 民发〔2019〕62号: "unable" is severe
        # disability, serious illness, prison or detention, compulsory drug rehabilitation,
        # other restriction of liberty, lost contact, guardianship revoked, deported.
        "child_situation": _choice(
            "parents_unable",  # both parents unable
            "one_gone_other_unable",  # one dead or missing, the other unable
            "one_unable",  # one unable, the other bringing the child up
            "orphan",  # both dead or declared missing
            "difficulty",  # other difficulty: parents far away, nobody looking after the child
            "unsure",
            "none",
            unknown=["unsure"],
        ),
        "elder": _choice("needs_care", "neither", "unsure", unknown=["unsure"]),
        # The rest of the household, ticked together (asked when more than one person lives in it).
        "household": FactSpec(
            FactKind.SET,
            frozenset(
                {
                    "under_3",
                    "in_school",
                    "jobless",
                    "member_severe_disability",
                    "member_disability",
                    "member_illness",
                    "none",
                }
            ),
        ),
        "hardship": _choice("none", "disaster", "accident_illness", "other"),
        "housing": _choice("stable", "unsafe", "rent_hard", "no_home"),
        "employment": _choice("yes", "no"),
        "area": FactSpec(FactKind.CHOICE, frozenset(TownKind), derived=True),
        "per_capita_income": FactSpec(FactKind.AMOUNT, derived=True),
    }
)


@dataclass(frozen=True, slots=True)
class Amount:
    """Yuan a month: exact when low == high; `high` None for "this much or more"."""

    low: Decimal
    high: Decimal | None


FactValue: TypeAlias = int | str | Amount | frozenset[str]
