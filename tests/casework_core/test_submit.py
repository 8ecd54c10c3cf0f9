"""Submitting creates everything in one transaction; the outbox carries the receipt and alert."""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import func, select, text

from bot.casework.applications import submit
from bot.casework.drafts import ApplicationDraft, DocumentDraft
from storage.models import (
    Application,
    DepartmentTask,
    OutboxMessage,
    StatusEvent,
    SubmittedDocument,
)
from tests import factories
from tests.conftest import STAFF_CHAT, BotHarness
from tests.helpers import resident


def draft(resident_id: int, **changes: object) -> ApplicationDraft:
    """With the ID card already sent, so that exactly the rest is missing."""
    documents = (DocumentDraft("id_card", "file-1", "photo", "image/jpeg", 2048),)
    return factories.draft(resident_id, **{"documents": documents, **changes})


async def test_submit_creates_application_tasks_events_documents_and_outbox(
    bot: BotHarness,
) -> None:
    components = bot.components
    resident_id = await resident(bot, 5001)
    async with components.database.transaction() as session:
        first = await submit(session, draft(resident_id), components.casework)
        second = await submit(
            session,
            draft(resident_id, subject_id_number="120103198806018241", programmes=("temporary",)),
            components.casework,
        )
    assert first.number == "JJ-2026-000001" and second.number == "JJ-2026-000002"
    assert "id_card" not in first.missing_documents
    assert "economic_check_authorisation" in first.missing_documents
    async with components.database.transaction() as session:
        application = await session.get(Application, first.application_id)
        assert application is not None
        # Decrypted by the column type; stored encrypted (the raw text, read past the type).
        assert application.subject_id_number == "360426199101010071"
        stored = (
            await session.execute(
                text("SELECT subject_id_number, applicant_phone FROM applications WHERE id = :i"),
                {"i": application.id},
            )
        ).one()
        assert "360426" not in stored[0] and "1381234" not in stored[1]
        tasks = (
            await session.scalars(
                select(DepartmentTask).where(DepartmentTask.application_id == application.id)
            )
        ).all()
        assert {(t.programme_id, t.department_id, t.state) for t in tasks} == {
            ("dibao", "civil_affairs", "at_window"),
            ("medical", "medical_security", "at_window"),
        }
        dibao = next(t for t in tasks if t.programme_id == "dibao")
        assert dibao.needs_public_notice and dibao.due_on > components.casework.today()
        events = await session.scalar(select(func.count()).select_from(StatusEvent))
        assert events == 5  # two "submitted", and one "created" per task (2 + 1)
        documents = (
            await session.scalars(
                select(SubmittedDocument).where(SubmittedDocument.application_id == application.id)
            )
        ).all()
        assert [d.document_id for d in documents] == ["id_card"]
        messages = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    purposes = [(m.purpose, m.chat_id) for m in messages]
    assert purposes[:2] == [("receipt", 5001), ("alert", STAFF_CHAT)]
    receipt_text = messages[0].payload["text"]
    assert "JJ-2026-000001" in receipt_text and "家庭经济状况核对授权书" in receipt_text
    alert = messages[1].payload["text"]
    assert "360************071" in alert and "138****5678" in alert and "王**" in alert
    assert "360426199101010071" not in alert
    bot.telegram.add_group(STAFF_CHAT, "白沙镇社会救助窗口")
    bot.telegram.add_user(5001, "王秀英")
    bot.telegram.make_update_text(5001, "/start")
    await bot.dispatch()
    staff = bot.telegram.chat_messages(STAFF_CHAT)
    assert any("JJ-2026-000001" in (m.text or "") for m in staff)
    assert any("提交回执" in (m.text or "") for m in bot.telegram.chat_messages(5001))


async def test_an_open_application_is_shown_not_duplicated(bot: BotHarness) -> None:
    components = bot.components
    resident_id = await resident(bot, 5002)
    async with components.database.transaction() as session:
        first = await submit(session, draft(resident_id), components.casework)
        again = await submit(
            session, draft(resident_id, programmes=("dibao", "housing")), components.casework
        )
    assert again.duplicates == (("dibao", first.number),)
    async with components.database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Application)) == 1


async def test_a_child_case_never_goes_to_public_notice(bot: BotHarness) -> None:
    components = bot.components
    resident_id = await resident(bot, 5003)
    child = draft(
        resident_id,
        subject="family",
        relationship="grandchild",
        subject_name="李小明",
        subject_id_number="500116201801010017",
        guardian_consent=True,
    )
    async with components.database.transaction() as session:
        submission = await submit(session, child, components.casework)
        task = await session.scalar(
            select(DepartmentTask).where(
                DepartmentTask.application_id == submission.application_id,
                DepartmentTask.programme_id == "dibao",
            )
        )
    assert task is not None and not task.needs_public_notice


async def test_the_application_keeps_the_drafts_answers_as_given(bot: BotHarness) -> None:
    """Every answer of the draft that is not the default, on the stored application."""
    components = bot.components
    resident_id = await resident(bot, 5004)
    given = draft(
        resident_id,
        locale="en",
        applicant_name="李建国",
        applicant_id_number="360426196505050038",
        applicant_phone="13912345678",
        subject="family",
        relationship="spouse",
        subject_consent=False,
        guardian_consent=True,
        guardian_name="李建国",
        guardian_relationship="father",
        town_id="shimen",
        village="石门村",
        urgent=True,
    )
    async with components.database.transaction() as session:
        submitted = await submit(session, given, components.casework)
    async with components.database.transaction() as session:
        application = await session.get(Application, submitted.application_id)
        assert application is not None
        # Every draft field the application has a column of the same name for.
        columns = set(Application.__table__.columns.keys())
        same_named = [f.name for f in fields(ApplicationDraft) if f.name in columns]
        kept = {name: getattr(application, name) for name in same_named}
    assert "urgent" in same_named and "guardian_relationship" in same_named
    assert kept == {name: _stored(getattr(given, name)) for name in same_named}


def _stored(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value
