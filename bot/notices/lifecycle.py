"""A broadcast's lifecycle, as one `transitions` machine shared by every broadcast.

A draft is sent now or scheduled (or discarded); a scheduled one begins once its time has
come; a sending one may be paused and resumed, and is finished — an explicit move, taken by
the broadcast loop — once every recipient's row has an outcome. Anything not yet ended may be
cancelled. A move that does not follow is refused in plain words (`InvalidMove`), which the
administrator sees as ``broadcast.error.state``.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Any

from bot import machines
from bot.machines import shared_machine
from storage.models import BroadcastStatus


class BroadcastError(Exception):
    """Refused, with the label key (``broadcast.error.<key>``) that tells the admin why."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class InvalidMove(BroadcastError):
    """The move does not follow from where the broadcast stands; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__("state")
        self.message = message

    def __str__(self) -> str:
        return self.message


class Move(StrEnum):
    SEND = "send"  # a confirmed draft starts now
    SCHEDULE = "schedule"  # a confirmed draft waits for its time
    BEGIN = "begin"  # a scheduled broadcast whose time has come
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"  # nothing more goes out
    DISCARD = "discard"  # the administrator throws the draft away
    FINISH = "finish"  # every recipient's row has an outcome


S, M = BroadcastStatus, Move
ENDED = frozenset({S.CANCELLED, S.FINISHED})

TRANSITIONS: list[dict[str, object]] = [
    {"trigger": M.SEND, "source": S.DRAFT, "dest": S.SENDING},
    {"trigger": M.SCHEDULE, "source": S.DRAFT, "dest": S.SCHEDULED},
    {"trigger": M.BEGIN, "source": S.SCHEDULED, "dest": S.SENDING, "conditions": "due"},
    {"trigger": M.PAUSE, "source": S.SENDING, "dest": S.PAUSED},
    {"trigger": M.RESUME, "source": S.PAUSED, "dest": S.SENDING},
    {
        "trigger": M.CANCEL,
        "source": [S.DRAFT, S.SCHEDULED, S.SENDING, S.PAUSED],
        "dest": S.CANCELLED,
    },
    {"trigger": M.DISCARD, "source": S.DRAFT, "dest": S.CANCELLED},
    {"trigger": M.FINISH, "source": S.SENDING, "dest": S.FINISHED, "conditions": "all_out"},
]


class _Broadcast:
    """The light model attached for one move."""

    state: str

    def __init__(self, *, due: bool, all_out: bool) -> None:
        self.due = due
        self.all_out = all_out


_MACHINE = shared_machine(BroadcastStatus, TRANSITIONS, S.DRAFT)


def next_status(
    status: str, move: str, *, due: bool = True, all_out: bool = True
) -> BroadcastStatus:
    """Where ``move`` takes a broadcast in ``status``; InvalidMove when it may not be made."""
    status, move = str(status), str(move)
    if move not in Move.__members__.values():
        raise InvalidMove(f"unknown move {move!r}")
    if status not in BroadcastStatus.__members__.values():
        raise InvalidMove(f"unknown status {status!r}")
    after = machines.move(_MACHINE, _Broadcast(due=due, all_out=all_out), status, move)
    if after is None:
        raise _why_not(status, move)
    return BroadcastStatus(after)


def allowed(status: str, move: str, *, due: bool = True, all_out: bool = True) -> bool:
    """Whether ``move`` may be made now."""
    return Move(move) in _allowed(str(status), due, all_out)


@cache
def _allowed(status: str, due: bool, all_out: bool) -> frozenset[Move]:
    found = set()
    for move in Move:
        try:
            next_status(status, move, due=due, all_out=all_out)
        except InvalidMove:
            continue
        found.add(move)
    return frozenset(found)


def _why_not(status: str, move: str) -> InvalidMove:
    if status in ENDED:
        return InvalidMove(f"the broadcast is already {status}")
    if move == M.BEGIN and status == S.SCHEDULED:
        return InvalidMove("a scheduled broadcast begins only when its time has come")
    if move == M.FINISH and status == S.SENDING:
        return InvalidMove("a broadcast finishes only when every recipient's row has an outcome")
    if move in (M.SEND, M.SCHEDULE, M.DISCARD):
        return InvalidMove(f"only a draft can {move}; this broadcast is {status}")
    return InvalidMove(f"a {status} broadcast cannot {move}")
