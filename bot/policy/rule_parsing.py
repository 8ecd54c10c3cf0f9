"""Reading the rules of programmes.yaml into the tree of `bot/policy/rules.py`.

Every name a rule uses (fact, answer, standard figure, programme, town) is checked against the
rest of the profile, and every rule must be able to explain holding and failing; a problem raises
ProfileError naming the programme and the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from bot.policy.base import ProfileError, Verdict, parse_text
from bot.policy.facts import FACTS, FactKind
from bot.policy.reading import only
from bot.policy.reasoning import explainable
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
    Reasons,
    Rule,
)


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
        only(body, {"programme", "at_least"}, where)
        if value not in vocabulary.programmes:
            raise ProfileError(f"{where}: unknown programme '{value}'")
        at_least = body.get("at_least", Verdict.LIKELY.value)
        if at_least not in (Verdict.LIKELY, Verdict.POSSIBLE):
            raise ProfileError(f"{where}: `at_least` must be likely or possible")
        return ProgrammeTest(str(value), Verdict(at_least), reasons)
    only(body, {form}, where)
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
    only(body, {"fact", op} | ({"unsure"} if listed else {"times"}), where)
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
