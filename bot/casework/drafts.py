"""What the resident's application conversation hands over when they press "submit"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class DocumentDraft:
    """One checklist item: a file the resident sent, or nothing yet ("file now, prove later")."""

    document_id: str
    telegram_file_id: str | None = None
    kind: str | None = None  # photo | document
    mime_type: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class ApplicationDraft:
    resident_id: int
    locale: str
    programmes: tuple[str, ...]
    applicant_name: str
    applicant_id_number: str  # validated GB 11643, upper-case X
    applicant_phone: str  # validated, 11 digits
    subject: str  # self | family | in_care
    subject_name: str
    subject_id_number: str
    town_id: str
    village: str
    economic_check_authorised: bool
    relationship: str | None = None
    subject_consent: bool = True
    guardian_consent: bool = False
    # For a child under 14: who the guardian is (the applicant, or someone they named) and how
    # they are related to the child; ``guardian_consent`` says the guardian agreed.
    guardian_name: str | None = None
    guardian_relationship: str | None = None
    household: tuple[dict[str, Any], ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)
    urgent: bool = False
    screening_id: int | None = None
    documents: tuple[DocumentDraft, ...] = ()
