"""Benchmark: N residents screen and apply; the window accepts; departments decide.

Through the real Application and the in-memory Bot API, on a SQLite file database:

1. every resident screens (14 updates) and fills the unified application (about 16 more:
   consent, programmes, name, ID number, phone, town, village, household, the economic-check
   authorisation, each document skipped, submit), residents interleaved one update each;
2. the outbox is sent (receipts, window alerts — digests when busy);
3. the window staff accept every application (a tap each);
4. each department accepts its task and approves it, typing the amount and start month as a
   reply to the task card (three updates per task); the outbox is sent again.

Every update is fed alternately to yimen and to a bare python-telegram-bot echo bot of the same
kind (text or tap), as in bench/screening.py, and the same figures are reported.

    python -m bench.apply --residents 200
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
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import select

from bench.screening import Runner, start_echo
from bot.app import build_application
from bot.config import load_settings
from bot.policy.base import CHINA
from sandbox.botapi import BotApiState
from sandbox.request import FakeRequest
from sandbox.scripts import ZHANG_AYI, application
from storage import staff
from storage.migrate import upgrade_async
from storage.models import DepartmentTask, StaffRole

TOKEN = "123:BENCH"
FIRST_USER = 20_000_000_000
STAFF_CHAT = -1003000000001
WINDOW = 900_001

APPLY = application("张桂兰", "{id_number}", "13823456789", "黄荆村")  # for herself, in Baisha


def id_number(n: int) -> str:
    """A synthetic, valid GB 11643 number, different for each resident."""
    first17 = f"500116{1940 + n % 40}0101{n % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


class Clock:
    """Real time, plus whatever the benchmark skips over (the wait for a staff digest)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def skip(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


class Bench:
    def __init__(self, ours: Runner, echo: Runner, dialog: dict[int, int]) -> None:
        self.ours, self.echo, self.dialog = ours, echo, dialog
        self.telegram = ours.telegram
        self.dispatch_seconds = 0.0
        self.sent = 0

    async def both(self, update: dict[str, Any], user_id: int, kind: str, text: str = "") -> None:
        """yimen's update, then the echo bot's update of the same kind."""
        await self.ours.feed(update)
        if kind == "say":
            await self.echo.feed(self.echo.telegram.make_update_text(self.echo_user(user_id), text))
        else:
            user = self.echo_user(user_id)
            await self.echo.feed(
                self.echo.telegram.make_update_tap(user, user, self.dialog[user], "t")
            )

    def echo_user(self, user_id: int) -> int:
        # Staff act in groups; the echo bot gets the same kind of update in a private chat.
        return user_id if user_id in self.dialog else next(iter(self.dialog))

    async def dispatch(self) -> None:
        assert self.ours.application is not None
        dispatcher = self.ours.application.bot_data.app.dispatcher
        started = time.perf_counter()
        while handled := await dispatcher.run_once():
            self.sent += handled
        self.dispatch_seconds += time.perf_counter() - started


async def residents_apply(bench: Bench, residents: list[int]) -> None:
    plans = {user: [*ZHANG_AYI, *APPLY] for user in residents}
    cursor = dict.fromkeys(residents, 0)
    while cursor:
        for user in list(cursor):
            plan = plans[user]
            kind, value = plan[cursor[user]]
            if kind == "skip":
                if value in bench.telegram.last_bot_message(user).button_texts:  # type: ignore[union-attr]
                    await bench.both(
                        bench.telegram.make_update_press(user, user, value), user, "tap"
                    )
                    continue
                cursor[user] += 1
                kind, value = plan[cursor[user]]
            if kind == "say":
                text = value.format(id_number=id_number(user - FIRST_USER))
                await bench.both(bench.telegram.make_update_text(user, text), user, "say", text)
            else:
                try:
                    update = bench.telegram.make_update_press(user, user, value)
                except LookupError:
                    update = bench.telegram.make_update_text(user, value)
                    await bench.both(update, user, "say", value)
                else:
                    await bench.both(update, user, "tap")
            cursor[user] += 1
            if cursor[user] >= len(plan):
                del cursor[user]


def card_of(telegram: BotApiState, chat: int, prefix: str) -> int:
    """The message in ``chat`` whose buttons act on ``prefix`` (an application or a task)."""
    for message in reversed(telegram.chat_messages(chat)):
        if any(str(b.get("callback_data", "")).startswith(prefix) for b in message.buttons):
            return message.message_id
    last = telegram.last_bot_message(chat)  # a digest: its buttons open the applications
    assert last is not None
    return last.message_id


def forged_tap(telegram: BotApiState, user: int, chat: int, data: str) -> dict[str, Any]:
    """A tap addressed to the card of its application or task (alerts may come as digests)."""
    prefix = "|".join(data.split("|")[:2]) + "|"
    return telegram.make_update_forged_tap(user, chat, card_of(telegram, chat, prefix), data)


async def staff_decide(
    bench: Bench, departments: dict[str, int], officer: dict[str, int], clock: Clock
) -> int:
    ours = bench.ours
    assert ours.application is not None
    database = ours.application.bot_data.app.components.database
    profile = ours.application.bot_data.app.components.casework.profile
    async with database.transaction() as session:
        application_ids = sorted(
            set((await session.scalars(select(DepartmentTask.application_id))).all())
        )
    for application_id in application_ids:
        tap = forged_tap(bench.telegram, WINDOW, STAFF_CHAT, f"w|{application_id}|accept")
        await bench.both(tap, WINDOW, "tap")
    await bench.dispatch()
    async with database.transaction() as session:
        tasks = (await session.scalars(select(DepartmentTask).order_by(DepartmentTask.id))).all()
        work = [
            (t.id, t.department_id, t.needs_public_notice, profile.programme(t.programme_id))
            for t in tasks
        ]

    async def tap_all(task_id: int, department: str, actions: list[str]) -> None:
        chat, user = departments[department], officer[department]
        for action in actions:
            tap = forged_tap(bench.telegram, user, chat, f"t|{task_id}|{action}")
            await bench.both(tap, user, "tap")

    # The statutory path: 低保 and 特困 need the home visit (booked for today and made) and the
    # economic check first, then a public notice that runs its 7 full days before it ends.
    today = clock().astimezone(CHINA).date()
    for task_id, department, notice, programme in work:
        steps = ["accept"]
        if programme is not None and programme.home_visit:
            steps += [f"vd|{today:%Y%m%d}", "visit_done", "check_done"]
        elif notice:
            steps += ["check_done"]
        await tap_all(task_id, department, [*steps, "start_notice"] if notice else steps)
    clock.skip(days=profile.public_notice.days + 1)
    decided = 0
    for task_id, department, notice, _ in work:
        await tap_all(task_id, department, ["end_notice", "approve"] if notice else ["approve"])
        chat, user = departments[department], officer[department]
        card = card_of(bench.telegram, chat, f"t|{task_id}|")
        update = bench.telegram.make_update_text(
            user, "800 2026-04", chat, reply_to_message_id=card
        )
        await bench.both(update, user, "say", "800 2026-04")
        decided += 1
    await bench.dispatch()
    async with database.transaction() as session:
        states = (await session.scalars(select(DepartmentTask.state))).all()
    # The benchmark only counts if the work was really done.
    assert states.count("approved") == decided, states
    return decided


def phase(latencies: list[float]) -> dict[str, float]:
    q = statistics.quantiles(latencies, n=100)
    return {
        "updates": len(latencies),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 3),
        "p99_ms": round(q[98] * 1000, 3),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description="yimen apply-and-decide benchmark")
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="yimen-bench-apply-"))
    url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    await upgrade_async(url)
    telegram = BotApiState(token=TOKEN)
    profile_departments = [
        "civil_affairs", "medical_security", "education", "housing", "human_resources",
        "emergency", "disabled_federation", "health",
    ]  # fmt: skip
    departments = {d: -1003000000100 - n for n, d in enumerate(profile_departments)}
    officer = {d: 900_100 + n for n, d in enumerate(profile_departments)}
    telegram.add_group(STAFF_CHAT, "窗口")
    telegram.add_user(WINDOW, "窗口")
    for department, chat in departments.items():
        telegram.add_group(chat, department)
        telegram.add_user(officer[department], department)
    residents = [FIRST_USER + n for n in range(args.residents)]
    for user in residents:
        telegram.add_user(user, f"居民{user}", language_code="zh-hans")
    settings = load_settings(
        _env_file=None,
        database_url=url,
        bot_token=TOKEN,
        secret_key=Fernet.generate_key().decode(),
        staff_chat_id=STAFF_CHAT,
        department_chats=departments,
    )
    request = FakeRequest(telegram)
    clock = Clock()
    application = build_application(
        settings, token=TOKEN, request=request, get_updates_request=request,
        dispatch_in_background=False, clock=clock,
    )  # fmt: skip
    await application.initialize()
    dispatcher = application.bot_data.app.dispatcher
    # Pacing is the dispatcher's concern and is measured by bench/broadcast.py; here it would
    # only make the run wait in real time.
    dispatcher.limits = replace(
        dispatcher.limits, private_per_second=1e6, private_burst=10**6, group_per_minute=1e7,
        overall_per_second=1e6,
    )  # fmt: skip
    database = application.bot_data.app.components.database
    async with database.transaction() as session:
        await staff.add(session, telegram_user_id=WINDOW, role=StaffRole.WINDOW)
        for department, user in officer.items():
            await staff.add(
                session, telegram_user_id=user, role=StaffRole.DEPARTMENT, department_id=department
            )
    ours = Runner(application, telegram, [])
    plan = [(user, "say", "") for user in residents]
    echo, dialog = await start_echo(plan)
    bench = Bench(ours, echo, dialog)
    gc.collect()
    started = time.perf_counter()
    try:
        await residents_apply(bench, residents)
        resident_updates = len(ours.latencies)
        clock.skip(minutes=2)  # busy alerts wait a minute to be gathered into digests
        await bench.dispatch()
        decided = await staff_decide(bench, departments, officer, clock)
    finally:
        await application.shutdown()
        await echo.application.shutdown()
    wall = time.perf_counter() - started
    ours_figures, echo_figures = ours.figures("yimen", wall), echo.figures("echo", wall)
    figures = {
        "residents": args.residents,
        "tasks_decided": decided,
        "python": sys.version.split()[0],
        "database": "SQLite file, WAL",
        "yimen": ours_figures,
        "echo": echo_figures,
        "ratio_mean_per_update": round(ours_figures["mean_ms"] / echo_figures["mean_ms"], 2),
        "yimen_by_side": {
            "residents": phase(ours.latencies[:resident_updates]),
            "staff": phase(ours.latencies[resident_updates:]),
        },
        "outbox_messages_sent": bench.sent,
        "outbox_seconds": round(bench.dispatch_seconds, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
