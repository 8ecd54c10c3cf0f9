"""Encryption at rest, keyed digests, masks, and working-day deadlines."""

from datetime import date

import pytest
from cryptography.fernet import Fernet

from bot.casework.personal_data import mask_id_number, mask_name, mask_phone
from bot.casework.workdays import add_working_days, due_date, working_days_left
from storage.crypto import Keyring, UnknownKeyError, WrongKeyError, key_id


def test_encrypts_decrypts_and_rotates_keys() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = Keyring.parse(old).encrypt("360426199101010071")
    assert "360426" not in token
    # The key id is in the ciphertext: the value names the key that reads it.
    assert token.startswith(key_id(old) + ":")
    rotated = Keyring.parse(f"{new},{old}")
    assert rotated.decrypt(token) == "360426199101010071"
    assert rotated.encrypt("x").startswith(key_id(new) + ":")
    with pytest.raises(UnknownKeyError):
        Keyring.parse(new).decrypt(token)


def test_digest_key_is_the_databases_own_and_survives_rotation() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    first = Keyring.parse(old)
    sealed = first.seal_new_digest_key()
    first.unlock(sealed)
    assert first.digest("34052419800101001x") == first.digest("34052419800101001X")
    assert first.digest("360426199101010071") != first.digest("120103198806018241")
    # After a rotation the same sealed digest key (re-encrypted) gives the same digests.
    rotated = Keyring.parse(f"{new},{old}")
    rotated.unlock(rotated.encrypt(rotated.decrypt(sealed)))
    assert rotated.digest("360426199101010071") == first.digest("360426199101010071")
    # The digest key is not derived from the encryption key: another database differs.
    other = Keyring.parse(old)
    other.unlock(other.seal_new_digest_key())
    assert other.digest("360426199101010071") != first.digest("360426199101010071")
    with pytest.raises(WrongKeyError, match=key_id(old)):
        Keyring.parse(new).unlock(sealed)


def test_masks() -> None:
    assert mask_id_number("360426199101010071") == "360************071"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张**"
    assert mask_name("Wang Fang") == "W*** F***"


def test_working_days_skip_holidays_and_count_make_up_days() -> None:
    # National Day 2026: 1-7 October off; the days around it follow the official calendar.
    assert add_working_days(date(2026, 9, 30), 1) > date(2026, 10, 7)
    # An ordinary week: Friday + 1 working day is Monday.
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)
    assert due_date(date(2026, 3, 6), 10, working_days=False) == date(2026, 3, 16)
    assert working_days_left(date(2026, 3, 6), date(2026, 3, 9)) == 1
    assert working_days_left(date(2026, 3, 10), date(2026, 3, 9)) == -1
