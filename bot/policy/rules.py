"""The rule language a policy officer reads and writes in programmes.yaml.

A programme's `rules` is a list of conditions that must all hold. Each condition is three-valued
(Kleene logic): true, false, or unknown — the answer is missing or "unsure", or an income range
straddles the line. The programme is *likely* when every condition is true, *unlikely* when any is
false, and *possible* otherwise. Forms:

    {fact: health, equals: illness}            choice facts; `in: [a, b]` for several values;
    {fact: health, in: [...], unsure: [x]}     `unsure` lists answers that leave it unknown
    {fact: age, at_least: 60}                  number and amount facts: `at_least`, `below`,
    {fact: per_capita_income, below: dibao_line}   or `equals` (numbers only); a name is a
                                               standard figure, resolved for the date and area;
    {fact: ..., below: dibao_line, times: 1.5}  `times` multiplies the threshold
    {fact: household, in: [member_illness]}    set facts (several answers ticked): true when
                                               any listed answer is ticked
    {programme: dibao, at_least: possible}     another programme: true when it is likely, false
                                               when it is below `at_least`, unknown otherwise
    {in_force: elder_care_subsidy_max}         the figure exists in the standards in force
    {any: [...]}  {all: [...]}  {not: ...}
    {proxy: ...}                               weak evidence: true when the inner condition holds,
                                               otherwise unknown — never false (what we do not ask)
    {open: care_assessment, unknown: ...}      what only the window can decide (an assessment, a
                                               check of medical costs): always unknown, so the
                                               programme is never more than "possible"

Any condition may carry `holds`, `fails` and `unknown` reasons ({zh-CN: ..., en: ...}); the
conditions of a programme must be able to explain holding and failing, by their own text or their
parts'. Texts may use {placeholders}: any fact, any standard figure, and {line} (the threshold of
the condition the text is on).

This module is the tree itself and the one walk over it; the facts a rule may read are in
`facts.py`, reading the YAML in `rule_parsing.py`, truth and reasons in `reasoning.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeAlias

from bot.policy.base import LocalText, Verdict

Truth: TypeAlias = bool | None
"""Kleene truth: None is unknown."""


@dataclass(frozen=True, slots=True)
class Reasons:
    holds: LocalText | None = None
    fails: LocalText | None = None
    unknown: LocalText | None = None

    def get(self, outcome: Truth) -> LocalText | None:
        if outcome is None:
            return self.unknown
        return self.holds if outcome else self.fails


@dataclass(frozen=True, slots=True)
class ChoiceTest:
    fact: str
    values: frozenset[str]
    unsure: frozenset[str] = frozenset()
    reasons: Reasons = field(default_factory=Reasons)


@dataclass(frozen=True, slots=True)
class Compare:
    fact: str
    op: str  # at_least | below | equals
    threshold: int | Decimal | str  # a str names a standard figure
    reasons: Reasons = field(default_factory=Reasons)
    times: Decimal | int = 1  # the threshold is this many times the figure


@dataclass(frozen=True, slots=True)
class ProgrammeTest:
    programme: str
    at_least: Verdict = Verdict.LIKELY
    reasons: Reasons = field(default_factory=Reasons)


@dataclass(frozen=True, slots=True)
class InForce:
    figure: str
    reasons: Reasons = field(default_factory=Reasons)


@dataclass(frozen=True, slots=True)
class Open:
    """Something only the window can decide: always unknown."""

    what: str
    reasons: Reasons = field(default_factory=Reasons)


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Rule, ...]
    reasons: Reasons = field(default_factory=Reasons)


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Rule, ...]
    reasons: Reasons = field(default_factory=Reasons)


@dataclass(frozen=True, slots=True)
class Not:
    item: Rule
    reasons: Reasons = field(default_factory=Reasons)


@dataclass(frozen=True, slots=True)
class Proxy:
    item: Rule
    reasons: Reasons = field(default_factory=Reasons)


Rule: TypeAlias = (
    ChoiceTest | Compare | ProgrammeTest | InForce | Open | AnyOf | AllOf | Not | Proxy
)


# --- walking the tree ----------------------------------------------------------------------


def parts(rule: Rule) -> tuple[Rule, ...]:
    """The conditions directly inside `rule`: the items of any/all, the one of not/proxy."""
    if isinstance(rule, AnyOf | AllOf):
        return rule.items
    if isinstance(rule, Not | Proxy):
        return (rule.item,)
    return ()


def walk(rules: Iterable[Rule]) -> Iterator[Rule]:
    """Every condition of `rules` and every part inside them, each before its parts."""
    for rule in rules:
        yield rule
        yield from walk(parts(rule))


def dependencies(rule: Rule) -> frozenset[str]:
    """The programmes whose verdicts this rule reads."""
    return frozenset(r.programme for r in walk((rule,)) if isinstance(r, ProgrammeTest))
