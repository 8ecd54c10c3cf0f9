"""The sandbox web page's endpoints: personas, chats, acting as a person, and live events (SSE).

Every action goes through the world's people-side methods (``user_sends_text``, ``user_taps``…),
so the bot receives exactly the updates it would receive from Telegram.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox.feed import message_view
from sandbox.files import MAX_UPLOAD_BYTES
from sandbox.personas import Persona
from sandbox.state import STATE, SandboxState

WEB = Path(__file__).parent / "web"
MAX_TEXT = 4096
MAX_CAPTION = 1024
# A comment line now and then lets the server notice a page that has gone away.
KEEPALIVE_SECONDS = 15.0
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(
        data, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False)
    )


class Refusal(Exception):
    """An error the page shows as it is: ``{"error": message}`` with an HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@web.middleware
async def refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Refusal as refusal:
        return _json({"error": str(refusal)}, refusal.status)


def _persona(request: web.Request) -> tuple[SandboxState, Persona]:
    state = request.app[STATE]
    persona = state.cast.personas.get(request.match_info["key"])
    if persona is None:
        raise Refusal("no such persona", 404)
    return state, persona


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise Refusal("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise Refusal("the request body must be a JSON object")
    return body


def _group_of(persona: Persona) -> int | None:
    """The chat to write in when it is a group (None: the persona's private chat)."""
    return None if persona.chat_id == persona.user_id else persona.chat_id


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(WEB / "index.html", headers={"Cache-Control": "no-cache"})


async def state_of_sandbox(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return _json(
        {
            "epoch": state.epoch,
            "bot": {
                "name": state.world.bot_first_name,
                "username": state.world.bot_username,
                "online": state.polls.online,
            },
            "personas": state.cast.to_json(),
        }
    )


async def messages(request: web.Request) -> web.Response:
    state, persona = _persona(request)
    world = state.world
    return _json([message_view(world, m) for m in world.chat_messages(persona.chat_id)])


async def send_text(request: web.Request) -> web.Response:
    state, persona = _persona(request)
    body = await _body(request)
    text, reply_to = body.get("text"), body.get("reply_to_message_id")
    if not isinstance(text, str) or not text.strip():
        raise Refusal("the message is empty")
    if len(text) > MAX_TEXT:
        raise Refusal(f"a message has at most {MAX_TEXT} characters")
    if reply_to is not None and (not isinstance(reply_to, int) or isinstance(reply_to, bool)):
        raise Refusal("reply_to_message_id must be a message id (a number)")
    try:
        state.world.user_sends_text(
            persona.user_id, text, _group_of(persona), reply_to_message_id=reply_to
        )
    except KeyError:
        # The message replied to was deleted between the page drawing it and the reply.
        raise Refusal("that message is no longer there to reply to", 409) from None
    state.feed.refresh([persona.chat_id])
    return _json({"ok": True})


async def tap(request: web.Request) -> web.Response:
    state, persona = _persona(request)
    body = await _body(request)
    message_id, data = body.get("message_id"), body.get("data")
    if not isinstance(message_id, int) or not isinstance(data, str):
        raise Refusal("message_id (a number) and data (a string) are needed")
    try:
        state.world.user_taps(persona.user_id, persona.chat_id, message_id, data)
    except LookupError:
        # The bot replaced the keyboard between the page drawing it and the tap.
        raise Refusal("that button is no longer there", 409) from None
    return _json({"ok": True})


async def upload(request: web.Request) -> web.Response:
    state, persona = _persona(request)
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise Refusal(f"files up to {MAX_UPLOAD_BYTES // 2**20} MB", 413) from None
    except (ValueError, AssertionError):
        raise Refusal("the upload could not be read") from None
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise Refusal("no file in the upload")
    data = upload.file.read()
    if not data:
        raise Refusal("the file is empty")
    caption_field = form.get("caption")
    caption = caption_field.strip() if isinstance(caption_field, str) else ""
    if len(caption) > MAX_CAPTION:
        raise Refusal(f"a caption has at most {MAX_CAPTION} characters")
    group = _group_of(persona)
    if upload.content_type in IMAGE_TYPES:
        state.world.user_sends_photo(persona.user_id, data, caption=caption or None, chat_id=group)
    else:
        state.world.user_sends_document(
            persona.user_id,
            data,
            upload.filename or "file",
            upload.content_type or "application/octet-stream",
            caption=caption or None,
            chat_id=group,
        )
    state.feed.refresh([persona.chat_id])
    return _json({"ok": True})


async def add_resident(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await _body(request)
    name, language = body.get("name"), body.get("language", "zh-CN")
    if not isinstance(name, str) or not isinstance(language, str):
        raise Refusal("name and language are strings")
    try:
        persona = state.cast.add_resident(state.world, name, language)
    except ValueError as error:
        raise Refusal(str(error)) from None
    state.feed.publish({"type": "personas"})
    return _json(persona.to_json(), status=201)


async def file(request: web.Request) -> web.Response:
    state = request.app[STATE]
    path = request.match_info["path"]
    data = state.world.file_bytes(path)
    if data is None:
        raise Refusal("no such file", 404)
    stored = state.world.files.by_path[path]
    content_type = stored.mime_type or mimetypes.guess_type(path)[0] or "application/octet-stream"
    headers = {"X-Content-Type-Options": "nosniff"}
    if not content_type.startswith("image/"):
        # Never let an uploaded HTML or SVG file run as a page of the sandbox's origin.
        headers["Content-Disposition"] = "attachment"
    return web.Response(body=data, content_type=content_type, headers=headers)


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: one JSON object per event, until the page or the server goes."""
    state = request.app[STATE]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    queue = state.feed.subscribe()
    try:
        await response.prepare(request)
        hello = {"type": "hello", "epoch": state.epoch, "online": state.polls.online}
        await response.write(f"retry: 2000\ndata: {json.dumps(hello)}\n\n".encode())
        while not state.closing.is_set():
            try:
                event = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                await response.write(b": keepalive\n\n")
                continue
            if event is None:
                break
            data = json.dumps(event, ensure_ascii=False)
            await response.write(f"data: {data}\n\n".encode())
    except (ConnectionResetError, ConnectionError):
        pass  # the page went away
    finally:
        state.feed.unsubscribe(queue)
    return response


def add_page_routes(app: web.Application) -> None:
    app.middlewares.append(refusals)
    app.router.add_get("/", index)
    app.router.add_static("/static/", WEB, append_version=False)
    app.router.add_get("/api/state", state_of_sandbox)
    app.router.add_get("/api/events", events)
    app.router.add_get("/api/personas/{key}/messages", messages)
    app.router.add_post("/api/personas/{key}/messages", send_text)
    app.router.add_post("/api/personas/{key}/taps", tap)
    app.router.add_post("/api/personas/{key}/uploads", upload)
    app.router.add_post("/api/residents", add_resident)
    app.router.add_get("/api/files/{path:.+}", file)
