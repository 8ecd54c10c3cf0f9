"""The people's side of the fake Telegram: users, chats and messages, over the update queue
(``sandbox.updates``) their actions feed.

``World`` is what a Telegram client would change: a person writes, taps a button, sends a
photo or blocks the bot. Each ``user_*`` method stores the effect, enqueues the update the bot
would receive and returns it; each ``make_update_*`` twin stores the effect and returns the
update WITHOUT enqueueing it, for tests that feed ``Application.process_update`` directly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypedDict, TypeVar

from sandbox.files import TINY_PNG, FileStore, StoredFile
from sandbox.html_entities import FormattedText, bot_command_entities
from sandbox.models import CallbackQuery, Chat, Person, StoredMessage
from sandbox.updates import Update, UpdateQueue

# Telegram does not publish how long a callback query can be answered; minutes, not hours.
CALLBACK_QUERY_TTL_SECONDS = 15 * 60

_P = ParamSpec("_P")
_W = TypeVar("_W", bound="World")


def _enqueued(
    make_update: Callable[Concatenate[_W, _P], Update],
) -> Callable[Concatenate[_W, _P], Update]:
    """The ``user_*`` twin of a ``make_update_*`` method: the same update, also enqueued."""

    def user_does(world: _W, /, *args: _P.args, **kwargs: _P.kwargs) -> Update:
        return world.enqueue(make_update(world, *args, **kwargs))

    user_does.__doc__ = make_update.__doc__
    return user_does


class WorldOptions(TypedDict, total=False):
    """The keyword arguments of ``World``, for what builds on it to pass along."""

    token: str
    bot_username: str
    bot_first_name: str
    now: Callable[[], float]


class World(UpdateQueue):
    """Users, chats, messages, files and pending updates of one bot."""

    def __init__(
        self,
        *,
        token: str = "123:ABC",
        bot_username: str = "yimen_test_bot",
        bot_first_name: str = "Yimen",
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(now=now)
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.people: dict[int, Person] = {}
        self.chats: dict[int, Chat] = {}
        self.files = FileStore()
        self.callback_queries: dict[str, CallbackQuery] = {}
        self._messages: dict[int, dict[int, StoredMessage]] = {}
        self._query_counter = 0

    # -- reading the world -------------------------------------------------------------------

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def chat_messages(self, chat_id: int) -> list[StoredMessage]:
        """Every message still in the chat (bot's and people's), oldest first."""
        return list(self._messages.get(chat_id, {}).values())

    def last_bot_message(self, chat_id: int) -> StoredMessage | None:
        """The newest message the bot sent to the chat, or None."""
        return next((m for m in reversed(self.chat_messages(chat_id)) if m.from_bot), None)

    def message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        return self._messages.get(chat_id, {}).get(message_id)

    def file_bytes(self, file_path: str) -> bytes | None:
        """The content behind a getFile ``file_path``, as the file download URL serves it."""
        stored = self.files.by_path.get(file_path)
        return None if stored is None else stored.data

    def message_dict(self, message: StoredMessage, *, with_reply: bool = True) -> dict[str, Any]:
        """The Bot API ``Message`` object."""
        sender = self.bot_user() if message.from_bot else self.people[message.sender_id].to_dict()
        result: dict[str, Any] = {
            "message_id": message.message_id,
            "from": sender,
            "chat": self.chats[message.chat_id].to_dict(),
            **message.content(),
        }
        reply = (
            self.message(message.chat_id, message.reply_to_message_id)
            if message.reply_to_message_id is not None and with_reply
            else None
        )
        if reply is not None:
            result["reply_to_message"] = self.message_dict(reply, with_reply=False)
        return result

    # -- people and groups -------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> dict[str, Any]:
        """Register a person; their private chat exists once they write. Returns the User."""
        with self._lock:
            person = Person(user_id, first_name, last_name, username, language_code)
            self.people[user_id] = person
            return person.to_dict()

    def add_group(self, chat_id: int, title: str) -> dict[str, Any]:
        """Create a group the bot is already a member of ("-100…" ids are supergroups)."""
        if chat_id >= 0:
            raise ValueError(f"group ids are negative, got {chat_id}")
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        with self._lock:
            chat = Chat(chat_id, kind, title=title)
            self.chats[chat_id] = chat
            self._messages.setdefault(chat_id, {})
            return chat.to_dict()

    def _person(self, user_id: int) -> Person:
        person = self.people.get(user_id)
        if person is None:
            raise KeyError(f"unknown user {user_id}: call add_user first")
        return person

    def _private_chat(self, person: Person) -> Chat:
        chat = self.chats.get(person.user_id)
        if chat is None:
            chat = Chat(person.user_id, "private", person=person)
            self.chats[person.user_id] = chat
            self._messages[person.user_id] = {}
        return chat

    def _chat_of(self, person: Person, chat_id: int | None) -> Chat:
        if person.blocked_bot:
            raise RuntimeError(f"user {person.user_id} blocked the bot: user_unblocks_bot first")
        if chat_id is None or chat_id == person.user_id:
            return self._private_chat(person)
        chat = self.chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise KeyError(f"unknown group {chat_id}: call add_group first")
        return chat

    def store_message(
        self, chat: Chat, *, from_bot: bool, sender_id: int, **fields: Any
    ) -> StoredMessage:
        """Give a new message the chat's next message id (ids are per chat) and keep it."""
        with self._lock:
            chat.last_message_id += 1
            message = StoredMessage(
                chat_id=chat.chat_id,
                message_id=chat.last_message_id,
                sent_at=self.now(),
                from_bot=from_bot,
                sender_id=sender_id,
                **fields,
            )
            self._messages.setdefault(chat.chat_id, {})[message.message_id] = message
            return message

    def _person_writes(self, user_id: int, chat_id: int | None, **fields: Any) -> Update:
        with self._lock:
            person = self._person(user_id)
            chat = self._chat_of(person, chat_id)
            reply_to = fields.get("reply_to_message_id")
            if reply_to is not None and self.message(chat.chat_id, reply_to) is None:
                raise KeyError(f"no message {reply_to} in chat {chat.chat_id} to reply to")
            message = self.store_message(chat, from_bot=False, sender_id=user_id, **fields)
            return self._new_update("message", self.message_dict(message))

    # -- what people do: make_update_* stores and returns, user_* also enqueues ---------------

    def make_update_text(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        *,
        reply_to_message_id: int | None = None,
    ) -> Update:
        """A person sends text ("/start" gets a bot_command entity), in private by default."""
        formatted = FormattedText(text, bot_command_entities(text))
        return self._person_writes(
            user_id,
            chat_id,
            text=formatted.text,
            entities=formatted.entities,
            reply_to_message_id=reply_to_message_id,
        )

    user_sends_text = _enqueued(make_update_text)

    def make_update_photo(
        self,
        user_id: int,
        data: bytes = TINY_PNG,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> Update:
        """A person sends a photo; the bot can getFile and download it."""
        stored = self.files.add("photo", data, mime_type="image/jpeg")
        return self._person_writes(user_id, chat_id, photo=stored.photo_sizes(), caption=caption)

    user_sends_photo = _enqueued(make_update_photo)

    def make_update_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> Update:
        """A person sends a file as a document."""
        stored = self.files.add("document", data, file_name=file_name, mime_type=mime_type)
        return self._person_writes(
            user_id, chat_id, document=stored.document_dict(), caption=caption
        )

    user_sends_document = _enqueued(make_update_document)

    def make_update_sticker(
        self, user_id: int, emoji: str = "👍", chat_id: int | None = None
    ) -> Update:
        """A person sends a sticker."""
        stored = self.files.add("sticker", b"RIFF\x00\x00\x00\x00WEBP", mime_type="image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": stored.width,
            "height": stored.height,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.file_size,
        }
        return self._person_writes(user_id, chat_id, sticker=sticker)

    user_sends_sticker = _enqueued(make_update_sticker)

    def make_update_tap(
        self, user_id: int, chat_id: int, message_id: int, callback_data: str
    ) -> Update:
        """A person taps the inline button carrying ``callback_data`` under a message.

        Raises LookupError when the message has no such button: a person cannot tap it.
        """
        return self._tap(user_id, chat_id, message_id, callback_data, forged=False)

    def make_update_forged_tap(
        self, user_id: int, chat_id: int, message_id: int, callback_data: str
    ) -> Update:
        """A client sending ``callback_data`` under a message whether or not a button there
        carries it: what a forger (or a replayed old button) sends."""
        return self._tap(user_id, chat_id, message_id, callback_data, forged=True)

    def _tap(
        self, user_id: int, chat_id: int, message_id: int, callback_data: str, *, forged: bool
    ) -> Update:
        with self._lock:
            person = self._person(user_id)
            self._chat_of(person, chat_id)
            message = self.message(chat_id, message_id)
            if message is None:
                raise LookupError(f"no message {message_id} in chat {chat_id}")
            tappable = any(b.get("callback_data") == callback_data for b in message.buttons)
            if not forged and not tappable:
                raise LookupError(
                    f"message {message_id} in chat {chat_id} has no button with callback_data "
                    f"{callback_data!r}; it has {[b.get('callback_data') for b in message.buttons]}"
                )
            self._query_counter += 1
            query = CallbackQuery(
                query_id=f"cq-{self._query_counter}",
                user_id=user_id,
                chat_id=chat_id,
                message_id=message_id,
                data=callback_data,
                created_at=self.now(),
            )
            self.callback_queries[query.query_id] = query
            payload = {
                "id": query.query_id,
                "from": person.to_dict(),
                "message": self.message_dict(message),
                "chat_instance": f"ci{chat_id}",
                "data": callback_data,
            }
            return self._new_update("callback_query", payload)

    user_taps = _enqueued(make_update_tap)

    def make_update_press(
        self, user_id: int, chat_id: int, button_text: str, message_id: int | None = None
    ) -> Update:
        """A person taps the callback button labelled ``button_text`` (newest bot message first)."""
        with self._lock:
            candidates = (
                [m for m in (self.message(chat_id, message_id),) if m is not None]
                if message_id is not None
                else [m for m in reversed(self.chat_messages(chat_id)) if m.from_bot]
            )
            for message in candidates:
                for button in message.buttons:
                    if button.get("text") == button_text and "callback_data" in button:
                        return self.make_update_tap(
                            user_id, chat_id, message.message_id, str(button["callback_data"])
                        )
        raise LookupError(f"no callback button {button_text!r} in chat {chat_id}")

    user_presses = _enqueued(make_update_press)

    def _membership_update(self, user_id: int, *, blocked: bool) -> Update:
        with self._lock:
            person = self._person(user_id)
            person.blocked_bot = blocked
            chat = self._private_chat(person)
            statuses = ("member", "kicked") if blocked else ("kicked", "member")
            payload: dict[str, Any] = {
                "chat": chat.to_dict(),
                "from": person.to_dict(),
                "date": int(self.now()),
                "old_chat_member": {"status": statuses[0], "user": self.bot_user()},
                "new_chat_member": {"status": statuses[1], "user": self.bot_user()},
            }
            if blocked:
                payload["new_chat_member"]["until_date"] = 0
            return self._new_update("my_chat_member", payload)

    def make_update_block(self, user_id: int) -> Update:
        """A person blocks the bot: sends to them now fail with 403."""
        return self._membership_update(user_id, blocked=True)

    user_blocks_bot = _enqueued(make_update_block)

    def make_update_unblock(self, user_id: int) -> Update:
        return self._membership_update(user_id, blocked=False)

    user_unblocks_bot = _enqueued(make_update_unblock)

    def add_file(self, kind: str, data: bytes, **details: Any) -> StoredFile:
        """Store a file as if uploaded earlier (kind: photo | document | sticker)."""
        with self._lock:
            return self.files.add(kind, data, **details)
