"""Validation of ``reply_markup`` with Telegram's error wording."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sandbox.params import bad_request

MAX_CALLBACK_DATA_BYTES = 64

_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _check_url(url: object) -> None:
    if isinstance(url, str) and url.strip():
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme == "tg" or (parts.scheme in {"http", "https"} and parts.hostname):
            return
    raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _check_inline_button(button: object) -> dict[str, Any]:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    actions = [name for name in _INLINE_ACTIONS if name in button]
    if not actions:
        raise bad_request("text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        _check_url(button["url"])
    return dict(button)


def _rows(markup: dict[str, Any], field: str) -> list[list[Any]]:
    rows = markup.get(field)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{field}" of the reply markup must be an Array of Arrays')
    return rows


def validate_reply_markup(value: object) -> dict[str, Any] | None:
    """Check a decoded ``reply_markup`` and return it as Telegram stores it (or None)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in value:
        keyboard = [
            [_check_inline_button(button) for button in row]
            for row in _rows(value, "inline_keyboard")
        ]
        return {"inline_keyboard": keyboard}
    if "keyboard" in value:
        for row in _rows(value, "keyboard"):
            for button in row:
                if not isinstance(button, str | dict):
                    raise bad_request(
                        'can\'t parse keyboard button: Field "text" must be of type String'
                    )
        return dict(value)
    if value.get("remove_keyboard") or value.get("force_reply"):
        return dict(value)
    raise bad_request("can't parse reply keyboard markup JSON object")


def inline_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every inline keyboard button of a stored markup, row by row."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [button for row in markup["inline_keyboard"] for button in row]
