"""A real bot process (`yimen run`), killed with SIGKILL, restarted on the same database.

The test holds the fake Telegram (the sandbox's Bot API server) and talks to the bot over HTTP
as Telegram would; a gate in front of it decides when the process dies:

1. during a submission: the resident taps "submit", the update's transaction commits, and the
   first request the bot makes after it (its answer to the tap) is never answered: killed there,
   before the receipt and the window alert went out;
2. during dispatch: the receipt goes through, the alert reaches the window group but its answer
   is held, so the row is still `sending`: killed there;
3. a third process starts: the alert is sent again with the "may be a repeat" line, the
   receipt, whose outcome was known, is not.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import sqlite3
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from sandbox.botapi import BotApiState
from sandbox.demo import play
from sandbox.feed import ChatFeed
from sandbox.personas import SANDBOX_TOKEN, Cast
from sandbox.scripts import alone_on_a_small_pension, application
from sandbox.server import create_app, start_server
from tests.conftest import TEST_SECRET_KEY
from tests.factories import gb11643

ROOT = Path(__file__).resolve().parent.parent
RESIDENT = 7301
WINDOW = -1002000000301
REPEAT = "（重发：此消息可能已收到过）"
SUBMIT = "📨 确认提交申请"
JOURNEY = [
    *alone_on_a_small_pension("72岁"),
    *application("李秀英", gb11643("50038119480315002"), "13823450001", "黄荆村"),
]
assert JOURNEY[-1] == ("tap", SUBMIT)


class Gate:
    """In front of the fake Telegram: lets requests through, or holds one until the bot dies.

    ``hold``: nothing but getUpdates reaches Telegram (nothing is delivered), and once a poll
    has brought updates, the next poll, which would confirm them, is held too: the update is
    delivered again to the next process, as Telegram does after a crash.
    ``late``: a message to the window group is delivered, and Telegram's answer is held.
    """

    def __init__(self) -> None:
        self.mode: str | None = None
        self.held = asyncio.Event()
        self.fetched = False
        self.polled: Counter[int] = Counter()  # update id -> times Telegram handed it out

    def arm(self, mode: str | None) -> None:
        self.mode, self.fetched = mode, False
        self.held.clear()

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        method = request.match_info.get("method", "").lower()
        if self.mode == "hold" and method == "getupdates" and self.fetched:
            await asyncio.Event().wait()  # not a sign of the commit: the bot polls on its own
        if self.mode == "hold" and method not in ("", "getupdates"):
            await self._never()  # the first request after the tap: its transaction committed
        response = await handler(request)
        answer = _json(response)
        if method == "getupdates":
            updates = answer.get("result") or []
            self.polled.update(u["update_id"] for u in updates)
            self.fetched = self.fetched or bool(updates)
        result = answer.get("result")
        chat = result.get("chat", {}).get("id") if isinstance(result, dict) else None
        if self.mode == "late" and method == "sendmessage" and chat == WINDOW:
            await self._never()
        return response

    async def _never(self) -> None:
        self.held.set()
        await asyncio.Event().wait()  # ends when the bot's connection goes with its process


def _json(response: web.StreamResponse) -> dict[str, Any]:
    if isinstance(response, web.Response) and isinstance(response.body, bytes):
        answer: dict[str, Any] = json.loads(response.body)
        return answer
    return {}


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[BotApiState, ChatFeed, Gate, str]]:
    world = BotApiState(token=SANDBOX_TOKEN)
    world.add_group(WINDOW, "窗口工作人员")
    world.add_user(RESIDENT, "李秀英", language_code="zh-hans")
    feed, gate = ChatFeed(world), Gate()
    app = create_app(world, Cast(), feed)
    app.middlewares.append(gate.middleware)
    runner, port = await start_server(app, "127.0.0.1", 0, shutdown_timeout=0.5)
    try:
        yield world, feed, gate, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class BotProcess:
    """`python -m bot run` against the fake Telegram and one SQLite file."""

    def __init__(self, folder: Path, database: Path, url: str) -> None:
        self.folder = folder
        environment = {k: v for k, v in os.environ.items() if not k.startswith("YIMEN_")}
        self.environment = {
            **environment,
            "PYTHONPATH": str(ROOT),
            "YIMEN_BOT_TOKEN": SANDBOX_TOKEN,
            "YIMEN_BOT_API_URL": f"{url}/bot",
            "YIMEN_BOT_FILE_URL": f"{url}/file/bot",
            "YIMEN_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "YIMEN_SECRET_KEY": TEST_SECRET_KEY,
            "YIMEN_STAFF_CHAT_ID": str(WINDOW),
        }
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        log = (self.folder / f"bot-{self.starts}.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=self.folder,  # no developer .env
            env=self.environment,
            stdout=log,
            stderr=log,
        )
        log.close()

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        assert await self.process.wait() == -signal.SIGKILL
        self.process = None


def outbox(database: Path) -> dict[str, tuple[str, bool]]:
    """purpose -> (status, maybe delivered) of the outbox rows (never their payload)."""
    with sqlite3.connect(database, timeout=10) as db:
        rows = db.execute("select purpose, status, maybe_delivered from outbox").fetchall()
    assert len({purpose for purpose, _, _ in rows}) == len(rows), rows
    return {purpose: (status, bool(maybe)) for purpose, status, maybe in rows}


def applications(database: Path) -> int:
    with sqlite3.connect(database, timeout=10) as db:
        return int(db.execute("select count(*) from applications").fetchone()[0])


async def until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_killed_during_submission_and_during_dispatch_nothing_is_lost(
    tmp_path: Path,
    migrated_database: Path,
    telegram: tuple[BotApiState, ChatFeed, Gate, str],
) -> None:
    world, feed, gate, url = telegram
    database = tmp_path / "yimen.db"
    shutil.copy(migrated_database, database)
    bot = BotProcess(tmp_path, database, url)

    def texts(chat_id: int) -> list[str]:
        return [m.text or "" for m in world.chat_messages(chat_id) if m.from_bot]

    await bot.start()
    try:
        await play(world, feed, RESIDENT, JOURNEY[:-1], settle=0.05)
        before = len(texts(RESIDENT))

        # 1. Killed right after the submission committed, before anything was sent.
        gate.arm("hold")
        tap = world.user_presses(RESIDENT, RESIDENT, SUBMIT)["update_id"]
        await asyncio.wait_for(gate.held.wait(), 15)
        await bot.kill()
        assert applications(database) == 1
        assert outbox(database) == {"receipt": ("pending", False), "alert": ("pending", False)}
        assert len(texts(RESIDENT)) == before and texts(WINDOW) == []

        # 2. Restarted: the receipt is delivered; the alert reaches the group, the bot never
        # hears back, and dies with the row in `sending`.
        gate.arm("late")
        await bot.start()
        await asyncio.wait_for(gate.held.wait(), 20)
        await until(lambda: outbox(database)["receipt"][0] == "sent", "the receipt recorded")
        await bot.kill()
        assert outbox(database)["alert"] == ("sending", False)
        [alert] = texts(WINDOW)
        found = re.search(r"[A-Z]{2}-\d{4}-\d{6}", alert)
        assert found is not None and not alert.startswith(REPEAT)
        number = found.group()
        assert [t for t in texts(RESIDENT) if number in t]  # the receipt

        # 3. Restarted again, nothing held: the alert is sent again, marked as a repeat.
        gate.arm(None)
        await bot.start()
        await until(lambda: outbox(database)["alert"][0] == "sent", "the alert sent again")
        await asyncio.sleep(0.3)  # time enough for anything sent twice to show
    finally:
        if bot.process is not None:
            await bot.kill()

    assert gate.polled[tap] >= 2  # Telegram handed the tap to two processes…
    assert applications(database) == 1  # …which applied once
    assert outbox(database) == {"receipt": ("sent", False), "alert": ("sent", True)}
    receipts = [t for t in texts(RESIDENT) if number in t]
    assert len(receipts) == 1  # its outcome was known: never sent twice
    alerts = [t for t in texts(WINDOW) if number in t]
    assert len(alerts) == 2
    assert not alerts[0].startswith(REPEAT) and alerts[1].startswith(REPEAT + "\n")
