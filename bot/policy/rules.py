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
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Protocol, TypeAlias

from bot.policy.base import LocalText, ProfileError, TownKind, Verdict, format_number, parse_text

Truth: TypeAlias = bool | None
"""Kleene truth: None is unknown."""


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


class Situation(Protocol):
    """What a rule may look at while being evaluated."""

    def fact(self, name: str) -> FactValue | None: ...

    def figures(self, name: str) -> tuple[Decimal | int, ...]:
        """Candidate values of a standard figure: several when the area is unknown, none when
        the figure is not in force."""
        ...

    def verdict(self, programme: str) -> Verdict: ...

    def render(self, text: LocalText, line: str | None) -> LocalText: ...


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


# --- evaluation ---------------------------------------------------------------------------


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


def dependencies(rule: Rule) -> frozenset[str]:
    """The programmes whose verdicts this rule reads."""
    if isinstance(rule, ProgrammeTest):
        return frozenset({rule.programme})
    if isinstance(rule, AnyOf | AllOf):
        return frozenset().union(*(dependencies(item) for item in rule.items))
    if isinstance(rule, Not | Proxy):
        return dependencies(rule.item)
    return frozenset()


# --- parsing -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The names a rule may use, from the rest of the profile."""

    locales: tuple[str, ...]
    figures: frozenset[str]  # standard figures and area-dependent names such as dibao_line
    programmes: frozenset[str]
    towns: frozenset[str]

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(FACTS) | self.figures | {"line"}


_REASON_KEYS: Final = ("holds", "fails", "unknown")
_FORMS: Final = ("fact", "programme", "in_force", "open", "any", "all", "not", "proxy")
_FACT_OPS: Final = ("equals", "in", "at_least", "below")


def parse_rules(raw: object, vocabulary: Vocabulary, where: str) -> tuple[Rule, ...]:
    if not isinstance(raw, list) or not raw:
        raise ProfileError(f"{where}: `rules` must be a non-empty list of conditions")
    rules = tuple(
        parse_rule(item, vocabulary, f"{where}: rule {n}") for n, item in enumerate(raw, 1)
    )
    for n, rule in enumerate(rules, 1):
        for key, outcome in (("holds", True), ("fails", False)):
            if not explainable(rule, outcome):
                raise ProfileError(
                    f"{where}: rule {n}: no '{key}' reason (give one on the rule or on each part)"
                )
    return rules


def parse_rule(raw: object, vocabulary: Vocabulary, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}: a condition must be a mapping, not {raw!r}")
    reasons = Reasons(
        **{
            key: parse_text(
                raw[key], vocabulary.locales, f"{where}: {key}", vocabulary.placeholders
            )
            for key in _REASON_KEYS
            if key in raw
        }
    )
    body = {str(k): v for k, v in raw.items() if k not in _REASON_KEYS}
    forms = [form for form in _FORMS if form in body]
    if len(forms) != 1:
        raise ProfileError(f"{where}: a condition needs exactly one of {', '.join(_FORMS)}")
    form = forms[0]
    value = body[form]
    if form == "fact":
        return _parse_fact(body, vocabulary, where, reasons)
    if form == "programme":
        _only(body, {"programme", "at_least"}, where)
        if value not in vocabulary.programmes:
            raise ProfileError(f"{where}: unknown programme '{value}'")
        at_least = body.get("at_least", Verdict.LIKELY.value)
        if at_least not in (Verdict.LIKELY, Verdict.POSSIBLE):
            raise ProfileError(f"{where}: `at_least` must be likely or possible")
        return ProgrammeTest(str(value), Verdict(at_least), reasons)
    _only(body, {form}, where)
    if form == "open":
        if reasons.unknown is None:
            raise ProfileError(
                f"{where}: `open` needs an `unknown` reason (what the window decides)"
            )
        return Open(str(value), reasons)
    if form == "in_force":
        return InForce(_figure(value, vocabulary, where), reasons)
    if form in ("any", "all"):
        if not isinstance(value, list) or not value:
            raise ProfileError(f"{where}: `{form}` needs a non-empty list")
        items = tuple(
            parse_rule(item, vocabulary, f"{where}: {form} {n}") for n, item in enumerate(value, 1)
        )
        return AnyOf(items, reasons) if form == "any" else AllOf(items, reasons)
    item = parse_rule(value, vocabulary, f"{where}: {form}")
    return Not(item, reasons) if form == "not" else Proxy(item, reasons)


def _parse_fact(
    body: dict[str, object], vocabulary: Vocabulary, where: str, reasons: Reasons
) -> Rule:
    name = str(body["fact"])
    spec = FACTS.get(name)
    if spec is None:
        raise ProfileError(f"{where}: unknown fact '{name}' (known: {', '.join(FACTS)})")
    ops = [op for op in _FACT_OPS if op in body]
    if len(ops) != 1:
        raise ProfileError(f"{where}: fact '{name}' needs exactly one of {', '.join(_FACT_OPS)}")
    op = ops[0]
    listed = spec.kind in (FactKind.CHOICE, FactKind.SET)
    _only(body, {"fact", op} | ({"unsure"} if listed else {"times"}), where)
    if listed:
        if op not in ("equals", "in"):
            raise ProfileError(f"{where}: fact '{name}' is a choice: use equals or in, not {op}")
        choices = vocabulary.towns if name == "town" else spec.choices
        values = _values(body[op] if op == "in" else [body[op]], choices, name, where)
        unsure = _values(body.get("unsure", []), choices, name, where)
        return ChoiceTest(name, values, unsure, reasons)
    if op == "in" or (op == "equals" and spec.kind is FactKind.AMOUNT):
        raise ProfileError(f"{where}: fact '{name}' is an amount: use at_least or below")
    threshold = body[op]
    times = _number(body.get("times", 1), f"{where}: `times`")
    if isinstance(threshold, str):
        return Compare(name, op, _figure(threshold, vocabulary, where), reasons, times)
    return Compare(name, op, _number(threshold, f"{where}: `{op}`"), reasons, times)


def _number(raw: object, where: str) -> int | Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ProfileError(f"{where} needs a number or a standard figure name")
    return raw if isinstance(raw, int) else Decimal(str(raw))


def _values(raw: object, choices: frozenset[str], fact: str, where: str) -> frozenset[str]:
    if not isinstance(raw, list):
        raise ProfileError(f"{where}: expected a list of answers for fact '{fact}'")
    for value in raw:
        if value not in choices:
            raise ProfileError(f"{where}: '{value}' is not an answer of fact '{fact}'")
    return frozenset(str(v) for v in raw)


def _figure(raw: object, vocabulary: Vocabulary, where: str) -> str:
    if not isinstance(raw, str) or raw not in vocabulary.figures:
        raise ProfileError(f"{where}: unknown standard figure '{raw}'")
    return raw


def _only(body: Mapping[str, object], allowed: set[str], where: str) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise ProfileError(f"{where}: unexpected key(s) {', '.join(extra)}")
