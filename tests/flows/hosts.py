"""The one flow host the engine tests share: no Telegram, no database, no policy profile."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flows.model import Button, DialogState, Label, Screen
from bot.flows.spec import Step


class Host:
    """A host with no facts and no towns; its result screen shows the answers, and the papers
    a documents step asks for follow the pets chosen (one photo each, a licence for a dog)."""

    def context(self, state: DialogState) -> Mapping[str, bool]:
        return {}

    def towns(self, locale: str) -> Mapping[str, str]:
        return {}

    def result_screen(self, state: DialogState) -> Screen:
        v = state.version
        actions = ((Button(Label("review"), f"{v}|x|review"),),)
        return Screen("demo/result.html", {"answers": dict(state.answers)}, actions)

    def detail_screen(self, state: DialogState, item: str) -> Screen | None:
        return None

    def choices(self, source: str, state: DialogState, locale: str) -> Mapping[str, str]:
        # One paper per pet chosen, and a licence for dogs: the checklist follows the answer.
        pets = state.answers.get("pets") or []
        papers = {f"{pet}_photo": f"photo of the {pet}" for pet in pets}
        if "dog" in pets:
            papers["licence"] = "dog licence"
        return papers

    def screen_context(self, state: DialogState, step: Step, locale: str) -> Mapping[str, Any]:
        return {}
