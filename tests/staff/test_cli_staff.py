"""`yimen staff add|remove|list`: checked ids, clear one-line errors, every change audited."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from storage.crypto import Keyring
from storage.migrate import upgrade
from tests.conftest import TEST_SECRET_KEY

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no developer .env
    path = tmp_path / "staff.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    monkeypatch.setenv("YIMEN_DATABASE_URL", url)
    monkeypatch.setenv("YIMEN_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("YIMEN_ADMIN_IDS", "9001")
    return path


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return list(connection.execute(sql))


def test_add_list_remove(database: Path) -> None:
    added = runner.invoke(app, ["staff", "add", "7001", "--role", "window", "--town", "baisha"])
    assert added.exit_code == 0, added.output
    assert "added 7001 as window (baisha)" in added.output
    every_town = runner.invoke(app, ["staff", "add", "7002", "--role", "window", "--name", "陈晓"])
    assert "(all towns)" in every_town.output
    department = runner.invoke(
        app, ["staff", "add", "7101", "--role", "department", "--department", "civil_affairs"]
    )
    assert department.exit_code == 0, department.output
    # Adding the same role twice changes nothing.
    runner.invoke(app, ["staff", "add", "7001", "--role", "window", "--town", "baisha"])

    listed = runner.invoke(app, ["staff", "list"])
    assert listed.exit_code == 0
    assert listed.output.splitlines() == [
        "7101  department  civil_affairs",
        "7001  window  baisha",
        "7002  window  -  陈晓",
        "9001  admin  (YIMEN_ADMIN_IDS)",
    ]

    removed = runner.invoke(app, ["staff", "remove", "7001"])
    assert removed.exit_code == 0 and "removed 1 role of 7001" in removed.output
    again = runner.invoke(app, ["staff", "remove", "7001"])
    assert again.exit_code == 1 and "holds no staff role" in again.output
    assert rows(database, "SELECT COUNT(*) FROM staff_members") == [(2,)]

    audit = rows(database, "SELECT action, subject, actor_id, outcome, detail FROM audit_events")
    assert [(a, s, actor, o) for a, s, actor, o, _ in audit] == [
        ("staff.add", "user:7001", None, "allowed"),
        ("staff.add", "user:7002", None, "allowed"),
        ("staff.add", "user:7101", None, "allowed"),
        ("staff.add", "user:7001", None, "allowed"),
        ("staff.remove", "user:7001", None, "allowed"),
        ("staff.remove", "user:7001", None, "allowed"),
    ]
    # The detail is encrypted at rest; decrypted, it names the command line as the actor.
    keyring = Keyring.parse(TEST_SECRET_KEY)
    assert all('"actor":"cli' in keyring.decrypt(str(detail)) for *_, detail in audit)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["add", "777000", "--role", "admin"], "Telegram service account"),
        (["add", "1087968824", "--role", "window"], "Telegram service account"),
        (["add", "abc", "--role", "window"], "not a Telegram user id"),
        (["add", "--role", "window", "--", "-100200"], "chat id"),
        (["add", "7001", "--role", "boss"], "unknown role 'boss'"),
        (["add", "7001", "--role", "window", "--town", "atlantis"], "unknown town 'atlantis'"),
        (["add", "7001", "--role", "department", "--department", "nope"], "unknown department"),
        (["add", "7001", "--role", "department"], "need a department id"),
        (["add", "7001", "--role", "window", "--department", "health"], "not to a department"),
        (["add", "7001", "--role", "admin", "--town", "baisha"], "neither a town"),
        (["remove", "777000"], "Telegram service account"),
        (["remove", "7001", "--role", "boss"], "unknown role"),
    ],
)
def test_bad_ids_are_one_line_and_exit_2(
    database: Path, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, ["staff", *arguments])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output
    assert "Traceback" not in result.output
    assert rows(database, "SELECT COUNT(*) FROM staff_members") == [(0,)]
    assert rows(database, "SELECT COUNT(*) FROM audit_events") == [(0,)]


def test_an_unmigrated_database_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("YIMEN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    result = runner.invoke(app, ["staff", "list"])
    assert result.exit_code == 1
    assert "yimen db upgrade" in result.output


def test_the_cli_leaves_no_event_loop_behind(database: Path) -> None:
    runner.invoke(app, ["staff", "list"])
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
