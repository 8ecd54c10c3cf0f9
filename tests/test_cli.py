"""The `yimen` command: clear one-line errors, flow checks and diagrams."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env, and ./var is the test's own


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("YIMEN_BOT_TOKEN", "not-a-token"),
        ("YIMEN_LOCALE", "fr"),
        ("YIMEN_DATABASE_URL", "mysql://nope"),
        ("YIMEN_ADMIN_IDS", "12,abc"),
        ("YIMEN_STAFF_CHAT_ID", "staff"),
        ("YIMEN_PROFILE", "/nowhere"),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = runner.invoke(app, ["flows", "check"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0]
    assert "Traceback" not in result.output


def test_flows_check_passes_on_the_bundled_flows_and_profile() -> None:
    result = runner.invoke(app, ["flows", "check"])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_flows_check_names_a_broken_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from bot.policy import default_profile_path

    broken = tmp_path / "broken"
    shutil.copytree(default_profile_path(), broken)
    programmes = broken / "programmes.yaml"
    programmes.write_text(
        programmes.read_text().replace("department: civil_affairs", "department: nobody", 1)
    )
    monkeypatch.setenv("YIMEN_PROFILE", str(broken))
    result = runner.invoke(app, ["flows", "check"])
    assert result.exit_code == 1
    assert "nobody" in result.output


def test_diagram_is_mermaid_generated_from_the_declaration() -> None:
    result = runner.invoke(app, ["flows", "diagram", "screening"])
    assert result.exit_code == 0
    assert result.output.startswith("stateDiagram-v2")
    assert "consent --> declined: consent equals decline" in result.output
    unknown = runner.invoke(app, ["flows", "diagram", "nope"])
    assert unknown.exit_code == 2 and "screening" in unknown.output


def test_db_upgrade_creates_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YIMEN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x' / 'y.db'}")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "x" / "y.db").exists()


def test_an_unknown_department_in_the_chat_settings_stops_the_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cryptography.fernet import Fernet

    monkeypatch.setenv("YIMEN_BOT_TOKEN", "123456:TEST")
    monkeypatch.setenv("YIMEN_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("YIMEN_DEPARTMENT_CHATS", "civil_affairs=-1001,civil_affair=-1002")
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "YIMEN_DEPARTMENT_CHATS" in lines[0]
    assert "'civil_affair'" in lines[0] and "civil_affairs" in lines[0]
    assert not Path("var").exists()  # stopped before the database was touched


def test_the_no_token_help_says_how_to_make_the_secret_key() -> None:
    from bot.cli import NO_TOKEN

    assert "YIMEN_SECRET_KEY" in NO_TOKEN and "Fernet.generate_key()" in NO_TOKEN
