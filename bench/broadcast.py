"""Benchmark: a broadcast to N subscribers through the real dispatcher, killed over and over.

The parent process holds the fake Telegram (``sandbox.botapi.BotApiState`` with its limits
switched on: beyond them it answers 429) behind a local HTTP server, 5% of the residents have
blocked the bot, and a few 429s are injected on top. A child process runs what the bot runs to
deliver a broadcast (the broadcast loop that writes recipients and the outbox dispatcher) over
HTTP against it, on a SQLite file. The parent SIGKILLs the child at random moments and starts
a new one, each time, until the broadcast is done; meanwhile it enqueues a resident status
notice now and then and times how long each takes to reach Telegram.

Limits are Telegram's (30/s overall, 1/s and a burst of 3 per private chat, 20/min per group)
times ``--scale``, on both sides, so that 100,000 messages fit in minutes.

    python bench/broadcast.py --subscribers 100000 --scale 20 --kills 5
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TOKEN = "123:BENCH"
FIRST_USER = 10_000_000_000  # above 2**32: ids need 52 bits
# Synthetic, for the benchmark's own databases only: the seeder and the bot process share it.
BENCH_SECRET_KEY = "E9F3YibL7gmvKmkrhiguC-1reTor-UWaIAlATJepeO8="
ROOT = Path(__file__).resolve().parent.parent
STATUS_USERS = 500  # residents who get a status notice during the broadcast (not subscribers)


# ---- the child: what the bot runs to deliver a broadcast ---------------------------------------


async def child(database_url: str, api: str, scale: float, tick: float, in_flight: int) -> None:
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.delivery.dispatcher import Dispatcher, Limits
    from bot.notices.runner import BroadcastRunner
    from bot.policy import load_profile
    from bot.policy.profile import default_profile_path
    from bot.render import Renderer
    from storage.db import Database

    # Short ticks: outcomes are written within milliseconds, so a kill leaves few rows `sending`.
    limits = dataclasses.replace(Limits().scaled(scale), tick_seconds=tick, max_in_flight=in_flight)
    database = Database(database_url, keyring=_keyring())
    request = HTTPXRequest(connection_pool_size=256, read_timeout=30, write_timeout=30)
    bot = Bot(TOKEN, base_url=f"{api}/bot", request=request)
    await bot.initialize()
    clock = lambda: datetime.now(UTC)  # noqa: E731
    dispatcher = Dispatcher(database, bot, clock, limits)
    runner = BroadcastRunner(
        database=database,
        bot=bot,
        renderer=Renderer(),
        profile=load_profile(default_profile_path()),
        clock=clock,
        today=lambda: clock().date(),
        locale="zh-CN",
        batch=1000,
        rescreen_every=__import__("datetime").timedelta(days=365),
        _last_rescreen=clock(),
    )
    await asyncio.gather(dispatcher.run_forever(), runner.run_forever())


# ---- the parent: Telegram, the data, the kills, the figures ------------------------------------


class Telegram:
    """The fake Bot API with limits, behind HTTP; notes when each status notice arrives."""

    def __init__(self, scale: float) -> None:
        from sandbox.botapi import BotApiState
        from sandbox.limits import SendLimits

        self.state = BotApiState(
            token=TOKEN,
            send_limits=SendLimits(
                overall_per_second=30 * scale,
                private_per_second=1 * scale,
                private_burst=3,
                group_per_minute=20 * scale,
            ),
        )
        self.arrivals: dict[int, float] = {}  # status chat -> when its notice arrived
        self.sends: list[float] = []  # when each accepted send arrived
        self.refused_429: list[float] = []

    def add_people(self, ids: list[int], blocked: set[int]) -> None:
        state = self.state
        for user_id in ids:
            state.add_user(user_id, "居民")
            person = state.people[user_id]
            state._private_chat(person)
            if user_id in blocked:
                person.blocked_bot = True

    def call(self, method: str, params: dict[str, object], files: Any) -> dict[str, Any]:
        response = self.state.call(method, params, files, record=False)
        if method.lower() == "sendmessage":
            now = time.monotonic()
            if response.get("error_code") == 429:
                self.refused_429.append(now)
            else:
                self.sends.append(now)
                text = str(params.get("text", ""))
                if text.startswith("STATUS"):
                    self.arrivals[int(str(params["chat_id"]))] = now
        return response

    async def serve(self) -> tuple[Any, str]:
        from aiohttp import web

        from sandbox.server import read_bot_request, telegram_response

        async def method(request: web.Request) -> web.Response:
            params, uploads = await read_bot_request(request)
            return telegram_response(self.call(request.match_info["method"], params, uploads))

        app = web.Application()
        app.router.add_post("/bot{token}/{method}", method)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return runner, f"http://127.0.0.1:{port}"


def seed(path: Path, subscribers: int) -> tuple[list[int], set[int], int]:
    """Residents with notice subscriptions, 5% of whom blocked the bot; a started broadcast."""
    from storage.migrate import upgrade

    upgrade(f"sqlite+aiosqlite:///{path}")
    # Topics are personal (encrypted at rest): written as the bot writes them.
    topics = _keyring().encrypt('["all"]')
    ids = [FIRST_USER + n for n in range(subscribers)]
    blocked = set(ids[::20])
    now = datetime.now(UTC).isoformat(sep=" ")
    with sqlite3.connect(path) as db:
        db.executemany(
            "insert into residents (id, telegram_user_id, locale, created_at, updated_at) "
            "values (?, ?, 'zh-CN', ?, ?)",
            [(n + 1, user_id, now, now) for n, user_id in enumerate(ids)],
        )
        db.executemany(
            "insert into notice_subscriptions (resident_id, chat_id, active, topics, town_only,"
            " town_id, consent_version, created_at, updated_at)"
            " values (?, ?, 1, ?, 0, 'baisha', '2026-12', ?, ?)",
            [(n + 1, user_id, topics, now, now) for n, user_id in enumerate(ids)],
        )
        body = "关于调整城乡低保标准的通知（基准测试，合成数据）"
        cursor = db.execute(
            "insert into broadcasts (created_by, status, text, body_html, audience, recipients,"
            " expanded_through, expanded, stats, created_at, started_at)"
            " values (9001, 'sending', ?, ?, '{}', ?, 0, 0, '{}', ?, ?)",
            (body, body, subscribers, now, now),
        )
        broadcast_id = cursor.lastrowid
        assert broadcast_id is not None
    return ids, blocked, broadcast_id


def _keyring() -> Any:
    from storage.crypto import Keyring

    return Keyring.parse(BENCH_SECRET_KEY)


class StatusNotices(threading.Thread):
    """Every ``every`` seconds, one resident status notice into the outbox (its own writer)."""

    def __init__(self, path: Path, every: float) -> None:
        super().__init__(daemon=True)
        self.path, self.every = path, every
        self.enqueued: dict[int, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("pragma busy_timeout=30000")
        chat = FIRST_USER - STATUS_USERS
        keyring = _keyring()
        while not self.stop.wait(self.every) and chat < FIRST_USER:
            now = datetime.now(UTC).isoformat(sep=" ")
            db.execute("begin immediate")
            payload = keyring.encrypt(json.dumps({"text": f"STATUS 您的申请已受理 {chat}"}))
            db.execute(
                "insert into outbox (chat_id, purpose, priority, payload, status, attempts,"
                " not_before, created_at) values (?, 'status', 0, ?, 'pending', 0, ?, ?)",
                (chat, payload, now, now),
            )
            db.execute("commit")
            self.enqueued[chat] = time.monotonic()
            chat += 1
        db.close()


def remaining(path: Path, broadcast_id: int) -> tuple[int, bool]:
    with sqlite3.connect(path, timeout=30) as db:
        left = db.execute(
            "select count(*) from outbox where broadcast_id = ? and status in"
            " ('pending', 'sending', 'held')",
            (broadcast_id,),
        ).fetchone()[0]
        expanded = db.execute(
            "select expanded from broadcasts where id = ?", (broadcast_id,)
        ).fetchone()[0]
    return int(left), bool(expanded)


async def parent(arguments: argparse.Namespace) -> dict[str, Any]:
    scale, chance = arguments.scale, random.Random(arguments.seed)
    folder = Path(tempfile.mkdtemp(prefix="yimen-broadcast-"))
    path = folder / "bench.db"
    started = time.monotonic()
    ids, blocked, broadcast_id = await asyncio.to_thread(seed, path, arguments.subscribers)
    telegram = Telegram(scale)
    telegram.add_people(ids, blocked)
    telegram.add_people(list(range(FIRST_USER - STATUS_USERS, FIRST_USER)), set())
    server, api = await telegram.serve()
    print(f"seeded {len(ids):,} subscribers in {time.monotonic() - started:.1f} s", flush=True)

    command = [sys.executable, __file__, "--child", "--database", str(path), "--api", api]
    command += ["--scale", str(scale), "--tick", str(arguments.tick)]
    command += ["--in-flight", str(arguments.in_flight)]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    notices = StatusNotices(path, arguments.status_every)
    kills, downtime, injected = 0, 0.0, 0
    kill_at = sorted(chance.uniform(0.05, 0.85) for _ in range(arguments.kills))
    inject_at = sorted(chance.uniform(0.1, 0.9) for _ in range(arguments.injected_429))
    expected_seconds = arguments.subscribers / (30 * scale)
    process = subprocess.Popen(command, env=environment)  # noqa: ASYNC220
    begin = time.monotonic()
    notices.start()
    restarted_at: float | None = None
    while True:
        await asyncio.sleep(0.1)
        elapsed = (time.monotonic() - begin) / expected_seconds
        if restarted_at is not None and telegram.sends and telegram.sends[-1] > restarted_at:
            downtime += telegram.sends[-1] - restarted_at
            restarted_at = None
        if kills < len(kill_at) and elapsed >= kill_at[kills] and restarted_at is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
            restarted_at = time.monotonic()
            process = subprocess.Popen(command, env=environment)  # noqa: ASYNC220
        if injected < len(inject_at) and elapsed >= inject_at[injected]:
            telegram.state.inject_error("sendMessage", 429, "Too Many Requests", retry_after=1)
            injected += 1
        left, expanded = remaining(path, broadcast_id)
        if expanded and left == 0 and kills == len(kill_at):
            break
    finished = time.monotonic()
    notices.stop.set()
    await asyncio.sleep(1.0)  # the last status notices
    process.send_signal(signal.SIGKILL)
    process.wait()
    child_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    await server.cleanup()
    return report(
        arguments,
        telegram,
        notices,
        path,
        broadcast_id,
        ids,
        blocked,
        kills,
        downtime,
        injected,
        begin,
        finished,
        child_rss_mb,
    )


def report(
    arguments: argparse.Namespace,
    telegram: Telegram,
    notices: StatusNotices,
    path: Path,
    broadcast_id: int,
    ids: list[int],
    blocked: set[int],
    kills: int,
    downtime: float,
    injected: int,
    begin: float,
    finished: float,
    child_rss_mb: float,
) -> dict[str, Any]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "select chat_id, status, error from outbox where broadcast_id = ?", (broadcast_id,)
        ).fetchall()
    by_chat: dict[int, list[tuple[str, str | None]]] = {}
    for chat_id, status, error in rows:
        by_chat.setdefault(chat_id, []).append((status, error))
    state = telegram.state
    delivered = {
        user_id: sum(1 for m in state.chat_messages(user_id) if m.from_bot) for user_id in ids
    }
    lost = sum(1 for user_id in ids if len(by_chat.get(user_id, [])) != 1) + sum(
        1
        for status, _ in (r for rs in by_chat.values() for r in rs)
        if status not in ("sent", "failed", "unknown")
    )
    duplicates = 0
    for user_id in ids:
        for status, _ in by_chat.get(user_id, []):
            if status == "sent" and delivered[user_id] != 1:
                duplicates += 1
            if status == "failed" and delivered[user_id] != 0:
                duplicates += 1
        if delivered[user_id] > 1:
            duplicates += 1
    statuses = [status for rs in by_chat.values() for status, _ in rs]
    unknown = statuses.count("unknown")
    sends = [t for t in telegram.sends if begin <= t <= finished]
    window = (sends[-1] - sends[0]) if len(sends) > 1 else 0.0
    limit = 30 * arguments.scale
    paused = injected * 1.0  # each injected 429 asks for 1 s without sends
    latencies = [
        telegram.arrivals[chat] - at
        for chat, at in notices.enqueued.items()
        if chat in telegram.arrivals
    ]
    return {
        "subscribers": len(ids),
        "blocked_users": len(blocked),
        "scale": arguments.scale,
        "tick_seconds": arguments.tick,
        "max_in_flight": arguments.in_flight,
        "configured_limit_per_s": limit,
        "kills": kills,
        "injected_429": injected,
        "enforced_429": len(telegram.refused_429) - injected,
        "wall_seconds": round(finished - begin, 1),
        "send_window_seconds": round(window, 1),
        "restart_downtime_seconds": round(downtime, 1),
        "achieved_rate_per_s": round(len(sends) / window, 1) if window else 0,
        "ratio_raw": round(len(sends) / window / limit, 3) if window else 0,
        "ratio_excluding_downtime_and_429_pauses": (
            round(len(sends) / (window - downtime - paused) / limit, 3) if window else 0
        ),
        "sent": statuses.count("sent"),
        "failed": statuses.count("failed"),
        "unknown": unknown,
        "unknown_percent": round(100 * unknown / len(ids), 4),
        "lost": lost,
        "duplicates": duplicates,
        "status_notices": len(notices.enqueued),
        "status_notices_delivered": len(latencies),
        "status_latency_p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "status_latency_p95_s": (
            round(statistics.quantiles(latencies, n=20)[18], 3) if len(latencies) > 1 else None
        ),
        "status_latency_max_s": round(max(latencies), 3) if latencies else None,
        "peak_rss_dispatcher_mb": round(child_rss_mb, 1),
        "peak_rss_parent_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--scale", type=float, default=20.0, help="Telegram's limits times this")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--injected-429", type=int, default=3)
    parser.add_argument("--status-every", type=float, default=0.5, help="seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tick", type=float, default=0.005, help="dispatcher tick, seconds")
    parser.add_argument("--in-flight", type=int, default=4, help="dispatcher requests at once")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        database = f"sqlite+aiosqlite:///{arguments.database}"
        asyncio.run(
            child(database, arguments.api, arguments.scale, arguments.tick, arguments.in_flight)
        )
        return
    print(json.dumps(asyncio.run(parent(arguments)), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
