"""`yimen flows check`: everything that must hold before a resident sees the bot."""

from __future__ import annotations

from bot.config import Settings
from bot.flows.registry import FLOW_LOADERS
from bot.flows.spec import Flow, FlowError, StepKind
from bot.policy import ProfileError, load_profile
from bot.render import LOCALES, Renderer, load_catalogue

COMMON_TEMPLATES = (
    "question.html",
    "common/help.html",
    "common/language.html",
    "common/resume.html",
    "common/cancelled.html",
    "common/nothing_to_cancel.html",
    "common/error.html",
)


def check_everything(settings: Settings) -> list[str]:
    problems: list[str] = []
    try:
        load_profile(settings.profile)
    except ProfileError as exc:
        problems.append(f"policy profile: {exc}")
    flows: list[Flow] = []
    for name, loader in FLOW_LOADERS.items():
        try:
            flows.append(loader())
        except FlowError as exc:
            problems.append(f"flow {name}: {exc}")
    problems.extend(check_hand_overs(flows))
    problems.extend(check_templates(flows))
    return problems


def required_templates(flow: Flow) -> list[str]:
    names = [f"{flow.name}/{step}.html" for step in flow.steps]
    if any(step.kind is StepKind.RESULT for step in flow.steps.values()):
        names.append(f"{flow.name}/programme.html")
    return names


def required_labels(flow: Flow) -> list[str]:
    keys = []
    for step in flow.steps.values():
        if step.is_question:
            keys.append(f"{flow.name}.{step.name}.title")
        keys.extend(f"{flow.name}.{step.name}.{option}" for option in step.options)
        if step.kind is StepKind.REVIEW:
            keys.extend(f"{flow.name}.{step.name}.{action}" for action in step.actions)
        for field in step.fields:
            keys.extend(f"{flow.name}.{field.step.name}.{o}" for o in field.step.options)
    return keys


def check_hand_overs(flows: list[Flow]) -> list[str]:
    """Every `then` names a flow the bot knows."""
    names = {flow.name for flow in flows}
    return [
        f"flow {flow.name}: step {step.name!r} hands over to unknown flow {step.then!r}"
        for flow in flows
        for step in flow.steps.values()
        if step.then is not None and step.then not in names
    ]


def check_templates(flows: list[Flow]) -> list[str]:
    renderer = Renderer()
    names = list(COMMON_TEMPLATES)
    keys: list[str] = []
    for flow in flows:
        names.extend(required_templates(flow))
        keys.extend(required_labels(flow))
    problems = [f"template missing: {name}" for name in renderer.missing_templates(names)]
    problems.extend(f"label missing: {key}" for key in renderer.missing_labels(keys))
    catalogues = {locale: set(load_catalogue(locale).entries) for locale in LOCALES}
    every = set().union(*catalogues.values())
    for locale, entries in catalogues.items():
        problems.extend(f"label missing: {locale}:{key}" for key in sorted(every - entries))
    return problems
