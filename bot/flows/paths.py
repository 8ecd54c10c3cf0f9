"""Every route a resident can take through a flow, for checks such as "at most 12 questions".

A route is walked with one representative answer per class of answers the flow's conditions
can tell apart: every option of a choice that a condition reads, the numbers on each side of
every threshold, and each true/false value of every context fact (taken as free, so routes
the host could never produce are walked too: the bound is safe, never optimistic). Answers
no condition reads do not change the route and get a single representative.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bot.flows.conditions import AnswerIs, Combined, Condition, ContextIs
from bot.flows.spec import START, Flow, NextRule, Step, StepKind

# A flow should never loop, but a declaration error must not hang a check.
_MAX_STEPS = 200


@dataclass(frozen=True, slots=True)
class Route:
    steps: tuple[str, ...]  # every step entered, in order
    questions: tuple[str, ...]  # the questions among them (system and info steps not counted)
    end: str  # the step the route stops at (a result, an end, a stop)


def routes(flow: Flow) -> Iterator[Route]:
    """Every distinguishable route from the start to a result, end or stop step."""
    conditions = list(_conditions(flow))
    facts = sorted({fact for c in conditions for fact in c.context_read()})
    samples = _samples(flow, conditions)
    for values in itertools.product((False, True), repeat=len(facts)):
        context = dict(zip(facts, values, strict=True))
        yield from _walk(flow, START, flow.start, {}, context, samples, ())


def longest(flow: Flow) -> Route | None:
    """The route with the most questions (the first found among equals)."""
    return max(routes(flow), key=lambda route: len(route.questions), default=None)


def _walk(
    flow: Flow,
    here: str,
    rules: tuple[NextRule, ...],
    answers: dict[str, Any],
    context: Mapping[str, bool],
    samples: Mapping[str, tuple[Any, ...]],
    entered: tuple[str, ...],
) -> Iterator[Route]:
    if len(entered) > _MAX_STEPS:
        raise ValueError(f"flow {flow.name!r}: a route from {here!r} does not end")
    target = next((r.to for r in rules if r.when is None or r.when.holds(answers, context)), None)
    if target is None:  # validation forbids this; stop rather than guess
        yield _route(flow, entered, here)
        return
    step = flow.step(target)
    path = (*entered, target)
    if step.kind in (StepKind.RESULT, StepKind.END, StepKind.STOP):
        yield _route(flow, path, target)
        return
    for value in samples.get(target, (None,)) if step.kind.asks else (None,):
        below = {**answers, target: value} if step.kind.asks else answers
        yield from _walk(flow, target, step.next, below, context, samples, path)


def _route(flow: Flow, steps: tuple[str, ...], end: str) -> Route:
    questions = tuple(name for name in steps if flow.step(name).is_question)
    return Route(steps, questions, end)


def _conditions(flow: Flow) -> Iterator[Condition]:
    for rule in (*flow.start, *(r for s in flow.steps.values() for r in s.next)):
        if rule.when is not None:
            yield rule.when


def _leaves(condition: Condition) -> Iterator[AnswerIs]:
    if isinstance(condition, AnswerIs):
        yield condition
    elif isinstance(condition, Combined):
        for part in condition.parts:
            yield from _leaves(part)
    elif not isinstance(condition, ContextIs):
        raise TypeError(f"unknown condition {condition!r}")


def _samples(flow: Flow, conditions: list[Condition]) -> dict[str, tuple[Any, ...]]:
    """For each answer a condition reads: one value per class the conditions tell apart."""
    read: dict[str, list[AnswerIs]] = {}
    for condition in conditions:
        for leaf in _leaves(condition):
            read.setdefault(leaf.answer, []).append(leaf)
    return {name: _values(flow.steps[name], leaves) for name, leaves in read.items()}


def _values(step: Step, leaves: list[AnswerIs]) -> tuple[Any, ...]:
    if step.kind in (StepKind.NUMBER, StepKind.AMOUNT):
        numbers = {step.minimum or 0, step.maximum or 0}
        for leaf in leaves:
            if leaf.comparison in ("at_least", "below"):
                numbers |= {int(leaf.operand) - 1, int(leaf.operand)}
            elif leaf.comparison == "equals" and isinstance(leaf.operand, int):
                numbers |= {leaf.operand - 1, leaf.operand, leaf.operand + 1}
        low, high = step.minimum, step.maximum
        kept = sorted(
            n for n in numbers if (low is None or n >= low) and (high is None or n <= high)
        )
        if step.kind is StepKind.AMOUNT:
            return tuple({"min": n, "max": n} for n in kept)
        return tuple(kept)
    if step.kind is StepKind.YESNO:
        return ("yes", "no")
    named = {leaf.operand for leaf in leaves if leaf.comparison == "equals"}
    named |= {value for leaf in leaves if leaf.comparison == "in" for value in leaf.operand}
    # Every declared option, plus anything else a condition names, plus "none of those".
    options = list(dict.fromkeys([*step.options, *sorted(named, key=str)]))
    return (*options, None)
