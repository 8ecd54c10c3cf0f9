"""``yimen sandbox``: the Bot API server, the real bot polling it over HTTP, and the web page.

All three run on one asyncio loop in one process. The bot is the production ``Application``
(``bot.app.build_application``) with only its Bot API URLs pointed at this machine, so what a
visitor tries here is what residents will meet on Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from telegram.ext import Application

from bot.app import build_application
from bot.config import Settings, load_settings
from bot.policy import default_profile_path, load_profile
from sandbox.botapi import BotApiState
from sandbox.feed import ChatFeed
from sandbox.personas import (
    SANDBOX_BOT_NAME,
    SANDBOX_BOT_USERNAME,
    SANDBOX_TOKEN,
    Cast,
    Role,
    seed_cast,
    seed_departments,
)
from sandbox.server import create_app, start_server
from sandbox.state import STATE
from storage import staff
from storage.crypto import Keyring
from storage.db import Database
from storage.migrate import upgrade_async
from storage.models import StaffRole

log = logging.getLogger(__name__)

DEFAULT_DATABASE = Path("var/sandbox.db")
DEFAULT_PORT = 8080
ALLOWED_UPDATES = ["message", "callback_query"]
BOT_START_SECONDS = 10.0


@dataclass(frozen=True)
class SandboxOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT  # 0: any free port (tests)
    database: Path = DEFAULT_DATABASE
    demo: bool = False
    reset: bool = False
    migrate: bool = True
    # Seconds the bot's getUpdates waits on the server; short in tests so stopping is quick.
    poll_timeout: float = 10.0
    # Passed on to load_settings (tests give _env_file=None; the sandbox's own values win).
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.database}"


def remove_database(path: Path) -> None:
    """``--reset``: delete the SQLite file and its WAL companions."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _loopback(host: str) -> str:
    """Where the bot connects: the server's own address, or loopback when it listens on all."""
    if host in {"", "0.0.0.0", "::"}:
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


class Sandbox:
    """One running sandbox: ``await start()``, use ``url``/``world``, ``await stop()``."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.world = BotApiState(
            token=SANDBOX_TOKEN, bot_username=SANDBOX_BOT_USERNAME, bot_first_name=SANDBOX_BOT_NAME
        )
        self.feed = ChatFeed(self.world)
        self.cast: Cast | None = None
        self.settings: Settings | None = None
        self.application: Application | None = None  # type: ignore[type-arg]
        self.port = options.port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{_loopback(self.options.host)}:{self.port}"

    @property
    def bot_online(self) -> bool:
        return self._runner is not None and self._runner.app[STATE].polls.online

    async def start(self) -> None:
        options = self.options
        if options.reset:
            remove_database(options.database)
        if options.migrate:
            keyring = Keyring.parse(sandbox_secret_key(options.database))
            await upgrade_async(options.database_url, keyring=keyring)
        self.cast = seed_cast(self.world)
        # Department groups first: the bot's settings name them.
        profile_path = options.settings.get("profile") or default_profile_path()
        seed_departments(self.world, self.cast, load_profile(Path(str(profile_path))))
        app = create_app(self.world, self.cast, self.feed)
        self._runner, self.port = await start_server(app, options.host, options.port)
        try:
            self.settings = load_settings(
                **{
                    **options.settings,
                    **self.cast.settings_overrides(),
                    "bot_token": SANDBOX_TOKEN,
                    "secret_key": sandbox_secret_key(options.database),
                    "database_url": options.database_url,
                    "bot_api_url": f"{self.url}/bot",
                    "bot_file_url": f"{self.url}/file/bot",
                }
            )
            await self._start_bot(self.settings)
        except BaseException:
            await self.stop()
            raise
        # Ready means the bot is listening: a visitor's first message is answered at once.
        if not await app[STATE].polls.wait_online(BOT_START_SECONDS):
            log.warning("the bot has not polled the sandbox within %s s", BOT_START_SECONDS)

    async def _start_bot(self, settings: Settings) -> None:
        application = build_application(settings)
        self.application = application
        assert self.cast is not None
        database = application.bot_data.app.database
        await database.unlock()  # a key that cannot read this database stops here
        await seed_staff(database, self.cast, self.world)
        self.feed.publish({"type": "personas"})
        # PTB's non-blocking start-up, step by step as run_polling does it, on our own loop
        # (the hooks too: post_init sets the command menu, post_shutdown closes the database).
        await application.initialize()
        if application.post_init is not None:
            await application.post_init(application)
        assert application.updater is not None
        await application.updater.start_polling(
            timeout=timedelta(seconds=self.options.poll_timeout), allowed_updates=ALLOWED_UPDATES
        )
        await application.start()

    async def stop(self) -> None:
        """Stop the bot first (its last poll ends), then the server; safe to call twice."""
        application, self.application = self.application, None
        if application is not None:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
                if application.post_stop is not None:
                    await application.post_stop(application)
            await application.shutdown()
            if application.post_shutdown is not None:
                await application.post_shutdown(application)
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


async def serve(options: SandboxOptions, announce: Callable[[str], None] = print) -> None:
    """Run a sandbox until Ctrl-C (SIGINT) or SIGTERM, then stop everything cleanly."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(signum, stopping.set)
    sandbox = Sandbox(options)
    demo: asyncio.Task[None] | None = None
    try:
        await sandbox.start()
        announce(f"yimen sandbox: open {sandbox.url}")
        announce(f"  (data in {options.database}; Ctrl-C stops the bot, the server and the page)")
        if options.demo:
            from sandbox.demo import run_demo

            assert sandbox.cast is not None
            demo = asyncio.create_task(
                run_demo(sandbox.world, sandbox.feed, sandbox.cast.staff_roster())
            )
        await stopping.wait()
        announce("yimen sandbox: stopping…")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signum)  # a second Ctrl-C interrupts at once
        if demo is not None:
            demo.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await demo
        await sandbox.stop()


def main(options: SandboxOptions, announce: Callable[[str], None] = print) -> None:
    # Step-by-step state machine and migration logs would bury the address a visitor needs.
    for noisy in ("transitions", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    asyncio.run(serve(options, announce))


def sandbox_secret_key(database: Path) -> str:
    """The sandbox's own encryption key, kept beside its database so that it stays readable."""
    from cryptography.fernet import Fernet

    path = database.with_suffix(".key")
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    path.write_text(key)
    path.chmod(0o600)
    return key


async def seed_staff(database: Database, cast: Cast, world: BotApiState) -> None:
    """The window and department personas hold their roles, so their buttons work."""
    async with database.transaction() as session:
        for persona in cast.personas.values():
            name = world.people[persona.user_id].first_name
            if persona.role is Role.STAFF:
                await staff.add(
                    session, telegram_user_id=persona.user_id, role=StaffRole.WINDOW,
                    display_name=name, added_by=None,
                )  # fmt: skip
            elif persona.role is Role.DEPARTMENT:
                department = next(
                    d for d, chat in cast.department_chats.items() if chat == persona.chat_id
                )
                await staff.add(
                    session, telegram_user_id=persona.user_id, role=StaffRole.DEPARTMENT,
                    department_id=department, display_name=name,
                )  # fmt: skip
