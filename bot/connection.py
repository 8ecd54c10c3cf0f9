"""Reaching Telegram before polling: one plain line when it cannot be reached, then retries.

Telegram is blocked in mainland China, so an operator there needs a proxy (YIMEN_PROXY_URL) or a
self-hosted Bot API server (YIMEN_BOT_API_URL). Without this check PTB's first ``getMe`` fails
with a long traceback that names neither.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from telegram import Bot
from telegram.error import InvalidToken, NetworkError
from telegram.request import HTTPXRequest

from bot.config import ConfigurationError, Settings

FIRST_WAIT = 2.0
LONGEST_WAIT = 60.0


def unreachable_line(settings: Settings, reason: str, wait: float) -> str:
    """What the operator reads when Telegram does not answer: where we tried and what to set."""
    host = urlsplit(settings.bot_api_url).netloc or settings.bot_api_url
    proxy = _without_password(settings.proxy_url)
    via = f" through the proxy {proxy}" if proxy else ""
    return (
        f"yimen: cannot reach Telegram at {host}{via} ({reason}). In mainland China set "
        "YIMEN_PROXY_URL (e.g. socks5://127.0.0.1:1080) or YIMEN_BOT_API_URL (a self-hosted Bot "
        f"API server); see README, Troubleshooting. Trying again in {wait:.0f} s."
    )


def bot_for(settings: Settings) -> Bot:
    """A Bot API client outside the running bot (the start-up check, the command line):
    the operator's token and Bot API server, through their proxy if one is set."""
    return Bot(
        settings.bot_token or "",
        base_url=settings.bot_api_url,
        base_file_url=settings.bot_file_url,
        request=HTTPXRequest(proxy=settings.proxy_url),
    )


async def wait_until_reachable(
    settings: Settings,
    say: Callable[[str], None],
    *,
    bot: Bot | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    attempts: int | None = None,
) -> str:
    """Ask Telegram who we are until it answers; returns the bot's username.

    Waits twice as long after each failure, up to a minute. A refused token is a configuration
    error (nothing to wait for). ``attempts`` bounds the tries (tests); None tries forever.
    """
    bot = bot or bot_for(settings)
    wait, tried = FIRST_WAIT, 0
    while True:
        tried += 1
        try:
            async with bot:
                return bot.username
        except InvalidToken:
            raise ConfigurationError(
                "YIMEN_BOT_TOKEN: Telegram refused this token; copy it again from @BotFather"
            ) from None
        except NetworkError as exc:  # TimedOut is a NetworkError too
            if attempts is not None and tried >= attempts:
                raise
            say(unreachable_line(settings, _reason(exc), wait))
        await sleep(wait)
        wait = min(wait * 2, LONGEST_WAIT)


def _reason(exc: NetworkError) -> str:
    text = str(exc.message or exc.__class__.__name__).strip()
    return text.splitlines()[0][:120] if text else exc.__class__.__name__


def _without_password(url: str | None) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


class OneLineNetworkErrors(logging.Filter):
    """PTB logs a full traceback for every failed poll while Telegram is unreachable; an
    operator needs one line saying so (PTB keeps retrying with its own backoff)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, NetworkError):
            record.msg = "Telegram cannot be reached (%s); still trying (see YIMEN_PROXY_URL)"
            record.args = (_reason(exc),)
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_network_errors() -> None:
    """Install the one-line filter on PTB's polling loggers."""
    for name in ("telegram.ext.Updater", "telegram.ext"):
        logging.getLogger(name).addFilter(OneLineNetworkErrors())
