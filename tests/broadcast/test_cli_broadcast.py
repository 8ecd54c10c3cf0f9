"""`yimen broadcast` and `yimen rescreen`: checks, refusals, audit, and the rows they write."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from storage.db import Database
from storage.models import AuditEvent, Broadcast, BroadcastStatus, NoticeSubscription, Resident
from tests.conftest import TEST_SECRET_KEY, synthetic_keyring

runner = CliRunner()


@pytest.fixture
def env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("YIMEN_DATABASE_URL", database_url)
    monkeypatch.setenv("YIMEN_ADMIN_IDS", "9001")
    monkeypatch.setenv("YIMEN_SECRET_KEY", TEST_SECRET_KEY)

    async def seed() -> None:
        database = Database(database_url, keyring=synthetic_keyring())
        async with database.transaction() as session:
            for user_id in (11, 12):
                resident = Resident(telegram_user_id=user_id)
                session.add(resident)
                await session.flush()
                session.add(
                    NoticeSubscription(
                        resident_id=resident.id,
                        chat_id=user_id,
                        active=True,
                        topics=["all"],
                        town_id="baisha",
                        consent_version="2026-12",
                    )
                )
        await database.dispose()

    asyncio.run(seed())
    return database_url


def rows(url: str, model: type) -> list:  # type: ignore[type-arg]
    async def read() -> list:  # type: ignore[type-arg]
        database = Database(url, keyring=synthetic_keyring())
        async with database.transaction() as session:
            found = list((await session.scalars(select(model))).all())
        await database.dispose()
        return found

    return asyncio.run(read())


def test_a_broadcast_from_the_command_line(env: str) -> None:
    result = runner.invoke(
        app, ["broadcast", "send", "--admin", "9001", "--text", "新标准", "--yes"]
    )
    assert result.exit_code == 0, result.output
    assert "to 2 residents" in result.output
    (broadcast,) = rows(env, Broadcast)
    assert broadcast.status == BroadcastStatus.SENDING and broadcast.recipients == 2
    actions = {(a.action, a.outcome) for a in rows(env, AuditEvent)}
    assert {("broadcast.open", "allowed"), ("broadcast.confirmed", "allowed")} <= actions


def test_a_second_broadcast_waits_for_the_first(env: str) -> None:
    command = ["broadcast", "send", "--admin", "9001", "--text", "新标准", "--yes"]
    assert runner.invoke(app, command).exit_code == 0
    second = runner.invoke(app, command)
    assert second.exit_code != 0
    assert re.search(r"#\d+", second.output) and "在进行中" in second.output, second.output
    assert len(rows(env, Broadcast)) == 1  # no draft left behind
    second = runner.invoke(app, ["broadcast", "send", "--admin", "9001", "--text", "再来", "--yes"])
    assert second.exit_code == 2 and "#1" in second.output  # one at a time
    paused = runner.invoke(app, ["broadcast", "pause", "1", "--admin", "9001"])
    assert paused.exit_code == 0, paused.output
    status = runner.invoke(app, ["broadcast", "status", "--admin", "9001"])
    assert "#1 paused" in status.output
    assert runner.invoke(app, ["broadcast", "cancel", "1", "--admin", "9001"]).exit_code == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--text", "  "], "不能是空的"),
        (["--text", "字" * 5000], "太长"),
        (["--text", "x", "--audience", "town=jijiang"], "一个人也没有"),
        (["--text", "x", "--audience", "colour=red"], "“colour”不是"),
        (["--text", "x", "--at", "2020-01-01 09:00"], "已经过去"),
        (["--text", "x", "--photo", "NOT_AN_IMAGE"], "不是图片"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_sent(
    env: str, tmp_path: Path, arguments: list[str], message: str
) -> None:
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"%PDF-1.4 not a picture")
    arguments = [str(fake) if a == "NOT_AN_IMAGE" else a for a in arguments]
    result = runner.invoke(app, ["broadcast", "send", "--admin", "9001", *arguments, "--yes"])
    assert result.exit_code == 2 and message in result.output
    assert [b for b in rows(env, Broadcast) if b.status != BroadcastStatus.CANCELLED] == []


def test_non_admins_are_refused_and_audited(env: str) -> None:
    result = runner.invoke(app, ["broadcast", "send", "--admin", "4242", "--text", "x", "--yes"])
    assert result.exit_code == 2 and "only administrators" in result.output
    refused = [a for a in rows(env, AuditEvent) if a.outcome == "refused"]
    assert [(a.actor_id, a.action) for a in refused] == [(4242, "broadcast.open")]
    assert rows(env, Broadcast) == []


def test_rescreen_command_runs(env: str) -> None:
    result = runner.invoke(app, ["rescreen"])
    assert result.exit_code == 0, result.output
    assert "screenings re-evaluated" in result.output


def test_status_of_a_missing_broadcast_or_by_a_non_admin_exits_non_zero(env: str) -> None:
    missing = runner.invoke(app, ["broadcast", "status", "--admin", "9001"])
    assert missing.exit_code == 2 and "no such broadcast" in missing.output
    missing = runner.invoke(app, ["broadcast", "status", "41", "--admin", "9001"])
    assert missing.exit_code == 2 and "no such broadcast" in missing.output
    refused = runner.invoke(app, ["broadcast", "status", "--admin", "4242"])
    assert refused.exit_code == 2 and "only administrators" in refused.output


def test_rescreen_help_says_what_it_does(env: str) -> None:
    result = runner.invoke(app, ["rescreen", "--help"])
    assert result.exit_code == 0, result.output
    assert "COMMAND" not in result.output
    text = " ".join(result.output.split())
    assert "verdict improved" in text and "once" in text


@pytest.mark.parametrize(
    "arguments",
    [
        ["--text", "  "],
        ["--text", "x", "--audience", "town=北京"],
        ["--text", "x", "--audience", "colour=red"],
        ["--text", "x", "--at", "2020-01-01 09:00"],
    ],
)
def test_an_english_operator_reads_english(
    env: str, monkeypatch: pytest.MonkeyPatch, arguments: list[str]
) -> None:
    monkeypatch.setenv("YIMEN_LOCALE", "en")
    result = runner.invoke(app, ["broadcast", "send", "--admin", "9001", *arguments, "--yes"])
    assert result.exit_code == 2
    typed = {"北京"}  # what the operator typed is quoted back as it was
    words = result.output
    for word in typed:
        words = words.replace(word, "")
    assert not re.search(r"[\u3400-\u9fff]", words), result.output
