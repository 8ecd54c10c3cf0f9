"""Encryption on the hot path: an update encrypts each changed column once, nothing else."""

from __future__ import annotations

from collections import Counter

import pytest

from sandbox.scripts import alone_on_a_small_pension
from storage.crypto import Keyring
from tests.conftest import BotHarness


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
    for kind, value in script[:-1]:
        await (person.send(value) if kind == "say" else person.tap(value))
    kind, value = script[-1]
    calls.clear()
    await person.tap(value)
    # The last answer stores the screening (answers, verdicts) and the conversation's answers
    # and view (which now names the screening): four values, each encrypted once.
    assert calls["encrypt"] == 4
    assert calls["decrypt"] == 2  # the conversation's answers and view, read once


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
    for kind, value in script[:6]:
        await (person.send(value) if kind == "say" else person.tap(value))
    kind, value = script[6]
    calls.clear()
    await (person.send(value) if kind == "say" else person.tap(value))
    assert calls["encrypt"] == 1  # the answers; the unchanged view is not written again
