"""The whole sandbox: the real bot polling the server over HTTP, driven through the page's API."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import sandbox.state
from bot.cli import app as cli
from sandbox.demo import run_demo
from sandbox.files import TINY_PNG
from sandbox.personas import ADMIN_ID, STAFF_CHAT_ID, STAFF_MEMBER_ID
from sandbox.run import Sandbox, SandboxOptions, serve
from storage.models import Application, DepartmentTask, Screening
from tests.factories import LI_SHIFU_SCREENING

LI_SHIFU = "resident-7002"


def options(database: Path, **overrides: Any) -> SandboxOptions:
    values: dict[str, Any] = {
        "port": 0,
        "database": database,
        "migrate": False,
        "poll_timeout": 1.0,
        "settings": {"_env_file": None},
        **overrides,
    }
    return SandboxOptions(**values)


@pytest.fixture
def database(tmp_path: Path, migrated_database: Path) -> Path:
    path = tmp_path / "sandbox.db"
    shutil.copy(migrated_database, path)
    return path


@pytest.fixture
async def running(database: Path) -> AsyncIterator[Sandbox]:
    async with Sandbox(options(database)) as running:
        yield running


class Page:
    """What the web page does, over HTTP: read chats, write, tap, and listen to the events."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self._events: aiohttp.ClientResponse | None = None

    async def listen(self) -> dict[str, Any]:
        self._events = await self.session.get(f"{self.url}/api/events")
        hello = await self.event()
        assert hello["type"] == "hello"
        return hello

    async def event(self, timeout: float = 10.0) -> dict[str, Any]:  # noqa: ASYNC109
        assert self._events is not None
        while True:
            line = await asyncio.wait_for(self._events.content.readline(), timeout)
            if not line:
                raise ConnectionError("the event stream ended")
            if line.startswith(b"data: "):
                event: dict[str, Any] = json.loads(line[6:])
                return event

    async def until(self, wanted: str, chat_id: int, timeout: float = 10.0) -> dict[str, Any]:  # noqa: ASYNC109
        while True:
            event = await self.event(timeout)
            if event["type"] == wanted and _chat_of(event) == chat_id:
                return event

    async def get(self, path: str) -> Any:
        async with self.session.get(f"{self.url}{path}") as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def post(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with self.session.post(f"{self.url}{path}", **kwargs) as response:
            return response.status, await response.json()

    async def messages(self, key: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.get(f"/api/personas/{key}/messages")
        return result

    async def bot_answers(self, chat_id: int) -> None:
        """Wait for the bot's change in the chat, then for a moment of quiet."""
        while True:
            event = await self.until("message", chat_id)
            if event["message"]["from_bot"]:
                break
        while True:
            try:
                await self.event(timeout=0.05)
            except TimeoutError:
                return

    async def say(self, key: str, chat_id: int, text: str) -> None:
        status, _ = await self.post(f"/api/personas/{key}/messages", json={"text": text})
        assert status == 200
        await self.bot_answers(chat_id)

    async def tap(self, key: str, chat_id: int, label: str) -> None:
        for message in reversed(await self.messages(key)):
            for row in message["buttons"]:
                for button in row:
                    if button["text"] == label:
                        body = {"message_id": message["message_id"], "data": button["data"]}
                        status, _ = await self.post(f"/api/personas/{key}/taps", json=body)
                        assert status == 200
                        await self.bot_answers(chat_id)
                        return
        raise AssertionError(f"no button {label!r} in {key}'s chat")

    async def close(self) -> None:
        if self._events is not None:
            self._events.close()


def _chat_of(event: dict[str, Any]) -> int | None:
    if "message" in event:
        return int(event["message"]["chat_id"])
    chat_id = event.get("chat_id")
    return None if chat_id is None else int(chat_id)


@pytest.fixture
async def page(running: Sandbox) -> AsyncIterator[Page]:
    async with aiohttp.ClientSession() as session:
        page = Page(session, running.url)
        await page.listen()
        yield page
        await page.close()


async def test_a_resident_completes_a_screening_through_the_page_api(
    running: Sandbox, page: Page
) -> None:
    chat_id = 7002
    for kind, value in LI_SHIFU_SCREENING:
        if kind == "say":
            await page.say(LI_SHIFU, chat_id, value)
        else:
            await page.tap(LI_SHIFU, chat_id, value)
    result = (await page.messages(LI_SHIFU))[-1]
    assert result["from_bot"] and "📋" in result["text"] and "审核决定" in result["text"]
    assert any(e["type"] == "bold" for e in result["entities"])  # HTML arrives as entities
    assert running.application is not None
    database = running.application.bot_data.app.components.database
    async with database.transaction() as session:
        screening = await session.scalar(select(Screening).order_by(Screening.id.desc()))
    assert screening is not None
    verdicts = {pid: record["verdict"] for pid, record in screening.verdicts.items()}
    assert verdicts["dibao"] == "likely" and verdicts["disability"] == "likely"
    # All of it went over HTTP: the bot polled and edited through the server.
    methods = {call.method for call in running.world.calls}
    assert {"getMe", "setMyCommands", "getUpdates", "editMessageText"} <= methods


async def test_the_bot_is_configured_and_the_page_lists_every_persona(
    running: Sandbox, page: Page
) -> None:
    settings = running.settings
    assert settings is not None
    assert settings.bot_api_url == f"{running.url}/bot"
    assert settings.bot_file_url == f"{running.url}/file/bot"
    assert settings.staff_chat_id == STAFF_CHAT_ID
    assert settings.admin_ids == (ADMIN_ID,)
    state = await page.get("/api/state")
    assert state["bot"] == {
        "name": "一门 yimen",
        "username": "yimen_sandbox_bot",
        "online": True,
    }
    roles = [persona["role"] for persona in state["personas"]]
    assert roles.count("resident") == 3 and roles.count("staff") == 1
    assert roles.count("department") == 16 and roles.count("admin") == 1
    names = {persona["name"]["zh-CN"] for persona in state["personas"]}
    assert {"张阿姨", "李师傅", "Wang Fang", "区民政局", "管理员 周主任"} <= names
    async with page.session.get(page.url + "/") as index:
        assert "text/html" in index.headers["Content-Type"]
        assert "/static/app.js" in await index.text()


async def test_adding_a_resident_typing_in_the_staff_group_and_bad_input(
    running: Sandbox, page: Page
) -> None:
    status, persona = await page.post(
        "/api/residents", json={"name": "  赵  大姐 ", "language": "en"}
    )
    assert status == 201 and persona["name"]["zh-CN"] == "赵 大姐"
    assert persona["language"] == "en" and persona["user_id"] == 7100
    assert (await page.event())["type"] == "personas"
    status, body = await page.post("/api/residents", json={"name": " "})
    assert status == 400 and "name" in body["error"]
    status, _ = await page.post("/api/personas/staff/messages", json={"text": "今天谁值班？"})
    assert status == 200
    event = await page.until("message", STAFF_CHAT_ID)
    assert event["message"]["sender_id"] == STAFF_MEMBER_ID
    assert event["message"]["text"] == "今天谁值班？"
    # Bad input gets a readable error, never a crash.
    status, body = await page.post("/api/personas/nobody/messages", json={"text": "hi"})
    assert (status, body) == (404, {"error": "no such persona"})
    status, body = await page.post("/api/personas/admin/messages", json={"text": "  "})
    assert status == 400 and body["error"] == "the message is empty"
    status, body = await page.post("/api/personas/admin/messages", data=b"{oops")
    assert status == 400
    status, body = await page.post("/api/personas/admin/taps", json={"message_id": 99, "data": "x"})
    assert status == 409 and "no longer" in body["error"]
    status, body = await page.post("/api/personas/admin/taps", json={"message_id": "1"})
    assert status == 400


async def test_the_page_replies_to_a_message_as_telegram_does(running: Sandbox, page: Page) -> None:
    status, _ = await page.post("/api/personas/staff/messages", json={"text": "谁在值班？"})
    assert status == 200
    asked = (await page.until("message", STAFF_CHAT_ID))["message"]
    body = {"text": "我在", "reply_to_message_id": asked["message_id"]}
    status, _ = await page.post("/api/personas/staff/messages", json=body)
    assert status == 200
    answer = (await page.until("message", STAFF_CHAT_ID))["message"]
    assert answer["reply_to"] == {
        "message_id": asked["message_id"],
        "sender": asked["sender"],
        "text": "谁在值班？",
    }
    # The bot receives Telegram's reply_to_message, which is how staff answer a resident.
    world = running.world
    stored = world.message(STAFF_CHAT_ID, answer["message_id"])
    assert stored is not None and stored.reply_to_message_id == asked["message_id"]
    assert world.message_dict(stored)["reply_to_message"]["text"] == "谁在值班？"
    # A reply to a message that is not there, or a reply id that is not a number, is refused.
    body = {"text": "?", "reply_to_message_id": 99_999}
    status, refused = await page.post("/api/personas/staff/messages", json=body)
    assert status == 409 and "no longer" in refused["error"]
    body = {"text": "?", "reply_to_message_id": "1"}
    status, refused = await page.post("/api/personas/staff/messages", json=body)
    assert status == 400


async def test_a_resident_uploads_a_photo_and_the_page_can_show_it(
    running: Sandbox, page: Page
) -> None:
    form = aiohttp.FormData()
    form.add_field("file", TINY_PNG, filename="户口本.png", content_type="image/png")
    form.add_field("caption", "户口本")
    status, _ = await page.post("/api/personas/resident-7001/uploads", data=form)
    assert status == 200
    sent = (await page.until("message", 7001))["message"]
    assert sent["caption"] == "户口本" and sent["photo"].startswith("/api/files/photos/")
    async with page.session.get(page.url + sent["photo"]) as response:
        assert response.status == 200 and await response.read() == TINY_PNG
    await page.bot_answers(7001)  # the bot answers a photo it did not ask for, too
    form = aiohttp.FormData()
    form.add_field(
        "file", b"<script>alert(1)</script>", filename="x.html", content_type="text/html"
    )
    status, _ = await page.post("/api/personas/resident-7001/uploads", data=form)
    document = (await page.until("message", 7001))["message"]["document"]
    async with page.session.get(page.url + document["url"]) as response:
        assert response.headers["Content-Disposition"] == "attachment"  # never run as a page


async def test_the_page_hears_when_the_bot_stops(
    running: Sandbox, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox.state, "BOT_SILENCE_SECONDS", 0.2)
    assert running.application is not None and running.application.updater is not None
    await running.application.updater.stop()
    while await page.event(timeout=5) != {"type": "bot", "online": False}:
        pass
    assert not running.bot_online


async def test_demo_residents_really_talk_to_the_bot(running: Sandbox) -> None:
    assert running.cast is not None
    await run_demo(running.world, running.feed, running.cast.staff_roster(), settle=0.05)
    li = running.world.last_bot_message(7002)
    assert li is not None and "收入" in (li.text or "")  # stopped at the income question
    assert running.application is not None
    database = running.application.bot_data.app.components.database
    async with database.transaction() as session:
        screenings = (await session.scalars(select(Screening))).all()
        applications = (await session.scalars(select(Application))).all()
        tasks = (await session.scalars(select(DepartmentTask))).all()
    assert len(screenings) == 2
    # 张阿姨's application is accepted and her 低保 is taken on; Wang Fang's waits at the window.
    assert sorted(a.status for a in applications) == ["accepted", "submitted"]
    assert any(t.programme_id == "dibao" and t.state == "accepted" for t in tasks)
    assert any("JJ-20" in (m.text or "") for m in running.world.chat_messages(7001))


async def test_ctrl_c_stops_bot_server_and_page(database: Path) -> None:
    announced: list[str] = []
    ready = asyncio.Event()

    def announce(line: str) -> None:
        announced.append(line)
        ready.set()

    task = asyncio.create_task(serve(options(database), announce))
    await asyncio.wait_for(ready.wait(), 15)
    url = announced[0].removeprefix("yimen sandbox: open ")
    assert url.startswith("http://127.0.0.1:")
    os.kill(os.getpid(), signal.SIGINT)
    await asyncio.wait_for(task, 10)
    assert announced[-1] == "yimen sandbox: stopping…"
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as session:
            await session.get(url)


def test_yimen_run_without_a_token_starts_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.cli

    monkeypatch.chdir(tmp_path)
    started: list[object] = []
    monkeypatch.setattr(bot.cli, "_run_sandbox", started.append)
    result = CliRunner().invoke(cli, ["run"])
    assert result.exit_code == 0, result.output
    assert "@BotFather" in result.output and "starting the local sandbox" in result.output
    assert len(started) == 1


def test_yimen_sandbox_explains_a_busy_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_database: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "var").mkdir()
    shutil.copy(migrated_database, tmp_path / "var" / "sandbox.db")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["sandbox", "--port", str(port)])
    assert result.exit_code == 1, result.output
    assert "--port" in result.output
