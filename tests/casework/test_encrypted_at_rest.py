"""After a whole journey, the database file and its WAL hold nothing a resident or staff wrote
about the resident in readable form: only ``<key id>:<token>`` ciphertexts."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from storage.db import create_engine
from storage.models import Application, Screening, StatusEvent, SubmittedDocument
from tests.casework.conftest import WINDOW, Desk
from tests.conftest import STAFF_CHAT
from tests.factories import (
    BAISHA_SCREENING_ZH,
    Applicant,
    after_screening,
    id_number,
    play,
    send_photo,
    skip_remaining_documents,
)

# Synthetic values, each written once in the journey and looked for in the raw bytes.
BAI_QIUPING = Applicant("柏秋萍", id_number("19500301", "046"), "13977415286", "白沙", "松柏村")
NAME, ID_NUMBER, PHONE, VILLAGE = (
    BAI_QIUPING.name,
    BAI_QIUPING.id_number,
    BAI_QIUPING.phone,
    BAI_QIUPING.village,
)
STAFF_NOTE = "户口在重庆市綦江区松柏村三组"
RELAYED = "我的存折放在柜子里麦冬花"
TELEGRAM_NAME = "居民7301"  # the name the fake Telegram gives the resident


def raw(database_url: str) -> bytes:
    path = make_url(database_url).database
    assert path
    return b"".join(
        Path(path + suffix).read_bytes() for suffix in ("", "-wal") if Path(path + suffix).exists()
    )


@pytest.mark.usefixtures("casework_wired")
async def test_a_full_journey_leaves_no_readable_personal_data_in_the_file(desk: Desk) -> None:
    bot = desk.bot
    resident = bot.person(7301)

    # A screening with an income figure, then an application with name, ID, phone, village
    # and a document.
    await play(resident, [*BAISHA_SCREENING_ZH, *after_screening(BAI_QIUPING)])
    await send_photo(bot, resident)
    await skip_remaining_documents(resident)
    await resident.tap("📨 确认提交申请")
    assert "JJ-2026-000001" in resident.screen
    await bot.dispatch()
    alert = desk.last(STAFF_CHAT)

    # "Talk to staff": a relayed text goes through the outbox to the staff group.
    await resident.send("/staff")
    await resident.send(RELAYED)
    await bot.dispatch()
    assert RELAYED in (desk.last(STAFF_CHAT).text or "")

    # The window refuses it with a typed note (status event, rejection reason, notice).
    await desk.press(WINDOW, STAFF_CHAT, "❌ 不予受理", alert.message_id)
    await desk.press(WINDOW, STAFF_CHAT, "不是本地户籍", alert.message_id)
    await desk.type(WINDOW, STAFF_CHAT, STAFF_NOTE, reply_to=alert.message_id)
    await desk.settle()
    assert STAFF_NOTE in (resident.last.text or "")

    # Everything reads back through the column types …
    async with desk.database.transaction() as session:
        application = (await session.scalars(select(Application))).one()
        assert (application.applicant_name, application.applicant_phone) == (NAME, PHONE)
        assert application.village == VILLAGE and application.subject_id_number == ID_NUMBER
        assert STAFF_NOTE in (application.rejection_reason or "")
        notes = [n for n in await session.scalars(select(StatusEvent.note)) if n]
        assert any(STAFF_NOTE in note for note in notes)
        screening = (await session.scalars(select(Screening))).one()
        assert screening.answers["income"] == {"min": 400, "max": 400}
        [document] = await session.scalars(select(SubmittedDocument))
        file_id = document.telegram_file_id
        assert file_id

    # … and none of it is in the file or the WAL.
    stored = raw(desk.bot.settings.database_url)
    assert len(stored) > 100_000
    for value in (NAME, ID_NUMBER, PHONE, VILLAGE, STAFF_NOTE, RELAYED, TELEGRAM_NAME, file_id):
        assert stored.find(value.encode()) == -1, value
        # As a JSON document would hold it (\uXXXX escapes).
        assert stored.find(json.dumps(value)[1:-1].encode()) == -1, value
    # The screening's answers as JSON (step names alone are kept in the flow's history).
    for fragment in (b'"income":', b'"income": ', b'"min":400', b'"min": 400', "独自".encode()):
        assert stored.find(fragment) == -1, fragment


def modes(path: str) -> dict[str, int]:
    return {
        suffix: stat.S_IMODE(Path(path + suffix).stat().st_mode) for suffix in ("", "-wal", "-shm")
    }


async def test_the_database_file_is_the_owners_alone(desk: Desk) -> None:
    await desk.apply((await desk.resident(7302))[1])
    path = make_url(desk.bot.settings.database_url).database
    assert path
    assert modes(path) == {"": 0o600, "-wal": 0o600, "-shm": 0o600}


def test_a_new_database_folder_and_file_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "yimen.db"
    create_engine(f"sqlite+aiosqlite:///{path}")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A file another tool left readable by all is tightened when the bot opens it.
    path.chmod(0o644)
    create_engine(f"sqlite+aiosqlite:///{path}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
