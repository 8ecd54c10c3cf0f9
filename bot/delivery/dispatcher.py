"""Drains the outbox within Telegram's limits, most urgent first, and survives crashes.

Each row moves pending -> sending -> sent / failed / unknown. A row is marked `sending` and
committed BEFORE the request goes out; if the process dies then, the row is found in `sending`
at the next start and becomes `unknown`: it may have been delivered, and Telegram has no
idempotency key, so it is never sent twice. A 429 puts the row back with `not_before` at the
moment Telegram named; a timed-out send is `unknown`, not blindly resent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiolimiter import AsyncLimiter
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's published guidance; settings, so tests and benchmarks can scale them."""

    overall_per_second: float = 30
    private_per_second: float = 1
    private_burst: int = 3
    group_per_minute: float = 20
    batch: int = 50
    max_attempts: int = 8


@dataclass(frozen=True, slots=True)
class Outcome:
    status: OutboxStatus
    message_id: int | None = None
    error: str | None = None
    retry_at: datetime | None = None


class Dispatcher:
    def __init__(
        self,
        database: Database,
        bot: Bot,
        clock: Callable[[], datetime],
        limits: Limits | None = None,
    ) -> None:
        self.database = database
        self.bot = bot
        self.clock = clock
        self.limits = limits or Limits()
        self.wake = asyncio.Event()
        self._overall = AsyncLimiter(self.limits.overall_per_second, 1)
        self._chats: dict[int, AsyncLimiter] = {}

    async def recover(self) -> int:
        """Run once at start: rows left `sending` by a crash become `unknown`."""
        async with self.database.transaction() as session:
            count = await outbox.interrupted_to_unknown(session)
        if count:
            log.warning("%d outbox rows were interrupted mid-send; marked unknown", count)
        return count

    async def run_once(self) -> int:
        """Send what is due now; returns how many rows were handled."""
        async with self.database.transaction() as session:
            rows = await outbox.claim_due(session, now=self.clock(), limit=self.limits.batch)
            claimed = [(row.id, row.chat_id, dict(row.payload), row.attempts) for row in rows]
        for row_id, chat_id, payload, attempts in claimed:
            outcome = await self._send(chat_id, payload, attempts)
            async with self.database.transaction() as session:
                row = await session.get(OutboxMessage, row_id)
                if row is not None:
                    _record(row, outcome, self.clock())
        return len(claimed)

    async def run_forever(self) -> None:
        await self.recover()
        while True:
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("outbox dispatch failed; retrying shortly")
                handled = 0
            if handled:
                continue
            await self._sleep_until_due()

    async def _sleep_until_due(self) -> None:
        async with self.database.transaction() as session:
            due = await outbox.next_due(session)
        timeout = 30.0
        if due is not None:
            timeout = max(0.0, min(timeout, (due - self.clock()).total_seconds()))
        self.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), timeout=timeout)

    def _limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self._chats.get(chat_id)
        if limiter is None:
            if chat_id < 0:  # groups and supergroups
                limiter = AsyncLimiter(self.limits.group_per_minute, 60)
            else:
                burst = self.limits.private_burst
                limiter = AsyncLimiter(burst, burst / self.limits.private_per_second)
            if len(self._chats) > 10_000:
                self._chats.clear()  # idle limiters are full anyway; forget them
            self._chats[chat_id] = limiter
        return limiter

    async def _send(self, chat_id: int, payload: dict[str, object], attempts: int) -> Outcome:
        async with self._limiter(chat_id), self._overall:
            try:
                markup = payload.get("reply_markup")
                message = await self.bot.send_message(
                    chat_id,
                    str(payload["text"]),
                    parse_mode=str(payload.get("parse_mode") or "HTML"),
                    reply_markup=(
                        InlineKeyboardMarkup.de_json(markup, self.bot)  # type: ignore[arg-type]
                        if markup
                        else None
                    ),
                )
            except RetryAfter as exc:
                retry = exc.retry_after
                seconds = retry.total_seconds() if isinstance(retry, timedelta) else float(retry)
                return Outcome(
                    OutboxStatus.PENDING, retry_at=self.clock() + timedelta(seconds=seconds)
                )
            except (Forbidden, BadRequest) as exc:
                return Outcome(OutboxStatus.FAILED, error=exc.message)
            except TimedOut as exc:
                return Outcome(OutboxStatus.UNKNOWN, error=f"timed out: {exc.message}")
            except NetworkError as exc:
                if attempts >= self.limits.max_attempts:
                    return Outcome(OutboxStatus.FAILED, error=exc.message)
                backoff = timedelta(seconds=min(300, 2**attempts))
                return Outcome(
                    OutboxStatus.PENDING, error=exc.message, retry_at=self.clock() + backoff
                )
            return Outcome(OutboxStatus.SENT, message_id=message.message_id)


def _record(row: OutboxMessage, outcome: Outcome, now: datetime) -> None:
    row.status = outcome.status
    row.error = outcome.error
    if outcome.retry_at is not None:
        row.not_before = outcome.retry_at
    if outcome.status is OutboxStatus.SENT:
        row.telegram_message_id = outcome.message_id
        row.sent_at = now
