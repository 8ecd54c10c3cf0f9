"""When the outbox dispatcher is woken: after every commit that wrote outbox rows
(storage/outbox.py ``on_queued``), but during an update only once its handler is done, so a
receipt never reaches the resident before the screen that announces it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

# While an update is handled (``wakes_after_handling``), the wakes its commits cause.
_WAITING: ContextVar[list[Callable[[], None]] | None] = ContextVar("waiting_wakes", default=None)


@contextlib.contextmanager
def wakes_after_handling() -> Iterator[None]:
    """Around one update's handling (bot/processing.py): the wakes its commits cause run when
    it is done. Commits outside an update (reminders, broadcasts) wake at once."""
    waiting: list[Callable[[], None]] = []
    token = _WAITING.set(waiting)
    try:
        yield
    finally:
        _WAITING.reset(token)
        for wake in waiting:
            wake()


def wake_when_handled(wake: Callable[[], None]) -> None:
    """Call ``wake`` now, or when the update being handled is done."""
    waiting = _WAITING.get()
    if waiting is None:
        wake()
    else:
        waiting.append(wake)
