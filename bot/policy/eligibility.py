"""Screening answers -> a verdict per programme, with the plain-word facts that decided it.

Runs inside a chat update, so the profile's rules are parsed once at load and one evaluation is a
single pass over the programmes (dependencies first). The result is advice: the town or district
decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeGuard

from bot.policy.base import DEFAULT_LOCALE, LocalText, Verdict, fill, format_number
from bot.policy.facts import FACTS, Amount, FactKind, FactValue
from bot.policy.profile import Profile, Programme, StandardsVersion
from bot.policy.reasoning import explain, truth
from bot.policy.rules import Truth


@dataclass(frozen=True, slots=True)
class ProgrammeResult:
    programme: Programme
    verdict: Verdict
    reasons: tuple[LocalText, ...]  # the facts that decided it, the most telling first
    # False when the programme is not for this person at all (a child's programme for an
    # older person): not listed among what is "not for now".
    applies: bool = True

    @property
    def summary(self) -> LocalText:
        return self.reasons[0]


@dataclass(frozen=True, slots=True)
class Evaluation:
    on: date
    standards_version: str
    results: tuple[ProgrammeResult, ...]  # likely, possible, unlikely; profile order within

    def by_verdict(self, verdict: Verdict) -> tuple[ProgrammeResult, ...]:
        return tuple(r for r in self.results if r.verdict is verdict)

    def result(self, programme_id: str) -> ProgrammeResult:
        for result in self.results:
            if result.programme.id == programme_id:
                return result
        raise KeyError(programme_id)

    def to_record(self) -> dict[str, dict[str, object]]:
        """JSON-ready, for storing with an application (reasons in the default locale)."""
        return {
            r.programme.id: {
                "verdict": r.verdict.value,
                "reasons": [text.text(DEFAULT_LOCALE) for text in r.reasons],
            }
            for r in self.results
        }


def evaluate(profile: Profile, answers: Mapping[str, object], on: date) -> Evaluation:
    situation = _Situation(profile, profile.standards_in_force(on), answers)
    results: dict[str, ProgrammeResult] = {}
    for programme in profile.evaluation_order:
        result = _judge(programme, situation)
        situation.verdicts[programme.id] = result.verdict
        results[programme.id] = result
    ordered = sorted((results[p.id] for p in profile.programmes), key=lambda r: r.verdict.rank)
    return Evaluation(on, situation.standards.version, tuple(ordered))


def income_near_line(profile: Profile, answers: Mapping[str, object], on: date) -> bool:
    """Whether asking about savings and property can matter: the lower bound of per-capita
    income is below `times` × the line (the higher line while the area is unknown). Unknown
    income counts as near: its lower bound is 0."""
    situation = _Situation(profile, profile.standards_in_force(on), answers)
    question = profile.assets_question
    lines = situation.figures(question.figure)
    per_capita = situation.fact("per_capita_income")
    low = per_capita.low if isinstance(per_capita, Amount) else Decimal(0)
    return not lines or low < question.times * max(lines)


def _judge(programme: Programme, s: _Situation) -> ProgrammeResult:
    outcomes = [(rule, truth(rule, s)) for rule in (*programme.audience, *programme.rules)]
    wanted: tuple[Truth, ...]
    if any(outcome is False for _, outcome in outcomes):
        verdict, wanted = Verdict.UNLIKELY, (False,)
    elif all(outcome is True for _, outcome in outcomes):
        verdict, wanted = Verdict.LIKELY, (True,)
    else:  # what is still open first, then what already holds
        verdict, wanted = Verdict.POSSIBLE, (None, True)
    found = (
        text
        for want in wanted
        for rule, outcome in outcomes
        if outcome is want
        for text in explain(rule, outcome, s) or [s.render(s.profile.unknown_reason, None)]
    )
    # The same fact can decide two conditions ("age not yet known"): say it once.
    reasons = tuple({text.text(DEFAULT_LOCALE): text for text in found}.values())
    applies = all(outcome is not False for _, outcome in outcomes[: len(programme.audience)])
    return ProgrammeResult(programme, verdict, reasons, applies)


class _Situation:
    """One resident's facts against one standards version (implements reasoning.Situation)."""

    __slots__ = ("_facts", "_placeholders", "area", "profile", "standards", "verdicts")

    def __init__(
        self, profile: Profile, standards: StandardsVersion, answers: Mapping[str, object]
    ) -> None:
        self.profile = profile
        self.standards = standards
        self.verdicts: dict[str, Verdict] = {}
        self._facts = _facts(profile, answers)
        town = profile.town(str(self._facts.get("town", "")))
        self.area = town.kind if town is not None else None
        self._placeholders: dict[str, dict[str, str]] | None = None

    def fact(self, name: str) -> FactValue | None:
        return self._facts.get(name)

    def figures(self, name: str) -> tuple[Decimal | int, ...]:
        by_area = self.profile.area_figures.get(name)
        if by_area is None:
            names = [name]
        elif self.area is not None:
            names = [by_area[self.area]]
        else:
            names = list(by_area.values())
        found = [self.standards.figures.get(n) for n in names]
        return tuple(f.value for f in found if f is not None) if all(found) else ()

    def verdict(self, programme: str) -> Verdict:
        return self.verdicts[programme]

    def render(self, text: LocalText, line: str | None) -> LocalText:
        values = self._values()
        if line is not None:
            values = {locale: {**names, "line": line} for locale, names in values.items()}
        return fill(text, values, self.profile.unknown_value)

    def _values(self) -> dict[str, dict[str, str]]:
        # Built on first use only: most evaluations render a few texts, all from these values.
        if self._placeholders is None:
            shared = {n: format_number(f.value) for n, f in self.standards.figures.items()}
            for alias in self.profile.area_figures:
                if lines := self.figures(alias):
                    shared[alias] = "/".join(format_number(v) for v in sorted(set(lines)))
            for name, value in self._facts.items():
                shared[name] = _format_fact(value)
            town = self.profile.town(str(self._facts.get("town", "")))
            self._placeholders = {
                locale: shared if town is None else {**shared, "town": town.name.text(locale)}
                for locale in self.profile.locales
            }
        return self._placeholders


def _facts(profile: Profile, answers: Mapping[str, object]) -> dict[str, FactValue]:
    """The answers we can use; anything missing, malformed or "unsure" stays unknown."""
    facts: dict[str, FactValue] = {}
    for name, spec in FACTS.items():
        value = answers.get(name)
        if spec.derived or value is None:
            continue
        if spec.kind is FactKind.CHOICE:
            choices = {t.id for t in profile.towns} if name == "town" else spec.choices
            if isinstance(value, str) and value in choices and value not in spec.unknown:
                facts[name] = value
        elif spec.kind is FactKind.SET:
            if isinstance(value, list | tuple):
                facts[name] = frozenset(v for v in value if v in spec.choices)
        elif spec.kind is FactKind.NUMBER:
            if _whole(value) and value >= (1 if name == "household_size" else 0):
                facts[name] = value
        elif (amount := _amount(value)) is not None:
            facts[name] = amount
    if facts.get("household_size") == 1 and "household" not in facts:
        facts["household"] = frozenset()  # nobody else lives in it
    town = profile.town(str(facts.get("town", "")))
    if town is not None:
        facts["area"] = town.kind.value
    income = facts.get("income")
    if isinstance(income, Amount):
        size = facts.get("household_size")
        if isinstance(size, int):
            high = None if income.high is None else income.high / size
            facts["per_capita_income"] = Amount(income.low / size, high)
        else:  # at least one person, maybe many: per person between 0 and the whole income
            facts["per_capita_income"] = Amount(Decimal(0), income.high)
    return facts


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _amount(value: object) -> Amount | None:
    """{"min": 1000, "max": 1999}, {"min": 5000, "max": None}, or a plain number of yuan."""
    if _whole(value):
        value = {"min": value, "max": value}
    if not isinstance(value, Mapping):
        return None
    low, high = value.get("min"), value.get("max")
    if not _whole(low) or low < 0:
        return None
    if high is None:
        return Amount(Decimal(low), None)
    if not _whole(high) or high < low:
        return None
    return Amount(Decimal(low), Decimal(high))


def _format_fact(value: FactValue) -> str:
    if isinstance(value, frozenset):
        return ", ".join(sorted(value))
    if isinstance(value, Amount):
        if value.high is None:
            return f"≥{format_number(value.low)}"
        if value.low == value.high:
            return format_number(value.low)
        return f"{format_number(value.low)}–{format_number(value.high)}"
    return str(value)
