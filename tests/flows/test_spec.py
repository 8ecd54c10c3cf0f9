"""Flow declarations fail fast, naming the problem."""

from typing import Any

import pytest

from bot.flows.loading import parse_flow
from bot.flows.screening import load_screening_flow
from bot.flows.spec import FlowError


def flow_with(steps: dict[str, Any], start: Any = "a") -> dict[str, Any]:
    return {"flow": "demo", "start": start, "steps": steps}


def parse(raw: dict[str, Any], facts: frozenset[str] = frozenset()) -> None:
    parse_flow(raw, source="demo.yaml", context_facts=facts)


GOOD_END = {"ask": "end"}


def test_screening_flow_loads() -> None:
    flow = load_screening_flow()
    assert flow.name == "screening"
    assert "result" in flow.steps


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (flow_with({"a": {"ask": "yesno", "next": "nowhere"}}), "unknown step 'nowhere'"),
        (flow_with({"a": {"ask": "yesno"}}), "'a' is a dead end"),
        (
            flow_with(
                {
                    "a": {
                        "ask": "yesno",
                        "next": [{"to": "z", "when": {"answer": "a", "equals": "yes"}}],
                    },
                    "z": GOOD_END,
                }
            ),
            "a may reach a dead end",
        ),
        (
            flow_with({"a": {"ask": "yesno", "next": "z"}, "z": GOOD_END, "lost": GOOD_END}),
            "'lost' is unreachable",
        ),
        (flow_with({"a": {"ask": "wander", "next": "z"}, "z": GOOD_END}), "unknown kind 'wander'"),
        (flow_with({"a": {"ask": "choice", "next": "z"}, "z": GOOD_END}), "choice without options"),
        (
            flow_with({"a": {"ask": "choice", "options": ["x" * 60], "next": "z"}, "z": GOOD_END}),
            "does not fit in a button",
        ),
        (
            flow_with(
                {
                    "a": {
                        "ask": "yesno",
                        "next": [
                            {"to": "z", "when": {"answer": "ghost", "equals": 1}},
                            {"to": "z"},
                        ],
                    },
                    "z": GOOD_END,
                }
            ),
            "reads unknown answer 'ghost'",
        ),
        (
            flow_with(
                {
                    "a": {
                        "ask": "yesno",
                        "next": [{"to": "z", "when": {"context": "moon"}}, {"to": "z"}],
                    },
                    "z": GOOD_END,
                }
            ),
            "unknown context fact 'moon'",
        ),
        (
            flow_with(
                {
                    "a": {
                        "ask": "yesno",
                        "next": [{"to": "z", "when": {"answer": "a", "bigger": 1}}, {"to": "z"}],
                    },
                    "z": GOOD_END,
                }
            ),
            "needs exactly one of",
        ),
        (
            flow_with({"a": {"ask": "number", "min": 5, "max": 1, "next": "z"}, "z": GOOD_END}),
            "needs `min` <= `max`",
        ),
        (flow_with({"z": {"ask": "end", "next": "z"}}, start="z"), "ends the flow but has `next`"),
        (
            flow_with({"a": {"ask": "yesno", "forget": True, "next": "z"}, "z": GOOD_END}),
            "only an `end` step can `forget`",
        ),
        ({"steps": {}}, "needs `flow`"),
    ],
)
def test_bad_declarations_are_refused_by_name(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(FlowError, match=message):
        parse(raw)


def test_every_problem_is_reported_at_once() -> None:
    raw = flow_with({"a": {"ask": "yesno", "next": "b"}, "c": GOOD_END})
    with pytest.raises(FlowError) as caught:
        parse(raw)
    assert "unknown step 'b'" in str(caught.value)
    assert "'c' is unreachable" in str(caught.value)
