"""Where a resident's input goes while a thread with the staff is open: a table of cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.casework.relay import ANSWER_DATA, Routing, route
from bot.flows.model import ButtonInput, CommandInput, FileInput, Input, TextInput
from storage.models import StaffThread

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)


def thread(*, held: str | None = None, quiet: timedelta = timedelta(0)) -> StaffThread:
    return StaffThread(
        resident_id=1,
        status="open",
        opened_at=NOW - quiet,
        last_activity_at=None,
        pending_text=held,
    )


CASES: list[tuple[str, StaffThread, Input, bool, bool, Routing, str, str | None]] = [
    # (case, thread, input, waiting, identifier, routing, status after, held after)
    ("nothing waiting: to staff", thread(), TextInput("在吗"), False, False,
     Routing(to_staff="在吗"), "open", None),
    ("a question waits: held", thread(), TextInput("王秀英"), True, False,
     Routing(ask="王秀英"), "open", "王秀英"),
    ("an ID question waits: the form's", thread(), TextInput("360426199101010071"), True, True,
     Routing(event=TextInput("360426199101010071")), "open", None),
    ("a second text joins the first", thread(held="你好"), TextInput("我想问"), True, False,
     Routing(ask="你好\n我想问"), "open", "你好\n我想问"),
    ("typed 2: the held text to staff", thread(held="你好"), TextInput("2"), True, False,
     Routing(to_staff="你好"), "open", None),
    ("typed 1: the held text answers", thread(held="王秀英"), TextInput(" 1 "), True, False,
     Routing(event=TextInput("王秀英"), ended=True), "closed", None),
    ("tapped answer", thread(held="王秀英"), ButtonInput(ANSWER_DATA), True, False,
     Routing(event=TextInput("王秀英"), ended=True), "closed", None),
    ("tapped answer twice", thread(), ButtonInput(ANSWER_DATA), True, False,
     Routing(event=ButtonInput(ANSWER_DATA)), "open", None),
    ("/apply ends it", thread(held="x"), CommandInput("apply"), True, False,
     Routing(event=CommandInput("apply"), ended=True), "closed", None),
    ("/start ends it", thread(), CommandInput("start"), False, False,
     Routing(event=CommandInput("start"), ended=True), "closed", None),
    ("/cancel ends it", thread(), CommandInput("cancel"), True, False,
     Routing(event=CommandInput("cancel"), ended=True), "closed", None),
    ("/my does not", thread(), CommandInput("my"), False, False,
     Routing(event=CommandInput("my")), "open", None),
    ("a tap of the flow", thread(), ButtonInput("3|a|yes"), True, False,
     Routing(event=ButtonInput("3|a|yes")), "open", None),
    ("a file", thread(), FileInput("photo", "f1", "image/jpeg", 10), True, False,
     Routing(event=FileInput("photo", "f1", "image/jpeg", 10)), "open", None),
    ("quiet too long", thread(quiet=IDLE), TextInput("在吗"), False, False,
     Routing(event=TextInput("在吗"), ended=True, idle=True), "closed", None),
    ("quiet, then a tap", thread(quiet=IDLE), ButtonInput("3|a|yes"), True, False,
     Routing(event=ButtonInput("3|a|yes"), idle=True), "closed", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("staff_thread", "event", "waiting", "identifier", "expected", "status", "held"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_routing(
    staff_thread: StaffThread,
    event: Input,
    waiting: bool,
    identifier: bool,
    expected: Routing,
    status: str,
    held: str | None,
) -> None:
    routing = route(staff_thread, event, waiting=waiting, identifier=identifier, idle=IDLE, now=NOW)
    assert routing == expected
    assert staff_thread.status == status
    assert staff_thread.pending_text == held
