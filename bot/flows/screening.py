"""The screening flow's host: what its conditions read and how its result screens look."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.flows.host import ProfileHost
from bot.flows.loading import load_flow
from bot.flows.model import Button, DialogState, Label, Screen, press
from bot.flows.spec import Flow, Step
from bot.policy import Evaluation, Verdict, evaluate, income_near_line
from bot.policy.base import unverified

FLOW_FILE = Path(__file__).parent / "screening.yaml"
# Facts about the resident (not the answers) that the screening flow reads.
RESIDENT_FACTS = ("needs_language", "needs_consent")
ANSWER_FACTS = ("income_near_line",)


def load_screening_flow() -> Flow:
    return load_flow(FLOW_FILE, context_facts=(*RESIDENT_FACTS, *ANSWER_FACTS))


class ScreeningHost(ProfileHost):
    """Connects the screening flow to a policy profile and to today's date."""

    def context(self, state: DialogState) -> Mapping[str, bool]:
        near = "income" in state.answers and income_near_line(
            self.profile, state.answers, self.today()
        )
        return {"income_near_line": near}

    def evaluate(self, state: DialogState) -> Evaluation:
        return evaluate(self.profile, state.answers, self.today())

    def result_screen(self, state: DialogState) -> Screen:
        evaluation = self.evaluate(state)
        v = state.version
        hopeful = [r for r in evaluation.results if r.verdict is not Verdict.UNLIKELY]
        # A programme for someone else entirely (a child's, for an older person) is left out
        # rather than listed as "not for now"; every other "no" has its reasons a tap away.
        not_now = tuple(r for r in evaluation.by_verdict(Verdict.UNLIKELY) if r.applies)
        rows = [
            (Button(Label(f"programme.{r.programme.id}"), press(v, "d", r.programme.id)),)
            for r in hopeful
        ]
        rows.extend(
            (Button(Label(f"why_not.{r.programme.id}"), press(v, "d", r.programme.id)),)
            for r in not_now
        )
        if hopeful:
            rows.append((Button(Label.of("button.apply"), press(v, "x", "apply")),))
        rows.append((Button(Label.of("button.change_answer"), press(v, "x", "review")),))
        rows.append((Button(Label.of("button.start_again"), press(v, "x", "restart")),))
        return Screen(
            "screening/result.html",
            {
                "likely": evaluation.by_verdict(Verdict.LIKELY),
                "possible": evaluation.by_verdict(Verdict.POSSIBLE),
                "unlikely": not_now,
                "urgent": state.answers.get("urgent") not in (None, "none"),
                "for_whom": state.answers.get("for_whom"),
                "standards_version": evaluation.standards_version,
            },
            tuple(rows),
        )

    def detail_screen(self, state: DialogState, item: str) -> Screen | None:
        evaluation = self.evaluate(state)
        result = evaluation.result(item)
        if result is None:
            return None
        v = state.version
        return Screen(
            "screening/programme.html",
            {
                "result": result,
                "standards_version": evaluation.standards_version,
                # An unconfirmed time limit is not shown as a number of days.
                "time_limit_known": not unverified(result.programme.time_limit.source),
            },
            (
                (Button(Label.of("button.apply"), press(v, "x", "apply")),),
                (Button(Label.of("button.back_to_results"), press(v, "x", "results")),),
            ),
        )

    def choices(self, source: str, state: DialogState, locale: str) -> Mapping[str, str]:
        return {}  # the screening's options are all in its declaration

    def screen_context(self, state: DialogState, step: Step, locale: str) -> Mapping[str, Any]:
        return {}

    def labels(self) -> dict[str, dict[str, str]]:
        """Profile names the renderer needs as labels: towns and programme names."""
        labels: dict[str, dict[str, str]] = {}
        for locale in ("zh-CN", "en"):
            entries = {f"town.{town_id}": name for town_id, name in self.towns(locale).items()}
            why_not = "❔ {}：为什么暂不符合" if locale == "zh-CN" else "❔ Why not: {}"
            for programme in self.profile.programmes:
                entries[f"programme.{programme.id}"] = "🔎 " + programme.name.text(locale)
                entries[f"why_not.{programme.id}"] = why_not.format(programme.name.text(locale))
            labels[locale] = entries
        return labels
