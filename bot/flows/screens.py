"""The screens the engine draws besides a step's own template: answer buttons, the language
choice and the "continue or start over?" question."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.flows.model import Button, Label, Screen, press
from bot.flows.spec import Flow, Step, StepKind


def answer_buttons(
    flow: str, step: Step, v: int, towns: Mapping[str, str]
) -> list[tuple[Button, ...]]:
    """The buttons that answer ``step`` (``v``: the conversation's version)."""
    buttons: list[Button]
    columns = step.columns
    if step.kind is StepKind.YESNO:
        buttons = [
            Button(Label.of("button.yes"), press(v, "a", "yes")),
            Button(Label.of("button.no"), press(v, "a", "no")),
        ]
    elif step.kind is StepKind.NUMBER:
        buttons = [Button(str(n), press(v, "a", str(n))) for n in step.quick]
        columns = 3
    elif step.kind is StepKind.AMOUNT:
        buttons = [
            Button(range_label(low, high), press(v, "a", str(i)))
            for i, (low, high) in enumerate(step.ranges)
        ]
    elif step.kind is StepKind.TOWN:
        buttons = [Button(Label(f"town.{town}"), press(v, "a", town)) for town in towns]
        columns = 3
    elif step.kind is StepKind.INFO:
        buttons = [Button(Label.of("button.continue"), press(v, "c"))]
    elif step.kind in (StepKind.END, StepKind.STOP) or not step.options:
        buttons = []
    else:
        buttons = [Button(Label(f"{flow}.{step.name}.{o}"), press(v, "a", o)) for o in step.options]
    return [tuple(buttons[i : i + columns]) for i in range(0, len(buttons), columns)]


def range_label(low: int, high: int | None) -> Label:
    if high is None:
        return Label.of("button.amount_over", low=low)
    if low == high == 0:
        return Label.of("button.amount_none")
    return Label.of("button.amount_range", low=low, high=high)


def language_screen(version: int) -> Screen:
    return Screen(
        "common/language.html",
        {},
        (
            (
                Button("中文", press(version, "l", "zh-CN")),
                Button("English", press(version, "l", "en")),
            ),
        ),
    )


def resume_screen(version: int) -> Screen:
    return Screen(
        "common/resume.html",
        {},
        (
            (Button(Label.of("button.resume_continue"), press(version, "r", "continue")),),
            (Button(Label.of("button.resume_over"), press(version, "r", "over")),),
        ),
    )


def progress(flow: Flow, path: Sequence[str], history: Sequence[str], step: Step) -> dict[str, Any]:
    """ "Question 3 of 8": which question this is on the resident's path, and how many there
    will be (the path so far and the default route beyond it)."""
    if not step.is_question:
        return {"number": None, "total": None}
    questions = [n for n in path if flow.step(n).is_question]
    asked = [n for n in dict.fromkeys(history) if flow.step(n).is_question]
    number = (asked.index(step.name) + 1) if step.name in asked else len(asked) + 1
    total = max(len(questions) + _expected_after(flow, questions), number)
    return {"number": number, "total": total}


def _expected_after(flow: Flow, path: Sequence[str]) -> int:
    # The walk stops at the first unanswered question; count the default route beyond it.
    if not path:
        return 0
    seen, name, extra = set(path), path[-1], 0
    while True:
        rules = flow.step(name).next
        if not rules:
            return extra
        name = rules[-1].to
        if name in seen or not flow.step(name).kind.asks:
            return extra
        seen.add(name)
        extra += 1
