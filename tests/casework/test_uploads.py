"""A resident answers a request for documents by sending files straight into the chat."""

from __future__ import annotations

import re

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


HAN = re.compile(r"[\u3400-\u9fff]")


async def test_the_resident_says_which_document_a_file_is_in_their_language(desk: Desk) -> None:
    person, resident_id = await desk.resident(8104, "en")
    application_id = await desk.apply(resident_id, locale="en")
    await desk.settle()
    await desk.press(WINDOW, STAFF_CHAT, "📎 要求补材料")
    await desk.press(WINDOW, STAFF_CHAT, "📨 发送补材料通知")
    await desk.settle()

    await desk.bot.feed(desk.bot.telegram.make_update_photo(8104))
    asking = person.last
    taps = [str(b["callback_data"]) for b in asking.buttons if "callback_data" in b]
    assert "Which document is it?" in person.screen
    offered = [b for b in person.buttons if b != "✅ Everything is sent"]
    assert len(offered) >= 2 and not any(HAN.search(b) for b in person.buttons)
    assert not HAN.search(person.screen)
    chosen = offered[1]  # not the first missing item: the resident's word decides
    await person.tap(chosen)
    filed = person.last
    assert filed.message_id == asking.message_id  # the question becomes the answer, in place
    assert f"filed as “{chosen}”" in person.screen
    still = person.screen.split("Still needed: ")[1].split("\n")[0]
    assert offered[0] in still and chosen not in still and "、" not in still
    assert not HAN.search(person.screen)

    # The same tap again, or a forged one for a file that is not this resident's, does nothing.
    for data in (taps[0], "u|is|999999|0", taps[0].rpartition("|")[0] + "|99"):
        query = await desk.bot.forge(8104, 8104, asking.message_id, data)
        answer = desk.bot.telegram.callback_queries[query].answer
        assert answer is not None and "no longer active" in answer.get("text", "")
    async with desk.database.transaction() as session:
        kept = (
            await session.scalars(
                select(SubmittedDocument).where(SubmittedDocument.application_id == application_id)
            )
        ).all()
    assert len(kept) == 1 and kept[0].document_id != "unnamed"
    named_as = kept[0].document_id

    await person.tap("✅ Everything is sent")
    await desk.settle()
    assert "补充了材料" in desk.last(STAFF_CHAT).text or "received" in desk.last(STAFF_CHAT).text
    assert named_as not in desk.last(STAFF_CHAT).text  # shown by name, not by id
