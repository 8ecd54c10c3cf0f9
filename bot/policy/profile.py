"""A district's policy profile: towns, departments, programmes and standards, frozen.

The profile is a folder of YAML files (profile.yaml, towns.yaml, departments.yaml, standards.yaml
and programmes.yaml; see the bundled profiles/jiangjin; another district supplies its own folder).
This module holds what a loaded profile is; `bot/policy/profile_loading.py` reads and validates
the folder into it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Final

from bot.policy.base import LocalText, ProfileError, TownKind
from bot.policy.rules import Rule


class ProgrammeKind(StrEnum):
    RELIEF = "relief"
    ELDER_CARE = "elder_care"
    CHILD_CARE = "child_care"


@dataclass(frozen=True, slots=True)
class Town:
    id: str
    name: LocalText
    kind: TownKind


@dataclass(frozen=True, slots=True)
class Department:
    id: str
    name: LocalText


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    name: LocalText


# Who a person-level document is for (`documents: - {id: …, someone: …}` in programmes.yaml).
SOMEONE: Final = frozenset({"disabled", "ill"})


@dataclass(frozen=True, slots=True)
class DocumentNeed:
    """When a programme asks for a document, read against the application's facts.

    Plain: always. ``someone``: one copy for each person in the application who is disabled
    (or ill), none when nobody is. ``not_applying_for``: not when the same application asks
    for one of these programmes (no proof of 低保 status from someone applying for 低保).
    """

    document: Document
    someone: str | None = None
    not_applying_for: frozenset[str] = frozenset()


# What may stop a task's clock, as the rule says (time_limit `pauses`), by plain name.
PAUSES: Final = frozenset({"public_notice", "documents"})


@dataclass(frozen=True, slots=True)
class TimeLimit:
    days: int
    working_days: bool
    note: LocalText
    source: str = ""
    # Once, with a reason recorded: the limit may grow to this many days (same unit).
    extended_days: int | None = None
    # The clock stops while the task is in these stages (PAUSES), where the rule says so.
    pauses: frozenset[str] = frozenset()
    # What is still unconfirmed about details (never shown; the figure itself is sourced).
    caveat: str = ""


@dataclass(frozen=True, slots=True)
class NoticePeriod:
    """How long the public notice (公示) stays up, in full days after the day it is posted."""

    days: int
    working_days: bool
    source: str


@dataclass(frozen=True, slots=True)
class Programme:
    id: str
    kind: ProgrammeKind
    name: LocalText
    department: Department
    criteria: LocalText
    time_limit: TimeLimit
    rules: tuple[Rule, ...]
    source: str = ""  # where the criteria come from
    # The statutory path: a 7-day public notice before approval (低保, 特困; never for
    # children), and whether an approval sets an amount and a start month.
    public_notice: bool = False
    pays: bool = False
    # Who the programme is for (a child, an older person): when one of these fails the
    # programme is not for this person at all, rather than "not for now".
    audience: tuple[Rule, ...] = ()
    # The rule requires a home visit (入户调查) before the town's opinion.
    home_visit: bool = False
    # When each document applies (bot/casework/checklist.py builds the list from the facts).
    needs: tuple[DocumentNeed, ...] = ()

    @property
    def documents(self) -> tuple[Document, ...]:
        """Every document it may ask for."""
        return tuple(need.document for need in self.needs)


@dataclass(frozen=True, slots=True)
class Figure:
    value: Decimal | int
    source: str


@dataclass(frozen=True, slots=True)
class StandardsVersion:
    """All figures in force from `effective`, inherited ones included."""

    version: str
    effective: date
    figures: Mapping[str, Figure]


@dataclass(frozen=True, slots=True)
class AssetsQuestion:
    """Ask about savings and property only when per-capita income is below times × figure."""

    figure: str
    times: Decimal | int


@dataclass(frozen=True, slots=True)
class ArchivePeriod:
    """How long a closed application is kept whole before it is anonymised."""

    years: int
    source: str
    verified: bool


# Without an `archive` entry: the national minimum for dibao approval files, marked unverified.
DEFAULT_ARCHIVE = ArchivePeriod(
    years=5, source="no archive period given in this profile; 5 years assumed", verified=False
)


@dataclass(frozen=True, slots=True)
class Profile:
    id: str
    name: LocalText
    locales: tuple[str, ...]
    administrative_code: str
    prefix: str  # of application numbers
    towns: tuple[Town, ...]
    departments: Mapping[str, Department]
    programmes: tuple[Programme, ...]
    urgent_guidance: Mapping[str, LocalText]
    standards_versions: tuple[StandardsVersion, ...]  # oldest first
    # Figure names whose value depends on the area, e.g. dibao_line -> {street: dibao_urban, ...}
    area_figures: Mapping[str, Mapping[TownKind, str]]
    assets_question: AssetsQuestion
    unknown_reason: LocalText  # a condition undecided and without its own text
    unknown_value: LocalText  # a placeholder whose fact nobody answered
    # Programmes with the ones they depend on first, so one pass evaluates them all.
    evaluation_order: tuple[Programme, ...] = field(repr=False)
    # Closed applications are kept this long, then anonymised (README, "Privacy").
    archive: ArchivePeriod = DEFAULT_ARCHIVE
    public_notice: NoticePeriod = NoticePeriod(7, False, "")

    def town(self, town_id: str) -> Town | None:
        return next((t for t in self.towns if t.id == town_id), None)

    def programme(self, programme_id: str) -> Programme | None:
        return next((p for p in self.programmes if p.id == programme_id), None)

    def standards_in_force(self, on: date) -> StandardsVersion:
        in_force = [v for v in self.standards_versions if v.effective <= on]
        if not in_force:
            raise ProfileError(f"profile {self.id}: no standards in force on {on.isoformat()}")
        return in_force[-1]


def default_profile_path() -> Path:
    """The bundled Jiangjin profile folder."""
    return Path(__file__).parent / "profiles" / "jiangjin"
