"""Button data: every press a button can carry, built and parsed here, from typed values.

Telegram gives a button at most 64 bytes of ``callback_data`` and hands back whatever string
arrives, forged or stale. Each kind of press is a frozen dataclass below with a one-letter
prefix; its fields are written in order, joined by ``|``: ``int`` fields as decimal digits,
``str`` fields as they are (never containing ``|``), and a last ``tuple[str, ...]`` field takes
the remaining parts. Building data longer than 64 bytes raises, so a new button cannot ship a
press Telegram would refuse; parsing returns ``None`` for anything not of our making.

The flow's own buttons are the one family without a letter: they start with the conversation
version (``"7|a|yes"``), which is always digits.
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache
from typing import Any, ClassVar, Self, get_args, get_origin, get_type_hints

MAX_BYTES = 64
SEPARATOR = "|"
_INT = re.compile(r"\d{1,18}\Z")
# The kind of a last ``tuple[str, ...]`` field: the parts that remain.
_REST = object()


class CallbackTooLong(ValueError):
    """The data would not fit in a Telegram button."""


_FIELDS: dict[type[Callback], tuple[tuple[str, Any, Any], ...]] = {}


@dataclasses.dataclass(frozen=True, slots=True)
class Callback:
    """One kind of press; subclasses declare ``PREFIX`` and their fields, and are listed in
    ``FAMILIES``."""

    PREFIX: ClassVar[str] = ""

    def encode(self) -> str:
        """The button's data; trailing fields left at their default are not written."""
        parts = [self.PREFIX] if self.PREFIX else []
        written = len(parts)  # the parts up to the last field not at its default
        for name, kind, default in _fields(type(self)):
            value = getattr(self, name)
            if kind is _REST:
                parts.extend(str(item) for item in value)
            else:
                parts.append(str(value))
            if value != default:
                written = len(parts)
        del parts[written:]
        data = SEPARATOR.join(parts)
        if data.count(SEPARATOR) != len(parts) - 1:
            raise ValueError(f"a value of {data!r} holds the separator {SEPARATOR!r}")
        # Four bytes a character at the most: only a longer text needs counting.
        if len(data) > MAX_BYTES // 4 and len(data.encode()) > MAX_BYTES:
            raise CallbackTooLong(f"{data!r} is over {MAX_BYTES} bytes")
        return data

    @classmethod
    def decode(cls, data: object) -> Self | None:
        """The press ``data`` stands for, if it is one of this family; else None."""
        press = decode(data)
        return press if isinstance(press, cls) else None

    @classmethod
    def matches(cls, data: object) -> bool:
        """For ``CallbackQueryHandler(pattern=…)``: whether the data is this family's."""
        return cls.decode(data) is not None


def decode(data: object) -> Callback | None:
    """Whichever press ``data`` is; None for garbage, overlong data or unknown prefixes."""
    if not isinstance(data, str) or not data:
        return None
    # Every handler's pattern asks about the same press: read each text once.
    return _decode(data)


@lru_cache(maxsize=4096)
def _decode(data: str) -> Callback | None:
    if len(data.encode(errors="replace")) > MAX_BYTES:
        return None
    parts = data.split(SEPARATOR)
    family = _FAMILIES.get("" if _INT.match(parts[0]) else parts[0])
    if family is None:
        return None
    values = parts if family.PREFIX == "" else parts[1:]
    kwargs: dict[str, Any] = {}
    for index, (name, kind, default) in enumerate(_fields(family)):
        if kind is _REST:
            kwargs[name] = tuple(values[index:])
            values = values[:index]
            break
        if index >= len(values):
            if default is dataclasses.MISSING:
                return None
            continue
        if kind is int:
            if not _INT.match(values[index]):
                return None
            kwargs[name] = int(values[index])
        else:
            kwargs[name] = values[index]
    if len(values) > len(kwargs):
        return None  # more parts than the family has fields
    return family(**kwargs)


def _fields(family: type[Callback]) -> tuple[tuple[str, Any, Any], ...]:
    """(name, kind, default) of a family's fields, checked once: int, str, or a last
    ``tuple[str, ...]`` (the kind ``_REST``)."""
    if family not in _FIELDS:
        hints = get_type_hints(family)
        found = []
        fields = dataclasses.fields(family)
        for position, field in enumerate(fields):
            kind = hints[field.name]
            rest = get_origin(kind) is tuple and get_args(kind) == (str, ...)
            if not (kind in (int, str) or (rest and position == len(fields) - 1)):
                raise TypeError(f"{family.__name__}.{field.name}: {kind} cannot be button data")
            found.append((field.name, _REST if rest else kind, field.default))
        _FIELDS[family] = tuple(found)
    return _FIELDS[family]


# ---- the presses ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class FlowPress(Callback):
    """A tap in a resident's flow, on the conversation's ``version``: answer ``a``, toggle ``m``,
    group ``g``, back ``b``, continue ``c``, edit ``e``, action ``x``, details ``d``, language
    ``l``, resume ``r``."""

    PREFIX: ClassVar[str] = ""
    version: int
    kind: str
    value: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class WindowPress(Callback):
    """The window's buttons on an application's alert."""

    PREFIX: ClassVar[str] = "w"
    application: int
    verb: str
    args: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class TaskPress(Callback):
    """A department's buttons on its task card."""

    PREFIX: ClassVar[str] = "t"
    task: int
    verb: str
    args: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class MyPress(Callback):
    """A resident's own applications: ``list``, or one application's id."""

    PREFIX: ClassVar[str] = "m"
    view: str


@dataclasses.dataclass(frozen=True, slots=True)
class RelayPress(Callback):
    """ "Talk to staff": ``open``, ``close`` (a staff member's close names the ``thread``),
    and the choice for a held text, ``answer`` or ``send``."""

    PREFIX: ClassVar[str] = "s"
    action: str
    thread: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class RightsPress(Callback):
    """/forget's confirmation (``forget`` with the request's ``stamp``) or ``keep``."""

    PREFIX: ClassVar[str] = "r"
    action: str
    stamp: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class UploadPress(Callback):
    """A file sent outside a documents step: ``done``, or ``is`` — it is the ``index``-th
    document asked for, for the stored ``document``."""

    PREFIX: ClassVar[str] = "u"
    action: str
    document: int = 0
    index: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class NoticePress(Callback):
    """Policy notices: ``agree``, ``decline``, ``stop``, ``resume``, ``apply`` (after a
    rescreen), or ``t`` to toggle a ``topic``."""

    PREFIX: ClassVar[str] = "n"
    action: str
    topic: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class BroadcastPress(Callback):
    """An administrator's choice while composing a broadcast, or on its progress message."""

    PREFIX: ClassVar[str] = "b"
    broadcast: int
    action: str


FAMILIES: tuple[type[Callback], ...] = (
    FlowPress, WindowPress, TaskPress, MyPress, RelayPress, RightsPress, UploadPress,
    NoticePress, BroadcastPress,
)  # fmt: skip
_FAMILIES = {family.PREFIX: family for family in FAMILIES}
