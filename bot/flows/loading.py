"""Flows from YAML: read, parsed into the declarations of ``spec.py``, and validated before
any resident sees them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.flows.conditions import ConditionError, parse_condition
from bot.flows.spec import (
    DEFAULT_ACCEPT,
    DEFAULT_MAX_BYTES,
    Field,
    Flow,
    FlowError,
    NextRule,
    Step,
    StepKind,
    validate,
)


def load_flow(path: Path, *, context_facts: Iterable[str], sources: Iterable[str] = ()) -> Flow:
    """Read and validate one flow file; ``context_facts`` and ``sources`` come from its host."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FlowError(f"{path.name}: not valid YAML: {exc}") from None
    return parse_flow(
        raw, source=path.name, context_facts=frozenset(context_facts), sources=frozenset(sources)
    )


def parse_flow(
    raw: Any, *, source: str, context_facts: frozenset[str], sources: frozenset[str] = frozenset()
) -> Flow:
    if not isinstance(raw, dict) or "flow" not in raw or "steps" not in raw:
        raise FlowError(f"{source}: a flow needs `flow`, `start` and `steps`")
    name = str(raw["flow"])
    problems: list[str] = []
    steps: dict[str, Step] = {}
    for step_name, body in (raw.get("steps") or {}).items():
        try:
            steps[str(step_name)] = _parse_step(str(step_name), body or {})
        except (FlowError, ConditionError, ValueError, TypeError) as exc:
            problems.append(f"step {step_name!r}: {exc}")
    try:
        start = _parse_rules(raw.get("start"))
    except (FlowError, ConditionError) as exc:
        problems.append(f"start: {exc}")
        start = ()
    try:
        command = None if raw.get("command") is None else str(raw["command"])
        on_begin = _names(raw.get("on_begin"))
        on_cancel = _names(raw.get("on_cancel"))
    except FlowError as exc:
        problems.append(str(exc))
        command, on_begin, on_cancel = None, (), ()
    flow = Flow(
        name=name,
        start=start,
        steps=steps,
        context_facts=context_facts,
        sources=sources,
        command=command,
        on_begin=on_begin,
        on_cancel=on_cancel,
    )
    if not problems:
        problems.extend(validate(flow))
    if problems:
        raise FlowError(f"flow {name!r} ({source}): " + "; ".join(problems))
    return flow


def _parse_step(name: str, body: Mapping[str, Any]) -> Step:
    try:
        kind = StepKind(str(body.get("ask")))
    except ValueError:
        known = ", ".join(kind.value for kind in StepKind)
        raise FlowError(f"unknown kind {body.get('ask')!r} (known: {known})") from None
    ranges = tuple(
        (int(low), None if high is None else int(high)) for low, high in body.get("ranges", ())
    )
    max_bytes = body.get("max_bytes", DEFAULT_MAX_BYTES)
    actions, on_action = _parse_actions(body.get("actions"))
    return Step(
        name=name,
        kind=kind,
        next=_parse_rules(body.get("next")),
        options=tuple(str(option) for option in body.get("options", ())),
        columns=int(body.get("columns", 2)),
        minimum=body.get("min"),
        maximum=body.get("max"),
        quick=tuple(int(value) for value in body.get("quick", ())),
        ranges=ranges,
        actions=actions,
        depends_on=frozenset(str(name) for name in body.get("depends_on", ())),
        system=bool(body.get("system", False)),
        source=None if body.get("source") is None else str(body["source"]),
        fields=_parse_fields(name, body.get("fields")),
        accept=tuple(str(kind) for kind in body.get("accept", DEFAULT_ACCEPT)),
        max_bytes=int(max_bytes),
        then=None if body.get("then") is None else str(body["then"]),
        forget=bool(body.get("forget", False)),
        reused=bool(body.get("reused", False)),
        differs_from=None if body.get("differs_from") is None else str(body["differs_from"]),
        on_enter=_names(body.get("on_enter")),
        on_answer=_names(body.get("on_answer")),
        on_action=on_action,
    )


def _names(raw: Any) -> tuple[str, ...]:
    """One effect name or a list of them."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return tuple(raw)
    raise FlowError(f"effects must be a name or a list of names, not {raw!r}")


def _parse_actions(raw: Any) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """`actions: [review, restart]`, or a mapping from each action to the effects it runs
    (`actions: {submit: submit_application, review: ~}`)."""
    if raw is None:
        return (), {}
    if isinstance(raw, dict):
        effects = {str(action): _names(names) for action, names in raw.items()}
        return tuple(effects), {action: names for action, names in effects.items() if names}
    return tuple(str(action) for action in raw), {}


def _parse_fields(owner: str, raw: Any) -> tuple[Field, ...]:
    """The questions of a repeating group; each is a small step named ``<owner>.<field>``."""
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not raw:
        raise FlowError("`fields` must map field names to questions")
    fields = []
    for field_name, body in raw.items():
        body = dict(body or {})
        when = body.pop("when", None)
        step = _parse_step(f"{owner}.{field_name}", {**body, "next": None})
        fields.append(Field(step=step, when=None if when is None else parse_condition(when)))
    return tuple(fields)


def _parse_rules(raw: Any) -> tuple[NextRule, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (NextRule(to=raw),)
    if not isinstance(raw, list):
        raise FlowError("`next` must be a step name or a list of {to, when}")
    rules = []
    for item in raw:
        if not isinstance(item, dict) or "to" not in item:
            raise FlowError(f"rule {item!r} has no `to`")
        when = item.get("when")
        rules.append(
            NextRule(to=str(item["to"]), when=None if when is None else parse_condition(when))
        )
    return tuple(rules)
