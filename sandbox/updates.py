"""The updates waiting for the bot, as Telegram keeps them for getUpdates or a webhook.

Telegram keeps an unconfirmed update for 24 hours, numbers updates in order, and leaves out the
kinds `allowed_updates` does not name (and a few kinds unless named). Listeners hear of each
update enqueued, so a long poll can wake.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

Update = dict[str, Any]

UPDATE_RETENTION_SECONDS = 24 * 3600
# Update types Telegram leaves out unless allowed_updates names them.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue:
    """The pending updates of one bot, oldest first."""

    def __init__(self, *, now: Callable[[], float] = time.time) -> None:
        self.now = now
        self.allowed_updates: frozenset[str] | None = None
        self._updates: list[tuple[float, Update]] = []
        self._next_update_id = 1
        self._listeners: list[Callable[[], None]] = []
        # The HTTP face may drive the state from another thread than the test.
        self._lock = threading.RLock()

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after each enqueued update; returns the unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def has_updates(self, offset: int | None = None) -> bool:
        """Whether getUpdates with this offset would return something now."""
        with self._lock:
            self._expire_updates()
            if not offset or offset < 0:
                return bool(self._updates)
            return any(update["update_id"] >= offset for _, update in self._updates)

    def pending_updates(self) -> list[Update]:
        """Updates not yet confirmed, oldest first (getWebhookInfo counts these)."""
        with self._lock:
            self._expire_updates()
            return [update for _, update in self._updates]

    def confirm_updates(self, offset: int) -> None:
        """Forget updates as getUpdates does for ``offset`` (negative: keep the last -offset)."""
        with self._lock:
            if offset > 0:
                self._updates = [u for u in self._updates if u[1]["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]

    def drop_pending_updates(self) -> None:
        with self._lock:
            self._updates.clear()

    def _expire_updates(self) -> None:
        horizon = self.now() - UPDATE_RETENTION_SECONDS
        self._updates = [item for item in self._updates if item[0] >= horizon]

    def _accepts(self, update_type: str) -> bool:
        if not self.allowed_updates:
            return update_type not in OPT_IN_UPDATE_TYPES
        return update_type in self.allowed_updates

    def _new_update(self, update_type: str, payload: dict[str, Any]) -> Update:
        with self._lock:
            update_id = self._next_update_id
            self._next_update_id += 1
        return {"update_id": update_id, update_type: payload}

    def enqueue(self, update: Update) -> Update:
        """Queue an update for getUpdates or a webhook, unless allowed_updates excludes it."""
        update_type = next(key for key in update if key != "update_id")
        with self._lock:
            if not self._accepts(update_type):
                return update
            self._updates.append((self.now(), update))
            listeners = list(self._listeners)
        for listener in listeners:
            listener()
        return update
