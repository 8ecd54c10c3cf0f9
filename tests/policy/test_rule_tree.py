"""The one walk over a programme's rule tree, which the profile check, `flows check` and the
dependency order all read the tree through."""

from __future__ import annotations

from bot.policy.base import Verdict
from bot.policy.rules import (
    AllOf,
    AnyOf,
    ChoiceTest,
    Compare,
    InForce,
    Not,
    Open,
    ProgrammeTest,
    Proxy,
    dependencies,
    walk,
)

ELDER = ChoiceTest("elder", frozenset({"needs_care"}))
OLD = Compare("age", "at_least", 60)
POOR = Compare("per_capita_income", "below", "dibao_line")
DIBAO = ProgrammeTest("dibao", Verdict.POSSIBLE)
TEKUN = ProgrammeTest("tekun")
NESTED = AllOf((OLD, AnyOf((Not(DIBAO), Proxy(POOR))), Open("care_assessment")))


def test_walk_visits_every_condition_before_its_parts_in_order() -> None:
    inner = NESTED.items[1]
    assert isinstance(inner, AnyOf)
    negated, proxy = inner.items
    assert list(walk((ELDER, NESTED))) == [
        ELDER,
        NESTED,
        OLD,
        inner,
        negated,
        DIBAO,
        proxy,
        POOR,
        NESTED.items[2],
    ]


def test_walk_of_leaves_is_the_leaves() -> None:
    leaves = (ELDER, OLD, InForce("elder_care_subsidy_max"), TEKUN)
    assert tuple(walk(leaves)) == leaves
    assert list(walk(())) == []


def test_dependencies_are_every_programme_read_at_any_depth() -> None:
    assert dependencies(NESTED) == {"dibao"}
    assert dependencies(AnyOf((TEKUN, Proxy(Not(DIBAO))))) == {"dibao", "tekun"}
    assert dependencies(OLD) == frozenset()
