"""A resident answers a request for documents by sending files straight into the chat."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Application, DepartmentTask, StatusEvent, SubmittedDocument
from tests.casework.conftest import CIVIL, CIVIL_CHAT, WINDOW, Desk
from tests.conftest import STAFF_CHAT


async def test_files_answer_a_department_request_and_the_task_carries_on(desk: Desk) -> None:
    person, resident_id = await desk.resident(8101)
    application_id = await desk.apply(resident_id)
    await desk.settle()
    await desk.press(WINDOW, STAFF_CHAT, "✅ 受理并转办")
    await desk.settle()
    await desk.press(CIVIL, CIVIL_CHAT, "✅ 接收办理")
    await desk.press(CIVIL, CIVIL_CHAT, "📎 要求补材料")
    await desk.press(CIVIL, CIVIL_CHAT, "⬜ 居民身份证")
    await desk.press(CIVIL, CIVIL_CHAT, "📨 发送补材料通知")
    await desk.settle()

    telegram = desk.bot.telegram
    await desk.bot.feed(
        telegram.make_update_document(
            8101, b"x" * (21 * 1024 * 1024), file_name="scan.pdf", mime_type="application/pdf"
        )
    )
    assert "20 MB" in person.screen  # too large: a kind hint, nothing kept
    await desk.bot.feed(telegram.make_update_sticker(8101))
    await desk.bot.feed(telegram.make_update_photo(8101))
    assert "已收到" in person.screen and "居民身份证" in person.screen
    await person.tap("✅ 都发完了")
    assert "谢谢" in person.screen
    async with desk.database.transaction() as session:
        task = await session.scalar(
            select(DepartmentTask).where(
                DepartmentTask.application_id == application_id,
                DepartmentTask.department_id == "civil_affairs",
            )
        )
        assert task is not None and task.state == "accepted"
        kept = (
            await session.scalars(
                select(SubmittedDocument).where(SubmittedDocument.task_id == task.id)
            )
        ).all()
        assert [(d.document_id, d.kind) for d in kept] == [("id_card", "photo")]


async def test_files_answer_the_windows_request_and_the_window_is_told(desk: Desk) -> None:
    person, resident_id = await desk.resident(8102, "en")
    application_id = await desk.apply(resident_id, locale="en")
    await desk.settle()
    await desk.press(WINDOW, STAFF_CHAT, "📎 要求补材料")
    await desk.press(WINDOW, STAFF_CHAT, "📨 发送补材料通知")
    await desk.settle()
    async with desk.database.transaction() as session:
        application = await session.get(Application, application_id)
        assert application is not None and application.status == "documents_requested"
    await desk.bot.feed(
        desk.bot.telegram.make_update_document(
            8102, b"%PDF-1.4 synthetic", file_name="proof.pdf", mime_type="application/pdf"
        )
    )
    assert "Received" in person.screen
    await person.tap("✅ Everything is sent")
    await desk.settle()
    assert (
        "documents received" in desk.last(STAFF_CHAT).text.lower()
        or "补充了材料" in desk.last(STAFF_CHAT).text
    )
    async with desk.database.transaction() as session:
        application = await session.get(Application, application_id)
        assert application is not None and application.status == "submitted"
        events = [
            e.action
            for e in await session.scalars(
                select(StatusEvent).where(StatusEvent.application_id == application_id)
            )
        ]
    assert "documents_received" in events


async def test_without_a_request_files_go_to_the_conversation(desk: Desk) -> None:
    person, _ = await desk.resident(8103)
    await desk.bot.feed(desk.bot.telegram.make_update_photo(8103))
    assert "已收到" not in person.screen  # the conversation's own hint instead
