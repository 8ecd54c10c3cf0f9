"""Keys: rotation round trip (resumable), the key census, and a wrong key refused at start."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner, Result

from bot.casework.applications import open_duplicates
from bot.cli import app
from storage.crypto import Keyring, key_id
from storage.db import Database
from storage.keys import census, rotate
from storage.migrate import upgrade
from storage.models import Application, AuditEvent, OutboxMessage
from tests.conftest import TEST_SECRET_KEY, BotHarness, Clock, started_bot
from tests.factories import draft, gb11643
from tests.helpers import apply, resident

runner = CliRunner()
KEY_A = TEST_SECRET_KEY
KEY_B = "u8Qh0cXqk0t2Nw7mQ8Xo3m6J1s9Z4a5b6C7d8E9f0gA="  # synthetic, tests only
A, B = key_id(KEY_A), key_id(KEY_B)
ID_NUMBER = draft(0).subject_id_number


async def cli(*args: str) -> Result:
    """The real command, off the test's event loop (the command runs its own)."""
    return await asyncio.to_thread(runner.invoke, app, list(args))


async def harness(url: str, keys: str, clock: Clock) -> BotHarness:
    return await started_bot(clock, database_url=url, secret_key=keys)


async def test_rotation_round_trip(
    bot: BotHarness, database_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Written under key A: two applications (one closed is not needed: both open).
    await apply(bot, await resident(bot, 1001))
    await apply(bot, await resident(bot, 1002), subject_id_number="120103198806018241")
    await bot.stop()
    monkeypatch.setenv("YIMEN_DATABASE_URL", database_url)

    # The new key goes in front; until the rotation, everything is still under A.
    monkeypatch.setenv("YIMEN_SECRET_KEY", f"{KEY_B},{KEY_A}")
    before = await cli("keys", "check")
    assert before.exit_code == 0, before.output
    assert f"key {B} (first, encrypts): 0 values" in before.output
    assert f"key {A}: " in before.output and "run `yimen keys rotate`" in before.output

    rotated = await cli("keys", "rotate", "--batch", "1")
    assert rotated.exit_code == 0, rotated.output
    assert f"re-encrypting under key {B}" in rotated.output
    assert "applications.applicant_name: 1/2" in rotated.output  # progress, batch by batch
    after = await cli("keys", "check")
    assert after.exit_code == 0, after.output
    assert f"key {A}: 0 values (it can be removed" in after.output
    lines = [line.split() for line in after.output.splitlines() if line.startswith("applications.")]
    assert lines and all(kid == B for _, kid, _ in lines)

    # The old key removed: key B alone reads everything, and the same digest finds the
    # open application (the digest key did not change with the encryption key).
    monkeypatch.setenv("YIMEN_SECRET_KEY", KEY_B)
    only_b = await harness(database_url, KEY_B, clock)
    try:
        async with only_b.database.transaction() as session:
            names = set(await session.scalars(select(Application.applicant_name)))
            assert names == {"王秀英"}
            ids = set(await session.scalars(select(Application.subject_id_number)))
            assert ids == {ID_NUMBER, "120103198806018241"}
            assert all(p for p in await session.scalars(select(OutboxMessage.payload)))
            found = await open_duplicates(
                session,
                only_b.components.casework,
                subject_id_number=ID_NUMBER,
                programmes=["dibao"],
            )
        assert found == (("dibao", "JJ-2026-000001"),)
    finally:
        await only_b.stop()

    # Key A alone can no longer read this database: refused with one line.
    monkeypatch.setenv("YIMEN_SECRET_KEY", KEY_A)
    refused = await cli("keys", "check")
    assert refused.exit_code == 2
    assert refused.output.strip().splitlines() == [
        "yimen keys: bad configuration: YIMEN_SECRET_KEY: none of these keys can read this "
        f"database (it was written with key id {B})"
    ]


async def test_a_rotation_stopped_halfway_goes_on_where_it_stopped(
    bot: BotHarness, database_url: str
) -> None:
    for telegram_id in (1001, 1002, 1003):
        await apply(
            bot,
            await resident(bot, telegram_id),
            subject_id_number=gb11643(f"3604261991010{telegram_id:04d}"),
        )
    await bot.stop()
    keyring = Keyring.parse(f"{KEY_B},{KEY_A}")
    db = Database(database_url, keyring=keyring)

    class Killed(Exception):
        pass

    def kill_after_first_batch(column: str, done: int, left: int) -> None:
        if done == 1:
            raise Killed

    try:
        await db.unlock()
        with pytest.raises(Killed):
            await rotate(db, keyring, batch=1, progress=kill_after_first_batch)
        counts = {(c.column, c.key_id): c.values for c in await census(db)}
        # One batch (one row) was committed before the kill; nothing was lost or doubled.
        first = next(column for column, kid in counts if kid == B)
        assert counts[(first, B)] == 1
        assert counts[(first, A)] >= 1

        seen: list[tuple[str, int, int]] = []
        await rotate(db, keyring, batch=2, progress=lambda c, d, n: seen.append((c, d, n)))
        assert (first, 0, counts[(first, A)]) in seen  # only what was left is redone
        assert {kid for _, kid in {(c.column, c.key_id) for c in await census(db)}} == {B}
        async with db.transaction() as session:
            assert len(set(await session.scalars(select(Application.subject_id_number)))) == 3
    finally:
        await db.dispose()


async def test_a_wrong_key_is_refused_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> None:
    path = tmp_path / "var" / "yimen.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    written = await harness(url, KEY_A, clock)  # the first start makes the key check
    await apply(written, await resident(written, 1001))
    await written.stop()

    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("YIMEN_DATABASE_URL", url)
    monkeypatch.setenv("YIMEN_BOT_TOKEN", "123456:TEST-wrong-key")
    monkeypatch.setenv("YIMEN_SECRET_KEY", Fernet.generate_key().decode())
    result = await cli("run")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "yimen: bad configuration: YIMEN_SECRET_KEY: none of these keys can read this "
        f"database (it was written with key id {A})"
    ]
    # The same for a command that reads personal data.
    monkeypatch.setenv("YIMEN_ADMIN_IDS", "9001")
    listed = await cli("broadcast", "status", "--admin", "9001")
    assert listed.exit_code == 2 and "none of these keys can read" in listed.output


async def test_check_fails_when_a_value_is_under_a_key_not_configured(
    bot: BotHarness, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await apply(bot, await resident(bot, 1001))
    await bot.stop()
    # A process that had another key in front wrote one value (the key check is still A's).
    key_c = Fernet.generate_key().decode()
    other = Database(database_url, keyring=Keyring.parse(f"{key_c},{KEY_A}"))
    try:
        async with other.transaction() as session:
            session.add(AuditEvent(action="test.write", outcome="allowed", detail={"x": 1}))
    finally:
        await other.dispose()

    monkeypatch.setenv("YIMEN_DATABASE_URL", database_url)
    monkeypatch.setenv("YIMEN_SECRET_KEY", KEY_A)
    result = await cli("keys", "check")
    assert result.exit_code == 1
    assert "audit_events.detail" in result.output and "(not configured)" in result.output
    assert f"values under key ids not in YIMEN_SECRET_KEY: {key_id(key_c)}" in result.output
