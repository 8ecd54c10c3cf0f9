"""Reaching Telegram: a proxy setting, one line per failed try with backoff, no traceback."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from telegram import Bot
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.config import ConfigurationError, load_settings
from bot.connection import OneLineNetworkErrors, bot_for, wait_until_reachable
from sandbox.botapi import BotApiState
from sandbox.request import FakeRequest

TOKEN = "123456:TEST"


class Unreachable(BaseRequest):
    """Fails like a blocked network a given number of times, then answers as Telegram."""

    def __init__(self, failures: int, then: BaseRequest) -> None:
        self.failures = failures
        self.then = then

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self.failures > 0:
            self.failures -= 1
            if self.failures % 2:
                raise NetworkError("httpx.ConnectError: [Errno 101] Network is unreachable")
            raise TimedOut("Timed out")
        return await self.then.do_request(url, method, request_data)


async def test_unreachable_telegram_is_one_line_per_try_with_backoff(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("YIMEN_BOT_TOKEN", TOKEN)
    settings = load_settings(_env_file=None)
    world = BotApiState(token=TOKEN)
    bot = Bot(TOKEN, request=Unreachable(4, FakeRequest(world)))
    said: list[str] = []
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    username = await wait_until_reachable(settings, said.append, bot=bot, sleep=sleep)

    assert username == world.bot_username
    assert waited == [2, 4, 8, 16]
    assert len(said) == 4 and all("\n" not in line for line in said)
    assert "cannot reach Telegram at api.telegram.org" in said[0]
    assert "YIMEN_PROXY_URL" in said[0] and "YIMEN_BOT_API_URL" in said[0]
    assert "Network is unreachable" in said[0] and "Trying again in 2 s" in said[0]
    assert "(Timed out)" in said[1] and "Trying again in 4 s" in said[1]


async def test_the_line_names_the_proxy_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("YIMEN_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("YIMEN_PROXY_URL", "socks5://ops:s3cret@10.0.0.2:1080")
    settings = load_settings(_env_file=None)
    said: list[str] = []
    bot = Bot(TOKEN, request=Unreachable(9, FakeRequest(BotApiState(token=TOKEN))))

    async def sleep(seconds: float) -> None:
        return None

    with pytest.raises(NetworkError):
        await wait_until_reachable(settings, said.append, bot=bot, sleep=sleep, attempts=2)
    assert "through the proxy socks5://ops:***@10.0.0.2:1080" in said[0]
    assert all("s3cret" not in line for line in said)


async def test_a_refused_token_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YIMEN_BOT_TOKEN", "999:WRONG")
    settings = load_settings(_env_file=None)
    bot = Bot("999:WRONG", request=FakeRequest(BotApiState(token=TOKEN)))
    with pytest.raises(ConfigurationError, match="YIMEN_BOT_TOKEN"):
        await wait_until_reachable(settings, print, bot=bot)


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("socks5://127.0.0.1:1080", True),
        ("http://user:pass@proxy.example:3128", True),
        ("ftp://proxy:21", False),
        ("127.0.0.1:1080", False),
    ],
)
def test_the_proxy_setting_is_checked(
    monkeypatch: pytest.MonkeyPatch, value: str, accepted: bool
) -> None:
    monkeypatch.setenv("YIMEN_PROXY_URL", value)
    if accepted:
        assert load_settings(_env_file=None).proxy_url == value
    else:
        with pytest.raises(ConfigurationError, match="YIMEN_PROXY_URL"):
            load_settings(_env_file=None)


def test_the_bot_talks_to_telegram_through_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.app import build_application

    monkeypatch.setenv("YIMEN_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("YIMEN_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("YIMEN_PROXY_URL", "socks5://127.0.0.1:1080")
    application = build_application(load_settings(_env_file=None))
    for request in (application.bot.request, application.updater.bot.request):  # type: ignore[union-attr]
        assert request._client_kwargs["proxy"] == "socks5://127.0.0.1:1080"  # type: ignore[attr-defined]


def test_the_command_line_talks_to_telegram_through_the_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("YIMEN_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("YIMEN_PROXY_URL", "socks5://127.0.0.1:1080")
    bot = bot_for(load_settings(_env_file=None))
    assert bot.request._client_kwargs["proxy"] == "socks5://127.0.0.1:1080"  # type: ignore[attr-defined]


def test_polling_errors_while_telegram_is_away_are_one_line() -> None:
    record = logging.LogRecord(
        "telegram.ext.Updater", logging.ERROR, __file__, 1, "Exception happened", None, None
    )
    try:
        raise NetworkError("httpx.ConnectError: All connection attempts failed")
    except NetworkError:
        record.exc_info = sys.exc_info()
    assert OneLineNetworkErrors().filter(record)
    assert record.exc_info is None
    assert record.getMessage() == (
        "Telegram cannot be reached (httpx.ConnectError: All connection attempts failed); "
        "still trying (see YIMEN_PROXY_URL)"
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_yimen_run_says_telegram_cannot_be_reached_and_keeps_trying(tmp_path: Path) -> None:
    """A real `yimen run` against an address where nothing listens, as from behind a block."""
    port = _closed_port()
    env = {
        **os.environ,
        "YIMEN_BOT_TOKEN": TOKEN,
        "YIMEN_SECRET_KEY": Fernet.generate_key().decode(),
        "YIMEN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'yimen.db'}",
        "YIMEN_BOT_API_URL": f"http://127.0.0.1:{port}/bot",
        "YIMEN_BOT_FILE_URL": f"http://127.0.0.1:{port}/file/bot",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(8)  # the first try, a 2 s wait and the second try (the 4 s wait follows)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    tries = [line for line in output.splitlines() if "cannot reach Telegram" in line]
    assert len(tries) >= 2, output
    assert f"127.0.0.1:{port}" in tries[0] and "YIMEN_PROXY_URL" in tries[0]
    assert "Traceback" not in output
    assert process.returncode == 130
