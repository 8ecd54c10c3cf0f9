"""Effects of the application: seeded from the resident's screening (nothing asked twice),
checked for an open application of the same person and programme, and submitted to casework
in the update's transaction — one tap, one application."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import checklist
from bot.casework.applications import open_duplicates, submit
from bot.dialogue.effects import Call, Facts, Seed, effect
from bot.dialogue.screening_effects import hopeful
from bot.flows.model import DialogState
from storage import screenings
from storage.models import Resident, Screening

# View key: the applications already open for this person and programme.
DUPLICATES = "duplicates"


@effect
async def seed_from_screening(call: Call) -> Seed:
    """The programmes pre-selected from the resident's screening, and the answers the
    application's `reused` steps take from it (who it is for, where they live)."""
    state = call.outcome.state
    screening = await _screening_of(call.session, call.resident, state)
    # The language said in the conversation handed over is the resident's, whatever the flow.
    kept = {k: v for k, v in (state.answers if state else {}).items() if k == "language"}
    if screening is None:
        return Seed(answers={**kept, "programmes": []})
    chosen = list(screening.chosen_programmes or hopeful(screening))
    reused = {k: screening.answers[k] for k in call.flow.reused if k in screening.answers}
    # The checklist asks for a certificate only from someone who has the condition.
    facts = _facts(screening)
    return Seed(
        answers={**kept, **reused, "programmes": chosen},
        given=tuple(reused),
        view={
            "screening_id": screening.id,
            "facts": {k: facts[k] for k in checklist.FACTS_READ if k in facts},
        },
    )


@effect
async def check_duplicates(call: Call) -> Facts | None:
    """Once the person and the programmes are known: an open application for the same person
    and programme routes to the duplicate screen instead of a second application."""
    state, host = call.state, call.services.application
    subject = host.subject_id_number(state)
    if call.event.step != "programmes" and call.event.step != host.subject_id_step(state):
        return None
    if subject is None:
        return None
    found = await open_duplicates(
        call.session,
        call.services.casework,
        subject_id_number=subject,
        programmes=host.programmes(state),
    )
    # Duplicates found before and kept in a view saved without its routing note (by an older
    # version) are rerouted away from too, when nothing is open now.
    if not found and not state.view.get(DUPLICATES):
        return None
    return Facts(view={DUPLICATES: [list(pair) for pair in found]}, reroute=True)


@effect
async def submit_application(call: Call) -> Facts | None:
    """Hand the application to casework; the conversation keeps no copy of its answers."""
    state = call.state
    screening = await _screening_of(call.session, call.resident, state)
    draft = call.services.application.draft(
        state,
        resident_id=call.resident.id,
        locale=call.turn.locale,
        facts=_facts(screening),
        urgent=bool(screening and screening.urgent),
        screening_id=screening.id if screening else None,
    )
    submission = await submit(call.session, draft, call.services.casework)
    if submission.duplicates:
        return _duplicates(submission.duplicates)
    # The application row now holds these answers (ID and phone encrypted).
    return Facts(
        view={
            "submission": {
                "number": submission.number,
                "missing": list(submission.missing_documents),
                "application_id": submission.application_id,
            }
        },
        drop_answers=True,
        redraw=True,
    )


def _duplicates(found: tuple[tuple[str, str], ...]) -> Facts | None:
    if not found:
        return None
    return Facts(view={DUPLICATES: [list(pair) for pair in found]}, reroute=True)


async def _screening_of(
    session: AsyncSession, resident: Resident, state: DialogState | None
) -> Screening | None:
    """The screening this conversation came from, else the resident's latest."""
    screening_id = state.view.get("screening_id") if state is not None else None
    if screening_id:
        screening = await screenings.get(session, screening_id=int(screening_id))
        if screening is not None and screening.resident_id == resident.id:
            return screening
    return await screenings.latest_for(session, resident_id=resident.id)


def _facts(screening: Screening | None) -> dict[str, Any]:
    """The screening's answers, reused as the application's facts (never asked twice)."""
    return dict(screening.answers) if screening is not None else {}
