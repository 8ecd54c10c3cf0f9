"""The broadcast loop: start scheduled broadcasts, write recipients, show progress, rescreen.

All of its work is derived from rows (status, cursor, progress time), so a restart picks up
where the last process stopped (JobQueue jobs would be lost, telegram.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from telegram import Bot

from bot.callbacks import BroadcastPress
from bot.delivery.messenger import Messenger
from bot.flows.model import Button, Label, Screen
from bot.notices import broadcasts, rescreen
from bot.notices.broadcasts import Progress
from bot.notices.lifecycle import Move, allowed
from bot.policy import Profile
from bot.render import Renderer
from storage.db import Database
from storage.models import Broadcast, BroadcastStatus

log = logging.getLogger(__name__)

PROGRESS_EVERY = timedelta(seconds=3)  # Telegram would rather not see an edit per message
LIVE = (BroadcastStatus.SENDING, BroadcastStatus.PAUSED)


@dataclass
class BroadcastRunner:
    database: Database
    bot: Bot
    renderer: Renderer
    profile: Profile
    clock: Callable[[], datetime]
    today: Callable[[], date]
    locale: str
    batch: int = 1000
    rescreen_every: timedelta = timedelta(hours=6)
    _last_rescreen: datetime | None = None

    async def run_forever(self) -> None:
        while True:
            try:
                busy = await self.step()
                await self._maybe_rescreen()
            except Exception:
                log.exception("broadcast step failed; trying again")
                busy = False
            await asyncio.sleep(0.05 if busy else 1.0)

    async def step(self, *, max_batches: int = 20) -> bool:
        """One round; True while recipients are still being written."""
        now = self.clock()
        async with self.database.transaction() as session:
            await broadcasts.begin_due(session, now=now)
            live = (
                await session.scalars(select(Broadcast).where(Broadcast.status.in_(LIVE)))
            ).all()
            ids = [b.id for b in live if not b.expanded]
        busy = False
        for broadcast_id in ids:
            for _ in range(max_batches):
                async with self.database.transaction() as session:
                    broadcast = await session.get(Broadcast, broadcast_id)
                    if broadcast is None:
                        break
                    await broadcasts.expand(session, broadcast, now=now, batch=self.batch)
                    done = broadcast.expanded
                if done:
                    break
            else:
                busy = True
        await self.show_progress()
        return busy

    async def show_progress(self, *, force: bool = False, only: int | None = None) -> None:
        """Edit each live broadcast's progress message (throttled), and the final one once.

        ``only`` also shows that broadcast when it has just ended (cancelled by a button).
        """
        now = self.clock()
        ended = (BroadcastStatus.FINISHED, BroadcastStatus.CANCELLED)
        edits: list[tuple[int, int, Progress]] = []
        async with self.database.transaction() as session:
            wanted = Broadcast.status.in_(LIVE) | (Broadcast.id == (only or 0))
            shown = (await session.scalars(select(Broadcast).where(wanted))).all()
            for broadcast in shown:
                current = await broadcasts.progress(session, broadcast, now=now)
                if await broadcasts.finish(session, broadcast, now=now, current=current):
                    current = replace(current, status=broadcast.status)
                broadcasts.record_stats(broadcast, current)
                final = current.status in ended
                due = broadcast.progress_at is None or now - broadcast.progress_at >= PROGRESS_EVERY
                if not (force or final or due):
                    continue
                broadcast.progress_at = now
                if broadcast.chat_id and broadcast.progress_message_id:
                    edits.append((broadcast.chat_id, broadcast.progress_message_id, current))
        messenger = Messenger(self.bot)
        for chat_id, message_id, current in edits:
            screen = self.renderer.render(progress_screen(current), self.locale)
            await messenger.edit(chat_id, message_id, screen)

    async def _maybe_rescreen(self) -> None:
        now = self.clock()
        if self._last_rescreen is not None and now - self._last_rescreen < self.rescreen_every:
            return
        self._last_rescreen = now
        username = self.bot.username if self.bot.bot is not None else None
        await rescreen.run(
            self.database, self.profile, self.renderer, today=self.today(), now=now, bot=username
        )


def progress_screen(p: Progress) -> Screen:
    """The live progress message, with the buttons its status allows."""
    eta: Label | str = ""
    if p.eta_seconds is not None:
        eta = Label.of("broadcast.eta", minutes=max(1, round(p.eta_seconds / 60)))
    context = {
        "id": p.broadcast_id,
        "status": Label(f"broadcast.status.{p.status}"),
        "sent": f"{p.sent:,}",
        "blocked": f"{p.blocked:,}",
        "failed": f"{p.failed:,}",
        "unknown": f"{p.unknown:,}",
        "remaining": f"{p.remaining:,}",
        "recipients": f"{p.recipients:,}",
        "rate": f"{p.rate:.1f}",
        "eta": eta,
    }
    buttons = [
        Button(Label(f"broadcast.{move}"), BroadcastPress(p.broadcast_id, move).encode())
        for move in (Move.PAUSE, Move.RESUME, Move.CANCEL)
        if allowed(p.status, move) and p.status != BroadcastStatus.DRAFT
    ]
    return Screen("broadcast/progress.html", context, (tuple(buttons),) if buttons else ())
