"""A district's policy profile: a folder of YAML files, validated and frozen when loaded.

The folder holds profile.yaml, towns.yaml, departments.yaml, standards.yaml and programmes.yaml
(see the bundled profiles/jiangjin). Another district supplies its own folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Final

import yaml

from bot.policy.base import LocalText, ProfileError, TownKind, parse_text
from bot.policy.rules import FACTS, Rule, Vocabulary, dependencies, parse_rules

_ID: Final = re.compile(r"[a-z][a-z0-9_]*\Z")


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
    documents: tuple[Document, ...]  # every document it may ask for
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


def load_profile(path: Path) -> Profile:
    """Read and validate a profile folder; any problem raises ProfileError naming file and item."""
    meta = _mapping(
        _read(path, "profile.yaml"),
        "profile.yaml",
        required=("id", "name", "locales", "administrative_code", "application_prefix"),
        optional=("screening", "reasons", "urgent_guidance", "archive", "public_notice"),
    )
    locales = meta["locales"]
    if not isinstance(locales, list) or not locales or not all(isinstance(x, str) for x in locales):
        raise ProfileError("profile.yaml: `locales` must be a non-empty list")
    loc = tuple(locales)
    towns = _towns(_read(path, "towns.yaml"), loc)
    departments = _departments(_read(path, "departments.yaml"), loc)
    versions, area_figures = _standards(_read(path, "standards.yaml"))
    figure_names = frozenset(f for v in versions for f in v.figures) | frozenset(area_figures)
    town_ids = frozenset(t.id for t in towns)
    programmes = _programmes(
        _read(path, "programmes.yaml"), loc, departments, figure_names, town_ids
    )
    reasons = _mapping(meta.get("reasons"), "profile.yaml: reasons", ("unknown", "unknown_value"))
    return Profile(
        id=_id(meta["id"], "profile.yaml: id"),
        name=parse_text(meta["name"], loc, "profile.yaml: name"),
        locales=loc,
        administrative_code=str(meta["administrative_code"]),
        prefix=str(meta["application_prefix"]),
        towns=towns,
        departments=departments,
        programmes=programmes,
        urgent_guidance=_urgent_guidance(meta.get("urgent_guidance"), loc),
        standards_versions=versions,
        area_figures=area_figures,
        assets_question=_assets_question(meta.get("screening"), figure_names),
        unknown_reason=parse_text(reasons["unknown"], loc, "profile.yaml: reasons: unknown"),
        unknown_value=parse_text(
            reasons["unknown_value"], loc, "profile.yaml: reasons: unknown_value"
        ),
        evaluation_order=_evaluation_order(programmes),
        archive=_archive(meta.get("archive")),
        public_notice=_notice_period(meta.get("public_notice")),
    )


def _archive(raw: object) -> ArchivePeriod:
    if raw is None:
        return DEFAULT_ARCHIVE
    where = "profile.yaml: archive"
    item = _mapping(raw, where, ("years", "source", "verified"))
    years = item["years"]
    if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= 100:
        raise ProfileError(f"{where}: `years` must be a whole number of years from 1 to 100")
    return ArchivePeriod(
        years=years, source=str(item["source"]).strip(), verified=item["verified"] is True
    )


# --- the files ------------------------------------------------------------------------------


def _read(folder: Path, name: str) -> object:
    try:
        with (folder / name).open(encoding="utf-8") as stream:
            return yaml.safe_load(stream)
    except OSError as error:
        raise ProfileError(f"{name}: cannot read ({error.strerror}) in {folder}") from None
    except yaml.YAMLError as error:
        raise ProfileError(f"{name}: not valid YAML: {error}") from None


def _towns(raw: object, loc: tuple[str, ...]) -> tuple[Town, ...]:
    items = _list(_mapping(raw, "towns.yaml", ("towns",))["towns"], "towns.yaml: towns")
    towns = []
    for n, item in enumerate(items, 1):
        where = f"towns.yaml: town {n}"
        town = _mapping(item, where, ("id", "name", "kind"))
        town_id = _id(town["id"], where)
        where = f"towns.yaml: town {town_id}"
        if town["kind"] not in tuple(TownKind):
            raise ProfileError(f"{where}: kind must be one of {', '.join(TownKind)}")
        towns.append(
            Town(town_id, parse_text(town["name"], loc, where), TownKind(str(town["kind"])))
        )
    _unique([t.id for t in towns], "towns.yaml", "town")
    return tuple(towns)


def _departments(raw: object, loc: tuple[str, ...]) -> Mapping[str, Department]:
    items = _list(
        _mapping(raw, "departments.yaml", ("departments",))["departments"], "departments.yaml"
    )
    departments = []
    for n, item in enumerate(items, 1):
        department = _mapping(item, f"departments.yaml: department {n}", ("id", "name"))
        department_id = _id(department["id"], f"departments.yaml: department {n}")
        where = f"departments.yaml: department {department_id}"
        departments.append(Department(department_id, parse_text(department["name"], loc, where)))
    _unique([d.id for d in departments], "departments.yaml", "department")
    return {d.id: d for d in departments}


def _standards(
    raw: object,
) -> tuple[tuple[StandardsVersion, ...], Mapping[str, Mapping[TownKind, str]]]:
    data = _mapping(raw, "standards.yaml", ("versions",), ("area_figures",))
    versions: list[StandardsVersion] = []
    figures: dict[str, Figure] = {}
    items = _list(data["versions"], "standards.yaml: versions")
    for n, item in enumerate(items, 1):
        where = f"standards.yaml: version {n}"
        version = _mapping(item, where, ("effective", "figures"), ("version",))
        effective = version["effective"]
        if not isinstance(effective, date):
            raise ProfileError(f"{where}: `effective` must be a YYYY-MM-DD date")
        name = str(version.get("version", effective.isoformat()))
        where = f"standards.yaml: version {name}"
        if versions and effective <= versions[-1].effective:
            raise ProfileError(f"{where}: versions must be listed oldest first, one per date")
        # A version lists only what changed; everything else carries over from the previous one.
        for figure_name, figure in _mapping(version["figures"], where).items():
            figures[_id(figure_name, where)] = _figure(figure, f"{where}: {figure_name}")
        versions.append(StandardsVersion(name, effective, dict(figures)))
    if not versions:
        raise ProfileError("standards.yaml: no versions")
    area_figures: dict[str, Mapping[TownKind, str]] = {}
    for alias, targets in _mapping(data.get("area_figures", {}), "standards.yaml").items():
        where = f"standards.yaml: area_figures: {alias}"
        if alias in figures:
            raise ProfileError(f"{where}: the name is already a figure")
        by_kind = _mapping(targets, where, required=tuple(TownKind))
        for target in by_kind.values():
            if target not in figures:
                raise ProfileError(f"{where}: unknown standard figure '{target}'")
        area_figures[alias] = {TownKind(k): str(v) for k, v in by_kind.items()}
    return tuple(versions), area_figures


def _figure(raw: object, where: str) -> Figure:
    figure = _mapping(raw, where, ("value", "source"))
    value, source = figure["value"], figure["source"]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ProfileError(f"{where}: value must be a number")
    try:
        number: Decimal | int = value if isinstance(value, int) else Decimal(str(value))
    except ArithmeticError:
        raise ProfileError(f"{where}: value must be a number") from None
    if not isinstance(source, str) or not source.strip():
        raise ProfileError(f"{where}: every figure needs a source")
    return Figure(number, source)


def _programmes(
    raw: object,
    loc: tuple[str, ...],
    departments: Mapping[str, Department],
    figures: frozenset[str],
    towns: frozenset[str],
) -> tuple[Programme, ...]:
    data = _mapping(raw, "programmes.yaml", ("documents", "programmes"))
    documents = {
        _id(doc_id, "programmes.yaml: documents"): Document(
            str(doc_id), parse_text(name, loc, f"programmes.yaml: document {doc_id}")
        )
        for doc_id, name in _mapping(data["documents"], "programmes.yaml: documents").items()
    }
    items = [
        _mapping(
            item,
            f"programmes.yaml: programme {n}",
            ("id", "kind", "name", "department", "criteria", "documents", "time_limit", "rules"),
            ("source", "public_notice", "pays", "audience", "home_visit"),
        )
        for n, item in enumerate(_list(data["programmes"], "programmes.yaml: programmes"), 1)
    ]
    ids = [_id(item["id"], "programmes.yaml: programme id") for item in items]
    _unique(ids, "programmes.yaml", "programme")
    vocabulary = Vocabulary(loc, figures, frozenset(ids), towns)
    programmes = []
    for programme_id, item in zip(ids, items, strict=True):
        where = f"programmes.yaml: programme {programme_id}"
        if item["kind"] not in tuple(ProgrammeKind):
            raise ProfileError(f"{where}: kind must be one of {', '.join(ProgrammeKind)}")
        department = departments.get(str(item["department"]))
        if department is None:
            raise ProfileError(f"{where}: unknown department '{item['department']}'")
        needs = [
            _document_need(entry, documents, frozenset(ids), where)
            for entry in _list(item["documents"], f"{where}: documents")
        ]
        needed = [need.document for need in needs]
        programmes.append(
            Programme(
                id=programme_id,
                kind=ProgrammeKind(str(item["kind"])),
                name=parse_text(item["name"], loc, f"{where}: name"),
                department=department,
                criteria=parse_text(item["criteria"], loc, f"{where}: criteria"),
                documents=tuple(needed),
                time_limit=_time_limit(item["time_limit"], loc, f"{where}: time_limit"),
                rules=parse_rules(item["rules"], vocabulary, where),
                source=str(item.get("source", "")),
                public_notice=_flag(item, "public_notice", where),
                pays=_flag(item, "pays", where),
                audience=(
                    parse_rules(item["audience"], vocabulary, f"{where}: audience")
                    if "audience" in item
                    else ()
                ),
                home_visit=_flag(item, "home_visit", where),
                needs=tuple(needs),
            )
        )
    return tuple(programmes)


def _document_need(
    raw: object, documents: Mapping[str, Document], programmes: frozenset[str], where: str
) -> DocumentNeed:
    """`id`, or `{id: …, someone: disabled|ill}`, or `{id: …, not_applying_for: [ids]}`."""
    entry = (
        {"id": raw}
        if isinstance(raw, str)
        else _mapping(raw, where, ("id",), ("someone", "not_applying_for"))
    )
    doc_id = entry["id"]
    if not isinstance(doc_id, str) or doc_id not in documents:
        raise ProfileError(f"{where}: unknown document '{doc_id}'")
    someone = entry.get("someone")
    if someone is not None and someone not in SOMEONE:
        raise ProfileError(
            f"{where}: {doc_id}: someone must be one of {', '.join(sorted(SOMEONE))}"
        )
    others = _list(entry.get("not_applying_for", []), f"{where}: {doc_id}: not_applying_for")
    unknown = sorted(str(p) for p in others if p not in programmes)
    if unknown:
        raise ProfileError(f"{where}: {doc_id}: unknown programme {', '.join(unknown)}")
    return DocumentNeed(
        documents[doc_id],
        str(someone) if someone is not None else None,
        frozenset(str(p) for p in others),
    )


def _flag(item: Mapping[str, object], name: str, where: str) -> bool:
    value = item.get(name, False)
    if not isinstance(value, bool):
        raise ProfileError(f"{where}: {name} must be true or false")
    return value


def _time_limit(raw: object, loc: tuple[str, ...], where: str) -> TimeLimit:
    limit = _mapping(
        raw,
        where,
        ("days", "working_days", "note", "source"),
        # caveat: what is still unconfirmed about details the figure does not depend on (a
        # local text not found); for the reader of the profile, never shown to residents.
        ("extended_days", "pauses", "caveat"),
    )
    days, working = _days(limit["days"], where), limit["working_days"]
    if not isinstance(working, bool):
        raise ProfileError(f"{where}: working_days must be true or false")
    note = parse_text(limit["note"], loc, f"{where}: note")
    extended = limit.get("extended_days")
    if extended is not None and _days(extended, f"{where}: extended_days") <= days:
        raise ProfileError(f"{where}: extended_days must be more than days")
    pauses = _list(limit.get("pauses", []), f"{where}: pauses")
    unknown = sorted(str(p) for p in pauses if p not in PAUSES)
    if unknown:
        raise ProfileError(
            f"{where}: unknown pause {', '.join(unknown)} (known: {', '.join(sorted(PAUSES))})"
        )
    return TimeLimit(
        days,
        working,
        note,
        str(limit["source"]),
        extended_days=extended if isinstance(extended, int) else None,
        pauses=frozenset(str(p) for p in pauses),
        caveat=str(limit.get("caveat") or ""),
    )


def _days(raw: object, where: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise ProfileError(f"{where}: days must be a positive whole number")
    return raw


def _notice_period(raw: object) -> NoticePeriod:
    where = "profile.yaml: public_notice"
    if raw is None:
        raise ProfileError(f"{where}: missing (how long the public notice stays up, with source)")
    notice = _mapping(raw, where, ("days", "working_days", "source"))
    working, source = notice["working_days"], notice["source"]
    if not isinstance(working, bool):
        raise ProfileError(f"{where}: working_days must be true or false")
    if not isinstance(source, str) or not source.strip():
        raise ProfileError(f"{where}: the notice period needs a source")
    return NoticePeriod(_days(notice["days"], where), working, source)


def _evaluation_order(programmes: tuple[Programme, ...]) -> tuple[Programme, ...]:
    """Depth-first: each programme after those its rules read; a cycle is an error."""
    by_id = {p.id: p for p in programmes}
    done: dict[str, Programme] = {}

    def visit(programme: Programme, path: tuple[str, ...]) -> None:
        if programme.id in done:
            return
        if programme.id in path:
            cycle = " -> ".join((*path[path.index(programme.id) :], programme.id))
            where = f"programmes.yaml: programme {programme.id}"
            raise ProfileError(f"{where}: dependency cycle {cycle}")
        rules = (*programme.audience, *programme.rules)
        for needed in sorted(frozenset().union(*(dependencies(r) for r in rules))):
            visit(by_id[needed], (*path, programme.id))
        done[programme.id] = programme

    for programme in programmes:
        visit(programme, ())
    return tuple(done.values())


def _urgent_guidance(raw: object, loc: tuple[str, ...]) -> Mapping[str, LocalText]:
    # Every urgent answer except "none" must tell the resident what to do tonight.
    needed = tuple(sorted(FACTS["urgent"].choices - {"none"}))
    guidance = _mapping(raw, "profile.yaml: urgent_guidance", needed)
    result = {}
    for key, item in guidance.items():
        where = f"profile.yaml: urgent_guidance: {key}"
        entry = _mapping(item, where, ("text", "source"))
        result[key] = parse_text(entry["text"], loc, where)
    return result


def _assets_question(raw: object, figures: frozenset[str]) -> AssetsQuestion:
    where = "profile.yaml: screening: assets_question"
    screening = _mapping(raw, "profile.yaml: screening", ("assets_question",))
    question = _mapping(screening["assets_question"], where, ("figure", "times"))
    figure, times = question["figure"], question["times"]
    if figure not in figures:
        raise ProfileError(f"{where}: unknown standard figure '{figure}'")
    if isinstance(times, bool) or not isinstance(times, int | float):
        raise ProfileError(f"{where}: times must be a number")
    return AssetsQuestion(str(figure), times if isinstance(times, int) else Decimal(str(times)))


# --- small readers that name the place of a problem ---------------------------------------------


def _mapping(
    raw: object, where: str, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()
) -> dict[str, object]:
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}: expected a mapping")
    missing = [key for key in required if key not in raw]
    if missing:
        raise ProfileError(f"{where}: missing {', '.join(missing)}")
    if required or optional:
        extra = sorted(str(k) for k in raw if k not in required and k not in optional)
        if extra:
            raise ProfileError(f"{where}: unexpected key(s) {', '.join(extra)}")
    return {str(k): v for k, v in raw.items()}


def _list(raw: object, where: str) -> list[object]:
    if not isinstance(raw, list):
        raise ProfileError(f"{where}: expected a list")
    return raw


def _id(raw: object, where: str) -> str:
    if not isinstance(raw, str) or not _ID.match(raw):
        raise ProfileError(f"{where}: '{raw}' is not an id (lower-case ASCII, digits, _)")
    return raw


def _unique(ids: list[str], file: str, what: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ProfileError(f"{file}: {what} '{item}' appears twice")
        seen.add(item)
