"""People, chats, messages and recorded calls inside the fake Telegram."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.html_entities import Entity
from sandbox.markup import inline_buttons


@dataclass
class Person:
    """A Telegram user who talks to the bot."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    blocked_bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                user[key] = value
        return user


@dataclass
class Chat:
    """A private chat (id = the person's id) or a group the bot belongs to."""

    chat_id: int
    type: str  # private | group | supergroup
    title: str | None = None
    person: Person | None = None
    last_message_id: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The Bot API ``Chat`` object."""
        if self.person is not None:
            chat = self.person.to_dict()
            chat.pop("is_bot")
            chat.pop("language_code", None)
            return {**chat, "type": self.type}
        return {"id": self.chat_id, "type": self.type, "title": self.title}


@dataclass
class StoredMessage:
    """A message in a chat: ``text``/``caption`` as rendered, ``html``/``caption_html`` as sent."""

    chat_id: int
    message_id: int
    sent_at: float
    from_bot: bool
    sender_id: int
    text: str | None = None
    html: str | None = None
    entities: list[Entity] = field(default_factory=list)
    caption: str | None = None
    caption_html: str | None = None
    caption_entities: list[Entity] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    photo: list[dict[str, Any]] | None = None
    document: dict[str, Any] | None = None
    sticker: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None

    @property
    def date(self) -> int:
        return int(self.sent_at)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard's buttons, row by row."""
        return inline_buttons(self.reply_markup)

    @property
    def button_texts(self) -> list[str]:
        return [str(button["text"]) for button in self.buttons]

    def content(self) -> dict[str, Any]:
        """The message's own fields of the Bot API ``Message`` object (no chat, sender, reply)."""
        content: dict[str, Any] = {"message_id": self.message_id, "date": self.date}
        optional: dict[str, Any] = {
            "edit_date": self.edit_date,
            "text": self.text,
            "entities": self.entities or None,
            "photo": self.photo,
            "document": self.document,
            "sticker": self.sticker,
            "caption": self.caption,
            "caption_entities": self.caption_entities or None,
        }
        content.update({key: value for key, value in optional.items() if value is not None})
        # Telegram shows only inline keyboards on the message object.
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            content["reply_markup"] = self.reply_markup
        return content


@dataclass
class RecordedCall:
    """One Bot API request the bot made, with the decoded parameters and Telegram's answer."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))


@dataclass
class CallbackQuery:
    """A button press waiting for answerCallbackQuery."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created_at: float
    answered: bool = False
    answer: dict[str, Any] | None = None


@dataclass
class InjectedError:
    """A failure the next ``times`` calls of ``method`` ("*" for any) answer with."""

    method: str
    error_code: int
    description: str
    retry_after: int | None
    times: int
