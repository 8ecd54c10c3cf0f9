"""The dispatcher is woken by the commits that write outbox rows; during an update, only once
the handler is done, so a receipt never overtakes the screen that announces it."""

from __future__ import annotations

from bot.delivery.wakes import wakes_after_handling
from storage import outbox
from storage.models import Priority, Resident
from tests.conftest import BotHarness


async def test_a_commit_with_outbox_rows_wakes_the_dispatcher(bot: BotHarness) -> None:
    assert bot.application is not None
    app = bot.application.bot_data.app
    app.dispatcher.wake.clear()
    async with app.database.transaction() as session:
        session.add(Resident(telegram_user_id=4101))
    assert not app.dispatcher.wake.is_set()  # nothing for the outbox
    async with app.database.transaction() as session:
        await outbox.enqueue(
            session, chat_id=4101, purpose="receipt", priority=Priority.RESIDENT, text="·"
        )
        assert not app.dispatcher.wake.is_set()  # not before the commit
    assert app.dispatcher.wake.is_set()


async def test_during_an_update_the_wake_waits_for_the_handler(bot: BotHarness) -> None:
    assert bot.application is not None
    app = bot.application.bot_data.app
    app.dispatcher.wake.clear()
    with wakes_after_handling():
        async with app.database.transaction() as session:
            await outbox.enqueue(
                session, chat_id=4102, purpose="receipt", priority=Priority.RESIDENT, text="·"
            )
        assert not app.dispatcher.wake.is_set()  # the handler still shows its reply
    assert app.dispatcher.wake.is_set()


async def test_a_resident_update_that_queues_a_receipt_wakes_the_dispatcher(
    bot: BotHarness,
) -> None:
    assert bot.application is not None
    app = bot.application.bot_data.app
    person = bot.person(4103)
    await person.send("/staff")
    app.dispatcher.wake.clear()
    await person.send("您好")  # relayed: an outbox row for the staff chat
    assert app.dispatcher.wake.is_set()
