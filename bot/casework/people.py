"""Who is writing: the resident behind a Telegram user, and the language to answer them in."""

from __future__ import annotations

from datetime import datetime

from bot.render import DEFAULT_LOCALE, LOCALES
from storage.models import Resident


def note_private_chat(resident: Resident, now: datetime) -> None:
    """The person wrote to the bot privately: from now on it may write to them there."""
    if resident.private_chat_at is None:
        resident.private_chat_at = now


def locale_for(resident: Resident | None, language_code: str | None, default: str) -> str:
    """The resident's chosen language, else Telegram's guess, else the operator's default."""
    if resident is not None and resident.locale in LOCALES:
        return resident.locale
    code = (language_code or "").lower()
    if code.startswith("en"):
        return "en"
    if code.startswith("zh"):
        return "zh-CN"
    return default if default in LOCALES else DEFAULT_LOCALE
