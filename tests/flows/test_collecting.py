"""The step kinds that collect more than one tap, on a small flow: no Telegram, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.flows.engine import FlowEngine
from bot.flows.host import Turn
from bot.flows.identity import IdProblem, PhoneProblem, read_id_number, read_mobile
from bot.flows.loading import parse_flow
from bot.flows.model import (
    ButtonInput,
    CommandInput,
    DialogState,
    EventKind,
    FileInput,
    Label,
    OtherInput,
    Outcome,
    TextInput,
)
from bot.flows.spec import FlowError
from tests.flows.hosts import Host

FLOW = {
    "flow": "form",
    "start": "pets",
    "steps": {
        "pets": {"ask": "multi", "options": ["cat", "dog", "fish"], "next": "name"},
        "name": {"ask": "text", "max": 5, "next": "id"},
        "id": {"ask": "id_number", "next": "phone"},
        "phone": {"ask": "phone", "next": "people"},
        "people": {
            "ask": "repeat",
            "max": 2,
            "fields": {
                "who": {"ask": "choice", "options": ["kid", "adult"]},
                "age": {"ask": "number", "min": 0, "max": 120},
                "school": {"ask": "yesno", "when": {"answer": "age", "below": 18}},
            },
            "next": "papers",
        },
        "papers": {
            "ask": "documents",
            "source": "papers",
            "depends_on": ["pets"],
            "next": "review",
        },
        "review": {"ask": "review", "actions": ["submit"], "next": "done"},
        "done": {"ask": "end"},
    },
}
NOW = datetime(2026, 3, 2, tzinfo=UTC)


def turn() -> Turn:
    return Turn("en", lambda label: label.key.rpartition(".")[2], NOW, timedelta(hours=1), {})


class Talk:
    def __init__(self) -> None:
        flow = parse_flow(
            FLOW, source="form", context_facts=frozenset(), sources=frozenset({"papers"})
        )
        self.engine = FlowEngine(flow, Host())
        self.state: DialogState | None = None
        self.last: Outcome | None = None

    def __call__(self, event: Any) -> Outcome:
        outcome = self.engine.handle(self.state, event, turn())
        if outcome.changed:
            self.state = outcome.state
        self.last = outcome
        return outcome

    def tap(self, part: str) -> Outcome:
        assert self.last is not None and self.last.screen is not None
        for row in self.last.screen.keyboard:
            for button in row:
                text = button.text.key if isinstance(button.text, Label) else button.text
                if part in text:
                    return self(ButtonInput(button.data))
        raise AssertionError(f"no button {part!r}")

    @property
    def step(self) -> str:
        assert self.state is not None
        return self.state.step

    @property
    def hint(self) -> str | None:
        assert self.last is not None and self.last.screen is not None
        hint = self.last.screen.context.get("hint")
        return hint.key if isinstance(hint, Label) else None

    @property
    def answers(self) -> dict[str, Any]:
        assert self.state is not None
        return self.state.answers


def through_to(step: str) -> Talk:
    talk = Talk()
    talk(CommandInput("start"))
    script = {
        "name": [TextInput("1 2")],
        "id": [TextInput("Ann")],
        "phone": [TextInput("360426199101010071")],
        "people": [TextInput("13812345678")],
        "papers": [TextInput("no")],
    }
    for name, inputs in script.items():
        for event in inputs:
            talk(event)
        if name == step:
            break
    assert talk.step == step
    return talk


def test_multi_toggles_then_done_and_typed_numbers() -> None:
    talk = Talk()
    talk(CommandInput("start"))
    assert talk.step == "pets"
    talk.tap("cat")
    talk.tap("fish")
    talk.tap("fish")  # untick
    assert talk.last is not None and talk.last.screen is not None
    assert talk.last.screen.context["selected"] == ["cat"]
    talk.tap("button.done")
    assert talk.answers["pets"] == ["cat"] and talk.step == "name"
    talk.tap("button.back")
    talk(TextInput("2, 3"))
    assert talk.answers["pets"] == ["dog", "fish"]


def test_multi_needs_one_and_understands_what_it_is_told() -> None:
    talk = Talk()
    talk(CommandInput("start"))
    talk.tap("button.done")
    assert talk.step == "pets" and talk.hint == "hint.multi_none"
    talk(TextInput("7"))
    assert talk.hint == "hint.multi_choose"
    talk(TextInput("cat"))
    assert talk.answers["pets"] == ["cat"]


def test_text_is_trimmed_bounded_and_never_markup() -> None:
    talk = through_to("name")
    for typed, hint in [("abcdef", "hint.text_too_long"), ("<i>", "hint.text_markup")]:
        talk(TextInput(typed))
        assert talk.step == "name" and talk.hint == hint
    talk(TextInput("  A   n "))
    assert talk.answers["name"] == "A n"


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("360426199101010072", IdProblem.CHECK),
        ("340524198001010013", IdProblem.CHECK),
        ("3604261991010100", IdProblem.LENGTH),
        ("36042619910101007Y", IdProblem.FORMAT),
        ("360426199902310071", IdProblem.BIRTH_DATE),
        ("360426199913010071", IdProblem.BIRTH_DATE),
    ],
)
def test_id_numbers_name_their_problem(typed: str, problem: IdProblem) -> None:
    assert read_id_number(typed, date(2026, 3, 2)) == (None, problem)


@pytest.mark.parametrize(
    "valid", ["360426199101010071", "120103198806018241", "34052419800101001x"]
)
def test_valid_id_numbers_whatever_the_address_code(valid: str) -> None:
    assert read_id_number(valid, date(2026, 3, 2)) == (valid.upper(), None)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+86 138-1234-5678", ("13812345678", None)),
        ("0086 13812345678", ("13812345678", None)),
        ("１３８１２３４５６７８", ("13812345678", None)),
        ("1381234567", (None, PhoneProblem.LENGTH)),
        ("023 6123 4567", (None, PhoneProblem.LANDLINE)),
        ("12812345678", (None, PhoneProblem.PREFIX)),
        ("phone me", (None, PhoneProblem.FORMAT)),
    ],
)
def test_mobile_numbers(typed: str, expected: tuple[str | None, PhoneProblem | None]) -> None:
    assert read_mobile(typed) == expected


def test_id_and_phone_steps_reask_with_the_specific_hint() -> None:
    talk = through_to("id")
    talk(TextInput("360426199101010072"))
    assert talk.step == "id" and talk.hint == "hint.id_check"
    talk(TextInput("360426199101010071"))
    talk(TextInput("023 6123 4567"))
    assert talk.step == "phone" and talk.hint == "hint.phone_landline"


def test_repeat_collects_records_with_conditional_fields() -> None:
    talk = through_to("people")
    talk(TextInput("maybe"))
    assert talk.hint == "hint.add_or_done"
    talk.tap("button.add_record")
    talk.tap("kid")
    talk(TextInput("7"))
    talk.tap("button.yes")  # school: asked because 7 < 18
    talk.tap("button.add_record")
    talk.tap("adult")
    talk.tap("button.back")  # undoes "adult", not the first record
    talk.tap("adult")
    talk(TextInput("40"))  # no school question for an adult: the record is complete
    assert talk.step == "people"
    assert talk.last is not None and talk.last.screen is not None
    assert len(talk.last.screen.context["records"]) == 2
    with pytest.raises(AssertionError):
        talk.tap("button.add_record")  # at most 2
    talk.tap("button.records_done")
    assert talk.answers["people"] == [
        {"who": "kid", "age": 7, "school": "yes"},
        {"who": "adult", "age": 40},
    ]


def test_repeat_allows_no_records() -> None:
    talk = through_to("people")
    talk.tap("button.no_records")
    assert talk.answers["people"] == [] and talk.step == "papers"


def test_documents_take_files_one_item_at_a_time_and_may_be_skipped() -> None:
    talk = through_to("people")
    talk(TextInput("no"))
    assert talk.step == "papers"
    screen = talk.last.screen if talk.last else None
    assert screen is not None and screen.context["item"] == "cat_photo"  # pets: cat and dog
    talk(OtherInput("sticker"))
    assert talk.hint == "hint.file_wrong_kind"
    talk(TextInput("here it is"))
    assert talk.hint == "hint.file_expected"
    talk(FileInput("document", "f1", "application/zip", 10, "a.zip"))
    assert talk.hint == "hint.file_type"
    talk(FileInput("document", "f2", "application/pdf", 30 * 1024 * 1024, "big.pdf"))
    assert talk.hint == "hint.file_too_large"
    talk(FileInput("photo", "p1", None, 1000))
    talk(FileInput("document", "d1", None, 1000, "dog.PDF"))  # type from the name
    talk.tap("button.skip_document")
    assert talk.step == "review"
    assert talk.answers["papers"] == {
        "cat_photo": {
            "kind": "photo",
            "file_id": "p1",
            "mime_type": "image/jpeg",
            "size": 1000,
            "file_name": None,
        },
        "dog_photo": {
            "kind": "document",
            "file_id": "d1",
            "mime_type": "application/pdf",
            "size": 1000,
            "file_name": "dog.PDF",
        },
        "licence": None,
    }


def test_all_remaining_documents_are_skipped_in_one_tap_keeping_what_was_sent() -> None:
    talk = through_to("people")
    talk(TextInput("no"))
    talk(FileInput("photo", "p1", None, 1000))  # the cat's photo; the dog's and a licence left
    talk.tap("button.skip_all_documents")
    assert talk.step == "review"
    assert talk.answers["papers"]["cat_photo"]["file_id"] == "p1"
    assert talk.answers["papers"]["dog_photo"] is None and talk.answers["papers"]["licence"] is None
    # Going through the list again from the review: skipping all keeps the file sent before.
    talk.tap("form.papers.title")
    assert talk.step == "papers"
    talk.tap("button.skip_all_documents")
    assert talk.step == "review" and talk.answers["papers"]["cat_photo"]["file_id"] == "p1"


def test_skip_all_is_offered_only_while_more_than_one_item_is_left() -> None:
    talk = through_to("people")
    talk(TextInput("no"))
    talk(TextInput("skip"))
    talk(TextInput("skip"))  # only the licence is left
    assert talk.last is not None and talk.last.screen is not None
    keyboard = talk.last.screen.keyboard
    keys = {b.text.key for row in keyboard for b in row if isinstance(b.text, Label)}
    assert "button.skip_document" in keys and "button.skip_all_documents" not in keys


def test_a_file_at_another_step_is_not_taken() -> None:
    talk = through_to("name")
    talk(FileInput("photo", "p1", None, 1000))
    assert talk.step == "name" and talk.hint == "hint.file_not_now"


def test_editing_the_choice_asks_only_the_new_documents() -> None:
    talk = through_to("people")
    talk(TextInput("no"))
    talk(FileInput("photo", "p1", None, 1000))
    talk(TextInput("skip"))
    talk(TextInput("skip"))
    assert talk.step == "review"
    talk.tap("form.pets.title")
    talk.tap("fish")  # cat, dog and now fish
    talk.tap("button.done")
    assert talk.step == "papers"
    assert talk.last is not None and talk.last.screen is not None
    assert talk.last.screen.context["item"] == "fish_photo"
    talk(TextInput("later"))
    assert talk.step == "review"
    assert talk.answers["papers"]["cat_photo"]["file_id"] == "p1"
    assert list(talk.answers["papers"]) == ["cat_photo", "dog_photo", "fish_photo", "licence"]


def test_review_actions_emit_an_event_and_go_on() -> None:
    talk = through_to("people")
    talk(TextInput("no"))
    for _ in range(3):
        talk(TextInput("skip"))
    outcome = talk.tap("form.review.submit")
    assert talk.step == "done"
    assert any(e.kind is EventKind.ACTION and e.value == "submit" for e in outcome.events)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ({"a": {"ask": "text", "next": "z"}}, "text without a positive `max`"),
        ({"a": {"ask": "multi", "next": "z"}}, "multi without options or a `source`"),
        ({"a": {"ask": "documents", "next": "z"}}, "documents step without a `source`"),
        ({"a": {"ask": "multi", "source": "nowhere", "next": "z"}}, "unknown source"),
        ({"a": {"ask": "multi", "options": ["done"], "next": "z"}}, "reserved word"),
        ({"a": {"ask": "repeat", "max": 2, "next": "z"}}, "repeat without `fields`"),
        (
            {"a": {"ask": "repeat", "max": 2, "fields": {"f": {"ask": "text"}}, "next": "z"}},
            "must be one of",
        ),
        (
            {
                "a": {
                    "ask": "repeat",
                    "max": 2,
                    "fields": {"f": {"ask": "yesno", "when": {"answer": "g", "equals": "x"}}},
                    "next": "z",
                }
            },
            "reads 'g', not asked before",
        ),
        ({"a": {"ask": "yesno", "then": "other", "next": "z"}}, "only an `end` step"),
        ({"a": {"ask": "stop", "next": "z"}}, "ends the flow but has `next`"),
    ],
)
def test_new_kinds_are_validated(steps: dict[str, Any], message: str) -> None:
    raw = {"flow": "demo", "start": "a", "steps": {**steps, "z": {"ask": "end"}}}
    with pytest.raises(FlowError, match=message):
        parse_flow(raw, source="demo", context_facts=frozenset())
