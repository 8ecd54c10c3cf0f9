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

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.app import build_application
from bot.config import load_settings
from sandbox.botapi import BotApiState
from sandbox.request import FakeRequest
from storage.migrate import upgrade

TOKEN = "123:BENCH"
FIRST_USER = 10_000_000_000  # above 2**32: ids need 52 bits

# What each kind of synthetic resident does: ("tap", button label) or ("say", text).
SCRIPTS: dict[str, list[tuple[str, str]]] = {
    "older person alone": [
        ("say", "/start"),
        ("tap", "中文"),
        ("tap", "✅ 同意，开始"),
        ("tap", "都没有，继续"),
        ("tap", "🙋 我自己"),
        ("say", "76"),
        ("say", "白沙"),
        ("tap", "1"),
        ("say", "400"),
        ("tap", "几乎没有"),
        ("tap", "都没有"),
        ("tap", "独自居住"),
        ("tap", "没有"),
        ("tap", "有稳定安全的住处"),
    ],
    "family after a fire": [
        ("say", "/start"),
        ("tap", "中文"),
        ("tap", "✅ 同意，开始"),
        ("tap", "🏠 今晚没有地方住"),
        ("tap", "继续 ➡️"),
        ("tap", "👪 家里人"),
        ("say", "45岁"),
        ("tap", "几江街道"),
        ("say", "4"),
        ("say", "一千五"),
        ("tap", "几乎没有"),
        ("tap", "都没有"),
        ("tap", "有孩子在上学"),
        ("tap", "🔥 火灾、洪水等灾害"),
        ("tap", "房子危险或损坏"),
        ("say", "是"),
    ],
    "unemployed parent": [
        ("say", "/start"),
        ("tap", "English"),
        ("tap", "✅ I agree, start"),
        ("tap", "None of these, go on"),
        ("tap", "🙋 Myself"),
        ("say", "38"),
        ("say", "Degan"),
        ("tap", "3"),
        ("tap", "1000–1999 yuan"),
        ("tap", "Almost nothing"),
        ("tap", "Neither"),
        ("tap", "Children in school"),
        ("tap", "None"),
        ("tap", "Renting, cannot afford the rent"),
        ("tap", "✅ Yes"),
    ],
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
        return {
            "bot": name,
            "updates": len(lat),
            "seconds": round(wall, 3),
            "updates_per_s": round(len(lat) / wall, 1),
            "mean_ms": round(statistics.fmean(lat) * 1000, 3),
            "p50_ms": round(q[49] * 1000, 3),
            "p95_ms": round(q[94] * 1000, 3),
            "p99_ms": round(q[98] * 1000, 3),
        }


def add_people(telegram: BotApiState, plan: list[Action]) -> None:
    for user_id in dict.fromkeys(user for user, _, _ in plan):
        telegram.add_user(user_id, f"Resident {user_id}", language_code="zh-hans")


async def run_yimen(plan: list[Action], url: str) -> dict[str, Any]:
    telegram = BotApiState(token=TOKEN)
    add_people(telegram, plan)
    request = FakeRequest(telegram)
    settings = load_settings(_env_file=None, database_url=url, bot_token=TOKEN)
    application = build_application(
        settings, token=TOKEN, request=request, get_updates_request=request
    )
    await application.initialize()
    runner = Runner(application, telegram, [])
    gc.collect()
    started = time.perf_counter()
    try:
        for user_id, kind, value in plan:
            if kind == "say":
                update = telegram.make_update_text(user_id, value)
            else:
                try:
                    update = telegram.make_update_press(user_id, user_id, value)
                except LookupError:
                    # Not on screen (e.g. a town further down the list): type it instead.
                    update = telegram.make_update_text(user_id, value)
            await runner.feed(update)
    finally:
        await application.shutdown()
    return runner.figures("yimen", time.perf_counter() - started)


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


async def run_echo(plan: list[Action]) -> dict[str, Any]:
    """The same sequence of texts and taps, to a bot that only echoes."""
    telegram = BotApiState(token=TOKEN)
    add_people(telegram, plan)
    request = FakeRequest(telegram)
    application = (
        Application.builder().token(TOKEN).request(request).get_updates_request(request).build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo_text))
    application.add_handler(CallbackQueryHandler(echo_tap))
    await application.initialize()
    # Each resident gets one message with a button to tap (set-up, not timed).
    button = {"inline_keyboard": [[{"text": "again", "callback_data": "t"}]]}
    dialog: dict[int, int] = {}
    for user_id in dict.fromkeys(user for user, _, _ in plan):
        sent = telegram.call(
            "sendMessage", {"chat_id": user_id, "text": "hi", "reply_markup": button}
        )
        dialog[user_id] = int(sent["result"]["message_id"])
    runner = Runner(application, telegram, [])
    gc.collect()
    started = time.perf_counter()
    try:
        for user_id, kind, value in plan:
            if kind == "say":
                update = telegram.make_update_text(user_id, value)
            else:
                update = telegram.make_update_tap(user_id, user_id, dialog[user_id], "t")
            await runner.feed(update)
    finally:
        await application.shutdown()
    return runner.figures("echo", time.perf_counter() - started)


async def main() -> None:
    parser = argparse.ArgumentParser(description="yimen screening benchmark")
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="yimen-bench-"))
    url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    plan = plan_for(args.residents)
    echo = await run_echo(plan)
    ours = await run_yimen(plan, url)
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
