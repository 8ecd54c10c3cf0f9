"""The application flow's host: programmes and checklists from the profile, the facts its
conditions read, what its screens show, and the draft it hands to casework on "submit"."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from bot.casework import checklist as documents_needed
from bot.casework.drafts import ApplicationDraft, DocumentDraft
from bot.flows.host import ProfileHost
from bot.flows.identity import age_on
from bot.flows.loading import load_flow
from bot.flows.model import DialogState, Screen
from bot.flows.screening import RESIDENT_FACTS
from bot.flows.spec import Flow, Step
from bot.policy import Profile
from bot.render import Renderer

FLOW_FILE = Path(__file__).parent / "application.yaml"
FLOW_NAME = "application"
ANSWER_FACTS = ("applicant_under_14", "subject_under_14", "needs_economic_check", "duplicate_found")
SOURCES = ("programmes", "checklist")
# A programme whose checklist has this document needs the household economic check
# (家庭经济状况核对), which the resident must authorise separately.
ECONOMIC_CHECK_DOCUMENT = "economic_check_authorisation"
# Under 14, personal data needs a guardian's consent (PIPL Art. 31; Minor Protection Law
# Art. 72): such a child does not apply alone, and an application for them names the guardian.
GUARDIAN_CONSENT_BELOW = 14
# The applicant who confirmed they are the child's guardian: in care as "guardian", with no
# family relationship given, is recorded as that.
APPLICANT_GUARDIAN_ROLE = "guardian"
# Steps of the flow that decide whose application it is, for the duplicate check.
SUBJECT_ID_STEPS = {"self": "applicant_id"}
OTHER_SUBJECT_ID_STEP = "subject_id"


def load_application_flow() -> Flow:
    return load_flow(FLOW_FILE, context_facts=(*RESIDENT_FACTS, *ANSWER_FACTS), sources=SOURCES)


class ApplicationHost(ProfileHost):
    """Connects the application flow to a policy profile and to today's date."""

    def __init__(
        self, profile: Profile, today: Callable[[], date], renderer: Renderer | None = None
    ) -> None:
        super().__init__(profile, today)
        # Names a household member's copy of a document ("…（家庭成员 2：配偶，62 岁）").
        self.renderer = renderer

    # ---- what the flow reads ---------------------------------------------------------------

    def context(self, state: DialogState) -> Mapping[str, bool]:
        return {
            "applicant_under_14": self._under_14(state.answers.get("applicant_id")),
            "subject_under_14": self._under_14(self.subject_id_number(state)),
            "needs_economic_check": any(
                self._needs_economic_check(p) for p in self.programmes(state)
            ),
            "duplicate_found": bool(state.view.get("duplicates")),
        }

    def result_screen(self, state: DialogState) -> Screen:
        raise LookupError("the application flow has no result step")

    def detail_screen(self, state: DialogState, item: str) -> Screen | None:
        return None

    def choices(self, source: str, state: DialogState, locale: str) -> Mapping[str, str]:
        if source == "programmes":
            return {p.id: p.name.text(locale) for p in self.profile.programmes}
        return self.checklist(self.programmes(state), locale, state)

    # ---- what the screens show -------------------------------------------------------------

    def screen_context(self, state: DialogState, step: Step, locale: str) -> Mapping[str, Any]:
        chosen = self.programmes(state)
        names = [self._programme_name(p, locale) for p in chosen]
        context: dict[str, Any] = {"programme_names": names}
        if step.name in ("economic_check", "economic_check_declined"):
            context["checked_names"] = [
                self._programme_name(p, locale) for p in chosen if self._needs_economic_check(p)
            ]
        if step.name == "duplicate":
            context["duplicates"] = [
                {"programme": self._programme_name(p, locale), "number": number}
                for p, number in state.view.get("duplicates", [])
            ]
        if step.name == "review":
            documents = state.answers.get("documents") or {}
            listed = self.checklist(chosen, locale, state)
            context.update(
                town_name=self.towns(locale).get(str(state.answers.get("town")), ""),
                documents_sent=[name for item, name in listed.items() if documents.get(item)],
                documents_later=[name for item, name in listed.items() if not documents.get(item)],
            )
        if step.name == "submitted":
            submission = state.view.get("submission") or {}
            missing = submission.get("missing", [])
            context.update(
                number=submission.get("number", ""),
                missing_names=[
                    documents_needed.item_name(self.profile, self.renderer, item, locale)
                    for item in missing
                ],
            )
        return context

    # ---- helpers ---------------------------------------------------------------------------

    def programmes(self, state: DialogState) -> list[str]:
        chosen = state.answers.get("programmes")
        if not isinstance(chosen, list):
            return []
        return [p for p in chosen if self.profile.programme(p) is not None]

    def profile_programmes(self) -> list[str]:
        return [p.id for p in self.profile.programmes]

    def checklist(self, programmes: list[str], locale: str, state: DialogState) -> dict[str, str]:
        """The documents the chosen programmes need for these people (the household answered
        here, the health from the self-check), each once, in the order first needed."""
        facts = state.view.get("facts")
        household = state.answers.get("household")
        items = documents_needed.items(
            self.profile,
            programmes,
            facts=facts if isinstance(facts, dict) else {},
            household=household if isinstance(household, list) else [],
        )
        return {
            item: documents_needed.item_name(self.profile, self.renderer, item, locale)
            for item in items
        }

    def subject_id_number(self, state: DialogState) -> str | None:
        """The ID number of the person the application is for, once it is known."""
        step = self.subject_id_step(state)
        value = state.answers.get(step) if step else None
        return value if isinstance(value, str) else None

    def subject_id_step(self, state: DialogState) -> str | None:
        whom = state.answers.get("for_whom")
        if whom is None:
            return None
        return SUBJECT_ID_STEPS.get(str(whom), OTHER_SUBJECT_ID_STEP)

    def _under_14(self, id_number: Any) -> bool:
        age = age_on(id_number, self.today()) if isinstance(id_number, str) else None
        return age is not None and age < GUARDIAN_CONSENT_BELOW

    def guardian(self, state: DialogState) -> tuple[str | None, str | None, bool]:
        """The child's guardian as the application records them: name, relationship to the
        child, and whether they consent. Nobody (and no consent) when the person is not a
        child under 14, whatever answers a change of mind left behind."""
        answers = state.answers
        if answers.get("for_whom") == "self" or not self._under_14(self.subject_id_number(state)):
            return None, None, False
        if answers.get("guardian") == "self":
            # The applicant confirmed they are the guardian: that confirmation is their consent.
            relationship = (
                answers.get("relationship")
                if answers.get("for_whom") == "family"
                else APPLICANT_GUARDIAN_ROLE
            )
            return str(answers["applicant_name"]), str(relationship), True
        name, relationship = answers.get("guardian_name"), answers.get("guardian_relationship")
        if name is None or relationship is None:
            return None, None, False
        return str(name), str(relationship), answers.get("guardian_consent") == "agree"

    def _needs_economic_check(self, programme_id: str) -> bool:
        programme = self.profile.programme(programme_id)
        return programme is not None and any(
            d.id == ECONOMIC_CHECK_DOCUMENT for d in programme.documents
        )

    def _programme_name(self, programme_id: str, locale: str) -> str:
        programme = self.profile.programme(programme_id)
        return programme.name.text(locale) if programme else programme_id

    # ---- the hand-over to casework ---------------------------------------------------------

    def draft(
        self,
        state: DialogState,
        *,
        resident_id: int,
        locale: str,
        facts: Mapping[str, Any],
        urgent: bool,
        screening_id: int | None,
    ) -> ApplicationDraft:
        """The application as the resident confirmed it on the review screen."""
        answers = state.answers
        whom = str(answers["for_whom"])
        self_applies = whom == "self"
        programmes = self.programmes(state)
        sent = answers.get("documents") or {}
        documents = tuple(
            _document(item, sent.get(item)) for item in self.checklist(programmes, "zh-CN", state)
        )
        relationship = {"family": answers.get("relationship"), "in_care": answers.get("role")}
        guardian_name, guardian_relationship, guardian_consent = self.guardian(state)
        return ApplicationDraft(
            resident_id=resident_id,
            locale=locale,
            programmes=tuple(programmes),
            applicant_name=str(answers["applicant_name"]),
            applicant_id_number=str(answers["applicant_id"]),
            applicant_phone=str(answers["applicant_phone"]),
            subject=whom,
            subject_name=str(answers["applicant_name" if self_applies else "subject_name"]),
            subject_id_number=str(answers["applicant_id" if self_applies else "subject_id"]),
            town_id=str(answers["town"]),
            village=str(answers["village"]),
            economic_check_authorised=answers.get("economic_check") == "authorise",
            relationship=relationship.get(whom),
            subject_consent=self_applies or answers.get("subject_consent") == "agree",
            guardian_consent=guardian_consent,
            guardian_name=guardian_name,
            guardian_relationship=guardian_relationship,
            household=tuple(dict(member) for member in answers.get("household") or ()),
            facts=dict(facts),
            urgent=urgent,
            screening_id=screening_id,
            documents=documents,
        )


def _document(item: str, sent: Any) -> DocumentDraft:
    if not isinstance(sent, dict):
        return DocumentDraft(document_id=item)
    return DocumentDraft(
        document_id=item,
        telegram_file_id=str(sent["file_id"]),
        kind=sent.get("kind"),
        mime_type=sent.get("mime_type"),
        size=sent.get("size"),
    )
