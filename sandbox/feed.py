"""What the sandbox page sees: messages as plain views, and a live feed of what changed.

The page never receives the bot's HTML: a view carries the entity-parsed text and Telegram's
entities, and the page builds DOM nodes from them, so nothing the bot (or a resident) writes can
run in the browser.

``ChatFeed`` finds changes by comparing each message's view with the one last published, rather
than hooking every method that can change a message: new, edited and deleted messages are then
noticed the same way whether the bot, the page, the demo or a test changed the world.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from typing import Any

from sandbox.models import StoredMessage
from sandbox.world import World

log = logging.getLogger(__name__)

Event = dict[str, Any]
# A page that stops reading (a sleeping laptop) must not make the server hoard events.
MAX_QUEUED_EVENTS = 1000
FILE_URL = "/api/files/"


def display_name(world: World, user_id: int) -> str:
    person = world.people.get(user_id)
    if person is None:
        return str(user_id)
    return " ".join(part for part in (person.first_name, person.last_name) if part)


def _file_url(world: World, file_id: str) -> str | None:
    stored = world.files.by_id.get(file_id)
    return None if stored is None else FILE_URL + stored.file_path


def _buttons(message: StoredMessage) -> list[list[dict[str, str]]]:
    """Inline keyboard rows with only what the page acts on: a tap or a link."""
    markup = message.reply_markup or {}
    rows: list[list[dict[str, str]]] = []
    for row in markup.get("inline_keyboard", []):
        buttons = []
        for button in row:
            view = {"text": str(button.get("text", ""))}
            if "callback_data" in button:
                view["data"] = str(button["callback_data"])
            elif isinstance(button.get("url"), str):
                view["url"] = button["url"]
            buttons.append(view)
        rows.append(buttons)
    return rows


def message_view(world: World, message: StoredMessage) -> dict[str, Any]:
    """A message as the page draws it (JSON values only)."""
    view: dict[str, Any] = {
        "chat_id": message.chat_id,
        "message_id": message.message_id,
        "from_bot": message.from_bot,
        "sender_id": message.sender_id,
        "sender": world.bot_first_name
        if message.from_bot
        else display_name(world, message.sender_id),
        "date": message.date,
        "edited": message.edit_date is not None,
        "text": message.text,
        "entities": message.entities,
        "caption": message.caption,
        "caption_entities": message.caption_entities,
        "buttons": _buttons(message),
    }
    if message.photo:
        view["photo"] = _file_url(world, str(message.photo[-1]["file_id"]))
    if message.document:
        document = message.document
        view["document"] = {
            "name": document.get("file_name") or "file",
            "size": document.get("file_size", 0),
            "url": _file_url(world, str(document["file_id"])),
        }
    if message.sticker:
        view["sticker"] = message.sticker.get("emoji", "")
    if message.reply_to_message_id is not None:
        quoted = world.message(message.chat_id, message.reply_to_message_id)
        if quoted is not None:
            view["reply_to"] = {
                "message_id": quoted.message_id,
                "sender": world.bot_first_name
                if quoted.from_bot
                else display_name(world, quoted.sender_id),
                "text": (quoted.text or quoted.caption or "")[:120],
            }
    return view


class ChatFeed:
    """Publishes page events: message (new or changed), deleted, typing, toast, bot, personas."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._published: dict[int, dict[int, str]] = {}
        self._queues: set[asyncio.Queue[Event | None]] = set()

    def subscribe(self) -> asyncio.Queue[Event | None]:
        """A queue of events from now on; ``None`` in it means the feed is closing."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue(MAX_QUEUED_EVENTS)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        self._queues.discard(queue)

    def publish(self, event: Event) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("a page stopped reading events; dropping it")
                self._queues.discard(queue)

    def close(self) -> None:
        """Tell every subscriber to stop (the server is shutting down)."""
        for queue in list(self._queues):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(None)
        self._queues.clear()

    def refresh(self, chat_ids: Iterable[int] | None = None) -> None:
        """Publish what changed in these chats (all chats when None) since the last refresh."""
        ids = list(self.world.chats) if chat_ids is None else list(chat_ids)
        for chat_id in ids:
            published = self._published.setdefault(chat_id, {})
            current: set[int] = set()
            for message in self.world.chat_messages(chat_id):
                current.add(message.message_id)
                view = message_view(self.world, message)
                fingerprint = json.dumps(view, sort_keys=True, ensure_ascii=False)
                if published.get(message.message_id) != fingerprint:
                    published[message.message_id] = fingerprint
                    self.publish({"type": "message", "message": view})
            for message_id in [m for m in published if m not in current]:
                del published[message_id]
                self.publish({"type": "deleted", "chat_id": chat_id, "message_id": message_id})
