"""Benchmark: N synthetic residents complete full screenings through the real Application.

Both bots run in this one process against the same in-memory fake Bot API, fed the same kinds
of updates in the same order (text messages and button taps, residents interleaved):

* yimen: the real ``Application`` from ``bot.app``, on a SQLite file database (WAL);
* echo: a bare python-telegram-bot ``Application`` that echoes text and, for a tap, answers
  the callback and edits the message — the least any bot does for the same updates.

Reported: updates/s, per-update latency p50/p95/p99, peak memory (RSS), and the ratio of
yimen's mean per-update time to the echo bot's.

    python bench/screening.py --residents 1000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.app import build_application
from bot.config import load_settings
from sandbox.botapi import BotApiState
from sandbox.request import FakeRequest
from sandbox.scripts import FAMILY_AFTER_FIRE, WANG_FANG, ZHANG_AYI
from storage.migrate import upgrade_async

TOKEN = "123:BENCH"
FIRST_USER = 10_000_000_000  # above 2**32: ids need 52 bits

# What each kind of synthetic resident does (the same people as the sandbox's demo).
SCRIPTS: dict[str, list[tuple[str, str]]] = {
    "older person alone": ZHANG_AYI,
    "family after a fire": FAMILY_AFTER_FIRE,
    "unemployed parent": WANG_FANG,
}


Action = tuple[int, str, str]  # (user id, "say" | "tap", text or button label)


def plan_for(residents: int) -> list[Action]:
    """Every resident's script, interleaved one action each, as a busy bot would see them."""
    scripts = [(FIRST_USER + n, SCRIPTS[list(SCRIPTS)[n % len(SCRIPTS)]]) for n in range(residents)]
    longest = max(len(script) for _, script in scripts)
    return [
        (user_id, *script[step])
        for step in range(longest)
        for user_id, script in scripts
        if step < len(script)
    ]


@dataclass
class Runner:
    application: Application  # type: ignore[type-arg]
    telegram: BotApiState
    latencies: list[float]

    async def feed(self, update: dict[str, Any]) -> None:
        started = time.perf_counter()
        await self.application.process_update(Update.de_json(update, self.application.bot))
        self.latencies.append(time.perf_counter() - started)

    def figures(self, name: str, wall: float) -> dict[str, Any]:
        lat = self.latencies
        q = statistics.quantiles(lat, n=100)
        busy = sum(lat)
        return {
            "bot": name,
            "updates": len(lat),
            "seconds_busy": round(busy, 3),
            # Both bots share the wall clock; each one's rate is over its own busy time.
            "updates_per_s": round(len(lat) / busy, 1),
            "mean_ms": round(statistics.fmean(lat) * 1000, 3),
            "p50_ms": round(q[49] * 1000, 3),
            "p95_ms": round(q[94] * 1000, 3),
            "p99_ms": round(q[98] * 1000, 3),
        }


def add_people(telegram: BotApiState, plan: list[Action]) -> None:
    for user_id in dict.fromkeys(user for user, _, _ in plan):
        telegram.add_user(user_id, f"Resident {user_id}", language_code="zh-hans")


async def start_yimen(plan: list[Action], url: str) -> Runner:
    telegram = BotApiState(token=TOKEN)
    add_people(telegram, plan)
    request = FakeRequest(telegram)
    settings = load_settings(
        _env_file=None, database_url=url, bot_token=TOKEN, secret_key=Fernet.generate_key().decode()
    )
    application = build_application(
        settings, token=TOKEN, request=request, get_updates_request=request
    )
    await application.initialize()
    return Runner(application, telegram, [])


def yimen_update(telegram: BotApiState, user_id: int, kind: str, value: str) -> dict[str, Any]:
    if kind == "say":
        return telegram.make_update_text(user_id, value)
    try:
        return telegram.make_update_press(user_id, user_id, value)
    except LookupError:
        # Not on screen (e.g. a town further down the list): type it instead.
        return telegram.make_update_text(user_id, value)


async def echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None and update.message is not None
    await context.bot.send_message(update.effective_chat.id, update.message.text or "…")


async def echo_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer()
    await context.bot.edit_message_text(
        f"tapped at {time.perf_counter_ns()}",
        chat_id=query.message.chat.id,
        message_id=query.message.message_id,
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("again", callback_data="t")]]),
    )


async def start_echo(plan: list[Action]) -> tuple[Runner, dict[int, int]]:
    """A bot that only echoes; each resident gets one message with a button to tap."""
    telegram = BotApiState(token=TOKEN)
    add_people(telegram, plan)
    request = FakeRequest(telegram)
    application = (
        Application.builder().token(TOKEN).request(request).get_updates_request(request).build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo_text))
    application.add_handler(CallbackQueryHandler(echo_tap))
    await application.initialize()
    button = {"inline_keyboard": [[{"text": "again", "callback_data": "t"}]]}
    dialog: dict[int, int] = {}
    for user_id in dict.fromkeys(user for user, _, _ in plan):
        telegram.make_update_text(user_id, "hi")  # the private chat exists once they write
        sent = telegram.call(
            "sendMessage", {"chat_id": user_id, "text": "hi", "reply_markup": button}
        )
        dialog[user_id] = int(sent["result"]["message_id"])
    return Runner(application, telegram, []), dialog


async def run_both(plan: list[Action], url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Feed each update to yimen, then the same kind of update to the echo bot, alternating,
    so that whatever else the machine does weighs on both alike."""
    ours = await start_yimen(plan, url)
    echo, dialog = await start_echo(plan)
    gc.collect()
    started = time.perf_counter()
    try:
        for user_id, kind, value in plan:
            await ours.feed(yimen_update(ours.telegram, user_id, kind, value))
            if kind == "say":
                await echo.feed(echo.telegram.make_update_text(user_id, value))
            else:
                await echo.feed(
                    echo.telegram.make_update_tap(user_id, user_id, dialog[user_id], "t")
                )
    finally:
        await ours.application.shutdown()
        await echo.application.shutdown()
    wall = time.perf_counter() - started
    return ours.figures("yimen", wall), echo.figures("echo", wall)


async def main() -> None:
    parser = argparse.ArgumentParser(description="yimen screening benchmark")
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="yimen-bench-"))
    url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    await upgrade_async(url)
    ours, echo = await run_both(plan_for(args.residents), url)
    figures = {
        "residents": args.residents,
        "python": sys.version.split()[0],
        "database": "SQLite file, WAL",
        "yimen": ours,
        "echo": echo,
        "ratio_mean_per_update": round(ours["mean_ms"] / echo["mean_ms"], 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
