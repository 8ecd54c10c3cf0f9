"""Who a broadcast goes to: a small typed description, read from what an administrator types.

The same `Selector` counts the recipients for the preview and writes them to the outbox, so the
count an administrator confirms is what is sent (less anyone who stops notices in between).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.policy import Profile
from storage import broadcasts, subscriptions
from storage.models import NoticeTopic
from storage.subscriptions import Subscriber


class AudienceError(ValueError):
    """What the administrator typed does not describe an audience: the label key
    (``broadcast.error.audience_<key>``) and its values say why, in the reader's language."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _age(answers: Mapping[str, Any]) -> int | None:
    age = answers.get("age")
    return age if isinstance(age, int) and not isinstance(age, bool) else None


def _over_60(answers: Mapping[str, Any]) -> bool:
    age = _age(answers)
    return age is not None and age >= 60


def _household(answers: Mapping[str, Any]) -> set[str]:
    """What the screening's household question ticked (older screenings asked `children`)."""
    ticked = answers.get("household")
    return {str(t) for t in ticked} if isinstance(ticked, list) else set()


def _children(answers: Mapping[str, Any]) -> bool:
    age = _age(answers)
    return (
        answers.get("children") in ("in_school", "not_in_school")
        or bool(_household(answers) & {"under_3", "in_school"})
        or (age is not None and age < 18)
        or answers.get("child_situation") not in (None, "none")
    )


def _disability(answers: Mapping[str, Any]) -> bool:
    return str(answers.get("health", "")).startswith("disability") or bool(
        _household(answers) & {"member_severe_disability", "member_disability"}
    )


def _unemployed(answers: Mapping[str, Any]) -> bool:
    return answers.get("employment") == "yes" or "jobless" in _household(answers)


# Screening facts an audience can ask for; each reads the resident's latest screening.
FACTS: Mapping[str, Callable[[Mapping[str, Any]], bool]] = {
    "over_60": _over_60,
    "children": _children,
    "disability": _disability,
    "unemployed": _unemployed,
}
TOPICS = tuple(t.value for t in NoticeTopic if t is not NoticeTopic.ALL)
MAX_EXCLUDE_DAYS = 365


@dataclass(frozen=True, slots=True)
class Audience:
    towns: tuple[str, ...] = ()
    topic: str | None = None  # None: a general notice, for those who want all notices
    facts: tuple[str, ...] = ()
    programme: str | None = None  # residents with an open application for it
    exclude_days: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "towns": list(self.towns),
            "topic": self.topic,
            "facts": list(self.facts),
            "programme": self.programme,
            "exclude_days": self.exclude_days,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Audience:
        return cls(
            towns=tuple(data.get("towns") or ()),
            topic=data.get("topic"),
            facts=tuple(data.get("facts") or ()),
            programme=data.get("programme"),
            exclude_days=data.get("exclude_days"),
        )

    def describe(self) -> str:
        """Plain and short, for the preview and the audit trail (it round-trips `parse`)."""
        parts = []
        if self.towns:
            parts.append("town=" + ",".join(self.towns))
        if self.topic:
            parts.append(f"topic={self.topic}")
        if self.facts:
            parts.append("fact=" + ",".join(self.facts))
        if self.programme:
            parts.append(f"programme={self.programme}")
        if self.exclude_days:
            parts.append(f"exclude_days={self.exclude_days}")
        return " ".join(parts) or "all"


def parse(text: str, profile: Profile) -> Audience:
    """``town=白沙,jijiang topic=older fact=over_60 programme=dibao exclude_days=7`` or ``all``."""
    words = [w for w in re.split(r"[\s;；]+", text.strip()) if w]
    if not words or words in (["all"], ["everyone"], ["全部"]):
        return Audience()
    towns: list[str] = []
    facts: list[str] = []
    topic: str | None = None
    programme: str | None = None
    exclude: int | None = None
    for word in words:
        key, sep, value = word.replace("＝", "=").partition("=")
        values = [v for v in re.split(r"[,，、|]", value) if v]
        if not sep or not values:
            raise AudienceError("pair", word=word)
        key = key.lower()
        if key == "town":
            towns.extend(_town_id(profile, v) for v in values)
        elif key == "topic":
            if len(values) != 1 or values[0] not in TOPICS:
                raise AudienceError("topic", known=", ".join(TOPICS))
            topic = values[0]
        elif key == "fact":
            for v in values:
                if v not in FACTS:
                    raise AudienceError("fact", known=", ".join(FACTS))
                facts.append(v)
        elif key == "programme":
            if profile.programme(values[0]) is None or len(values) != 1:
                known = ", ".join(p.id for p in profile.programmes)
                raise AudienceError("programme", known=known)
            programme = values[0]
        elif key == "exclude_days":
            if not values[0].isdigit() or not 1 <= int(values[0]) <= MAX_EXCLUDE_DAYS:
                raise AudienceError("exclude_days", most=str(MAX_EXCLUDE_DAYS))
            exclude = int(values[0])
        else:
            raise AudienceError("key", name=key)
    return Audience(
        tuple(dict.fromkeys(towns)), topic, tuple(dict.fromkeys(facts)), programme, exclude
    )


def _town_id(profile: Profile, value: str) -> str:
    wanted = value.strip().lower()
    for town in profile.towns:
        names = {town.id, *(n.lower() for n in town.name.texts.values())}
        short = {n.removesuffix("街道").removesuffix("镇") for n in names}
        if wanted in names or wanted in short:
            return town.id
    raise AudienceError("town", town=value)


@dataclass
class Selector:
    """Walks the subscribers in id order, batch by batch, keeping those the audience selects."""

    audience: Audience
    now: datetime
    batch: int = 1000
    _recent: set[int] | None = field(default=None, repr=False)

    async def next_batch(
        self, session: AsyncSession, *, after_id: int
    ) -> tuple[list[Subscriber], int | None]:
        """The selected subscribers after ``after_id``, and where to go on (None: the end)."""
        candidates = await subscriptions.subscribers_after(
            session, after_id=after_id, limit=self.batch
        )
        if not candidates:
            return [], None
        last = candidates[-1].id
        picked = [s for s in candidates if self._wants(s)]
        a = self.audience
        if picked and a.facts:
            answers = await subscriptions.latest_answers(
                session, resident_ids=[s.resident_id for s in picked]
            )
            picked = [
                s for s in picked if all(FACTS[f](answers.get(s.resident_id, {})) for f in a.facts)
            ]
        if picked and a.programme:
            open_ = await subscriptions.with_open_application(
                session, resident_ids=[s.resident_id for s in picked], programme_id=a.programme
            )
            picked = [s for s in picked if s.resident_id in open_]
        if picked and a.exclude_days:
            if self._recent is None:
                since = self.now - timedelta(days=a.exclude_days)
                self._recent = await broadcasts.recent_receivers(session, since=since)
            picked = [s for s in picked if s.chat_id not in self._recent]
        return picked, (last if len(candidates) == self.batch else None)

    def _wants(self, s: Subscriber) -> bool:
        a = self.audience
        if a.towns and s.town_id not in a.towns:
            return False
        if s.town_only and not a.towns:
            return False  # they asked for their own town's notices only
        wanted = set(s.topics)
        return NoticeTopic.ALL in wanted or (a.topic is not None and a.topic in wanted)

    async def count(self, session: AsyncSession) -> int:
        total, after = 0, 0
        while True:
            picked, next_after = await self.next_batch(session, after_id=after)
            total += len(picked)
            if next_after is None:
                return total
            after = next_after
