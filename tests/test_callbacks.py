"""The callback codec: every press round-trips, nothing over 64 bytes is built or read, and
data not of our making parses to nothing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.callbacks import (
    FAMILIES,
    MAX_BYTES,
    BroadcastPress,
    CallbackTooLong,
    FlowPress,
    NoticePress,
    RelayPress,
    TaskPress,
    UploadPress,
    WindowPress,
    decode,
)

part = st.text(
    alphabet=st.characters(blacklist_characters="|", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=8,
)
ids = st.integers(min_value=0, max_value=10**12)


def test_prefixes_are_unique() -> None:
    assert len({family.PREFIX for family in FAMILIES}) == len(FAMILIES)


@pytest.mark.parametrize(
    ("press", "data"),
    [
        (FlowPress(7, "a", "yes"), "7|a|yes"),
        (FlowPress(7, "b"), "7|b"),
        (WindowPress(12, "dc", ("ff",)), "w|12|dc|ff"),
        (TaskPress(3, "x", ("rj", "other")), "t|3|x|rj|other"),
        (RelayPress("close", 9), "s|close|9"),
        (RelayPress("open"), "s|open"),
        (UploadPress("is", 5, 1), "u|is|5|1"),
        (UploadPress("done"), "u|done"),
        (NoticePress("t", "town"), "n|t|town"),
        (BroadcastPress(4, "send"), "b|4|send"),
    ],
)
def test_known_presses_keep_their_data(press: object, data: str) -> None:
    assert press.encode() == data  # type: ignore[attr-defined]
    assert decode(data) == press


@given(application=ids, verb=part, args=st.lists(part, max_size=3))
def test_window_presses_round_trip(application: int, verb: str, args: list[str]) -> None:
    press = WindowPress(application, verb, tuple(args))
    try:
        data = press.encode()
    except CallbackTooLong:
        return
    assert len(data.encode()) <= MAX_BYTES
    assert WindowPress.decode(data) == press
    assert TaskPress.decode(data) is None


def test_too_long_is_refused_when_built() -> None:
    with pytest.raises(CallbackTooLong):
        WindowPress(1, "accept", ("长" * 30,)).encode()


def test_the_separator_cannot_hide_in_a_value() -> None:
    with pytest.raises(ValueError, match="separator"):
        NoticePress("t", "a|b").encode()


@pytest.mark.parametrize(
    "data",
    [None, "", "zz", "w|x|accept", "w|1", "s|open|x", "b|4", "b|4|send|more", "7", "x" * 65,
     "t|" + "9" * 30 + "|card", 12],
)  # fmt: skip
def test_garbage_is_nothing(data: object) -> None:
    assert decode(data) is None


@given(st.text(max_size=70))
def test_any_text_parses_or_is_nothing(data: str) -> None:
    press = decode(data)
    if press is not None:
        assert decode(press.encode()) == press
