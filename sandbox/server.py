"""The sandbox's HTTP server: the Bot API face of ``BotApiState``, plus the web page's endpoints.

The real bot reaches ``/bot<token>/<method>`` and ``/file/bot<token>/<path>`` exactly as it
reaches api.telegram.org (``YIMEN_BOT_API_URL`` / ``YIMEN_BOT_FILE_URL``). Every answer comes
from ``BotApiState.call``, the same code the in-process ``FakeRequest`` uses, so the two faces
cannot drift; this module only turns HTTP into ``(method, params, files)`` and back, waits on
long polls, and tells the page what changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from sandbox.botapi import BotApiState
from sandbox.feed import ChatFeed
from sandbox.files import MAX_UPLOAD_BYTES
from sandbox.page import add_page_routes
from sandbox.params import ApiError, Params, bad_request, normalize
from sandbox.personas import Cast
from sandbox.state import STATE, SandboxState
from sandbox.waiting import wait_for_updates

log = logging.getLogger(__name__)

Uploads = dict[str, tuple[str, bytes, str]]
NOT_FOUND = ApiError(404, "Not Found")
UNAUTHORIZED = ApiError(401, "Unauthorized")
# Telegram holds a long poll for at most 50 s, whatever timeout the bot asks for.
MAX_POLL_SECONDS = 50.0


class ListenError(OSError):
    """The server could not listen on the address asked for (a port in use, mostly)."""


class MalformedRequestError(Exception):
    """The HTTP request itself could not be read (bad JSON, broken multipart)."""


def telegram_response(response: Mapping[str, Any]) -> web.Response:
    """Telegram's JSON; the HTTP status is the error code, as the real Bot API sends it."""
    status = 200 if response.get("ok") else int(response.get("error_code", 400))
    return web.json_response(
        response, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False)
    )


async def read_bot_request(request: web.Request) -> tuple[dict[str, object], Uploads]:
    """Parameters from the query string and a JSON, form or multipart body; uploads as bytes."""
    params: dict[str, object] = dict(request.query)
    uploads: Uploads = {}
    if not request.body_exists:
        return params, uploads
    if request.content_type == "application/json":
        raw = await request.read()
        if not raw.strip():
            return params, uploads
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise MalformedRequestError("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise MalformedRequestError("JSON object expected")
        params.update(body)
        return params, uploads
    try:
        form = await request.post()
    except (ValueError, UnicodeDecodeError, AssertionError) as error:
        # aiohttp's multipart reader raises ValueError or AssertionError on broken bodies.
        raise MalformedRequestError(f"can't parse request body: {error}") from None
    for name, value in form.items():
        if isinstance(value, web.FileField):
            uploads[name] = (value.filename, value.file.read(), value.content_type)
        else:
            params[name] = value
    return params, uploads


def _integer(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


async def _long_poll(state: SandboxState, seconds: float, offset: int) -> bool:
    """Wait for updates past ``offset``, ``seconds``, or the server closing; True if updates."""
    waiter = asyncio.ensure_future(wait_for_updates(state.world, seconds, offset))
    closer = asyncio.ensure_future(state.closing.wait())
    try:
        done, _ = await asyncio.wait({waiter, closer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        closer.cancel()
    return waiter in done and not waiter.cancelled() and waiter.result()


async def _get_updates(
    state: SandboxState, method: str, params: dict[str, object], uploads: Uploads
) -> dict[str, Any]:
    response = state.world.call(method, params, uploads)
    if not response.get("ok") or response["result"]:
        return response
    try:
        values = Params(normalize(params))
        timeout = min(values.number("timeout") or 0.0, MAX_POLL_SECONDS)
        offset = values.integer("offset") or 0
    except ApiError:
        return response  # Telegram ignores a timeout it cannot read: answer at once
    if timeout <= 0 or not await _long_poll(state, timeout, offset):
        return response
    # The same request, looked at again once updates arrived: not a second call.
    return state.world.call(method, params, uploads, record=False)


def _tell_the_page(
    state: SandboxState, method: str, params: dict[str, object], response: dict[str, Any]
) -> None:
    """After a successful call, publish what the page should show."""
    if not response.get("ok"):
        return
    name = method.lower()
    if name == "answercallbackquery":
        query = state.world.callback_queries.get(str(params.get("callback_query_id", "")))
        answer = (query.answer or {}) if query is not None else {}
        if query is not None and answer.get("text"):
            state.feed.publish(
                {
                    "type": "toast",
                    "chat_id": query.chat_id,
                    "text": answer["text"],
                    "alert": bool(answer.get("show_alert")),
                }
            )
        return
    chat_id = _integer(params.get("chat_id"))
    if chat_id is None:
        return
    if name == "sendchataction":
        state.feed.publish({"type": "typing", "chat_id": chat_id})
    else:
        state.feed.refresh([chat_id])


async def bot_method(request: web.Request) -> web.Response:
    """``/bot<token>/<method>``, GET or POST, as the Telegram Bot API answers it."""
    state = request.app[STATE]
    if request.match_info["token"] != state.world.token:
        return telegram_response(UNAUTHORIZED.to_response())
    method = request.match_info["method"]
    try:
        params, uploads = await read_bot_request(request)
    except MalformedRequestError as error:
        log.warning("malformed %s request: %s", method, error)
        return telegram_response(bad_request(str(error)).to_response())
    except web.HTTPRequestEntityTooLarge:
        return telegram_response(ApiError(413, "Request Entity Too Large").to_response())
    if method.lower() != "getupdates":
        response = state.world.call(method, params, uploads)
        _tell_the_page(state, method, params, response)
        return telegram_response(response)
    state.polls.started()
    try:
        return telegram_response(await _get_updates(state, method, params, uploads))
    finally:
        state.polls.ended()


async def bot_file(request: web.Request) -> web.StreamResponse:
    """``/file/bot<token>/<file_path>``: the bytes behind a getFile answer."""
    state = request.app[STATE]
    if request.match_info["token"] != state.world.token:
        return telegram_response(UNAUTHORIZED.to_response())
    data = state.world.file_bytes(request.match_info["path"])
    if data is None:
        return telegram_response(NOT_FOUND.to_response())
    return web.Response(body=data, content_type="application/octet-stream")


async def not_found(request: web.Request) -> web.Response:
    """Any other ``/bot…`` path: Telegram's 404 shape, never an HTML error page."""
    return telegram_response(NOT_FOUND.to_response())


def create_app(world: BotApiState, cast: Cast, feed: ChatFeed | None = None) -> web.Application:
    """The aiohttp application of one sandbox: Bot API, file downloads and the web page."""
    # Room for Telegram's largest upload plus the multipart framing around it.
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
    state = SandboxState(world, cast, feed or ChatFeed(world))
    app[STATE] = state
    app.router.add_route("*", "/bot{token}/{method}", bot_method)
    app.router.add_get("/file/bot{token}/{path:.+}", bot_file)
    app.router.add_route("*", "/bot{rest:.*}", not_found)
    add_page_routes(app)
    app.on_startup.append(_watch_world)
    app.on_shutdown.append(_close)
    return app


async def _watch_world(app: web.Application) -> None:
    state = app[STATE]
    loop = asyncio.get_running_loop()
    state.feed.refresh()  # what exists already is not news

    def on_update() -> None:
        # People may act from another thread (a test); the feed lives on the server's loop.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(state.feed.refresh)

    unsubscribe = state.world.subscribe(on_update)

    async def stop_watching(app: web.Application) -> None:
        unsubscribe()

    app.on_cleanup.append(stop_watching)


async def _close(app: web.Application) -> None:
    """End long polls and event streams at once, so shutdown does not wait on them."""
    state = app[STATE]
    state.closing.set()
    state.feed.close()


async def start_server(
    app: web.Application, host: str, port: int, *, shutdown_timeout: float = 2.0
) -> tuple[web.AppRunner, int]:
    """Serve ``app``; returns the runner (``await runner.cleanup()`` stops) and the bound port."""
    # handler_cancellation: a client that hangs up (the bot stopping, a closed tab) ends its
    # long poll or event stream at once, so the page learns promptly that the bot is gone.
    runner = web.AppRunner(
        app, access_log=None, handler_cancellation=True, shutdown_timeout=shutdown_timeout
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        raise ListenError(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    bound = runner.addresses[0][1] if runner.addresses else port
    return runner, int(bound)
