"""`yimen resident export|forget`: the same rights for a request made in person at the window."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from bot.app import build_components
from bot.casework.applications import submit
from bot.cli import app as cli
from bot.config import load_settings
from storage.models import AuditEvent, Resident, Screening
from tests.conftest import TEST_SECRET_KEY
from tests.factories import draft

ID_NUMBER = "360426199101010071"  # synthetic (tests.factories)
T = TypeVar("T")
runner = CliRunner()


@pytest.fixture
def window(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The operator's environment, and 王秀英 (Telegram 4201) who screened and applied."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("YIMEN_DATABASE_URL", database_url)
    monkeypatch.setenv("YIMEN_SECRET_KEY", TEST_SECRET_KEY)
    asyncio.run(_applicant(database_url))
    return database_url


async def _applicant(database_url: str) -> None:
    settings = load_settings(_env_file=None, database_url=database_url, secret_key=TEST_SECRET_KEY)
    components = build_components(settings)
    try:
        async with components.database.transaction() as session:
            resident = Resident(telegram_user_id=4201, locale="zh-CN")
            session.add(resident)
            await session.flush()
            session.add(
                Screening(
                    resident_id=resident.id,
                    answers={"income": {"min": 400, "max": 400}},
                    verdicts={},
                    standards_version="2026",
                    evaluated_on=components.casework.today(),
                )
            )
            await submit(session, draft(resident.id), components.casework)
    finally:
        await components.database.dispose()


async def _read(database_url: str, query: Callable[[AsyncSession], Awaitable[T]]) -> T:
    settings = load_settings(_env_file=None, database_url=database_url, secret_key=TEST_SECRET_KEY)
    components = build_components(settings)
    try:
        async with components.database.transaction() as session:
            return await query(session)
    finally:
        await components.database.dispose()


async def _audit_rows(session: AsyncSession) -> list[tuple[str, str | None, str]]:
    rows = await session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(r.action, r.subject, json.dumps(r.detail)) for r in rows]


async def _screening_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Screening)) or 0)


def _audit(database_url: str) -> list[tuple[str, str | None, str]]:
    return asyncio.run(_read(database_url, _audit_rows))


def _screenings(database_url: str) -> int:
    return asyncio.run(_read(database_url, _screening_count))


def test_export_by_id_number_writes_an_owner_only_file(window: str, tmp_path: Path) -> None:
    out = tmp_path / "export.json"
    result = runner.invoke(cli, ["resident", "export", "--id-number", ID_NUMBER, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["resident"]["telegram_user_id"] == 4201
    assert data["applications"][0]["person"]["id_number"] == ID_NUMBER
    [(action, subject, detail)] = _audit(window)
    assert action == "rights.export" and subject is not None and subject.startswith("resident:")
    assert ID_NUMBER not in detail and "王秀英" not in detail and '"cli"' in detail


def test_export_by_telegram_id_prints_json(window: str) -> None:
    result = runner.invoke(cli, ["resident", "export", "--telegram-id", "4201"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["screenings"][0]["answers"]["income"]["min"] == 400


def test_unknown_person_and_bad_arguments_are_one_line(window: str) -> None:
    missing = runner.invoke(cli, ["resident", "export", "--telegram-id", "999"])
    assert missing.exit_code == 1 and "no resident with that Telegram id" in missing.output
    nobody = runner.invoke(
        cli, ["resident", "forget", "--id-number", "11010519491231002X", "--yes"]
    )
    assert nobody.exit_code == 1 and "nobody applied for themselves" in nobody.output
    both = runner.invoke(cli, ["resident", "export", "--telegram-id", "1", "--id-number", "X"])
    assert both.exit_code == 2 and "exactly one" in both.output
    unconfirmed = runner.invoke(cli, ["resident", "forget", "--telegram-id", "4201"])
    assert unconfirmed.exit_code == 2 and "--yes" in unconfirmed.output
    assert _screenings(window) == 1


def test_forget_by_id_number_deletes_and_names_what_is_kept(window: str) -> None:
    result = runner.invoke(cli, ["resident", "forget", "--id-number", ID_NUMBER, "--yes"])
    assert result.exit_code == 0, result.output
    assert "consent withdrawn" in result.output and "screenings 1" in result.output
    assert "kept by law: JJ-" in result.output and "while under review" in result.output
    assert ID_NUMBER not in result.output
    assert _screenings(window) == 0
    [(action, _subject, detail)] = _audit(window)
    assert action == "rights.forget" and ID_NUMBER not in detail


def test_a_wrong_key_is_one_line_not_a_traceback(
    window: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YIMEN_SECRET_KEY", "u8Qh0cXqk0t2Nw7mQ8Xo3m6J1s9Z4a5b6C7d8E9f0gA=")
    result = runner.invoke(cli, ["resident", "export", "--telegram-id", "4201"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("yimen resident: bad configuration:"), lines
