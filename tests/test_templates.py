"""Every screen exists in every locale and renders with no undefined variable."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.checks import COMMON_TEMPLATES, check_templates, required_templates
from bot.flows.engine import FlowEngine
from bot.flows.host import Turn
from bot.flows.model import DialogState, Label, Screen
from bot.flows.screening import ScreeningHost, load_screening_flow
from bot.policy import default_profile_path, load_profile
from bot.render import LOCALES, Renderer, TemplateMissing

ANSWERS = {
    "urgent": "no_food",
    "for_whom": "family",
    "age": 70,
    "town": "baisha",
    "household_size": 2,
    "income": {"min": 1000, "max": 1999},
    "assets": "none",
    "health": "disability_1",
    "elder": "needs_care",
    "household": ["in_school", "member_illness"],
    "hardship": "disaster",
    "housing": "unsafe",
    "employment": "yes",
}


@pytest.fixture(scope="module")
def host() -> ScreeningHost:
    return ScreeningHost(load_profile(default_profile_path()), lambda: date(2026, 3, 2))


@pytest.fixture(scope="module")
def renderer(host: ScreeningHost) -> Renderer:
    return Renderer(extra_labels=host.labels(), extra_globals={"profile": host.profile})


def rendering_turn(renderer: Renderer, locale: str) -> Turn:
    """A turn in ``locale`` with language and consent on record, its labels from ``renderer``."""
    return Turn(
        locale,
        lambda label: renderer.text(label, locale),
        datetime.now(UTC),
        timedelta(hours=1),
        {"needs_language": False, "needs_consent": False},
    )


def test_nothing_is_missing_in_any_locale() -> None:
    assert check_templates([load_screening_flow()]) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_every_step_renders(host: ScreeningHost, renderer: Renderer, locale: str) -> None:
    flow = load_screening_flow()
    engine = FlowEngine(flow, host)
    turn = rendering_turn(renderer, locale)
    for step in flow.steps:
        state = DialogState(flow="screening", step=step, answers=dict(ANSWERS), history=["age"])
        for hint in (None, Label.of("hint.number_range", min=0, max=120)):
            rendered = renderer.render(engine.screen(state, turn, hint), locale)
            assert rendered.text.strip(), step
            assert "{" not in rendered.text, step
    for name in COMMON_TEMPLATES[1:]:
        assert renderer.render(Screen(name), locale).text


@pytest.mark.parametrize("locale", LOCALES)
def test_every_programme_detail_renders(
    host: ScreeningHost, renderer: Renderer, locale: str
) -> None:
    state = DialogState(flow="screening", step="result", answers=dict(ANSWERS))
    for programme in host.profile.programmes:
        screen = host.detail_screen(state, programme.id)
        assert screen is not None
        text = renderer.render(screen, locale).text
        assert programme.name.text(locale) in text
        assert programme.department.name.text(locale) in text


def test_user_text_is_escaped_never_evaluated(renderer: Renderer) -> None:
    screen = Screen(
        "screening/age.html",
        {
            "answers": {"for_whom": "self"},
            "number": 1,
            "total": 9,
            "hint": "<b>{{ 7*7 }}</b>",
            "step": "age",
        },
    )
    text = renderer.render(screen, "en").text
    assert "&lt;b&gt;{{ 7*7 }}&lt;/b&gt;" in text


def test_an_undefined_variable_fails_loudly(renderer: Renderer) -> None:
    with pytest.raises(Exception, match="undefined"):
        renderer.render(Screen("screening/age.html", {}), "zh-CN")


def test_a_missing_template_or_label_is_named(renderer: Renderer) -> None:
    with pytest.raises(TemplateMissing, match=r"nowhere\.html"):
        renderer.render(Screen("nowhere.html"), "en")
    with pytest.raises(TemplateMissing, match=r"no\.such\.label"):
        renderer.text(Label("no.such.label"), "zh-CN")
    flow = load_screening_flow()
    assert "screening/result.html" in required_templates(flow)


def test_a_step_without_its_template_is_reported_for_each_locale() -> None:
    from bot.flows.loading import parse_flow

    ghost = parse_flow(
        {"flow": "demo", "start": "ghost", "steps": {"ghost": {"ask": "end"}}},
        source="demo",
        context_facts=frozenset(),
    )
    problems = check_templates([ghost])
    assert "template missing: zh-CN/demo/ghost.html" in problems
    assert "template missing: en/demo/ghost.html" in problems


@pytest.mark.parametrize("locale", LOCALES)
def test_help_lists_every_resident_command(renderer: Renderer, locale: str) -> None:
    from bot.handlers.resident import COMMANDS

    text = renderer.render(Screen("common/help.html"), locale).text
    listed = {line.split()[0] for line in text.splitlines() if line.startswith("/")}
    assert listed == {f"/{name}" for name in COMMANDS}
