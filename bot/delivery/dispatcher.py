"""Drains the outbox within Telegram's limits, most urgent first, and survives crashes.

Each row moves pending -> sending -> sent / failed (/ unknown). Rows are marked `sending` and
committed BEFORE their requests go out; if the process dies then, they are found in `sending`
at the next start. They may have been delivered, and Telegram has no idempotency key, so what
happens next depends on the row's guarantee (storage.outbox.AT_MOST_ONCE): a broadcast row
becomes `unknown` and is never sent twice; every other row (receipts, alerts, digests, task
cards, decisions, relayed messages) is sent again, and a staff chat reads that it may be a
repeat. A timed-out send is the same question asked without a crash: a broadcast row becomes
`unknown`, any other row is retried with backoff, up to ``max_attempts``, then `failed`.

Volume: each tick claims as many rows as the overall limit allows right now (at most one per
chat), sends them concurrently, and writes the outcomes of the previous tick in the same
transaction as the next claim. Ticks are short, so few rows are ever in `sending` at once,
which is what bounds the `unknown` rows a crash can leave. The order of a claim is priority
first (resident notices, staff alerts, broadcasts), so a status notice enqueued during a
broadcast of 100,000 waits at most one tick.

A 429 names how long Telegram wants nothing sent: the whole dispatcher pauses that long (bulk
sending hits the bot's overall limit, not one chat's), and the row goes back to `pending`.
A 403 (blocked, deactivated) fails the row for good (retrying would not change the answer)
and ends the resident's notice subscription. Failed rows are listed by `yimen outbox failed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from aiolimiter import AsyncLimiter
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.delivery.wakes import wake_when_handled
from storage import broadcasts, outbox, subscriptions
from storage.db import Database
from storage.models import OutboxStatus
from storage.outbox import Claimed, Result

log = logging.getLogger(__name__)

# The error text of a 403, so statistics can tell "blocked" from other failures.
BLOCKED = "blocked: "
# The error of a row whose text retention deleted before it could go out.
PURGED = "its text was deleted under the retention rules"
MAX_TEXT = 4096  # Telegram's limits, in characters
MAX_CAPTION = 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's published guidance; settings, so tests and benchmarks can scale them."""

    overall_per_second: float = 30
    private_per_second: float = 1
    private_burst: int = 3
    group_per_minute: float = 20
    batch: int = 50  # rows claimed per tick at most
    max_attempts: int = 8
    # The pipeline's heartbeat: outcomes are written and new rows claimed at most this often.
    tick_seconds: float = 0.02
    # Requests out at once. Each one in flight when the process dies becomes `unknown`, and a
    # queue of requests would also delay a status notice claimed behind them.
    max_in_flight: int = 16

    def scaled(self, factor: float) -> Limits:
        """Every rate times ``factor`` (benchmarks run Telegram's limits faster)."""
        return Limits(
            overall_per_second=self.overall_per_second * factor,
            private_per_second=self.private_per_second * factor,
            private_burst=self.private_burst,
            group_per_minute=self.group_per_minute * factor,
            batch=max(self.batch, int(self.overall_per_second * factor * self.tick_seconds * 4)),
            max_attempts=self.max_attempts,
            tick_seconds=self.tick_seconds,
            max_in_flight=max(self.max_in_flight, int(self.overall_per_second * factor * 0.05)),
        )


@dataclass(frozen=True, slots=True)
class SendOutcome:
    status: OutboxStatus
    message_id: int | None = None
    error: str | None = None
    retry_at: datetime | None = None
    # The request may have reached Telegram (a timeout): the next try is a possible repeat.
    maybe_delivered: bool = False
    # No request was made (a pause, a 429): the attempt does not count towards the limit.
    counted: bool = True


class Dispatcher:
    def __init__(
        self,
        database: Database,
        bot: Bot,
        clock: Callable[[], datetime],
        limits: Limits | None = None,
        repeat_notice: str | None = None,
    ) -> None:
        self.database = database
        self.bot = bot
        self.clock = clock
        self.limits = limits or Limits()
        # The first line of a message to staff that is sent again (staff locale, plain text).
        self.repeat_notice = repeat_notice
        self.wake = asyncio.Event()
        # Every commit that writes outbox rows wakes us: writers only commit.
        outbox.on_queued(database, lambda: wake_when_handled(self.wake.set))
        self._overall = AsyncLimiter(self.limits.overall_per_second, 1)
        self._chats: dict[int, AsyncLimiter] = {}
        # Chats whose own limit is used up, until when (monotonic seconds).
        self._busy: dict[int, float] = {}
        # After a 429 nothing is sent before this moment (the dispatcher's clock).
        self.paused_until: datetime | None = None
        self._contents: dict[int, tuple[str, str | None]] = {}
        self._done: list[tuple[Claimed, SendOutcome]] = []
        self._in_flight: set[asyncio.Task[None]] = set()

    async def recover(self) -> outbox.Recovered:
        """Run once at start: rows left `sending` by a crash are sent again, or become
        `unknown` (broadcasts); see the module's docstring.

        The overall limiter starts full: a process restarted after a crash does not know what
        the last one just sent, and Telegram's counter still does.
        """
        await self._overall.acquire(self._overall.max_rate)
        async with self.database.transaction() as session:
            found = await outbox.recover_interrupted(session, max_attempts=self.limits.max_attempts)
        if found.total:
            log.warning(
                "outbox rows interrupted mid-send: %d to send again, %d broadcast rows unknown,"
                " %d out of attempts (failed)",
                found.resent,
                found.unknown,
                found.failed,
            )
        return found

    async def run_once(self) -> int:
        """Claim what the limits allow now, send it all, record it; returns rows handled."""
        await self._flush()
        if self._paused():
            return 0
        async with self.database.transaction() as session:
            rows = await self._claim(session, self.limits.batch, take_tokens=False)
        results = await asyncio.gather(*(self._send(row, take_token=True) for row in rows))
        self._done.extend(zip(rows, results, strict=True))
        await self._flush()
        return len(rows)

    async def run_forever(self) -> None:
        """The pipeline: each tick records finished sends, claims and starts the next ones."""
        await self.recover()
        try:
            while True:
                try:
                    await self._tick()
                except Exception:
                    log.exception("outbox dispatch failed; retrying shortly")
                    await asyncio.sleep(1)
        finally:
            for task in self._in_flight:
                task.cancel()

    async def _tick(self) -> None:
        started = time.monotonic()
        if self._paused():
            await self._flush()
            assert self.paused_until is not None
            wait = (self.paused_until - self.clock()).total_seconds()
            await asyncio.sleep(min(max(wait, 0.0), 1.0))
            return
        capacity = min(self._capacity(), self.limits.max_in_flight - len(self._in_flight))
        claimed = await self._transaction(max(capacity, 0))
        for row in claimed:
            task = asyncio.create_task(self._send_and_keep(row))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        if claimed or self._in_flight:
            # The rest of the tick: in-flight sends come back and are written next tick.
            await asyncio.sleep(max(0.0, self.limits.tick_seconds - (time.monotonic() - started)))
            return
        if capacity == 0:
            await asyncio.sleep(max(self.limits.tick_seconds, 1 / self.limits.overall_per_second))
            return
        await self._sleep_until_due()

    def _capacity(self) -> int:
        """How many sends the overall limit allows right now (nothing is taken yet)."""
        count = 0
        while count < self.limits.batch and self._overall.has_capacity(count + 1):
            count += 1
        return count

    async def _claim(
        self, session: AsyncSession, limit: int, *, take_tokens: bool
    ) -> list[Claimed]:
        now_mono = time.monotonic()
        self._busy = {chat: until for chat, until in self._busy.items() if until > now_mono}
        rows = await outbox.claim_batch(
            session, now=self.clock(), limit=limit, skip_chats=self._busy.keys()
        )
        if take_tokens and rows:
            await self._overall.acquire(len(rows))
        missing = {r.broadcast_id for r in rows if r.broadcast_id is not None} - set(self._contents)
        if missing:
            self._contents.update(await broadcasts.broadcast_contents(session, ids=missing))
        return rows

    async def _send_and_keep(self, row: Claimed) -> None:
        outcome = await self._send(row, take_token=False)
        self._done.append((row, outcome))

    async def _flush(self) -> None:
        if self._done:
            await self._transaction(0)

    async def _transaction(self, capacity: int) -> list[Claimed]:
        """One unit of work: record the finished sends, then claim up to ``capacity`` rows.

        If it fails, the outcomes are kept for the next try (their rows are still `sending`).
        """
        done, self._done = self._done, []
        try:
            async with self.database.transaction() as session:
                await _write(session, done, self.clock())
                return await self._claim(session, capacity, take_tokens=True) if capacity else []
        except BaseException:
            self._done[:0] = done
            raise

    def _paused(self) -> bool:
        if self.paused_until is None:
            return False
        if self.clock() >= self.paused_until:
            self.paused_until = None
            return False
        return True

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

    async def _send(self, row: Claimed, *, take_token: bool) -> SendOutcome:
        limiter = self._limiter(row.chat_id)
        await limiter.acquire()
        if not limiter.has_capacity():
            # Keep this chat out of the next claims until it has a token again.
            rate = limiter.max_rate / limiter.time_period
            self._busy[row.chat_id] = time.monotonic() + 1 / rate
        if take_token:
            await self._overall.acquire()
        if self._paused():
            assert self.paused_until is not None
            return SendOutcome(OutboxStatus.PENDING, retry_at=self.paused_until, counted=False)
        if row.broadcast_id is None and "text" not in row.payload:
            # Its text was deleted under the retention rules: nothing left to send.
            return SendOutcome(OutboxStatus.FAILED, error=PURGED)
        try:
            message = await self._request(row)
        except RetryAfter as exc:
            with warnings.catch_warnings():
                # PTB is moving this attribute from seconds to a timedelta; both are read below.
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                retry = exc.retry_after
            seconds = retry.total_seconds() if isinstance(retry, timedelta) else float(retry)
            until = self.clock() + timedelta(seconds=seconds)
            if self.paused_until is None or until > self.paused_until:
                self.paused_until = until
                log.warning("Telegram asked for a pause of %s s; pausing all sends", seconds)
            return SendOutcome(OutboxStatus.PENDING, retry_at=until, counted=False)
        except Forbidden as exc:
            return SendOutcome(OutboxStatus.FAILED, error=BLOCKED + exc.message)
        except BadRequest as exc:
            return SendOutcome(OutboxStatus.FAILED, error=exc.message)
        except TimedOut as exc:
            error = f"timed out: {exc.message}"
            if not row.at_least_once:
                return SendOutcome(OutboxStatus.UNKNOWN, error=error)
            return self._retry_later(row, error, maybe_delivered=True)
        except NetworkError as exc:
            # A connection that broke after the request left may hide a delivery; a refused
            # connection or an error answer from Telegram (5xx) means nothing was sent.
            cause = exc.__cause__
            broken = isinstance(cause, httpx.TransportError) and not isinstance(
                cause, httpx.ConnectError
            )
            return self._retry_later(row, exc.message, maybe_delivered=broken)
        return SendOutcome(OutboxStatus.SENT, message_id=message.message_id)

    def _retry_later(self, row: Claimed, error: str, *, maybe_delivered: bool) -> SendOutcome:
        """Again after 2, 4, 8… seconds (at most 5 minutes), until the attempts run out."""
        if row.attempts >= self.limits.max_attempts:
            return SendOutcome(OutboxStatus.FAILED, error=error, maybe_delivered=maybe_delivered)
        backoff = timedelta(seconds=min(300, 2**row.attempts))
        return SendOutcome(
            OutboxStatus.PENDING,
            error=error,
            retry_at=self.clock() + backoff,
            maybe_delivered=maybe_delivered,
        )

    async def _request(self, row: Claimed) -> Message:
        payload = row.payload
        if row.broadcast_id is not None and "text" not in payload:
            text, photo = self._contents.get(row.broadcast_id, ("", None))
            payload = {**payload, "text": text, "photo": photo}
        markup_data = payload.get("reply_markup")
        markup = InlineKeyboardMarkup.de_json(markup_data, self.bot) if markup_data else None
        parse_mode = str(payload.get("parse_mode") or "HTML")
        photo = payload.get("photo")
        text = str(payload["text"])
        if photo:
            return await self.bot.send_photo(
                row.chat_id,
                str(photo),
                caption=self._marked(row, text, parse_mode, MAX_CAPTION),
                parse_mode=parse_mode,
                reply_markup=markup,
            )
        return await self.bot.send_message(
            row.chat_id,
            self._marked(row, text, parse_mode, MAX_TEXT),
            parse_mode=parse_mode,
            reply_markup=markup,
        )

    def _marked(self, row: Claimed, text: str, parse_mode: str, limit: int) -> str:
        """A possible repeat to staff starts with a line saying so, so that nobody acts on an
        application twice; residents get the message as it was (a second receipt is harmless,
        a line about repeats would only puzzle them)."""
        if not (row.maybe_delivered and row.to_staff and self.repeat_notice):
            return text
        line = self.repeat_notice
        if parse_mode.upper() == "HTML":
            line = f"<i>{html.escape(line, quote=False)}</i>"
        if len(line) + 1 + len(text) > limit:
            return text  # better the message without the line than no message
        return f"{line}\n{text}"


async def _write(
    session: AsyncSession, done: list[tuple[Claimed, SendOutcome]], now: datetime
) -> None:
    if not done:
        return
    for row, outcome in done:
        if outcome.status is OutboxStatus.FAILED and row.at_least_once:
            # Ids only: the text and the chat are personal. A 403 is a resident's choice.
            level = logging.INFO if (outcome.error or "").startswith(BLOCKED) else logging.WARNING
            log.log(
                level, "outbox message %d failed (%s); `yimen outbox failed`", row.id, outcome.error
            )
    await outbox.record_batch(session, [_result(row, outcome, now) for row, outcome in done])
    blocked = [
        row.chat_id
        for row, outcome in done
        if outcome.error is not None and outcome.error.startswith(BLOCKED)
    ]
    if blocked:
        await subscriptions.unsubscribe_chats(session, chat_ids=blocked, reason="blocked")


def _result(row: Claimed, outcome: SendOutcome, now: datetime) -> Result:
    sent = outcome.status is OutboxStatus.SENT
    return Result(
        id=row.id,
        status=outcome.status,
        not_before=outcome.retry_at or row.not_before,
        error=outcome.error,
        message_id=outcome.message_id if sent else None,
        sent_at=now if sent else None,
        # The claim counted an attempt; one that never reached Telegram is given back.
        attempts=row.attempts if outcome.counted else row.attempts - 1,
        maybe_delivered=row.maybe_delivered or outcome.maybe_delivered,
    )
