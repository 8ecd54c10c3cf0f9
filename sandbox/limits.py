"""Telegram's bulk limits in the fake Bot API: leaky buckets per chat and overall.

Off unless asked for (the benchmarks): beyond a bucket a send is answered 429 with
``retry_after``, as Telegram does.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from sandbox.params import ApiError

SEND_METHODS = frozenset(
    {"sendmessage", "sendphoto", "senddocument", "sendvideo", "sendaudio", "sendvoice"}
)


@dataclass(frozen=True, slots=True)
class SendLimits:
    """Telegram's bulk limits, enforced only when asked for (benchmarks): beyond them a send
    is answered 429 with ``retry_after``, as Telegram does. Rates may be scaled up together."""

    overall_per_second: float = 30
    private_per_second: float = 1
    private_burst: int = 3
    group_per_minute: float = 20
    # Telegram's limits are not exact either: this many sends over a bucket are still taken.
    tolerance: float = 1.0


class _Bucket:
    """A leaky bucket: ``capacity`` sends at once, refilled at ``rate`` per second."""

    __slots__ = ("capacity", "last", "level", "rate")

    def __init__(self, capacity: float, rate: float) -> None:
        self.capacity, self.rate, self.level, self.last = capacity, rate, 0.0, 0.0

    def wait(self, now: float) -> float:
        """Seconds until one more send fits (0: it fits now)."""
        self.level = max(0.0, self.level - (now - self.last) * self.rate)
        self.last = now
        return (
            0.0 if self.level + 1 <= self.capacity else (self.level + 1 - self.capacity) / self.rate
        )


class Enforcer:
    """The buckets of every chat and the overall one; refuses a send that does not fit."""

    def __init__(self, limits: SendLimits) -> None:
        self.limits = limits
        tolerance = limits.tolerance
        self.overall = _Bucket(limits.overall_per_second + tolerance, limits.overall_per_second)
        self.chats: dict[int, _Bucket] = {}
        self.refused = 0

    def check(self, chat_id: object) -> None:
        now = time.monotonic()
        buckets = [self.overall]
        if isinstance(chat_id, int):
            bucket = self.chats.get(chat_id)
            if bucket is None:
                limits, tolerance = self.limits, self.limits.tolerance
                bucket = (
                    _Bucket(limits.group_per_minute + tolerance, limits.group_per_minute / 60)
                    if chat_id < 0
                    else _Bucket(limits.private_burst + tolerance, limits.private_per_second)
                )
                self.chats[chat_id] = bucket
            buckets.append(bucket)
        wait = max(b.wait(now) for b in buckets)
        if wait > 0:
            self.refused += 1
            seconds = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        for b in buckets:
            b.level += 1
