"""Reading a policy profile folder: every file validated, every problem named by file and item.

What a loaded profile holds is in `bot/policy/profile.py`; the rules of programmes.yaml are read
by `bot/policy/rule_parsing.py` against the names the rest of the profile defines.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml

from bot.policy.base import LocalText, ProfileError, TownKind, parse_text
from bot.policy.facts import FACTS
from bot.policy.profile import (
    DEFAULT_ARCHIVE,
    PAUSES,
    SOMEONE,
    ArchivePeriod,
    AssetsQuestion,
    Department,
    Document,
    DocumentNeed,
    Figure,
    NoticePeriod,
    Profile,
    Programme,
    ProgrammeKind,
    StandardsVersion,
    TimeLimit,
    Town,
)
from bot.policy.reading import as_list, identifier, mapping, unique
from bot.policy.rule_parsing import Vocabulary, parse_rules
from bot.policy.rules import dependencies


def load_profile(path: Path) -> Profile:
    """Read and validate a profile folder; any problem raises ProfileError naming file and item."""
    meta = mapping(
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
    reasons = mapping(meta.get("reasons"), "profile.yaml: reasons", ("unknown", "unknown_value"))
    return Profile(
        id=identifier(meta["id"], "profile.yaml: id"),
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
    item = mapping(raw, where, ("years", "source", "verified"))
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
    items = as_list(mapping(raw, "towns.yaml", ("towns",))["towns"], "towns.yaml: towns")
    towns = []
    for n, item in enumerate(items, 1):
        where = f"towns.yaml: town {n}"
        town = mapping(item, where, ("id", "name", "kind"))
        town_id = identifier(town["id"], where)
        where = f"towns.yaml: town {town_id}"
        if town["kind"] not in tuple(TownKind):
            raise ProfileError(f"{where}: kind must be one of {', '.join(TownKind)}")
        towns.append(
            Town(town_id, parse_text(town["name"], loc, where), TownKind(str(town["kind"])))
        )
    unique([t.id for t in towns], "towns.yaml", "town")
    return tuple(towns)


def _departments(raw: object, loc: tuple[str, ...]) -> Mapping[str, Department]:
    items = as_list(
        mapping(raw, "departments.yaml", ("departments",))["departments"], "departments.yaml"
    )
    departments = []
    for n, item in enumerate(items, 1):
        department = mapping(item, f"departments.yaml: department {n}", ("id", "name"))
        department_id = identifier(department["id"], f"departments.yaml: department {n}")
        where = f"departments.yaml: department {department_id}"
        departments.append(Department(department_id, parse_text(department["name"], loc, where)))
    unique([d.id for d in departments], "departments.yaml", "department")
    return {d.id: d for d in departments}


def _standards(
    raw: object,
) -> tuple[tuple[StandardsVersion, ...], Mapping[str, Mapping[TownKind, str]]]:
    data = mapping(raw, "standards.yaml", ("versions",), ("area_figures",))
    versions: list[StandardsVersion] = []
    figures: dict[str, Figure] = {}
    items = as_list(data["versions"], "standards.yaml: versions")
    for n, item in enumerate(items, 1):
        where = f"standards.yaml: version {n}"
        version = mapping(item, where, ("effective", "figures"), ("version",))
        effective = version["effective"]
        if not isinstance(effective, date):
            raise ProfileError(f"{where}: `effective` must be a YYYY-MM-DD date")
        name = str(version.get("version", effective.isoformat()))
        where = f"standards.yaml: version {name}"
        if versions and effective <= versions[-1].effective:
            raise ProfileError(f"{where}: versions must be listed oldest first, one per date")
        # A version lists only what changed; everything else carries over from the previous one.
        for figure_name, figure in mapping(version["figures"], where).items():
            figures[identifier(figure_name, where)] = _figure(figure, f"{where}: {figure_name}")
        versions.append(StandardsVersion(name, effective, dict(figures)))
    if not versions:
        raise ProfileError("standards.yaml: no versions")
    area_figures: dict[str, Mapping[TownKind, str]] = {}
    for alias, targets in mapping(data.get("area_figures", {}), "standards.yaml").items():
        where = f"standards.yaml: area_figures: {alias}"
        if alias in figures:
            raise ProfileError(f"{where}: the name is already a figure")
        by_kind = mapping(targets, where, required=tuple(TownKind))
        for target in by_kind.values():
            if target not in figures:
                raise ProfileError(f"{where}: unknown standard figure '{target}'")
        area_figures[alias] = {TownKind(k): str(v) for k, v in by_kind.items()}
    return tuple(versions), area_figures


def _figure(raw: object, where: str) -> Figure:
    figure = mapping(raw, where, ("value", "source"))
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
    data = mapping(raw, "programmes.yaml", ("documents", "programmes"))
    documents = {
        identifier(doc_id, "programmes.yaml: documents"): Document(
            str(doc_id), parse_text(name, loc, f"programmes.yaml: document {doc_id}")
        )
        for doc_id, name in mapping(data["documents"], "programmes.yaml: documents").items()
    }
    items = [
        mapping(
            item,
            f"programmes.yaml: programme {n}",
            ("id", "kind", "name", "department", "criteria", "documents", "time_limit", "rules"),
            ("source", "public_notice", "pays", "audience", "home_visit"),
        )
        for n, item in enumerate(as_list(data["programmes"], "programmes.yaml: programmes"), 1)
    ]
    ids = [identifier(item["id"], "programmes.yaml: programme id") for item in items]
    unique(ids, "programmes.yaml", "programme")
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
            for entry in as_list(item["documents"], f"{where}: documents")
        ]
        programmes.append(
            Programme(
                id=programme_id,
                kind=ProgrammeKind(str(item["kind"])),
                name=parse_text(item["name"], loc, f"{where}: name"),
                department=department,
                criteria=parse_text(item["criteria"], loc, f"{where}: criteria"),
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
        else mapping(raw, where, ("id",), ("someone", "not_applying_for"))
    )
    doc_id = entry["id"]
    if not isinstance(doc_id, str) or doc_id not in documents:
        raise ProfileError(f"{where}: unknown document '{doc_id}'")
    someone = entry.get("someone")
    if someone is not None and someone not in SOMEONE:
        raise ProfileError(
            f"{where}: {doc_id}: someone must be one of {', '.join(sorted(SOMEONE))}"
        )
    others = as_list(entry.get("not_applying_for", []), f"{where}: {doc_id}: not_applying_for")
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
    limit = mapping(
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
    pauses = as_list(limit.get("pauses", []), f"{where}: pauses")
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
    notice = mapping(raw, where, ("days", "working_days", "source"))
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
    guidance = mapping(raw, "profile.yaml: urgent_guidance", needed)
    result = {}
    for key, item in guidance.items():
        where = f"profile.yaml: urgent_guidance: {key}"
        entry = mapping(item, where, ("text", "source"))
        result[key] = parse_text(entry["text"], loc, where)
    return result


def _assets_question(raw: object, figures: frozenset[str]) -> AssetsQuestion:
    where = "profile.yaml: screening: assets_question"
    screening = mapping(raw, "profile.yaml: screening", ("assets_question",))
    question = mapping(screening["assets_question"], where, ("figure", "times"))
    figure, times = question["figure"], question["times"]
    if figure not in figures:
        raise ProfileError(f"{where}: unknown standard figure '{figure}'")
    if isinstance(times, bool) or not isinstance(times, int | float):
        raise ProfileError(f"{where}: times must be a number")
    return AssetsQuestion(str(figure), times if isinstance(times, int) else Decimal(str(times)))
