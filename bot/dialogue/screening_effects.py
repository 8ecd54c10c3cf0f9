"""Effects of the screening: its result stored (and refreshed after a changed answer), the
programmes to apply for chosen from it, and a screening dropped with its conversation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialogue.effects import Call, effect
from storage.models import Resident, Screening


@effect
async def store_screening(call: Call) -> None:
    await _store(call)


@effect
async def choose_programmes(call: Call) -> None:
    """ "Apply" on the result: the programmes the application starts with, all but the
    unlikely ones."""
    screening = await _store(call)
    screening.chosen_programmes = hopeful(screening)


@effect
async def drop_screening(call: Call) -> None:
    """The conversation was cancelled, or the person may not go on (a child alone): the
    screening it stored (at its result, or before /apply) goes with the answers."""
    dropped = call.event.value if isinstance(call.event.value, dict) else {}
    await delete_screening(call.session, call.resident, dropped.get("screening_id"))


def hopeful(screening: Screening) -> list[str]:
    """Programmes the screening did not find unlikely, in the order it found them."""
    return [
        pid for pid, record in screening.verdicts.items() if record.get("verdict") != "unlikely"
    ]


async def _store(call: Call) -> Screening:
    """Write (or refresh, after an answer was changed) this conversation's screening."""
    state, session = call.state, call.session
    evaluation = call.services.screening.evaluate(state)
    answers = {k: v for k, v in state.answers.items() if k not in call.flow.system_steps}
    screening_id = state.view.get("screening_id")
    screening = await session.get(Screening, screening_id) if screening_id else None
    if screening is None or screening.resident_id != call.resident.id:
        screening = Screening(resident_id=call.resident.id)
        session.add(screening)
    screening.answers = answers
    screening.verdicts = evaluation.to_record()
    screening.standards_version = evaluation.standards_version
    screening.evaluated_on = evaluation.on
    screening.urgent = answers.get("urgent") not in (None, "none")
    await session.flush()
    state.view["screening_id"] = screening.id
    return screening


async def delete_screening(session: AsyncSession, resident: Resident, screening_id: Any) -> None:
    """Delete a screening a conversation stored, if there is one and it is the resident's."""
    if screening_id:
        await session.execute(
            delete(Screening).where(
                Screening.id == int(screening_id), Screening.resident_id == resident.id
            )
        )
