"""Helpers for the resident's application conversation: synthetic people and their IDs."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from stdnum.cn import ric

from bot.dialogue import ResidentDialogue
from sandbox.scripts import WANG_FANG, alone_on_a_small_pension
from storage.models import Application, SubmittedDocument
from tests.conftest import BotHarness, Person

# Valid and invalid numbers from domain.md (GB 11643 examples, no real people).
VALID_IDS = ("360426199101010071", "120103198806018241", "34052419800101001X")
INVALID_IDS = ("360426199101010072", "340524198001010013")
BAISHA_SCREENING_ZH = alone_on_a_small_pension("76岁")
SHUANGFU_SCREENING_EN = WANG_FANG


def id_number(born: str, sequence: str = "123", region: str = "500381") -> str:
    """A synthetic ID number with a correct check character (500381: Jiangjin's old code)."""
    body = f"{region}{born}{sequence}"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture(autouse=True)
def _casework_wired(bot: BotHarness) -> None:
    """The dialogue submits through the real casework module of the running bot."""
    assert bot.application is not None
    components = bot.application.bot_data.app.components
    dialogue: ResidentDialogue = components.dialogue
    if dialogue.casework is None:
        dialogue.casework = components.casework


async def play(person: Person, script: list[tuple[str, str]]) -> None:
    for kind, value in script:
        await (person.send(value) if kind == "say" else person.tap(value))


async def tap_containing(person: Person, part: str) -> None:
    """Tap the button whose text contains ``part`` (toggles carry ✅ or ⬜ and a number)."""
    matches = [text for text in person.buttons if part in text]
    assert matches, f"no button with {part!r} in {person.buttons}"
    await person.tap(matches[0])


async def send_photo(bot: BotHarness, person: Person) -> None:
    await bot.feed(bot.telegram.make_update_photo(person.user_id))


async def send_file(
    bot: BotHarness,
    person: Person,
    data: bytes = b"%PDF-1.4 synthetic",
    file_name: str = "hukou.pdf",
    mime_type: str = "application/pdf",
) -> None:
    await bot.feed(bot.telegram.make_update_document(person.user_id, data, file_name, mime_type))


async def skip_remaining_documents(person: Person, skip: str = "⏭️ 先跳过，以后再交") -> int:
    """Skip every document still asked for; the number skipped."""
    skipped = 0
    while skip in person.buttons:
        await person.tap(skip)
        skipped += 1
    return skipped


async def applications(bot: BotHarness) -> list[Application]:
    async with _database(bot).transaction() as session:
        return list((await session.scalars(select(Application).order_by(Application.id))).all())


async def documents_of(bot: BotHarness, application_id: int) -> list[SubmittedDocument]:
    async with _database(bot).transaction() as session:
        rows = await session.scalars(
            select(SubmittedDocument).where(SubmittedDocument.application_id == application_id)
        )
        return list(rows.all())


async def count(bot: BotHarness, model: type) -> int:
    async with _database(bot).transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _database(bot: BotHarness) -> Any:
    assert bot.application is not None
    return bot.application.bot_data.app.components.database
