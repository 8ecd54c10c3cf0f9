"""What the flow engine reads and returns: inputs, dialog state, screens and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.callbacks import FlowPress

# ---- inputs: what a resident did -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextInput:
    text: str


@dataclass(frozen=True, slots=True)
class ButtonInput:
    data: str
    # Whether the button sits on the dialog message we last showed (so it can be edited).
    on_dialog_message: bool = True


@dataclass(frozen=True, slots=True)
class CommandInput:
    name: str
    args: str = ""


@dataclass(frozen=True, slots=True)
class FileInput:
    """A photo or a file sent as a document: what a documents step can take as an answer."""

    kind: str  # photo | document
    file_id: str
    mime_type: str | None = None
    size: int | None = None
    file_name: str | None = None


@dataclass(frozen=True, slots=True)
class OtherInput:
    """A sticker, voice note, video… something no step of a flow can take as an answer."""

    kind: str


Input = TextInput | ButtonInput | CommandInput | FileInput | OtherInput


# ---- state: where a conversation stands --------------------------------------------------------


@dataclass(slots=True)
class DialogState:
    flow: str
    step: str
    answers: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    view: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    active: bool = True
    updated_at: datetime | None = None


# ---- output: what to show and what happened ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Label:
    """Text looked up in the locale's label catalogue, formatted with ``params``."""

    key: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, key: str, **params: Any) -> Label:
        return cls(key, tuple(params.items()))


@dataclass(frozen=True, slots=True)
class Button:
    text: Label | str  # a str is shown as is (e.g. a town name already in the right locale)
    data: str
    url: str | None = None  # a link button (e.g. a deep link into the bot) instead of data


def press(version: int, kind: str, value: str = "") -> str:
    """A flow button's data, on the conversation's ``version`` (``bot.callbacks.FlowPress``)."""
    return FlowPress(version, kind, value).encode()


@dataclass(frozen=True, slots=True)
class Screen:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    keyboard: tuple[tuple[Button, ...], ...] = ()


class EventKind(StrEnum):
    ANSWERED = "answered"  # a question was answered (``value``: the answer)
    ENTERED = "entered"  # a step was reached
    ACTION = "action"  # an action of a result or review step was taken (``value``: which)
    RESTARTED = "restarted"  # the flow (re)started from its beginning
    CANCELLED = "cancelled"  # /cancel: the conversation's answers are gone
    LOCALE = "locale"  # a language button (``value``: the locale)


@dataclass(frozen=True, slots=True)
class Event:
    """Something the host must record in the update's transaction."""

    kind: EventKind
    step: str = ""
    # The answer, the action, the locale; for `cancelled`, and `entered` on a `forget` step,
    # the view the conversation dropped (what it referred to must be forgotten too).
    value: Any = None


@dataclass(slots=True)
class Outcome:
    state: DialogState | None
    screen: Screen | None = None
    # Show the screen as a new message instead of editing the dialog message in place.
    fresh: bool = False
    toast: Label | None = None
    before: list[Screen] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    changed: bool = True
