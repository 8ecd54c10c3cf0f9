"""A rule's three-valued truth for one resident, and the plain-word reasons behind it.

The rule language and its Kleene logic are described in `bot/policy/rules.py`; this module
evaluates a tree of conditions against a `Situation` (the answers, the standard figures in force,
the other programmes' verdicts) and explains an outcome by the texts of the deciding parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Protocol

from bot.policy.base import LocalText, Verdict, format_number
from bot.policy.facts import Amount, FactValue
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
    Rule,
    Truth,
)


class Situation(Protocol):
    """What a rule may look at while being evaluated."""

    def fact(self, name: str) -> FactValue | None: ...

    def figures(self, name: str) -> tuple[Decimal | int, ...]:
        """Candidate values of a standard figure: several when the area is unknown, none when
        the figure is not in force."""
        ...

    def verdict(self, programme: str) -> Verdict: ...

    def render(self, text: LocalText, line: str | None) -> LocalText: ...


def truth(rule: Rule, s: Situation) -> Truth:
    if isinstance(rule, ChoiceTest):
        value = s.fact(rule.fact)
        if isinstance(value, frozenset):  # ticked answers: any listed one will do
            if value & rule.values:
                return True
            return None if value & rule.unsure else False
        if not isinstance(value, str) or value in rule.unsure:
            return None
        return value in rule.values
    if isinstance(rule, Open):
        return None
    if isinstance(rule, Compare):
        return _compare(rule, s)
    if isinstance(rule, ProgrammeTest):
        verdict = s.verdict(rule.programme)
        if verdict is Verdict.LIKELY:
            return True
        return False if verdict.rank > rule.at_least.rank else None
    if isinstance(rule, InForce):
        return bool(s.figures(rule.figure))
    if isinstance(rule, AnyOf):
        return kleene_any(truth(item, s) for item in rule.items)
    if isinstance(rule, AllOf):
        return kleene_all(truth(item, s) for item in rule.items)
    if isinstance(rule, Not):
        inner = truth(rule.item, s)
        return None if inner is None else not inner
    return True if truth(rule.item, s) else None  # Proxy


def kleene_any(values: Iterable[Truth]) -> Truth:
    unknown = False
    for value in values:
        if value:
            return True
        unknown = unknown or value is None
    return None if unknown else False


def kleene_all(values: Iterable[Truth]) -> Truth:
    unknown = False
    for value in values:
        if value is False:
            return False
        unknown = unknown or value is None
    return None if unknown else True


def _compare(rule: Compare, s: Situation) -> Truth:
    value = s.fact(rule.fact)
    if value is None or isinstance(value, str | frozenset):
        return None
    low, high = (value.low, value.high) if isinstance(value, Amount) else (value, value)
    lines = _thresholds(rule, s)
    # With the area unknown both lines are candidates: agreeing answers stand, otherwise unknown.
    outcomes = {_against(rule.op, low, high, line) for line in lines}
    return outcomes.pop() if len(outcomes) == 1 else None


def _thresholds(rule: Compare, s: Situation) -> tuple[Decimal | int, ...]:
    lines = s.figures(rule.threshold) if isinstance(rule.threshold, str) else (rule.threshold,)
    return lines if rule.times == 1 else tuple(line * rule.times for line in lines)


def _against(op: str, low: Decimal | int, high: Decimal | int | None, line: Decimal | int) -> Truth:
    below: Truth = True if high is not None and high < line else False if low >= line else None
    if op == "below":
        return below
    if op == "at_least":
        return None if below is None else not below
    if low == high:  # equals
        return low == line
    return False if below or low > line else None


def explain(rule: Rule, outcome: Truth, s: Situation) -> list[LocalText]:
    """The plain-word facts behind `outcome`: the rule's own text, else its deciding parts'."""
    own = rule.reasons.get(outcome)
    if own is not None:
        line = None
        if isinstance(rule, Compare):
            line = "/".join(format_number(v) for v in sorted(set(_thresholds(rule, s))))
        return [s.render(own, line)]
    return [
        text for item, result in _deciding(rule, outcome, s) for text in explain(item, result, s)
    ]


def _deciding(rule: Rule, outcome: Truth, s: Situation) -> Iterator[tuple[Rule, Truth]]:
    # For any/all the parts that share the outcome decided it: every true part of a true `any`,
    # every false part of a false `all`, every unknown part of an unknown one.
    if isinstance(rule, AnyOf | AllOf):
        for item in rule.items:
            if (result := truth(item, s)) is outcome:
                yield item, result
    elif isinstance(rule, Not | Proxy):
        yield rule.item, truth(rule.item, s)


def explainable(rule: Rule, outcome: bool) -> bool:
    """Whether `explain` always finds a text for this outcome, whatever the answers."""
    if rule.reasons.get(outcome) is not None:
        return True
    if isinstance(rule, AnyOf | AllOf):
        return all(explainable(item, outcome) for item in rule.items)
    if isinstance(rule, Not):
        return explainable(rule.item, not outcome)
    if isinstance(rule, Proxy):
        return not outcome or explainable(rule.item, outcome)  # a proxy never fails
    return isinstance(rule, Open)  # never true or false, so nothing to explain
