"""Every route through the screening: at most 12 questions, and every question counts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.checks import SCREENING_QUESTION_LIMIT, check_figures_shown, check_screening_length
from bot.flows.application import load_application_flow
from bot.flows.loading import parse_flow
from bot.flows.paths import longest, routes
from bot.flows.screening import load_screening_flow
from bot.flows.spec import StepKind
from bot.policy import default_profile_path, load_profile
from bot.policy.rules import ChoiceTest, Compare, Rule, walk

FLOW = load_screening_flow()
PROFILE = load_profile(default_profile_path())
SCREENING_YAML = Path(__file__).parents[2] / "bot" / "flows" / "screening.yaml"


def test_every_route_asks_at_most_twelve_questions() -> None:
    walked = list(routes(FLOW))
    assert len(walked) > 1000  # every age band, household size, urgent answer, who for…
    for route in walked:
        assert len(route.questions) <= SCREENING_QUESTION_LIMIT, route.questions
    assert check_screening_length([FLOW]) == []


@pytest.mark.parametrize(
    ("who", "age", "size", "longest_expected"),
    [
        ("an older person in a household of two", 70, 2, 12),
        ("a child in a household of three", 9, 3, 12),
        ("a working-age person living alone", 40, 1, 11),
        ("an older person living alone", 76, 1, 11),
    ],
)
def test_the_longest_routes_by_situation(
    who: str, age: int, size: int, longest_expected: int
) -> None:
    lengths = [
        len(route.questions) for route in routes(FLOW) if _answers_on(route.steps, age, size)
    ]
    assert max(lengths) == longest_expected, who


def _answers_on(steps: tuple[str, ...], age: int, size: int) -> bool:
    # A route is one person's when its branch steps match their age band and household.
    child, elder, household = "child_situation" in steps, "elder" in steps, "household" in steps
    return (
        "result" in steps
        and child == (age < 18)
        and elder == (age >= 60)
        and household == (size >= 2)
        and ("employment" in steps) == (size == 1 and 16 <= age < 60)
    )


def test_a_child_screening_alone_stops_after_three_questions() -> None:
    stopped = [r for r in routes(FLOW) if r.end == "too_young"]
    assert stopped and all(r.questions == ("urgent", "for_whom", "age") for r in stopped)
    assert FLOW.step("too_young").forget


def test_the_check_catches_a_thirteenth_question() -> None:
    """The route that was 13 long before (an older person in a household of two, asked
    "lives alone" and "children not in school" separately) fails the check."""
    raw = yaml.safe_load(SCREENING_YAML.read_text(encoding="utf-8"))
    raw["steps"]["household"]["next"] = [{"to": "children"}]
    raw["steps"]["children"] = {
        "ask": "choice",
        "options": ["none", "in_school", "not_in_school"],
        "next": [{"to": "hardship"}],
    }
    longer = parse_flow(raw, source="test", context_facts=FLOW.context_facts)
    route = longest(longer)
    assert route is not None and len(route.questions) == 13
    [problem] = check_screening_length([longer])
    assert "13 questions (limit 12)" in problem and "children" in problem


def _facts_read(rules: tuple[Rule, ...]) -> set[str]:
    return {rule.fact for rule in walk(rules) if isinstance(rule, ChoiceTest | Compare)}


def test_every_answer_asked_changes_a_verdict_or_the_application() -> None:
    read = set().union(*(_facts_read((*p.audience, *p.rules)) for p in PROFILE.programmes))
    if {"household_size", "income"} & read or "per_capita_income" in read:
        read |= {"household_size", "income"}  # per-capita income is derived from both
    application = load_application_flow()
    routing = {
        a for s in FLOW.steps.values() for r in s.next if r.when for a in r.when.answers_read()
    }
    for step in FLOW.steps.values():
        if not step.is_question:
            continue
        used = step.name in read or step.name in application.steps or step.name in routing
        assert used, f"{step.name}: no verdict, no route and no application reads it"


def test_every_option_of_a_question_is_read_by_some_rule() -> None:
    """An option no rule tells apart from the others is a question the resident answers for
    nothing: each option is named by a rule, or is the plain "none of these"."""
    named: dict[str, set[str]] = {}

    for programme in PROFILE.programmes:
        for rule in walk((*programme.audience, *programme.rules)):
            if isinstance(rule, ChoiceTest):
                named.setdefault(rule.fact, set()).update(rule.values | rule.unsure)
    plain = {"none", "neither", "unsure", "stable", "no"}
    for name in ("health", "child_situation", "elder", "household", "hardship", "housing"):
        step = FLOW.step(name)
        assert step.kind in (StepKind.CHOICE, StepKind.MULTI)
        unread = set(step.options) - named.get(name, set()) - plain
        assert not unread, (name, unread)


def test_the_check_catches_an_unconfirmed_figure_shown_to_residents() -> None:
    assert check_figures_shown(PROFILE, date(2026, 3, 1)) == []
    from dataclasses import replace

    from bot.policy.base import LocalText
    from bot.policy.rules import Reasons

    orphan = PROFILE.programme("orphan")
    assert orphan is not None
    rule = orphan.rules[0]
    assert isinstance(rule, ChoiceTest)
    amount = LocalText(
        {"zh-CN": "每月 {orphan_community} 元。", "en": "{orphan_community} a month."}
    )
    shown = replace(rule, reasons=Reasons(holds=amount, fails=rule.reasons.fails))
    broken = replace(
        PROFILE,
        programmes=tuple(
            replace(p, rules=(shown,)) if p.id == "orphan" else p for p in PROFILE.programmes
        ),
    )
    [problem] = check_figures_shown(broken, date(2026, 3, 1))
    assert "orphan_community" in problem and "not confirmed" in problem


def test_the_check_catches_a_draft_note_shown_to_residents() -> None:
    from dataclasses import replace

    from bot.policy.base import LocalText

    dibao = PROFILE.programme("dibao")
    assert dibao is not None
    note = LocalText({"zh-CN": "这里的天数是占位。", "en": "A placeholder."})
    broken = replace(
        PROFILE,
        programmes=tuple(
            replace(p, time_limit=replace(p.time_limit, note=note)) if p.id == "dibao" else p
            for p in PROFILE.programmes
        ),
    )
    problems = check_figures_shown(broken, date(2026, 3, 1))
    assert problems and all("draft note" in p for p in problems)
