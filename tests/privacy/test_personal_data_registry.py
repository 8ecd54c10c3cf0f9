"""The privacy notices, the models and the encryption stay in step (issue: say what is true).

Every column of personal data uses an encrypted type; every other text column is declared not
personal, with a reason, so a new column must be classified; and every kind of personal data
is named in every privacy notice, in both languages.
"""

from __future__ import annotations

import pytest
from sqlalchemy import JSON, String, Text

from bot.flows.model import Screen
from bot.policy import load_profile
from bot.policy.profile import default_profile_path
from bot.render import LOCALES, Renderer
from storage.crypto import EncryptedJson, EncryptedText
from storage.keys import encrypted_columns
from storage.models import NOT_PERSONAL, PERSONAL_DATA, Base

NOTICES = ("screening/consent.html", "application/consent.html", "application/notice.html")
COLUMNS = {f"{t.name}.{c.name}": c for t in Base.metadata.sorted_tables for c in t.columns}
REGISTERED = {name for names in PERSONAL_DATA.values() for name in names}


def is_text(column_type: object) -> bool:
    impl = getattr(column_type, "impl", column_type)
    return isinstance(column_type, String | Text | JSON) or isinstance(impl, String | Text | JSON)


def test_every_registered_column_exists_and_is_encrypted() -> None:
    for name in sorted(REGISTERED):
        assert name in COLUMNS, f"{name} is registered as personal data but is not a column"
        assert isinstance(COLUMNS[name].type, EncryptedText | EncryptedJson), (
            f"{name} holds personal data but is not stored encrypted"
        )


def test_every_encrypted_column_is_named_in_the_notices() -> None:
    encrypted = {c.name for c in encrypted_columns()} - {"key_check.digest_key"}
    assert encrypted == REGISTERED


def test_every_other_text_column_is_declared_not_personal() -> None:
    unclassified = [
        name
        for name, column in COLUMNS.items()
        if is_text(column.type) and name not in REGISTERED and name not in NOT_PERSONAL
    ]
    assert unclassified == [], (
        "classify these columns: personal (storage/models.py PERSONAL_DATA, with an Encrypted "
        "type, and named in the privacy notices) or NOT_PERSONAL (with the reason)"
    )
    assert not REGISTERED & NOT_PERSONAL.keys()
    assert all(name in COLUMNS for name in NOT_PERSONAL), "NOT_PERSONAL names a missing column"


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(extra_globals={"profile": load_profile(default_profile_path())})


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("notice", NOTICES)
def test_the_notices_name_every_kind_and_how_it_is_encrypted(
    renderer: Renderer, locale: str, notice: str
) -> None:
    text = renderer.render(Screen(notice, {"number": None, "total": None, "hint": None}), locale)
    for kind in PERSONAL_DATA:
        word = renderer.catalogue(locale).entries[f"privacy.kind.{kind}"]
        assert word.replace("'", "&#39;") in text.text, (locale, notice, kind)
    for fact in ("Fernet", "AES-128-CBC", "HMAC-SHA256"):
        assert fact in text.text
