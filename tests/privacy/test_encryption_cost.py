"""Encryption on the hot path: an update encrypts each changed column once, nothing else."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from sandbox.scripts import alone_on_a_small_pension
from storage.crypto import Keyring
from tests.conftest import BotHarness
from tests.factories import play


async def test_an_answer_encrypts_only_what_changed(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: Counter[str] = Counter()
    encrypt, decrypt = Keyring.encrypt, Keyring.decrypt

    def counting_encrypt(self: Keyring, value: str) -> str:
        calls["encrypt"] += 1
        return encrypt(self, value)

    def counting_decrypt(self: Keyring, token: str) -> str:
        calls["decrypt"] += 1
        return decrypt(self, token)

    monkeypatch.setattr(Keyring, "encrypt", counting_encrypt)
    monkeypatch.setattr(Keyring, "decrypt", counting_decrypt)
    person = bot.person(5001)
    script = alone_on_a_small_pension("76岁")
    await play(person, script[:-1])
    calls.clear()
    await play(person, script[-1:])
    # The last answer stores the screening (answers, verdicts) and the conversation's answers
    # and view (which now names the screening): four values, each encrypted once.
    assert calls["encrypt"] == 4
    # The conversation's answers, read once; its view was empty, and an empty value is stored
    # as it is (it says nothing about anyone).
    assert calls["decrypt"] == 1


async def test_a_middle_answer_costs_one_encryption(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: Counter[str] = Counter()
    encrypt = Keyring.encrypt

    def counting_encrypt(self: Keyring, value: str) -> str:
        calls["encrypt"] += 1
        return encrypt(self, value)

    monkeypatch.setattr(Keyring, "encrypt", counting_encrypt)
    person = bot.person(5001)
    script = alone_on_a_small_pension("76岁")
    await play(person, script[:6])
    calls.clear()
    await play(person, script[6:7])
    assert calls["encrypt"] == 1  # the answers; the unchanged view is not written again


def test_only_empty_values_are_stored_as_they_are() -> None:
    from types import SimpleNamespace

    from storage.crypto import EncryptedJson, EncryptedText, attach
    from tests.conftest import synthetic_keyring

    keyring = synthetic_keyring()
    dialect: Any = SimpleNamespace()
    attach(dialect, keyring)
    as_json, as_text = EncryptedJson(), EncryptedText()
    for empty in ({}, []):
        assert as_json.process_bind_param(empty, dialect) in ("{}", "[]")
        assert as_json.process_result_value(json.dumps(empty), dialect) == empty
    assert as_text.process_bind_param("", dialect) == ""
    sealed = as_json.process_bind_param({"age": 76}, dialect)
    assert sealed is not None and sealed.startswith(f"{keyring.key_id}:") and "76" not in sealed
    assert as_json.process_result_value(sealed, dialect) == {"age": 76}
    assert as_text.process_result_value(as_text.process_bind_param("张桂兰", dialect), dialect) == (
        "张桂兰"
    )
