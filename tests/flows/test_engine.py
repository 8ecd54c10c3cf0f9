"""The engine on a small flow, with no Telegram and no database: pure state in, outcome out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.flows.engine import FlowEngine
from bot.flows.host import Turn
from bot.flows.loading import parse_flow
from bot.flows.model import (
    ButtonInput,
    CommandInput,
    DialogState,
    Label,
    OtherInput,
    Outcome,
    TextInput,
)
from tests.flows.hosts import Host

FLOW = {
    "flow": "demo",
    "start": [{"to": "consent", "when": {"context": "needs_consent"}}, {"to": "age"}],
    "steps": {
        "consent": {
            "ask": "choice",
            "system": True,
            "options": ["agree", "decline"],
            "next": [
                {"to": "bye", "when": {"answer": "consent", "equals": "decline"}},
                {"to": "age"},
            ],
        },
        "bye": {"ask": "end"},
        "age": {
            "ask": "number",
            "min": 0,
            "max": 120,
            "next": [{"to": "care", "when": {"answer": "age", "at_least": 60}}, {"to": "pets"}],
        },
        "care": {"ask": "yesno", "next": "pets"},
        "pets": {"ask": "choice", "options": ["cat", "dog"], "next": "size"},
        "size": {
            "ask": "number",
            "min": 1,
            "max": 9,
            "quick": [1, 2, 3],
            "depends_on": ["pets"],
            "next": "result",
        },
        "result": {"ask": "result", "actions": ["review", "restart"], "next": "bye"},
        "review": {"ask": "review", "next": "result"},
    },
}
LABELS = {"demo.pets.cat": "猫 cat", "demo.pets.dog": "狗 dog"}
NOW = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture
def engine() -> FlowEngine:
    flow = parse_flow(FLOW, source="demo", context_facts=frozenset({"needs_consent"}))
    return FlowEngine(flow, Host())


def turn(now: datetime = NOW, *, consent_needed: bool = False) -> Turn:
    return Turn(
        locale="zh-CN",
        translate=lambda label: LABELS.get(label.key, label.key),
        now=now,
        resume_after=timedelta(hours=1),
        facts={"needs_consent": consent_needed},
    )


def data(outcome: Outcome, text: str) -> str:
    """Callback data of the button whose label key or text is ``text``."""
    assert outcome.screen is not None
    for row in outcome.screen.keyboard:
        for button in row:
            key = button.text.key if isinstance(button.text, Label) else button.text
            if text in (key, LABELS.get(key)):
                return button.data
    raise AssertionError(f"no button {text!r}")


class Talk:
    """A conversation with the engine, keeping the state between inputs."""

    def __init__(self, engine: FlowEngine) -> None:
        self.engine = engine
        self.state: DialogState | None = None
        self.last: Outcome | None = None

    def __call__(self, event: Any, at: datetime = NOW, **kw: Any) -> Outcome:
        outcome = self.engine.handle(self.state, event, turn(at, **kw))
        if outcome.changed:
            self.state = outcome.state
        self.last = outcome
        return outcome

    def tap(self, text: str) -> Outcome:
        assert self.last is not None
        return self(ButtonInput(data(self.last, text)))

    @property
    def step(self) -> str:
        assert self.state is not None
        return self.state.step


def test_adaptive_path_and_typed_answers(engine: FlowEngine) -> None:
    talk = Talk(engine)
    talk(CommandInput("start"))
    assert talk.step == "age"
    talk(TextInput("七十"))
    assert talk.step == "care"  # 70 >= 60 asks about care
    talk(TextInput("是的"))
    talk(TextInput("2"))  # the second option by its number
    assert talk.state is not None and talk.state.answers["pets"] == "dog"
    talk.tap("3")
    assert talk.step == "result"
    assert talk.state.answers == {"age": 70, "care": "yes", "pets": "dog", "size": 3}


def test_bad_input_is_reasked_with_a_specific_hint(engine: FlowEngine) -> None:
    talk = Talk(engine)
    talk(CommandInput("start"))
    for typed, hint in [
        ("old", "hint.not_a_number"),
        ("130", "hint.number_range"),
        ("", "hint.empty"),
        ("9" * 500, "hint.too_long"),
        ("3.5", "hint.whole_number"),
    ]:
        outcome = talk(TextInput(typed))
        assert talk.step == "age"
        assert outcome.screen is not None
        assert outcome.screen.context["hint"].key == hint
    outcome = talk(OtherInput("sticker"))
    assert outcome.screen is not None and outcome.screen.context["hint"].key == "hint.words_only"
    talk(TextInput("30"))
    outcome = talk(TextInput("parrot"))
    assert talk.step == "pets"
    assert outcome.screen is not None and outcome.screen.context["hint"].key == "hint.choose_option"


def test_back_returns_to_the_previous_question(engine: FlowEngine) -> None:
    talk = Talk(engine)
    talk(CommandInput("start"))
    talk(TextInput("30"))
    assert talk.step == "pets"
    talk.tap("button.back")
    assert talk.step == "age"
    talk(TextInput("61"))
    assert talk.step == "care"


def test_stale_and_foreign_buttons_change_nothing(engine: FlowEngine) -> None:
    talk = Talk(engine)
    talk(CommandInput("start"))
    talk(TextInput("30"))
    cat = data(talk.last, "demo.pets.cat")  # type: ignore[arg-type]
    talk(ButtonInput(cat))
    before = talk.state
    for stale in (cat, "garbage", "1|a|cat", "", "99999|x|review"):
        outcome = talk(ButtonInput(stale))
        assert not outcome.changed
        assert outcome.toast == Label.of("toast.stale")
    assert talk.state is before


def test_editing_an_answer_reasks_only_what_depends_on_it(engine: FlowEngine) -> None:
    talk = Talk(engine)
    talk(CommandInput("start"))
    talk(TextInput("30"))
    talk(TextInput("cat"))
    talk(TextInput("2"))
    assert talk.step == "result"
    talk.tap("review")  # the result screen's action button label key
    assert talk.step == "review"
    talk.tap("demo.age.title")
    talk(TextInput("65"))
    # 65 newly needs `care`; `pets` and `size` keep their answers.
    assert talk.step == "care"
    talk(TextInput("no"))
    assert talk.step == "result"
    assert talk.state is not None and talk.state.answers["size"] == 2
    talk.tap("review")
    talk.tap("demo.pets.title")
    talk(TextInput("dog"))
    assert talk.step == "size"  # size depends on pets
    talk(TextInput("1"))
    assert talk.step == "result"
    talk.tap("review")
    talk.tap("demo.age.title")
    talk(TextInput("20"))
    assert talk.step == "result"
    assert "care" not in talk.state.answers  # no longer asked, so no longer counts


def test_resume_after_a_long_pause(engine: FlowEngine) -> None:
    talk = Talk(engine)
    talk(CommandInput("start"))
    talk(TextInput("30"))
    outcome = talk(TextInput("cat"), at=NOW + timedelta(days=3))
    assert outcome.screen is not None and outcome.screen.template == "common/resume.html"
    assert talk.state is not None and "pets" not in talk.state.answers
    talk.tap("button.resume_continue")
    assert talk.step == "pets"
    talk(TextInput("cat"))
    assert talk.step == "size"


def test_start_over_keeps_only_system_answers(engine: FlowEngine) -> None:
    talk = Talk(engine)
    talk(CommandInput("start"), consent_needed=True)
    assert talk.step == "consent"
    talk.tap("demo.consent.agree")
    talk(TextInput("30"))
    talk(CommandInput("start"))
    talk.tap("button.resume_over")
    assert talk.state is not None
    assert talk.state.answers == {"consent": "agree"}
    assert talk.step == "age"


def test_cancel_forgets_the_answers(engine: FlowEngine) -> None:
    talk = Talk(engine)
    talk(CommandInput("start"))
    talk(TextInput("30"))
    outcome = talk(CommandInput("cancel"))
    assert outcome.screen is not None and outcome.screen.template == "common/cancelled.html"
    assert talk.state is not None and not talk.state.active and talk.state.answers == {}
    talk(TextInput("hello"))
    assert talk.step == "age" and talk.state.active


def test_declining_consent_ends_the_flow(engine: FlowEngine) -> None:
    talk = Talk(engine)
    talk(CommandInput("start"), consent_needed=True)
    talk.tap("demo.consent.decline")
    assert talk.step == "bye"
    assert talk.state is not None and not talk.state.active


def test_an_end_step_that_forgets_keeps_only_language_and_consent() -> None:
    """A person who may not give these answers (a child applying alone) leaves none behind."""
    raw = {
        "flow": "demo",
        "start": [{"to": "consent", "when": {"context": "needs_consent"}}, {"to": "age"}],
        "steps": {
            "consent": {"ask": "choice", "system": True, "options": ["agree"], "next": "age"},
            "age": {
                "ask": "number",
                "min": 0,
                "max": 120,
                "next": [
                    {"to": "too_young", "when": {"answer": "age", "below": 14}},
                    {"to": "pets"},
                ],
            },
            "too_young": {"ask": "end", "forget": True},
            "pets": {"ask": "choice", "options": ["cat", "dog"], "next": "bye"},
            "bye": {"ask": "end"},
        },
    }
    flow = parse_flow(raw, source="demo", context_facts=frozenset({"needs_consent"}))
    talk = Talk(FlowEngine(flow, Host()))
    talk(CommandInput("start"), consent_needed=True)
    talk.tap("demo.consent.agree")
    talk(TextInput("10"))
    assert talk.state is not None and talk.step == "too_young" and not talk.state.active
    assert talk.state.answers == {"consent": "agree"}
    assert talk.state.history == [] and talk.state.view == {}
    assert talk.last is not None and talk.last.screen is not None
    assert "age" not in talk.last.screen.context["answers"]
