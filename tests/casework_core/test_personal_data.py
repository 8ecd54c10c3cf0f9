"""Encryption at rest, keyed digests, masks, and working-day deadlines."""

from datetime import date

import pytest
from cryptography.fernet import Fernet, InvalidToken

from bot.casework.personal_data import PersonalDataVault, mask_id_number, mask_name, mask_phone
from bot.casework.workdays import add_working_days, due_date, working_days_left


def test_encrypts_decrypts_and_rotates_keys() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = PersonalDataVault(old).encrypt("360426199101010071")
    assert "360426" not in token
    rotated = PersonalDataVault(f"{new},{old}")
    assert rotated.decrypt(token) == "360426199101010071"
    with pytest.raises(InvalidToken):
        PersonalDataVault(new).decrypt(token)


def test_digest_finds_the_same_person_without_decrypting() -> None:
    vault = PersonalDataVault(Fernet.generate_key().decode())
    assert vault.digest("34052419800101001x") == vault.digest("34052419800101001X")
    assert vault.digest("360426199101010071") != vault.digest("120103198806018241")


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
