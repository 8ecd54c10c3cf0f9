"""Reading an answer: what a tapped button carries, and what a resident typed."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bot.flows.host import Translate
from bot.flows.model import Label
from bot.flows.parsing import match_option, parse_number, parse_yes_no
from bot.flows.spec import Step, StepKind


def read_tap(step: Step, value: str, towns: Mapping[str, str]) -> tuple[Any, bool]:
    """The answer a button of ``step`` carries; False when no button of it carries that."""
    if step.kind is StepKind.AMOUNT:
        index = int(value) if value.isdigit() else -1
        if not 0 <= index < len(step.ranges):
            return None, False
        low, high = step.ranges[index]
        return {"min": low, "max": high}, True
    if step.kind is StepKind.NUMBER:
        valid = value.isdigit() and int(value) in step.quick
        return (int(value) if valid else None), valid
    if step.kind is StepKind.YESNO:
        return value, value in ("yes", "no")
    if step.kind is StepKind.TOWN:
        return value, value in towns
    return value, value in step.options


def read_typed(
    step: Step, text: str, towns: Mapping[str, str], translate: Translate, flow: str
) -> tuple[Any, Label | None]:
    """The answer typed at ``step``, or the hint that says what was wrong with it."""
    if step.kind in (StepKind.NUMBER, StepKind.AMOUNT):
        number = parse_number(text)
        bounds = Label.of("hint.number_range", min=step.minimum, max=step.maximum)
        if number is None:
            return None, Label.of("hint.not_a_number", example=step.maximum and 3)
        assert step.minimum is not None and step.maximum is not None
        if not step.minimum <= number <= step.maximum:
            return None, bounds
        if step.kind is StepKind.NUMBER:
            if number != number.to_integral_value():
                return None, Label.of("hint.whole_number")
            return int(number), None
        whole = int(number.quantize(Decimal(1)))
        return {"min": whole, "max": whole}, None
    if step.kind is StepKind.YESNO:
        yes = parse_yes_no(text)
        if yes is None:
            return None, Label.of("hint.yes_no")
        return ("yes" if yes else "no"), None
    if step.kind is StepKind.TOWN:
        town = match_option(text, towns)
        return (town, None) if town else (None, Label.of("hint.town"))
    labels = {option: translate(Label(f"{flow}.{step.name}.{option}")) for option in step.options}
    option = match_option(text, labels)
    return (option, None) if option else (None, Label.of("hint.choose_option"))
