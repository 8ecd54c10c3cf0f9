"""The small condition language of flow declarations.

``{answer: age, at_least: 60}``, ``{answer: urgent, in: [no_food, no_shelter]}``,
``{answer: consent, equals: decline}``, ``{answer: age, below: 18}``, ``{context: needs_consent}``,
and ``all`` / ``any`` / ``not`` to combine them. A missing answer makes a comparison false.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class ConditionError(ValueError):
    """A condition that cannot be understood."""


class Condition(Protocol):
    def holds(self, answers: Mapping[str, Any], context: Mapping[str, bool]) -> bool: ...

    def answers_read(self) -> Iterator[str]: ...

    def context_read(self) -> Iterator[str]: ...


_COMPARISONS = ("equals", "in", "at_least", "below")


@dataclass(frozen=True, slots=True)
class AnswerIs:
    answer: str
    comparison: str
    operand: Any

    def holds(self, answers: Mapping[str, Any], context: Mapping[str, bool]) -> bool:
        value = answers.get(self.answer)
        if value is None:
            return False
        if self.comparison == "equals":
            return bool(value == self.operand)
        if self.comparison == "in":
            return value in self.operand
        number = _as_number(value)
        if number is None:
            return False
        if self.comparison == "at_least":
            return bool(number >= self.operand)
        return bool(number < self.operand)

    def answers_read(self) -> Iterator[str]:
        yield self.answer

    def context_read(self) -> Iterator[str]:
        yield from ()


@dataclass(frozen=True, slots=True)
class ContextIs:
    fact: str

    def holds(self, answers: Mapping[str, Any], context: Mapping[str, bool]) -> bool:
        return bool(context.get(self.fact, False))

    def answers_read(self) -> Iterator[str]:
        yield from ()

    def context_read(self) -> Iterator[str]:
        yield self.fact


@dataclass(frozen=True, slots=True)
class Combined:
    mode: str  # all | any | not
    parts: tuple[Condition, ...]

    def holds(self, answers: Mapping[str, Any], context: Mapping[str, bool]) -> bool:
        if self.mode == "all":
            return all(part.holds(answers, context) for part in self.parts)
        if self.mode == "any":
            return any(part.holds(answers, context) for part in self.parts)
        return not self.parts[0].holds(answers, context)

    def answers_read(self) -> Iterator[str]:
        for part in self.parts:
            yield from part.answers_read()

    def context_read(self) -> Iterator[str]:
        for part in self.parts:
            yield from part.context_read()


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping) and isinstance(value.get("min"), int | float):
        # An amount given as a range compares by its lower bound.
        return float(value["min"])
    return None


def parse_condition(raw: Any) -> Condition:
    if not isinstance(raw, Mapping):
        raise ConditionError(f"a condition must be a mapping, not {raw!r}")
    if "context" in raw:
        return ContextIs(fact=str(raw["context"]))
    for mode in ("all", "any"):
        if mode in raw:
            parts = raw[mode]
            if not isinstance(parts, list) or not parts:
                raise ConditionError(f"`{mode}` needs a non-empty list")
            return Combined(mode=mode, parts=tuple(parse_condition(part) for part in parts))
    if "not" in raw:
        return Combined(mode="not", parts=(parse_condition(raw["not"]),))
    if "answer" in raw:
        found = [key for key in _COMPARISONS if key in raw]
        if len(found) != 1:
            raise ConditionError(
                f"answer {raw['answer']!r} needs exactly one of {', '.join(_COMPARISONS)}"
            )
        comparison = found[0]
        operand = raw[comparison]
        if comparison == "in" and not isinstance(operand, list):
            raise ConditionError("`in` needs a list")
        if comparison in ("at_least", "below") and not isinstance(operand, int | float):
            raise ConditionError(f"`{comparison}` needs a number")
        operand = tuple(operand) if comparison == "in" else operand
        return AnswerIs(answer=str(raw["answer"]), comparison=comparison, operand=operand)
    raise ConditionError(f"cannot read condition {dict(raw)!r}")
