"""Flow effects declared in the YAML: parsed, checked against the host's registry, and run by
the dialogue's runner, which resumes the engine with the facts they return."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest

from bot.checks import check_everything
from bot.config import Settings
from bot.dialogue import effects as registry
from bot.dialogue.effects import (
    Call,
    Effects,
    Facts,
    Seed,
    Services,
    declared,
    forget_routed,
    unknown_effects,
)
from bot.flows.application import load_application_flow
from bot.flows.engine import FlowEngine
from bot.flows.loading import parse_flow
from bot.flows.model import ButtonInput, Event, EventKind, TextInput
from bot.flows.screening import load_screening_flow
from bot.flows.spec import FlowError
from tests.flows.hosts import Host
from tests.flows.test_engine import turn

FLOW = {
    "flow": "demo",
    "on_begin": "seed",
    "start": "pets",
    "steps": {
        "pets": {"ask": "choice", "options": ["cat", "dog"], "on_answer": "check", "next": [
            {"to": "taken", "when": {"context": "taken"}}, {"to": "review"}]},
        "taken": {"ask": "stop"},
        "review": {"ask": "review", "actions": {"send": "send", "back_out": None}, "next": "sent"},
        "sent": {"ask": "end", "on_enter": ["note"]},
    },
}  # fmt: skip


class TakenHost(Host):
    """The demo host, with one fact learnt from an effect: the pet is taken."""

    def context(self, state: Any) -> dict[str, bool]:
        return {"taken": bool(state.view.get("taken"))}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, Event]]]:
    """Test effects in the registry, each noting its call."""
    seen: list[tuple[str, Event]] = []

    async def seed(call: Call) -> Seed:
        seen.append(("seed", call.event))
        return Seed(answers={"seeded": True}, view={"from": "seed"})

    async def check(call: Call) -> Facts | None:
        seen.append(("check", call.event))
        return Facts(view={"taken": True}, reroute=True) if call.event.value == "dog" else None

    async def send(call: Call) -> Facts:
        seen.append(("send", call.event))
        return Facts(view={"sent": 1}, drop_answers=True, redraw=True)

    async def note(call: Call) -> None:
        seen.append(("note", call.event))

    for function in (seed, check, send, note):
        monkeypatch.setitem(registry.EFFECTS, function.__name__, function)
    yield seen


def _runner() -> tuple[FlowEngine, Effects]:
    flow = parse_flow(FLOW, source="test", context_facts=frozenset({"taken"}))
    engine = FlowEngine(flow, TakenHost())
    services = Services(
        casework=cast(Any, None), screening=cast(Any, None), application=cast(Any, None),
        engines={"demo": engine},
    )  # fmt: skip
    return engine, Effects(services)


async def _run(effects: Effects, outcome: Any) -> Any:
    return await effects.run(cast(Any, None), cast(Any, None), outcome, turn())


def test_the_yaml_declares_effects_per_trigger() -> None:
    flow = parse_flow(FLOW, source="test", context_facts=frozenset({"taken"}))
    assert flow.on_begin == ("seed",)
    assert flow.step("review").actions == ("send", "back_out")
    assert declared(flow, Event(EventKind.ACTION, "review", "send")) == ("send",)
    assert declared(flow, Event(EventKind.ACTION, "review", "back_out")) == ()
    assert declared(flow, Event(EventKind.ANSWERED, "pets", "cat")) == ("check",)
    assert declared(flow, Event(EventKind.ENTERED, "sent")) == ("note",)
    assert flow.effects() == {"seed", "check", "send", "note"}


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"ask": "info", "on_answer": "x", "next": "b"}, "only a question has `on_answer`"),
        ({"ask": "end", "on_enter": {"x": 1}}, "effects must be a name or a list"),
    ],
)
def test_effects_in_the_wrong_place_are_refused(step: dict[str, Any], message: str) -> None:
    raw = {"flow": "f", "start": "a", "steps": {"a": step, "b": {"ask": "end"}}}
    with pytest.raises(FlowError, match=message):
        parse_flow(raw, source="test", context_facts=frozenset())


def test_an_unknown_effect_is_named_and_refused_at_start_up() -> None:
    flow = parse_flow(FLOW, source="test", context_facts=frozenset({"taken"}))
    assert [p for p in unknown_effects([flow]) if "'seed'" in p] != []
    with pytest.raises(LookupError, match="unknown effect 'check'"):
        Effects(Services(cast(Any, None), cast(Any, None), cast(Any, None),
                         {"demo": FlowEngine(flow, TakenHost())}))  # fmt: skip


def test_the_bots_flows_name_only_effects_the_host_has() -> None:
    flows = [load_screening_flow(), load_application_flow()]
    assert unknown_effects(flows) == []
    assert {"store_screening", "check_duplicates", "submit_application"} <= set().union(
        *(flow.effects() for flow in flows)
    )


def test_flows_check_fails_on_an_unknown_effect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(registry.EFFECTS, "store_screening")
    problems = check_everything(Settings(bot_token=None))
    assert any("unknown effect 'store_screening'" in p for p in problems)


async def test_begin_runs_the_seed_and_the_engine_starts_from_it(
    calls: list[tuple[str, Event]],
) -> None:
    _, effects = _runner()
    outcome = await effects.begin("demo", cast(Any, None), cast(Any, None), None, turn())
    assert outcome.state is not None
    assert outcome.state.answers["seeded"] is True and outcome.state.view["from"] == "seed"
    assert [name for name, _ in calls] == ["seed"]
    # Begun here, so the engine's "restarted" does not seed it a second time.
    again = await _run(effects, outcome)
    assert [name for name, _ in calls] == ["seed"]
    assert again.state.step == "pets"


async def test_facts_that_change_the_way_on_reroute_once(calls: list[tuple[str, Event]]) -> None:
    engine, effects = _runner()
    begun = await effects.begin("demo", cast(Any, None), cast(Any, None), None, turn())
    tapped = engine.handle(begun.state, TextInput("dog"), turn())
    outcome = await _run(effects, tapped)
    assert outcome.state.step == "taken"
    assert outcome.state.view["taken"] is True
    assert ("check", Event(EventKind.ANSWERED, "pets", "dog")) in calls
    # Going back from the stop forgets the fact, so the next answer asks the host again.
    back = engine.handle(outcome.state, ButtonInput(f"{outcome.state.version}|b|"), turn())
    forget_routed(back.state)
    assert "taken" not in back.state.view


async def test_an_action_effect_redraws_with_its_facts_and_drops_the_answers(
    calls: list[tuple[str, Event]],
) -> None:
    engine, effects = _runner()
    begun = await effects.begin("demo", cast(Any, None), cast(Any, None), None, turn())
    at_review = await _run(effects, engine.handle(begun.state, TextInput("cat"), turn()))
    assert at_review.state.step == "review"
    v = at_review.state.version
    sent = await _run(effects, engine.handle(at_review.state, ButtonInput(f"{v}|x|send"), turn()))
    assert sent.state.answers == {} and sent.state.view == {"sent": 1}
    assert [name for name, _ in calls][-2:] == ["send", "note"]
