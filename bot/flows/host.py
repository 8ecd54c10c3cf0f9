"""What a flow engine is given: its host (the code that runs the flow) and one turn's facts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from bot.flows.model import DialogState, Label, Screen
from bot.flows.spec import Step
from bot.policy import Profile

Translate = Callable[[Label], str]


class FlowHost(Protocol):
    """What a flow needs from the code that runs it (eligibility, the profile, the resident)."""

    def context(self, state: DialogState) -> Mapping[str, bool]: ...

    def towns(self, locale: str) -> Mapping[str, str]: ...

    def result_screen(self, state: DialogState) -> Screen: ...

    def detail_screen(self, state: DialogState, item: str) -> Screen | None: ...

    def choices(self, source: str, state: DialogState, locale: str) -> Mapping[str, str]:
        """Options of a multi or documents step that come from the host, id -> shown name."""
        ...

    def screen_context(self, state: DialogState, step: Step, locale: str) -> Mapping[str, Any]:
        """What a step's template shows besides the answers (names, summaries, numbers)."""
        ...


@dataclass(frozen=True, slots=True)
class Turn:
    """One input being handled: who it is for and how to read their words."""

    locale: str
    translate: Translate
    now: datetime
    resume_after: timedelta
    # Facts about the resident rather than the answers, e.g. whether consent is on record.
    facts: Mapping[str, bool]


class ProfileHost:
    """What every flow host built on a policy profile shares: the profile, today, the towns."""

    def __init__(self, profile: Profile, today: Callable[[], date]) -> None:
        self.profile = profile
        self.today = today
        self._town_names = {
            locale: {town.id: town.name.text(locale) for town in profile.towns}
            for locale in ("zh-CN", "en")
        }

    def towns(self, locale: str) -> Mapping[str, str]:
        return self._town_names.get(locale) or self._town_names["zh-CN"]
