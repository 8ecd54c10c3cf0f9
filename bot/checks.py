"""`yimen flows check`: everything that must hold before a resident sees the bot."""

from __future__ import annotations

import string
from collections.abc import Iterator
from datetime import date

from bot.config import Settings
from bot.dialogue.effects import unknown_effects
from bot.flows.paths import longest
from bot.flows.registry import FLOW_LOADERS
from bot.flows.spec import Flow, FlowError, StepKind
from bot.policy import LocalText, Profile, ProfileError, load_profile
from bot.policy.base import unverified
from bot.policy.rules import Compare, Rule, walk
from bot.render import LOCALES, Renderer, load_catalogue

# The screening is a short self-check: nobody answers more than this many questions.
SCREENING_QUESTION_LIMIT = 12
# Words that must never reach a resident: a note to ourselves left in a profile text.
_DRAFT_WORDS = ("占位", "placeholder", "TODO")

COMMON_TEMPLATES = (
    "question.html",
    "common/help.html",
    "common/language.html",
    "common/resume.html",
    "common/cancelled.html",
    "common/nothing_to_cancel.html",
    "common/error.html",
)


def check_everything(settings: Settings, on: date | None = None) -> list[str]:
    problems: list[str] = []
    try:
        profile = load_profile(settings.profile)
    except ProfileError as exc:
        problems.append(f"policy profile: {exc}")
    else:
        problems.extend(check_figures_shown(profile, on or date.today()))
    flows: list[Flow] = []
    for name, loader in FLOW_LOADERS.items():
        try:
            flows.append(loader())
        except FlowError as exc:
            problems.append(f"flow {name}: {exc}")
    problems.extend(check_hand_overs(flows))
    problems.extend(unknown_effects(flows))
    problems.extend(check_templates(flows))
    problems.extend(check_screening_length(flows))
    return problems


def check_screening_length(flows: list[Flow], limit: int = SCREENING_QUESTION_LIMIT) -> list[str]:
    """No route through the screening asks more than `limit` questions."""
    problems = []
    for flow in flows:
        if flow.name != "screening":
            continue
        route = longest(flow)
        if route is not None and len(route.questions) > limit:
            asked = ", ".join(route.questions)
            problems.append(
                f"flow screening: a route asks {len(route.questions)} questions (limit {limit}): "
                f"{asked}"
            )
    return problems


def check_figures_shown(profile: Profile, on: date) -> list[str]:
    """Every figure a resident can read has a confirmed source in the standards in force from
    `on` onwards, and no draft note reaches a resident."""
    problems = []
    current = profile.standards_in_force(on)
    versions = [v for v in profile.standards_versions if v.effective >= current.effective]
    for programme in profile.programmes:
        where = f"policy profile: programme {programme.id}"
        texts = [programme.name, programme.criteria, *_rule_texts(programme.audience)]
        texts.extend(_rule_texts(programme.rules))
        if not unverified(programme.time_limit.source):  # shown only when confirmed
            texts.append(programme.time_limit.note)
        shown = {name for text in texts for name in _placeholders(text)}
        shown |= {
            c.threshold
            for c in walk((*programme.audience, *programme.rules))
            if isinstance(c, Compare) and isinstance(c.threshold, str)
        }
        for name in sorted(shown):
            for figure in profile.area_figures.get(name, {}).values() or [name]:
                for version in versions:
                    found = version.figures.get(figure)
                    if found is not None and unverified(found.source):
                        problems.append(
                            f"{where}: shows figure {figure} whose source in standards "
                            f"{version.version} is not confirmed ({found.source.strip()}); "
                            "source it or do not show it as an amount"
                        )
        for text in texts:
            for locale, words in text.texts.items():
                if any(draft in words for draft in _DRAFT_WORDS):
                    problems.append(f"{where}: a draft note reaches residents ({locale}): {words}")
    return problems


def _rule_texts(rules: tuple[Rule, ...]) -> Iterator[LocalText]:
    for rule in walk(rules):
        for text in (rule.reasons.holds, rule.reasons.fails, rule.reasons.unknown):
            if text is not None:
                yield text


def _placeholders(text: LocalText) -> set[str]:
    return {
        name
        for words in text.texts.values()
        for _, name, _, _ in string.Formatter().parse(words)
        if name
    }


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
