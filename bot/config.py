"""Settings read from the environment (prefix ``YIMEN_``) and an optional ``.env`` file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.policy.profile import default_profile_path
from storage.crypto import Keyring

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/yimen.db"
LOCALES = ("zh-CN", "en")


class Settings(BaseSettings):
    """Everything an operator can set; see the configuration table in README.md."""

    model_config = SettingsConfigDict(
        env_prefix="YIMEN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    bot_api_url: str = "https://api.telegram.org/bot"
    bot_file_url: str = "https://api.telegram.org/file/bot"
    # An HTTP or SOCKS proxy for every call to the Bot API (Telegram is blocked in mainland
    # China): http://host:port, socks5://user:pass@host:port.
    proxy_url: str | None = None
    locale: str = "zh-CN"
    profile: Path = Field(default_factory=default_profile_path)
    staff_chat_id: int | None = None
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    # Department id (from the profile) -> the department's Telegram group chat id.
    department_chats: Annotated[dict[str, int], NoDecode] = Field(default_factory=dict)
    # Fernet keys for personal data at rest; several (comma-separated) rotate: the first
    # encrypts, all decrypt (README: Keys). Required outside the sandbox and the tests.
    secret_key: SecretStr | None = None
    # A conversation untouched for this long asks "continue where you left off?" first.
    resume_after_minutes: int = Field(default=60, ge=1)
    # Notices to one resident within this many seconds are combined into one message.
    notify_combine_seconds: int = Field(default=30, ge=0, le=600)
    # Telegram's limits for the outbox dispatcher (telegram.md); lower them, never raise them
    # above what Telegram allows the bot.
    send_rate: float = Field(default=30, gt=0)  # messages per second, all chats together
    chat_rate: float = Field(default=1, gt=0)  # per private chat, per second
    chat_burst: int = Field(default=3, ge=1)  # a private chat may get this many at once
    group_per_minute: float = Field(default=20, gt=0)  # per group chat
    # Tries of a message that times out or meets a network error (2 s, 4 s… up to 5 min
    # apart) before it is failed and listed by `yimen outbox failed`.
    send_attempts: int = Field(default=8, ge=1, le=20)
    # Broadcast recipients are written to the outbox this many at a time.
    broadcast_batch: int = Field(default=1000, ge=10, le=10_000)
    # A "talk to staff" thread with no message either way for this long is closed.
    relay_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Messages one resident may have posted to the staff chat per minute (more are combined).
    relay_per_minute: int = Field(default=3, ge=1, le=20)
    # How often the standards are checked for a new version ("the policy finds the person").
    rescreen_every_hours: float = Field(default=6, gt=0)
    # Retention (README, "Privacy"): how long each kind of record is kept, in days. Closed
    # applications follow the policy profile's archive period instead (`archive` in profile.yaml).
    # Telegram redelivers an update for at most 24 hours: its id is kept a little longer.
    retain_update_ids_days: int = Field(default=2, ge=2, le=30)
    # An unfinished conversation (a draft) untouched this long is deleted.
    retain_drafts_days: int = Field(default=30, ge=1)
    # A screening (and the finished conversation's copy of its answers); the privacy notice
    # promises one year.
    retain_screenings_days: int = Field(default=365, ge=1)
    # A delivered message's text (notices, receipts, relayed texts) is blanked after this ...
    retain_outbox_texts_days: int = Field(default=30, ge=1)
    # ... and the row itself, and closed "talk to staff" threads, are deleted after this.
    retain_outbox_rows_days: int = Field(default=180, ge=1)
    # Audit rows: processing records are kept 3 years (PIPL Art. 56), logs at least 6 months
    # (Cybersecurity Law Art. 21).
    retain_audit_days: int = Field(default=1095, ge=183)

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"must be one of {', '.join(LOCALES)}")
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        bot_id, sep, secret = value.strip().partition(":")
        if not sep or not bot_id.isdigit() or not secret:
            raise ValueError("expected the form 123456789:AA... that @BotFather gives")
        return value.strip()

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            return tuple(int(part) for part in parts if part)
        return value

    @field_validator("department_chats", mode="before")
    @classmethod
    def _split_chats(cls, value: object) -> object:
        if isinstance(value, str):
            chats: dict[str, int] = {}
            for part in filter(None, (p.strip() for p in value.replace(";", ",").split(","))):
                department, sep, chat = part.partition("=")
                if not sep:
                    raise ValueError("expected department=chat_id pairs, e.g. civil_affairs=-1001")
                chats[department.strip()] = int(chat)
            return chats
        return value

    @field_validator("secret_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        from cryptography.fernet import Fernet

        for key in value.get_secret_value().split(","):
            try:
                Fernet(key.strip())
            except ValueError:
                raise ValueError(
                    "not a Fernet key; make one with: python -c 'from cryptography.fernet "
                    "import Fernet; print(Fernet.generate_key().decode())'"
                ) from None
        return value

    @field_validator("proxy_url")
    @classmethod
    def _proxy_scheme(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https", "socks5", "socks5h") or not parts.hostname:
            raise ValueError("use http://host:port or socks5://host:port (user:pass@ allowed)")
        return value.strip()

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path or postgresql+asyncpg://…")
        return value

    @field_validator("profile")
    @classmethod
    def _profile_exists(cls, value: Path) -> Path:
        if not (value / "programmes.yaml").is_file():
            raise ValueError(f"{value} is not a policy profile folder (no programmes.yaml)")
        return value


class ConfigurationError(Exception):
    """One line naming the variable that is wrong, for the operator."""


NO_SECRET_KEY = (
    "YIMEN_SECRET_KEY: needed to encrypt residents' personal data; make one with "
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


def keyring_of(settings: Settings) -> Keyring:
    """The operator's keys from YIMEN_SECRET_KEY; a one-line error when there are none."""
    if settings.secret_key is None:
        raise ConfigurationError(NO_SECRET_KEY)
    return Keyring.parse(settings.secret_key.get_secret_value())


def load_settings(**overrides: object) -> Settings:
    """Read settings; turn validation errors into one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigurationError(f"YIMEN_{field.upper()}: {message}") from None
