"""Bot API request parameters and errors.

Telegram accepts each parameter as a JSON value or as a form string (``chat_id=42``,
``reply_markup={"inline_keyboard": ...}``); ``Params`` turns either into typed values so every
method handler has one decoding path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# Parameters whose value is a JSON object or array; form posts send them JSON-encoded.
JSON_PARAMETERS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "media",
    }
)
INTEGER_PARAMETERS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "offset",
        "limit",
        "max_connections",
        "cache_time",
    }
)
NUMBER_PARAMETERS = frozenset({"timeout"})
BOOLEAN_PARAMETERS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "drop_pending_updates",
        "show_alert",
        "has_spoiler",
        "disable_content_type_detection",
    }
)
_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]*)?")


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def to_response(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        response: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            response["parameters"] = {"retry_after": self.retry_after}
        return response


def bad_request(detail: str) -> ApiError:
    """A 400 error with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {detail}")


def _decode(name: str, value: str) -> object:
    if name in JSON_PARAMETERS:
        try:
            return json.loads(value)
        except ValueError:
            return value  # the handler answers with the parameter's own error
    stripped = value.strip()
    if name in INTEGER_PARAMETERS and _INTEGER.fullmatch(stripped):
        return int(stripped)
    if name in NUMBER_PARAMETERS and _NUMBER.fullmatch(stripped):
        number = float(stripped)
        return int(number) if number.is_integer() else number
    if name in BOOLEAN_PARAMETERS and stripped.lower() in {"true", "false"}:
        return stripped.lower() == "true"
    return value


def normalize(params: Mapping[str, object]) -> dict[str, Any]:
    """Turn form strings into the JSON values they stand for, so both faces record the same."""
    return {
        name: _decode(name, value) if isinstance(value, str) else value
        for name, value in params.items()
        if value is not None
    }


class Params:
    """Typed access to one request's parameters, raising Telegram's 400 errors."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def raw(self, name: str) -> Any:
        """The decoded value as received, or None."""
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool | int | float):
            return json.dumps(value)
        if isinstance(value, str):
            return value
        raise bad_request(f'field "{name}" must be of type String')

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise bad_request(f'field "{name}" must be a valid Number')

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise bad_request(f'field "{name}" must be a valid Number')

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1", "yes"}
        return bool(value)

    def required_integer(self, name: str, missing: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(missing)
        return value

    def chat_id(self) -> int | str:
        """``chat_id`` as an int, or a channel username like ``@news``."""
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.strip().startswith("@"):
            return value.strip()
        try:
            return self.required_integer("chat_id", "chat_id is empty")
        except ApiError:
            raise bad_request("chat not found") from None
