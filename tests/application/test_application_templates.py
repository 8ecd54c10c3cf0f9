"""Every application screen exists in both locales and renders with no undefined variable."""

from __future__ import annotations

from datetime import date

import pytest

from bot.checks import check_everything, check_templates, required_labels, required_templates
from bot.config import load_settings
from bot.flows.application import ApplicationHost, load_application_flow
from bot.flows.engine import FlowEngine
from bot.flows.model import DialogState, Label
from bot.flows.screening import ScreeningHost, load_screening_flow
from bot.policy import default_profile_path, load_profile
from bot.render import LOCALES, Renderer
from tests.test_templates import rendering_turn

ANSWERS = {
    "notice": "agree",
    "programmes": ["dibao", "medical", "unsupported_child"],
    "for_whom": "family",
    "relationship": "grandparent",
    "applicant_name": "李秀芳",
    "applicant_id": "120103198806018241",
    "applicant_phone": "13698765432",
    "subject_name": "李小明",
    "subject_id": "360426201709050316",
    "guardian": "other",
    "guardian_name": "李建国",
    "guardian_relationship": "parent",
    "guardian_consent": "agree",
    "town": "shimen",
    "village": "新店村",
    "household": [{"relationship": "grandparent", "age": 68, "disability": "no", "working": "no"}],
    "economic_check": "authorise",
    "documents": {"id_card": {"kind": "photo", "file_id": "p1"}},
}
VIEW = {
    "duplicates": [["dibao", "JJ-2026-000007"]],
    "submission": {"number": "JJ-2026-000008", "missing": ["hukou_book", "income_proof"]},
    "partial": {
        "household": {"records": ANSWERS["household"], "current": {"relationship": "child"}},
        "documents": {"application_form": None},
    },
}


@pytest.fixture(scope="module")
def host() -> ApplicationHost:
    return ApplicationHost(load_profile(default_profile_path()), lambda: date(2026, 3, 2))


def test_the_application_flow_has_every_screen_and_label() -> None:
    flow = load_application_flow()
    assert check_templates([load_screening_flow(), flow]) == []
    assert "application/submitted.html" in required_templates(flow)
    keys = required_labels(flow)
    assert "application.review.submit" in keys
    assert "application.household.relationship.spouse" in keys
    assert check_everything(load_settings(_env_file=None)) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_every_application_step_renders(host: ApplicationHost, locale: str) -> None:
    screening = ScreeningHost(host.profile, host.today)
    renderer = Renderer(extra_labels=screening.labels(), extra_globals={"profile": host.profile})
    flow = load_application_flow()
    engine = FlowEngine(flow, host)
    turn = rendering_turn(renderer, locale)
    for step in flow.steps:
        for view in ({}, VIEW):
            state = DialogState(
                flow="application",
                step=step,
                answers=dict(ANSWERS),
                history=["programmes"],
                view={k: v for k, v in view.items() if step != "documents" or k != "partial"},
            )
            for hint in (None, Label.of("hint.id_length", count=17)):
                rendered = renderer.render(engine.screen(state, turn, hint), locale)
                assert rendered.text.strip(), step
                assert "{" not in rendered.text, step
                if hint is not None and step not in (
                    "review",
                    "declined",
                    "submitted",
                    "too_young",
                ):
                    assert "18" in rendered.text, step
    review = DialogState(flow="application", step="review", answers=dict(ANSWERS))
    text = renderer.render(engine.screen(review, turn), locale).text
    assert "李小明" in text and "120103198806018241" in text
