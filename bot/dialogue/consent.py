"""Effects of the steps every flow starts with: the resident's language and consents."""

from __future__ import annotations

from bot.dialogue.effects import Call, Facts, effect
from storage import residents
from storage.residents import PRIVACY_NOTICE

# The version of each notice a consent is given to; a new version asks again.
PRIVACY_NOTICE_VERSION = "2026-11"
# The application's own notice: sensitive data, and passing it to the deciding departments.
APPLICATION_NOTICE = "application_notice"
APPLICATION_NOTICE_VERSION = "2026-11"


@effect
async def set_language(call: Call) -> None:
    call.resident.locale = str(call.event.value)


@effect
async def record_privacy_consent(call: Call) -> Facts | None:
    return _record(call, PRIVACY_NOTICE, PRIVACY_NOTICE_VERSION)


@effect
async def record_application_consent(call: Call) -> Facts | None:
    return _record(call, APPLICATION_NOTICE, APPLICATION_NOTICE_VERSION)


def _record(call: Call, purpose: str, version: str) -> Facts | None:
    granted = call.event.value == "agree"
    residents.record_consent(
        call.session,
        resident=call.resident,
        purpose=purpose,
        version=version,
        granted=granted,
        at=call.turn.now,
    )
    # A refusal is the only thing we keep.
    return None if granted else Facts(drop_answers=True)
