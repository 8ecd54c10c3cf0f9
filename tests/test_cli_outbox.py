"""`yimen outbox failed|retry`: what an administrator sees of undelivered messages, and a retry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from storage.db import Database
from storage.models import AuditEvent, OutboxMessage, OutboxStatus, Priority
from tests.conftest import TEST_SECRET_KEY, synthetic_keyring

runner = CliRunner()
SECRET = "张桂兰 500381195003010227"  # what a message says: never shown by the command


def seed(url: str) -> dict[str, int]:
    now = datetime.now(UTC)

    def row(purpose: str, status: str, error: str | None, days: float, **extra: object) -> dict:  # type: ignore[type-arg]
        at = now - timedelta(days=days)
        return {
            "chat_id": 6001,
            "purpose": purpose,
            "priority": Priority.RESIDENT,
            "payload": {"text": SECRET, "parse_mode": "HTML"},
            "status": status,
            "attempts": 8 if status == OutboxStatus.FAILED else 1,
            "error": error,
            "created_at": at,
            "not_before": at,
            "attempted_at": at,
            **extra,
        }

    rows = {
        "timed_out": row("digest", "failed", "timed out: read timeout", 1, chat_id=-1002000000001),
        "blocked": row("receipt", "failed", "blocked: Forbidden: bot was blocked by the user", 2),
        "old": row("notice", "failed", "Bad Request: chat not found", 30),
        "broadcast": row("broadcast", "failed", "blocked: Forbidden", 1, broadcast_id=1),
        "sent": row("receipt", "sent", None, 1),
    }

    async def write() -> dict[str, int]:
        database = Database(url, keyring=synthetic_keyring())
        ids: dict[str, int] = {}
        async with database.transaction() as session:
            for key, values in rows.items():
                message = OutboxMessage(**values)
                session.add(message)
                await session.flush()
                ids[key] = message.id
        await database.dispose()
        return ids

    return asyncio.run(write())


@pytest.fixture
def ids(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> dict[str, int]:
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.setenv("YIMEN_DATABASE_URL", database_url)
    monkeypatch.setenv("YIMEN_SECRET_KEY", TEST_SECRET_KEY)
    return seed(database_url)


def test_failed_lists_what_an_admin_needs_and_never_the_text(ids: dict[str, int]) -> None:
    result = runner.invoke(app, ["outbox", "failed"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "purpose" in lines[0] and "chat id" in lines[0] and "error" in lines[0]
    listed = [int(line.split()[0]) for line in lines[1:-1]]
    assert listed == [ids["timed_out"], ids["blocked"]]  # newest first, last 7 days
    assert "digest" in lines[1] and "-1002000000001" in lines[1] and "timed out" in lines[1]
    assert "张" not in result.output and "500381" not in result.output
    wider = runner.invoke(app, ["outbox", "failed", "--since", "60", "--broadcasts"])
    listed = [int(line.split()[0]) for line in wider.output.splitlines()[1:-1]]
    assert sorted(listed) == sorted(
        [ids["timed_out"], ids["blocked"], ids["old"], ids["broadcast"]]
    )


def test_retry_sends_one_again_and_is_audited(ids: dict[str, int], database_url: str) -> None:
    result = runner.invoke(app, ["outbox", "retry", str(ids["timed_out"])])
    assert result.exit_code == 0, result.output
    assert "will be sent again" in result.output

    async def read() -> tuple[OutboxMessage | None, list[AuditEvent]]:
        database = Database(database_url, keyring=synthetic_keyring())
        async with database.transaction() as session:
            row = await session.get(OutboxMessage, ids["timed_out"])
            audit = list((await session.scalars(select(AuditEvent))).all())
        await database.dispose()
        return row, audit

    row, audit = asyncio.run(read())
    assert row is not None and row.status == OutboxStatus.PENDING and row.attempts == 0
    assert [(a.action, a.subject) for a in audit] == [
        ("outbox.retry", f"outbox:{ids['timed_out']}")
    ]
    assert SECRET not in str(audit[0].detail)
    # Blocked: allowed, with a word on why it will probably fail again.
    blocked = runner.invoke(app, ["outbox", "retry", str(ids["blocked"])])
    assert blocked.exit_code == 0 and "blocked the bot" in blocked.output


@pytest.mark.parametrize(
    ("key", "why"),
    [("sent", "is sent, not failed"), ("broadcast", "at most once"), (None, "no outbox message")],
)
def test_retry_refuses_in_one_line(ids: dict[str, int], key: str | None, why: str) -> None:
    target = str(ids[key]) if key else "999999"
    result = runner.invoke(app, ["outbox", "retry", target])
    assert result.exit_code == 1
    assert why in result.output and len(result.output.strip().splitlines()) == 1
