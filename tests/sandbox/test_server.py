"""The sandbox's Bot API over real HTTP on 127.0.0.1: python-telegram-bot against the server."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application

from sandbox.botapi import BotApiState
from sandbox.files import TINY_PNG
from sandbox.personas import SANDBOX_TOKEN, seed_cast
from sandbox.server import create_app, start_server

LI = 42


class Server:
    """A sandbox server with no bot attached: the test plays the bot."""

    def __init__(self, world: BotApiState, url: str) -> None:
        self.world = world
        self.url = url
        self.api = f"{url}/bot{SANDBOX_TOKEN}"

    def bot(self) -> Bot:
        return Bot(SANDBOX_TOKEN, base_url=f"{self.url}/bot", base_file_url=f"{self.url}/file/bot")

    async def raw(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, f"{self.url}{path}", **kwargs) as response,
        ):
            return response.status, await response.json(content_type=None)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    world = BotApiState(token=SANDBOX_TOKEN)
    world.add_user(LI, "Li")
    world.user_sends_text(LI, "/start")  # a private chat exists once the person writes
    cast = seed_cast(world)
    runner, port = await start_server(create_app(world, cast), "127.0.0.1", 0)
    try:
        yield Server(world, f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


@pytest.fixture
async def bot(server: Server) -> AsyncIterator[Bot]:
    bot = server.bot()
    await bot.initialize()
    yield bot
    await bot.shutdown()


async def test_ptb_talks_to_the_server_over_http(bot: Bot, server: Server) -> None:
    assert bot.id == 1000000001
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["/start"]
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("是", callback_data="yes")]])
    sent = await bot.send_message(
        LI, "<b>您好</b>，要申请吗？", parse_mode=ParseMode.HTML, reply_markup=keyboard
    )
    assert sent.text == "您好，要申请吗？" and sent.reply_markup == keyboard
    edited = await bot.edit_message_text("第二步", chat_id=LI, message_id=sent.message_id)
    assert edited.text == "第二步"  # type: ignore[union-attr]
    assert await bot.send_chat_action(LI, "typing")
    assert await bot.delete_message(LI, sent.message_id)
    assert server.world.last_bot_message(LI) is None


async def test_uploads_are_multipart_and_files_download(bot: Bot, server: Server) -> None:
    photo = await bot.send_photo(LI, photo=TINY_PNG, caption="<i>照片</i>", parse_mode="HTML")
    assert photo.caption == "照片"
    file = await bot.get_file(photo.photo[-1].file_id)
    assert file.file_path is not None and file.file_path.startswith(server.url)
    assert bytes(await file.download_as_bytearray()) == TINY_PNG
    content = "低保申请材料清单".encode()
    document = await bot.send_document(LI, document=io.BytesIO(content), filename="清单.txt")
    assert document.document is not None and document.document.file_name == "清单.txt"
    downloaded = await (await document.document.get_file()).download_as_bytearray()
    assert bytes(downloaded) == content
    # A file a person sent, through the same download URL.
    server.world.user_sends_document(LI, b"%PDF-1.4 synthetic", "户口本.pdf")
    update = (await bot.get_updates())[-1]
    assert update.message is not None and update.message.document is not None
    sent_file = await update.message.document.get_file()
    assert bytes(await sent_file.download_as_bytearray()) == b"%PDF-1.4 synthetic"


async def test_telegram_validation_errors_over_http(bot: Bot, server: Server) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(LI, "<b>没有结束", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(LI, "长" * 4097)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(LI, "按钮", reply_markup=too_long)
    sent = await bot.send_message(LI, "一样")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("一样", chat_id=LI, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(123456, "谁？")
    server.world.user_blocks_bot(LI)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(LI, "还在吗？")


async def test_unknown_method_is_telegrams_404_and_logged(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        status, body = await server.raw("POST", f"/bot{SANDBOX_TOKEN}/sendPoll", json={})
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert "sendPoll" in caplog.text
    status, body = await server.raw("GET", f"/bot{SANDBOX_TOKEN}")
    assert status == 404 and body["description"] == "Not Found"


@pytest.mark.parametrize(
    ("request_kwargs", "description"),
    [
        ({"data": b"{not json", "headers": {"Content-Type": "application/json"}}, "JSON"),
        ({"data": b"[1, 2]", "headers": {"Content-Type": "application/json"}}, "JSON"),
        ({"json": {"text": "没有 chat_id"}}, "chat_id is empty"),
        ({"data": {"chat_id": "abc", "text": "x"}}, "chat not found"),
        (
            {
                "data": b"--b\r\nContent-Disposition: form-data\r\n\r\nbroken",
                "headers": {"Content-Type": "multipart/form-data; boundary=b"},
            },
            "parse",
        ),
        ({"json": {"chat_id": LI, "text": "x", "reply_markup": "{oops"}}, "reply keyboard"),
    ],
    ids=["bad-json", "json-array", "missing-param", "bad-chat-id", "broken-multipart", "markup"],
)
async def test_malformed_requests_get_400_and_the_server_lives_on(
    server: Server, request_kwargs: dict[str, Any], description: str
) -> None:
    status, body = await server.raw("POST", f"/bot{SANDBOX_TOKEN}/sendMessage", **request_kwargs)
    assert status == 400 and body["ok"] is False and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: ")
    assert description.lower() in body["description"].lower()
    status, body = await server.raw("GET", f"/bot{SANDBOX_TOKEN}/getMe")
    assert status == 200 and body["result"]["id"] == 1000000001


async def test_query_string_and_wrong_token(server: Server) -> None:
    status, body = await server.raw("GET", f"/bot{SANDBOX_TOKEN}/sendMessage?chat_id={LI}&text=hi")
    assert status == 200 and body["result"]["text"] == "hi"
    status, body = await server.raw("GET", "/bot1:WRONG/getMe")
    assert (status, body["description"]) == (401, "Unauthorized")
    status, body = await server.raw("GET", "/file/bot1:WRONG/photos/file_0.jpg")
    assert status == 401
    status, body = await server.raw("GET", f"/file/bot{SANDBOX_TOKEN}/photos/none.jpg")
    assert (status, body["description"]) == (404, "Not Found")


async def test_long_poll_waits_then_wakes_at_once(bot: Bot, server: Server) -> None:
    started = time.monotonic()
    assert await bot.get_updates(offset=2, timeout=dtm.timedelta(milliseconds=400)) == ()
    assert 0.35 <= time.monotonic() - started < 2
    poll = asyncio.create_task(bot.get_updates(offset=2, timeout=30))
    await asyncio.sleep(0.1)
    assert not poll.done()
    started = time.monotonic()
    server.world.user_sends_text(LI, "我要申请")
    updates = await asyncio.wait_for(poll, timeout=3)
    assert time.monotonic() - started < 1
    assert [u.message.text for u in updates if u.message] == ["我要申请"]


async def test_idle_polling_does_not_busy_loop(server: Server) -> None:
    """A polling Application on an idle server makes one getUpdates per timeout, not hundreds."""
    application = Application.builder().bot(server.bot()).build()
    await application.initialize()
    assert application.updater is not None
    await application.updater.start_polling(timeout=0.3)
    await application.start()
    await asyncio.sleep(1.0)
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    calls = len(server.world.calls_to("getUpdates"))
    assert 1 <= calls <= 6, f"{calls} getUpdates calls in 1 s of idle"


async def test_server_stops_promptly_during_a_long_poll() -> None:
    world = BotApiState(token=SANDBOX_TOKEN)
    cast = seed_cast(world)
    runner, port = await start_server(create_app(world, cast), "127.0.0.1", 0)
    bot = Bot(SANDBOX_TOKEN, base_url=f"http://127.0.0.1:{port}/bot")
    await bot.initialize()
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await runner.cleanup()
    assert time.monotonic() - started < 2
    assert await asyncio.wait_for(poll, timeout=3) == ()
    await bot.shutdown()


def test_sandbox_token_is_a_valid_bot_token_shape() -> None:
    bot_id, _, secret = SANDBOX_TOKEN.partition(":")
    assert bot_id.isdigit() and secret
    assert json.dumps(SANDBOX_TOKEN)
