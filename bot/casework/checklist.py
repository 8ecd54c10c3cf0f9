"""The documents an application needs, built from its facts: only those that apply, per person.

A programme's entries in programmes.yaml say when each document applies (``DocumentNeed``): a
disability certificate only for someone who is disabled, a diagnosis only for someone who is
ill, one copy for each such person, and no proof of 低保 status from someone applying for 低保
in the same application. The list keeps the profile's order, each item once.

An item is a document id for the person the application is for, or
``<document>@<n>.<relationship>.<age>`` for the n-th household member, so the name shown to the
resident and to staff ("残疾人证（家庭成员 2：配偶，62 岁）") needs nothing but the item itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.flows.model import Label
from bot.policy import Profile
from bot.policy.profile import DocumentNeed
from bot.render import Renderer

if TYPE_CHECKING:
    from bot.casework.services import Casework
    from storage.models import Application


@dataclass(frozen=True, slots=True)
class Person:
    """Someone in the application, as far as the checklist is concerned."""

    suffix: str  # "" for the person the application is for, else "@<n>.<relationship>.<age>"
    disabled: bool
    ill: bool


@dataclass(frozen=True, slots=True)
class MemberTag:
    """Who a person-level item is for, read back from the item."""

    number: int
    relationship: str
    age: str


def people(facts: Mapping[str, Any], household: Sequence[Mapping[str, Any]]) -> list[Person]:
    """The person applied for (health from the self-check), then each household member."""
    health = str(facts.get("health") or "")
    # Health answers name the kind: "disability_1", "disability_3_4", "illness"… An uncertified
    # disability has no certificate to bring (the federation assesses it first).
    subject = Person(
        "",
        disabled=health.startswith("disabil") and "uncertified" not in health,
        ill="ill" in health,
    )
    members = [
        Person(
            f"@{n}.{member.get('relationship') or 'other'}.{member.get('age', '')}",
            disabled=_yes(member.get("disability")),
            ill=_yes(member.get("illness")),
        )
        for n, member in enumerate(household, 1)
    ]
    return [subject, *members]


def _yes(value: object) -> bool:
    return value is True or value == "yes"


def items(
    profile: Profile,
    programme_ids: Iterable[str],
    *,
    facts: Mapping[str, Any],
    household: Sequence[Mapping[str, Any]],
) -> list[str]:
    """Every document the chosen programmes need for these people, each once, in order."""
    chosen = list(dict.fromkeys(programme_ids))
    everyone = people(facts, household)
    wanted: dict[str, None] = {}
    for programme_id in chosen:
        programme = profile.programme(programme_id)
        for need in programme.needs if programme is not None else ():
            wanted.update(dict.fromkeys(_for_need(need, chosen, everyone)))
    return list(wanted)


def _for_need(need: DocumentNeed, chosen: list[str], everyone: list[Person]) -> list[str]:
    if need.not_applying_for & set(chosen):
        return []
    if need.someone is None:
        return [need.document.id]
    return [
        need.document.id + person.suffix
        for person in everyone
        if (person.disabled if need.someone == "disabled" else person.ill)
    ]


def split(item: str) -> tuple[str, MemberTag | None]:
    """The document id of an item, and the household member it is for (None: the person
    applied for)."""
    document, _, tag = item.partition("@")
    number, _, rest = tag.partition(".")
    relationship, _, age = rest.partition(".")
    if not number.isdigit():
        return document, None
    return document, MemberTag(int(number), relationship, age)


def item_name(profile: Profile, renderer: Renderer | None, item: str, locale: str) -> str:
    """The document's name; for a household member's copy, whose it is."""
    base, member = split(item)
    name = base
    for programme in profile.programmes:
        found = next((d for d in programme.documents if d.id == base), None)
        if found is not None:
            name = found.name.text(locale)
            break
    if member is None or renderer is None:
        return name
    relationship = renderer.text(
        Label.of(f"application.household.relationship.{member.relationship}"), locale
    )
    whose = Label.of(
        "document_for.member", n=member.number, relationship=relationship, age=member.age
    )
    return f"{name}{renderer.text(whose, locale)}"


# What the checklist reads from the self-check answers (kept with the application in progress).
FACTS_READ = ("health",)


# ---- names and lists as casework uses them -----------------------------------------------------

# A file the resident sent while several documents were asked for, before they said which.
UNNAMED_DOCUMENT = "unnamed"


def document_name(casework: Casework, document_id: str, locale: str | None = None) -> str:
    """The document's name; for a household member's copy, whose it is."""
    locale = locale or casework.staff_locale
    if document_id == UNNAMED_DOCUMENT:
        return casework.renderer.text(Label("upload.unnamed"), locale)
    return item_name(casework.profile, casework.renderer, document_id, locale)


def document_names(
    casework: Casework, documents: Sequence[str], locale: str | None = None
) -> list[str]:
    return [document_name(casework, d, locale) for d in documents]


def asked_of(
    casework: Casework,
    programme_ids: Sequence[str],
    application: Application | None = None,
    *,
    for_staff: bool = False,
) -> list[str]:
    """The documents the programmes ask of this application (its facts and household), once
    each, in the profile's order; without an application, only those that always apply.

    ``for_staff``: staff picking what to ask for also see the programmes' other documents
    after these (what the resident told us may be incomplete; staff may know better).
    """
    found = items(
        casework.profile,
        programme_ids,
        facts=application.facts if application is not None else {},
        household=application.household if application is not None else (),
    )
    if for_staff:
        shown = {split(item)[0] for item in found}
        for programme_id in programme_ids:
            programme = casework.profile.programme(programme_id)
            for document in programme.documents if programme is not None else ():
                if document.id not in shown:
                    shown.add(document.id)
                    found.append(document.id)
    return found
