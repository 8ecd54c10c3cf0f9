"""Drive the real Application through the fake Bot API, the way a person uses the bot."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.config import Settings, load_settings
from bot.render import RenderedScreen, Renderer
from sandbox.botapi import BotApiState
from sandbox.models import StoredMessage
from sandbox.request import FakeRequest
from storage.crypto import Keyring
from storage.db import Database
from storage.migrate import upgrade

TOKEN = "123:TEST"
# Synthetic: a fixed key so that test databases can be read back; never used elsewhere.
TEST_SECRET_KEY = "0mW4X3y8cYQ0q1e5Y5m9aY0H3o9vQ2x1tJ2g7m0Q5lE="
STAFF_CHAT = -1002000000001


def synthetic_keyring() -> Keyring:
    """The test key, for a database opened outside the bot (one keyring per database)."""
    return Keyring.parse(TEST_SECRET_KEY)


DEPARTMENT_CHATS = {
    "civil_affairs": -1002000000101,
    "medical_security": -1002000000102,
    "education": -1002000000103,
    "housing": -1002000000104,
    "human_resources": -1002000000105,
    "emergency": -1002000000106,
    "disabled_federation": -1002000000107,
    "health": -1002000000108,
}


# A sentence ending where the next begins with no space ("them.One form", "first.(This"),
# and a doubled blank line: what templates do when a block tag eats a newline.
_GLUED = re.compile(r"[a-z]{2,}[.!?;][A-Z(“\"]")
_DOUBLE_BLANK = re.compile(r"\n[ \t]*\n[ \t]*\n")
_TAG = re.compile(r"<[^>]+>")


def whitespace_problems(text: str, locale: str) -> list[str]:
    """What is wrong with the spacing of a rendered text (an empty list when nothing is)."""
    plain = _TAG.sub("", text)
    problems = []
    if locale == "en":
        problems += [
            f"glued: …{plain[max(0, m.start() - 15) : m.end() + 15]}…"
            for m in _GLUED.finditer(plain)
        ]
    match = _DOUBLE_BLANK.search(plain)
    if match is not None:
        problems.append(f"blank lines: …{plain[max(0, match.start() - 30) : match.end()]!r}")
    return problems


def _strings(value: Any) -> set[str]:
    """Every text with a line break inside a screen's context (typed by someone)."""
    if isinstance(value, str):
        return {value} if "\n" in value else set()
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


@pytest.fixture(autouse=True)
def check_whitespace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every screen rendered anywhere in the suite is checked for glued sentences and
    doubled blank lines, with the real data of the test that rendered it."""
    render = Renderer.render

    def checked(self: Renderer, screen: Any, locale: str) -> RenderedScreen:
        rendered = render(self, screen, locale)
        # What people typed (a relayed text, a note) is theirs: only the template is checked.
        text = rendered.text
        for typed in sorted(_strings(screen.context), key=len, reverse=True):
            text = text.replace(html.escape(typed), "\u2060").replace(typed, "\u2060")
        problems = whitespace_problems(text, locale)
        assert not problems, f"{locale}/{screen.template}: {problems}"
        return rendered

    monkeypatch.setattr(Renderer, "render", checked)


@pytest.fixture(autouse=True)
def _no_operator_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's YIMEN_* variables."""
    import os

    for name in list(os.environ):
        if name.startswith("YIMEN_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database migrated from empty with Alembic; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


class Clock:
    """A controllable clock: ``advance`` moves time for the bot."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


class Person:
    """A synthetic resident talking to the bot in a private chat."""

    def __init__(self, bot: BotHarness, user_id: int, language_code: str) -> None:
        self.bot = bot
        self.user_id = user_id
        bot.telegram.add_user(user_id, f"居民{user_id}", language_code=language_code)

    async def send(self, text: str) -> StoredMessage:
        await self.bot.feed(self.bot.telegram.make_update_text(self.user_id, text))
        return self.last

    async def tap(self, button_text: str) -> StoredMessage:
        await self.bot.feed(
            self.bot.telegram.make_update_press(self.user_id, self.user_id, button_text)
        )
        return self.last

    async def tap_data(self, message_id: int, data: str) -> dict[str, Any]:
        update = self.bot.telegram.make_update_tap(self.user_id, self.user_id, message_id, data)
        await self.bot.feed(update)
        return update

    @property
    def messages(self) -> list[StoredMessage]:
        return [m for m in self.bot.telegram.chat_messages(self.user_id) if m.from_bot]

    @property
    def last(self) -> StoredMessage:
        message = self.bot.telegram.last_bot_message(self.user_id)
        assert message is not None, "the bot said nothing"
        return message

    @property
    def screen(self) -> str:
        return self.last.text or ""

    @property
    def buttons(self) -> list[str]:
        return self.last.button_texts


class BotHarness:
    def __init__(self, settings: Settings, telegram: BotApiState, clock: Clock) -> None:
        self.settings = settings
        self.telegram = telegram
        self.clock = clock
        self.application: Application | None = None  # type: ignore[type-arg]
        # Forged presses get update ids of their own, far above the fake Telegram's.

    async def start(self) -> None:
        request = FakeRequest(self.telegram)
        self.application = build_application(
            self.settings,
            token=TOKEN,
            request=request,
            get_updates_request=request,
            clock=self.clock,
            dispatch_in_background=False,
        )
        await self.application.initialize()

    async def stop(self) -> None:
        if self.application is not None:
            await self.application.shutdown()
            self.application = None

    async def restart(self) -> None:
        """A new process: new Application, same database and the same Telegram."""
        await self.stop()
        await self.start()

    async def feed(self, update: dict[str, Any]) -> None:
        assert self.application is not None
        await self.application.process_update(Update.de_json(update, self.application.bot))

    async def dispatch(self) -> int:
        """Send what the outbox holds now, as the background dispatcher would."""
        assert self.application is not None
        dispatcher = self.application.bot_data.app.dispatcher
        sent = 0
        while handled := await dispatcher.run_once():
            sent += handled
        return sent

    def person(self, user_id: int, language_code: str = "zh-hans") -> Person:
        return Person(self, user_id, language_code)

    @property
    def components(self) -> Any:
        """The running bot's parts (database, casework, dialogue, profile)."""
        assert self.application is not None
        return self.application.bot_data.app.components

    @property
    def database(self) -> Database:
        database: Database = self.components.database
        return database

    async def forge(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        """A client sending callback data that no button of ours carries (the fake Telegram
        refuses to tap what is not there); returns the query's id."""
        update = self.telegram.make_update_forged_tap(user_id, chat_id, message_id, data)
        await self.feed(update)
        return str(update["callback_query"]["id"])


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
def database_url(tmp_path: Path, migrated_database: Path) -> str:
    path = tmp_path / "yimen.db"
    shutil.copy(migrated_database, path)
    return f"sqlite+aiosqlite:///{path}"


async def started_bot(clock: Clock, **settings: Any) -> BotHarness:
    """A bot with these settings (as ``load_settings`` names them) on a fake Telegram of its
    own, started; the caller stops it."""
    loaded = load_settings(_env_file=None, bot_token=TOKEN, **settings)
    telegram = BotApiState(token=TOKEN, now=lambda: clock().timestamp())
    harness = BotHarness(loaded, telegram, clock)
    await harness.start()
    return harness


@pytest.fixture
async def bot(database_url: str, clock: Clock) -> AsyncIterator[BotHarness]:
    harness = await started_bot(
        clock,
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
        staff_chat_id=STAFF_CHAT,
        admin_ids="9001",
        department_chats=",".join(f"{d}={c}" for d, c in DEPARTMENT_CHATS.items()),
    )
    yield harness
    await harness.stop()


@pytest.fixture
def casework_wired(bot: BotHarness) -> None:
    """The dialogue submits through the real casework module of the running bot."""
    dialogue = bot.components.dialogue
    if getattr(dialogue, "casework", None) is None:
        dialogue.casework = bot.components.casework
