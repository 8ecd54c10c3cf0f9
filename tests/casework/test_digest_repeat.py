"""A window digest cut off mid-send is sent again as it was, marked as a possible repeat."""

from __future__ import annotations

from sqlalchemy import select, update

from storage.models import OutboxMessage, OutboxStatus
from tests.casework.conftest import Desk
from tests.conftest import STAFF_CHAT
from tests.factories import gb11643


async def digests(desk: Desk) -> list[OutboxMessage]:
    async with desk.database.transaction() as session:
        query = select(OutboxMessage).where(OutboxMessage.purpose == "digest")
        return list(await session.scalars(query.order_by(OutboxMessage.id)))


async def test_a_digest_sent_again_takes_no_new_application_and_says_so(desk: Desk) -> None:
    _, resident_id = await desk.resident(7104)

    async def apply(n: int) -> int:
        subject = gb11643(f"50011619800201{n:02d}1")
        return await desk.apply(resident_id, subject_id_number=subject, programmes=("medical",))

    # Five alerts, then a digest that takes in the alerts not sent yet as well.
    ids = [await apply(n) for n in range(7)]
    [digest] = await digests(desk)
    assert digest.payload["applications"] == ids
    # The digest was being sent when the process died.
    async with desk.database.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == digest.id)
            .values(status=OutboxStatus.SENDING, attempts=1)
        )
    await desk.bot.restart()
    assert desk.bot.application is not None
    assert (await desk.bot.application.bot_data.app.dispatcher.recover()).resent == 1
    await apply(7)  # its own alert: the digest being sent again stays as it was
    [resent] = await digests(desk)
    assert resent.id == digest.id and resent.payload["applications"] == ids
    await desk.settle(61)
    texts = [m.text or "" for m in desk.messages(STAFF_CHAT)]
    repeats = [t for t in texts if t.startswith("（重发：此消息可能已收到过）")]
    assert len(repeats) == 1 and "7" in repeats[0]
    assert any(t for t in texts if not t.startswith("（重发") and "JJ-2026-000008" in t)
