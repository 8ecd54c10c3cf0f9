"""Texts casework puts in the outbox: receipts, staff alerts. Rendered from templates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.casework.personal_data import mask_id_number, mask_name, mask_phone
from bot.casework.services import Casework
from bot.flows.model import Button, Label, Screen
from storage.models import Application, DepartmentTask

Markup = dict[str, Any] | None


def as_markup(screen: Screen, casework: Casework, locale: str) -> tuple[str, Markup]:
    rendered = casework.renderer.render(screen, locale)
    return rendered.text, rendered.markup.to_dict() if rendered.markup else None


def receipt(
    casework: Casework,
    application: Application,
    tasks: Sequence[DepartmentTask],
    missing: Sequence[str],
) -> tuple[str, Markup]:
    """The written acceptance notice: number, programmes, departments, every missing document."""
    profile = casework.profile
    screen = Screen(
        "casework/receipt.html",
        {
            "application": application,
            "tasks": [(t, profile.programme(t.programme_id)) for t in tasks],
            "missing": [_document_name(casework, doc) for doc in missing],
            "town": profile.town(application.town_id),
        },
    )
    return as_markup(screen, casework, application.locale)


def staff_alert(
    casework: Casework,
    application: Application,
    tasks: Sequence[DepartmentTask],
    missing: Sequence[str],
) -> tuple[str, Markup]:
    """The window's alert: town, programmes, urgency, masked personal data, action buttons."""
    vault, profile = casework.vault, casework.profile
    a = application.id
    screen = Screen(
        "staff/alert.html",
        {
            "application": application,
            "town": profile.town(application.town_id),
            "programmes": [profile.programme(t.programme_id) for t in tasks],
            "applicant": mask_name(application.applicant_name),
            "subject": mask_name(application.subject_name),
            "id_number": mask_id_number(vault.decrypt(application.subject_id_number)),
            "phone": mask_phone(vault.decrypt(application.applicant_phone)),
            "missing": [_document_name(casework, doc) for doc in missing],
        },
        (
            (
                Button(Label.of("staff.accept"), f"w|{a}|accept"),
                Button(Label.of("staff.request_documents"), f"w|{a}|documents"),
            ),
            (
                Button(Label.of("staff.reject"), f"w|{a}|reject"),
                Button(Label.of("staff.details"), f"w|{a}|details"),
            ),
        ),
    )
    return as_markup(screen, casework, casework.staff_locale)


def _document_name(casework: Casework, document_id: str) -> str:
    for programme in casework.profile.programmes:
        for document in programme.documents:
            if document.id == document_id:
                return document.name.text(casework.staff_locale)
    return document_id
