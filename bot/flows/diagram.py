"""Flows drawn as Mermaid state diagrams, generated from the declarations themselves."""

from __future__ import annotations

from bot.flows.conditions import AnswerIs, Combined, Condition, ContextIs
from bot.flows.spec import Flow, StepKind


def describe(condition: Condition) -> str:
    if isinstance(condition, AnswerIs):
        operand = (
            ",".join(map(str, condition.operand))
            if condition.comparison == "in"
            else condition.operand
        )
        return f"{condition.answer} {condition.comparison} {operand}"
    if isinstance(condition, ContextIs):
        return condition.fact
    if isinstance(condition, Combined):
        joined = f" {condition.mode} ".join(describe(part) for part in condition.parts)
        return f"not ({joined})" if condition.mode == "not" else f"({joined})"
    return "?"


def mermaid(flow: Flow) -> str:
    lines = ["stateDiagram-v2"]
    for rule in flow.start:
        label = f": {describe(rule.when)}" if rule.when else ""
        lines.append(f"    [*] --> {rule.to}{label}")
    for step in flow.steps.values():
        for rule in step.next:
            label = f": {describe(rule.when)}" if rule.when else ""
            lines.append(f"    {step.name} --> {rule.to}{label}")
        if step.kind is StepKind.RESULT:
            for review in (s for s in flow.steps.values() if s.kind is StepKind.REVIEW):
                lines.append(f"    {step.name} --> {review.name}: change an answer")
        if step.kind is StepKind.END:
            lines.append(f"    {step.name} --> [*]")
    return "\n".join(lines)
