"""Migration 0004 encrypts the personal data a database already holds, in place."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sqlite3
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.casework.applications import open_duplicates
from storage.crypto import KeyProblem, Keyring, key_id
from storage.db import Database
from storage.migrate import upgrade, upgrade_async
from storage.models import (
    Application,
    AuditEvent,
    Conversation,
    NoticeSubscription,
    OutboxMessage,
    RescreenNotice,
    Screening,
    StatusEvent,
    SubmittedDocument,
)
from tests.conftest import TEST_SECRET_KEY

NAME = "柏秋萍"  # synthetic
ID_NUMBER = "500381195003010467"
PHONE = "13977415286"
VILLAGE = "松柏村"
NOTE = "邻居说她儿子在綦江打工"
RELAYED = "我想问问低保的事情麦冬"
FILE_ID = "AgACAgUAAxkBAAIBfakefileid0004"
NOW = "2026-03-01 02:00:00.000000"
PLAIN = [NAME, ID_NUMBER, PHONE, VILLAGE, NOTE, RELAYED, FILE_ID, "腰椎间盘", "独自居住"]


def old_digest(value: str) -> str:
    """How 0003 computed the duplicate digest: derived from the first encryption key."""
    key = hashlib.sha256(b"yimen-digest:" + TEST_SECRET_KEY.encode()).digest()
    return hmac.new(key, value.upper().encode(), hashlib.sha256).hexdigest()


def fill_0003(path: Path) -> None:
    """Rows as the bot of revision 0003 wrote them: plain, except bare Fernet tokens."""
    old = Fernet(TEST_SECRET_KEY.encode())

    def token(value: str) -> str:
        return old.encrypt(value.encode()).decode()

    sealed = {"sealed": token(ID_NUMBER)}
    answers = {"health": "腰椎间盘", "living": "独自居住", "applicant_id": sealed}
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO residents (id, telegram_user_id, locale, created_at, updated_at)"
            " VALUES (1, 5001, 'zh-CN', ?, ?)",
            (NOW, NOW),
        )
        db.execute(
            "INSERT INTO conversations (id, chat_id, resident_id, flow, step, status, answers,"
            " history, view, version, started_at, updated_at)"
            " VALUES (1, 5001, 1, 'application', 'review', 'active', ?, '[]', ?, 3, ?, ?)",
            (json.dumps(answers, ensure_ascii=False),
             json.dumps({"partial": {"household": {"name": NAME}}}, ensure_ascii=False), NOW, NOW),
        )  # fmt: skip
        db.execute(
            "INSERT INTO screenings (id, resident_id, answers, verdicts, standards_version,"
            " evaluated_on, urgent, created_at, updated_at)"
            " VALUES (1, 1, ?, '{\"dibao\": {\"verdict\": \"likely\"}}', 'v1', '2026-03-01',"
            " 0, ?, ?)",
            (json.dumps({"income": {"min": 400, "max": 400}, "living": "独自居住"},
                        ensure_ascii=False), NOW, NOW),
        )  # fmt: skip
        db.execute(
            "INSERT INTO applications (id, number, resident_id, screening_id, status, locale,"
            " applicant_name, applicant_id_number, applicant_phone, subject, relationship,"
            " subject_name, subject_id_number, subject_digest, subject_consent, guardian_consent,"
            " town_id, village, household, facts, urgent, rejection_reason, submitted_at,"
            " updated_at) VALUES (1, 'JJ-2026-000001', 1, 1, 'submitted', 'zh-CN', ?, ?, ?,"
            " 'self', NULL, ?, ?, ?, 0, 0, 'baisha', ?, '[]', ?, 0, NULL, ?, ?)",
            (NAME, token(ID_NUMBER), token(PHONE), NAME, token(ID_NUMBER), old_digest(ID_NUMBER),
             VILLAGE, json.dumps({"health": "腰椎间盘"}, ensure_ascii=False), NOW, NOW),
        )  # fmt: skip
        db.execute(
            "INSERT INTO department_tasks (id, application_id, programme_id, department_id,"
            " state, needs_public_notice, due_on, created_at, updated_at)"
            " VALUES (1, 1, 'dibao', 'civil_affairs', 'at_window', 1, '2026-04-01', ?, ?)",
            (NOW, NOW),
        )
        db.execute(
            "INSERT INTO status_events (id, application_id, actor_kind, action, note, created_at)"
            " VALUES (1, 1, 'staff', 'note', ?, ?)",
            (NOTE, NOW),
        )
        db.execute(
            "INSERT INTO submitted_documents (id, application_id, document_id, telegram_file_id,"
            " kind, received_at) VALUES (1, 1, 'id_card', ?, 'photo', ?)",
            (FILE_ID, NOW),
        )
        db.execute(
            "INSERT INTO outbox (id, chat_id, purpose, priority, payload, status, attempts,"
            " not_before, created_at) VALUES (1, -100, 'relay', 10, ?, 'pending', 0, ?, ?)",
            (json.dumps({"text": RELAYED}, ensure_ascii=False), NOW, NOW),
        )
        db.execute(
            "INSERT INTO audit_events (id, action, outcome, detail, created_at)"
            " VALUES (1, 'personal_data.unmasked', 'allowed', ?, ?)",
            (json.dumps({"quoted": NAME}, ensure_ascii=False), NOW),
        )
        db.execute(
            "INSERT INTO notice_subscriptions (id, resident_id, chat_id, active, topics,"
            " town_only, created_at, updated_at)"
            " VALUES (1, 1, 5001, 1, '[\"disability\"]', 0, ?, ?)",
            (NOW, NOW),
        )
        db.execute(
            "INSERT INTO rescreen_notices (id, resident_id, standards_version, improved,"
            ' created_at) VALUES (1, 1, \'v2\', \'{"dibao": ["unlikely", "likely"]}\', ?)',
            (NOW,),
        )


def raw_bytes(path: Path) -> bytes:
    return b"".join(
        Path(f"{path}{suffix}").read_bytes()
        for suffix in ("", "-wal")
        if Path(f"{path}{suffix}").exists()
    )


async def test_0004_encrypts_what_0003_stored(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_async(url, "0003")
    fill_0003(path)
    assert NAME.encode() in raw_bytes(path)

    await upgrade_async(url, keyring=Keyring.parse(TEST_SECRET_KEY))

    stored = raw_bytes(path)
    for value in PLAIN:
        assert value.encode() not in stored, value
    with sqlite3.connect(path) as db:
        (raw_name,) = db.execute("SELECT applicant_name FROM applications").fetchone()
    assert raw_name.startswith(key_id(TEST_SECRET_KEY) + ":")

    database = Database(url, keyring=Keyring.parse(TEST_SECRET_KEY))
    try:
        async with database.transaction() as session:
            application = (await session.scalars(select(Application))).one()
            assert (application.applicant_name, application.subject_name) == (NAME, NAME)
            assert application.applicant_id_number == ID_NUMBER
            assert application.subject_id_number == ID_NUMBER
            assert (application.applicant_phone, application.village) == (PHONE, VILLAGE)
            assert application.facts == {"health": "腰椎间盘"} and application.household == []
            # The digest is recomputed with the database's own digest key.
            assert application.subject_digest != old_digest(ID_NUMBER)
            conversation = (await session.scalars(select(Conversation))).one()
            # The answer sealed on its own is plain inside the encrypted whole now.
            assert conversation.answers["applicant_id"] == ID_NUMBER
            assert conversation.answers["health"] == "腰椎间盘"
            assert conversation.view == {"partial": {"household": {"name": NAME}}}
            screening = (await session.scalars(select(Screening))).one()
            assert screening.answers["income"] == {"min": 400, "max": 400}
            assert screening.verdicts == {"dibao": {"verdict": "likely"}}
            assert (await session.scalars(select(StatusEvent.note))).one() == NOTE
            document = (await session.scalars(select(SubmittedDocument))).one()
            assert document.telegram_file_id == FILE_ID
            assert (await session.scalars(select(OutboxMessage.payload))).one() == {"text": RELAYED}
            assert (await session.scalars(select(AuditEvent.detail))).one() == {"quoted": NAME}
            topics = (await session.scalars(select(NoticeSubscription.topics))).one()
            assert topics == ["disability"]
            improved = (await session.scalars(select(RescreenNotice.improved))).one()
            assert improved == {"dibao": ["unlikely", "likely"]}

            class Finder:  # what open_duplicates needs of Casework
                digest = staticmethod(database.keyring.digest)  # type: ignore[union-attr]

            found = await open_duplicates(
                session,
                Finder(),  # type: ignore[arg-type]
                subject_id_number=ID_NUMBER,
                programmes=["dibao"],
            )
            assert found == (("dibao", "JJ-2026-000001"),)
    finally:
        await database.dispose()


def test_0004_on_a_database_with_rows_needs_the_key(tmp_path: Path) -> None:
    path = tmp_path / "nokey.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0003")
    fill_0003(path)
    with pytest.raises(KeyProblem, match="YIMEN_SECRET_KEY: needed to encrypt"):
        upgrade(url)
    # Nothing was half done: the database is still at 0003, and a run with the key works.
    upgrade(url, keyring=Keyring.parse(TEST_SECRET_KEY))


def test_0004_refuses_keys_that_cannot_read_the_stored_tokens(tmp_path: Path) -> None:
    path = tmp_path / "wrong.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0003")
    fill_0003(path)
    with pytest.raises(KeyProblem, match="none of these keys can read the ID numbers"):
        upgrade(url, keyring=Keyring.parse(Fernet.generate_key().decode()))


def test_an_empty_database_needs_no_key(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM key_check").fetchone() == (0,)


async def test_a_database_goes_back_to_0003_with_its_data_readable(tmp_path: Path) -> None:
    from alembic import command

    from storage.migrate import alembic_config

    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_async(url, "0003")
    fill_0003(path)
    keyring = Keyring.parse(TEST_SECRET_KEY)
    await upgrade_async(url, keyring=keyring)
    database = Database(url, keyring=keyring)
    async with database.transaction() as session:
        conversation = await session.scalar(select(Conversation))
        assert conversation is not None
        conversation.view = {}  # stored as it is: no key id to read back
        application = await session.scalar(select(Application))
        assert application is not None
        application.rejection_reason = ""
    await database.dispose()

    # Alembic runs its own event loop (as storage.migrate.upgrade_async does).
    await asyncio.to_thread(command.downgrade, alembic_config(url, keyring), "0003")
    with sqlite3.connect(path) as db:
        village, name = db.execute("SELECT village, applicant_name FROM applications").fetchone()
        view = db.execute("SELECT view FROM conversations").fetchone()[0]
    assert (village, name) == (VILLAGE, NAME)
    assert json.loads(view) == {}
