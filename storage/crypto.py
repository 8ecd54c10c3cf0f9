"""Personal data at rest: encrypted column types, the operator's keys and the keyed digest.

Every value a resident told us is stored as ``<key id>:<Fernet token>`` (Fernet: AES-128-CBC
with an HMAC-SHA256 tag). The key id is the first 8 hex characters of the key's SHA-256, so a
value names the key that can read it: rotation can find what is left under an old key, and a
wrong key is told apart from damaged data.

The keys come from the operator (``YIMEN_SECRET_KEY``: comma-separated, the first encrypts,
all decrypt) and never enter the database. Equality look-ups use an HMAC-SHA256 digest whose
key is random, made once per database and stored there encrypted under the keys (the
``key_check`` row): it survives rotation, and a key set that cannot open it is refused at start.

An engine learns its keyring from :func:`attach`; the column types read it from the dialect
they are given, so two databases with different keys can be open in one process.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator

KEY_ID_LENGTH = 8
DIGEST_KEY_BYTES = 32
# Decrypted values kept per keyring, newest used last (a few megabytes at most).
DECRYPTED_KEPT = 4096
# Stored as they are: an empty text or document says nothing about anyone, and a conversation
# row's view is empty at most updates (an encryption and a decryption saved each time).
PLAIN_EMPTIES = ("", "{}", "[]")
_DIALECT_ATTRIBUTE = "yimen_keyring"


class KeyProblem(Exception):
    """Something wrong with the operator's keys, said in one line (the command exits 2)."""


class KeyringMissingError(KeyProblem):
    """An encrypted column was used on an engine that was given no keys."""


class UnknownKeyError(ValueError):
    """A stored value was written with a key that is not configured."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"no configured key has id {key_id!r}")
        self.key_id = key_id


class WrongKeyError(KeyProblem):
    """The configured keys cannot read this database's key check: one line for the operator."""

    def __init__(self, written_with: str) -> None:
        super().__init__(
            "YIMEN_SECRET_KEY: none of these keys can read this database "
            f"(it was written with key id {written_with})"
        )
        self.written_with = written_with


def key_id(key: str) -> str:
    """The public name of a Fernet key: 8 hex characters of its SHA-256."""
    return hashlib.sha256(key.strip().encode()).hexdigest()[:KEY_ID_LENGTH]


def key_id_of(token: str) -> str:
    """The key id a stored value names (empty for a value without one)."""
    kid, sep, _ = token.partition(":")
    return kid if sep and len(kid) == KEY_ID_LENGTH else ""


class Keyring:
    """The operator's Fernet keys (first encrypts, all decrypt) and the database's digest key."""

    def __init__(self, keys: Sequence[str]) -> None:
        cleaned = [key.strip() for key in keys if key.strip()]
        if not cleaned:
            raise ValueError("at least one Fernet key is needed")
        self._fernets: dict[str, Fernet] = {}
        for key in cleaned:
            self._fernets.setdefault(key_id(key), Fernet(key))
        self.key_id = next(iter(self._fernets))
        self._current = self._fernets[self.key_id]
        self._digest_key: bytes | None = None
        # The same stored value is read again and again (an application's row at every staff
        # press): decrypted once, kept by its ciphertext, in a bounded cache of this process.
        self._opened: OrderedDict[str, str] = OrderedDict()

    @classmethod
    def parse(cls, keys: str) -> Keyring:
        """From ``YIMEN_SECRET_KEY``: comma-separated Fernet keys."""
        return cls(keys.split(","))

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._fernets)

    @property
    def fernets(self) -> tuple[Fernet, ...]:
        return tuple(self._fernets.values())

    def encrypt(self, value: str) -> str:
        return f"{self.key_id}:{self._current.encrypt(value.encode()).decode()}"

    def decrypt(self, token: str) -> str:
        opened = self._opened.get(token)
        if opened is not None:
            self._opened.move_to_end(token)
            return opened
        kid = key_id_of(token)
        fernet = self._fernets.get(kid)
        if fernet is None:
            raise UnknownKeyError(kid or "(none)")
        opened = fernet.decrypt(token[KEY_ID_LENGTH + 1 :].encode()).decode()
        self._opened[token] = opened
        if len(self._opened) > DECRYPTED_KEPT:
            self._opened.popitem(last=False)
        return opened

    # ---- the digest key ------------------------------------------------------------------------

    @property
    def unlocked(self) -> bool:
        return self._digest_key is not None

    def seal_new_digest_key(self) -> str:
        """A fresh random digest key, sealed under the current key, for a new database."""
        return self.encrypt(os.urandom(DIGEST_KEY_BYTES).hex())

    def unlock(self, sealed_digest_key: str) -> None:
        """Open the database's key check; :class:`WrongKeyError` if no key can."""
        try:
            self._digest_key = bytes.fromhex(self.decrypt(sealed_digest_key))
        except (UnknownKeyError, InvalidToken, ValueError):
            raise WrongKeyError(key_id_of(sealed_digest_key) or "unknown") from None

    def digest(self, value: str) -> str:
        """Keyed digest for equality look-ups (ID numbers: the check letter in either case)."""
        if self._digest_key is None:
            raise KeyringMissingError("the database's key check has not been read yet")
        return hmac.new(self._digest_key, value.upper().encode(), hashlib.sha256).hexdigest()


# ---- engines and column types -----------------------------------------------------------------


def attach(dialect: Dialect, keyring: Keyring | None) -> None:
    """Give an engine's dialect its keyring (the column types find it there)."""
    setattr(dialect, _DIALECT_ATTRIBUTE, keyring)


def keyring_of(dialect: Dialect) -> Keyring:
    keyring = getattr(dialect, _DIALECT_ATTRIBUTE, None)
    if not isinstance(keyring, Keyring):
        raise KeyringMissingError(
            "an encrypted column was used on a database opened without YIMEN_SECRET_KEY"
        )
    return keyring


class EncryptedText(TypeDecorator[str]):
    """Text encrypted under the engine's keyring; None stays NULL."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value
        return keyring_of(dialect).encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value == "":
            return ""
        return keyring_of(dialect).decrypt(str(value))


class EncryptedJson(TypeDecorator[Any]):
    """A JSON document encrypted as a whole; None stays NULL. Never filtered on in SQL."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        document = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if document in PLAIN_EMPTIES:
            return document
        return keyring_of(dialect).encrypt(document)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value in PLAIN_EMPTIES:
            return json.loads(value)
        return json.loads(keyring_of(dialect).decrypt(str(value)))
