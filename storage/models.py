"""Tables. Telegram ids are BIGINT (they need 52 bits); times are aware UTC.

Why one module over 400 lines: this is the schema, read as one. Every table shares the one
`Base` and its naming convention, which Alembic compares with the migrations; the tables refer
to one another by foreign key; and the registry of what is personal (`PERSONAL_DATA`,
`NOT_PERSONAL`, at the end) must name every text column of every table, so it sits beside them
and a reviewer of a new column sees both. The module holds declarations only (no queries, no
behaviour): those live in a module per aggregate (`storage/outbox.py`, `storage/broadcasts.py`, …).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.crypto import EncryptedJson, EncryptedText
from storage.types import BigId, JsonDocument, UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ConversationStatus(StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class Resident(Base):
    """A person who wrote to the bot, known only by their Telegram id until they apply."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    # The privacy notice version the resident last agreed to; the consent records are the
    # history, this is what each update reads without another query.
    consented_notice: Mapped[str | None] = mapped_column(String(32))
    # When this Telegram user first wrote to the bot in a private chat: only then may the bot
    # write to them privately (a staff member's unmasked details go nowhere else).
    private_chat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ConsentRecord(Base):
    """One answer to one notice: kept whether it was yes or no (a refusal is all we keep)."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    notice_version: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_consent_records_resident_purpose", "resident_id", "purpose"),)


class Conversation(Base):
    """Where a chat stands in a flow; written in the same transaction as the update it answers."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    # Indexed: retention and /forget find a resident's conversations by it.
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=ConversationStatus.ACTIVE)
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJson, default=dict)
    history: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    # Transient view state (a programme opened for details, a screen shown over the step);
    # it holds a household member or documents half-entered, so it is encrypted too.
    view: Mapped[dict[str, Any]] = mapped_column(EncryptedJson, default=dict)
    dialog_message_id: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The engine bumps `version` itself (it is also in callback data, to spot stale buttons);
    # SQLAlchemy still checks it in the UPDATE so two writers cannot both win.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012


class ProcessedUpdate(Base):
    """Telegram update ids already handled, so a redelivered update has no second effect."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Screening(Base):
    """The answers a resident gave and what the eligibility rules made of them, on a date."""

    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJson)
    verdicts: Mapped[dict[str, Any]] = mapped_column(EncryptedJson)
    standards_version: Mapped[str] = mapped_column(String(32))
    evaluated_on: Mapped[date] = mapped_column(Date)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Programmes the resident chose to apply for; the application flow starts from these.
    chosen_programmes: Mapped[list[str] | None] = mapped_column(JsonDocument)
    # Indexed: retention deletes screenings by age.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# ---- the unified application ("一门受理") and its parts ----------------------------------------


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"  # waiting for the window
    ACCEPTED = "accepted"  # the window accepted it; departments work on their tasks
    DOCUMENTS_REQUESTED = "documents_requested"  # the window asked for documents first
    REJECTED = "rejected"  # the window refused it (with a reason)
    CLOSED = "closed"  # every department task has ended


# An application is open until the window rejects it or every part of it has ended.
ENDED_APPLICATION = (ApplicationStatus.REJECTED, ApplicationStatus.CLOSED)
OPEN_APPLICATION = tuple(s for s in ApplicationStatus if s not in ENDED_APPLICATION)


class Application(Base):
    """One application covering every programme a resident asked for, registered once."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    screening_id: Mapped[int | None] = mapped_column(
        ForeignKey("screenings.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(24), default=ApplicationStatus.SUBMITTED)
    locale: Mapped[str] = mapped_column(String(8))
    # The applicant (who talks to the bot) and the person the application is for.
    applicant_name: Mapped[str] = mapped_column(EncryptedText)
    applicant_id_number: Mapped[str] = mapped_column(EncryptedText)
    applicant_phone: Mapped[str] = mapped_column(EncryptedText)
    subject: Mapped[str] = mapped_column(String(16))  # self | family | in_care
    relationship: Mapped[str | None] = mapped_column(EncryptedText)
    subject_name: Mapped[str] = mapped_column(EncryptedText)
    subject_id_number: Mapped[str] = mapped_column(EncryptedText)
    # A keyed digest of the subject's ID number: finds duplicates without decrypting.
    subject_digest: Mapped[str] = mapped_column(String(64), index=True)
    subject_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    guardian_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # A child's guardian (PIPL Art. 31): the applicant or the person they named; personal data.
    guardian_name: Mapped[str | None] = mapped_column(EncryptedText)
    guardian_relationship: Mapped[str | None] = mapped_column(EncryptedText)
    town_id: Mapped[str] = mapped_column(String(32), index=True)
    village: Mapped[str] = mapped_column(EncryptedText)
    household: Mapped[list[dict[str, Any]]] = mapped_column(EncryptedJson, default=list)
    facts: Mapped[dict[str, Any]] = mapped_column(EncryptedJson, default=dict)
    economic_check_authorised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    rejection_reason: Mapped[str | None] = mapped_column(EncryptedText)
    # Set when the archive period after closing ended and every personal field was cleared;
    # programme, town, dates, statuses and outcomes stay for statistics.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ApplicationCounter(Base):
    """The last sequence number given per prefix and year (JJ-2026-000123)."""

    __tablename__ = "application_counters"

    series: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class DepartmentTask(Base):
    """One programme of an application, decided by its department on the statutory path."""

    __tablename__ = "department_tasks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    programme_id: Mapped[str] = mapped_column(String(48))
    department_id: Mapped[str] = mapped_column(String(48), index=True)
    state: Mapped[str] = mapped_column(String(32))
    # 公示 before approval: the programme requires it and the person is not a child.
    needs_public_notice: Mapped[bool] = mapped_column(Boolean, default=False)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    reminded_on: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[int | None] = mapped_column(Integer)
    start_month: Mapped[str | None] = mapped_column(String(7))
    visit_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The statutory clock (bot/casework/clock.py): it starts when the window accepts, stops
    # where the rule says (paused_since), and due_on follows from these and the profile.
    clock_started_on: Mapped[date | None] = mapped_column(Date)
    paused_since: Mapped[date | None] = mapped_column(Date)
    paused_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    extended: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    visited_on: Mapped[date | None] = mapped_column(Date)
    notice_started_on: Mapped[date | None] = mapped_column(Date)


class StatusEvent(Base):
    """An append-only ledger line: who did what to an application or one of its tasks, when."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("department_tasks.id", ondelete="CASCADE")
    )
    actor_kind: Mapped[str] = mapped_column(String(16))  # resident | staff | system
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubmittedDocument(Base):
    """A document the resident sent (or chose to send later) for an application or a task."""

    __tablename__ = "submitted_documents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("department_tasks.id", ondelete="SET NULL")
    )
    document_id: Mapped[str] = mapped_column(String(48))
    telegram_file_id: Mapped[str | None] = mapped_column(EncryptedText)
    kind: Mapped[str | None] = mapped_column(String(16))  # photo | document
    mime_type: Mapped[str | None] = mapped_column(String(96))
    size: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---- delivery ---------------------------------------------------------------------------------


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a dispatcher; after a crash its outcome is unknown
    SENT = "sent"
    FAILED = "failed"  # refused for good, or out of attempts (`yimen outbox failed`)
    # The send may or may not have happened: a broadcast row stays so (counted, never resent);
    # any other row is sent again at the next start (storage.outbox.AT_MOST_ONCE).
    UNKNOWN = "unknown"
    HELD = "held"  # a paused broadcast's row: not sent until the broadcast resumes
    CANCELLED = "cancelled"  # a cancelled broadcast's row that was never sent


class Priority:
    """Lower goes first: a resident's status notice must not wait behind a staff digest."""

    RESIDENT = 0
    STAFF = 10
    BROADCAST = 20


class OutboxMessage(Base):
    """A message committed with the change that caused it, sent afterwards by the dispatcher."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(String(24))
    priority: Mapped[int] = mapped_column(Integer, default=Priority.RESIDENT)
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJson)
    status: Mapped[str] = mapped_column(String(12), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Rows with the same key still pending are combined into one message (notices to a
    # resident within a short window, alerts to a busy group).
    combine_key: Mapped[str | None] = mapped_column(String(64))
    # The broadcast this row delivers (its text is read from there, not copied 100,000 times).
    # No foreign key: adding one would rebuild this large table on SQLite.
    broadcast_id: Mapped[int | None] = mapped_column(BigInteger)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When retention blanked the payload of this finished row (texts are not kept for long).
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An earlier attempt may have reached the chat (cut off by a crash, or timed out): the row
    # is sent again, and a staff chat is told that it may be a repeat.
    maybe_delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the latest claim

    __table_args__ = (
        Index("ix_outbox_due", "status", "priority", "not_before"),
        Index("ix_outbox_broadcast", "broadcast_id", "status"),
    )


# ---- staff and audit --------------------------------------------------------------------------


class StaffRole(StrEnum):
    WINDOW = "window"  # the town window: accepts and routes applications
    DEPARTMENT = "department"  # decides its department's tasks
    ADMIN = "admin"  # manages staff, broadcasts


class StaffMember(Base):
    """A role held by a Telegram user; a person may hold several."""

    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    role: Mapped[str] = mapped_column(String(16))
    # Window staff: one town, or None for every town. Department staff: their department.
    town_id: Mapped[str | None] = mapped_column(String(32))
    department_id: Mapped[str | None] = mapped_column(String(48))
    display_name: Mapped[str | None] = mapped_column(String(64))
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """Append-only: every staff action, every refusal, every unmasked view of personal data."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # allowed | refused
    detail: Mapped[dict[str, Any]] = mapped_column(EncryptedJson, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class StaffThread(Base):
    """A resident's conversation with the window staff ("talk to staff")."""

    __tablename__ = "staff_threads"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last message either way; a thread quiet for longer than the idle limit closes.
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A text typed while a question of a flow was waiting, until the resident says whether it
    # was their answer or meant for the staff (personal: a relayed text).
    pending_text: Mapped[str | None] = mapped_column(EncryptedText)


class RelayedMessage(Base):
    """A resident's message as posted in the staff chat, so a staff reply finds its thread."""

    __tablename__ = "relayed_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("staff_threads.id", ondelete="CASCADE"))
    staff_chat_id: Mapped[int] = mapped_column(BigInteger)
    staff_message_id: Mapped[int | None] = mapped_column(BigInteger)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_relayed_messages_staff", "staff_chat_id", "staff_message_id"),)


# ---- broadcasts and subscriptions -------------------------------------------------------------


class NoticeTopic(StrEnum):
    """What a resident wants to hear about; ALL is every notice."""

    ALL = "all"
    OLDER = "older"
    CHILDREN = "children"
    DISABILITY = "disability"
    EMPLOYMENT = "employment"


class NoticeSubscription(Base):
    """A resident's choice of policy notices. Exists only once they agreed to notices."""

    __tablename__ = "notice_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), unique=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # What they want to hear about says something of their life (disability, children):
    # encrypted, and filtered in Python (bot/notices/audience.py), never in SQL.
    topics: Mapped[list[str]] = mapped_column(EncryptedJson, default=list)
    # Only notices addressed to the resident's own town.
    town_only: Mapped[bool] = mapped_column(Boolean, default=False)
    town_id: Mapped[str | None] = mapped_column(String(32))
    # The notices consent version they agreed to; None means never send.
    consent_version: Mapped[str | None] = mapped_column(String(32))
    stopped_reason: Mapped[str | None] = mapped_column(String(16))  # stop | blocked | withdrawn
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_notice_subscriptions_active", "active", "id"),)


class BroadcastStatus(StrEnum):
    DRAFT = "draft"  # an administrator is composing it in the bot
    SCHEDULED = "scheduled"
    SENDING = "sending"  # recipient rows are being written and sent
    PAUSED = "paused"
    CANCELLED = "cancelled"
    FINISHED = "finished"


class Broadcast(Base):
    """A notice to many residents; its recipients are outbox rows with its id."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_by: Mapped[int] = mapped_column(BigInteger, index=True)
    # Where the administrator sees the live progress message (None from the command line).
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12), default=BroadcastStatus.DRAFT, index=True)
    draft_step: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    # What residents receive: the text escaped for HTML, with the how-to-stop line.
    body_html: Mapped[str] = mapped_column(Text, default="")
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    audience: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    # Recipients are written in batches by subscription id; this is the last one written.
    expanded_through: Mapped[int] = mapped_column(BigInteger, default=0)
    expanded: Mapped[bool] = mapped_column(Boolean, default=False)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stats: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RescreenNotice(Base):
    """A resident's latest screening re-evaluated under a standards version: once each."""

    __tablename__ = "rescreen_notices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    screening_id: Mapped[int | None] = mapped_column(
        ForeignKey("screenings.id", ondelete="SET NULL")
    )
    standards_version: Mapped[str] = mapped_column(String(32))
    # Programme id -> [verdict before, verdict now], only those that improved (may be empty).
    improved: Mapped[dict[str, Any]] = mapped_column(EncryptedJson, default=dict)
    outbox_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_rescreen_notices_once", "resident_id", "standards_version", unique=True),
    )


# ---- keys -------------------------------------------------------------------------------------


class KeyCheck(Base):
    """One row: this database's digest key, encrypted under the operator's keys (storage/crypto.py).

    Already a ``<key id>:<token>`` ciphertext, so a plain column: start-up reads it by hand to
    tell the operator which key wrote it."""

    __tablename__ = "key_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    digest_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---- what is personal -------------------------------------------------------------------------

# The kinds of personal data the privacy notices name (label keys privacy.kind.*), and the
# columns that hold them. Every one uses an encrypted type;
# tests/privacy/test_personal_data_registry.py keeps this, the models and the notices in step.
PERSONAL_DATA: dict[str, tuple[str, ...]] = {
    "names": (
        "applications.applicant_name",
        "applications.subject_name",
        "applications.relationship",
        "applications.guardian_name",
        "applications.guardian_relationship",
    ),
    "id_numbers": ("applications.applicant_id_number", "applications.subject_id_number"),
    "phone": ("applications.applicant_phone",),
    "village": ("applications.village",),
    "household": ("applications.household",),
    "answers": (
        "conversations.answers",
        "conversations.view",
        "screenings.answers",
        "screenings.verdicts",
        "applications.facts",
        "rescreen_notices.improved",
        "notice_subscriptions.topics",
    ),
    "documents": ("submitted_documents.telegram_file_id",),
    "notes": (
        "applications.rejection_reason",
        "status_events.note",
        "audit_events.detail",
    ),
    "messages": ("outbox.payload", "staff_threads.pending_text"),
}

# Text columns that hold no resident's personal data, each with the reason. A new text column
# must be added here or to PERSONAL_DATA (with an encrypted type), or the registry test fails.
NOT_PERSONAL: dict[str, str] = {
    "residents.locale": "a language code",
    "residents.consented_notice": "a notice version",
    "consent_records.purpose": "a fixed purpose name",
    "consent_records.notice_version": "a notice version",
    "conversations.flow": "a flow name",
    "conversations.step": "a step name",
    "conversations.status": "a fixed status",
    "conversations.history": "step names",
    "screenings.standards_version": "a standards version",
    "screenings.chosen_programmes": "programme ids",
    "applications.number": "the application number we gave",
    "applications.status": "a fixed status",
    "applications.locale": "a language code",
    "applications.subject": "self, family or in_care",
    "applications.subject_digest": "a keyed digest (HMAC) of the ID number, not reversible",
    "applications.town_id": "a town id of the profile (routing)",
    "application_counters.series": "a number prefix and year",
    "department_tasks.programme_id": "a programme id",
    "department_tasks.department_id": "a department id",
    "department_tasks.state": "a fixed state",
    "department_tasks.start_month": "a month",
    "status_events.actor_kind": "resident, staff or system",
    "status_events.action": "a fixed action name",
    "submitted_documents.document_id": "a document type of the profile",
    "submitted_documents.kind": "photo or document",
    "submitted_documents.mime_type": "a file type",
    "outbox.purpose": "a fixed purpose name",
    "outbox.status": "a fixed status",
    "outbox.combine_key": "a chat and purpose key",
    "outbox.error": "Telegram's error description",
    "staff_members.role": "a fixed role",
    "staff_members.town_id": "a town id",
    "staff_members.department_id": "a department id",
    "staff_members.display_name": "a staff member's work name, shown to colleagues",
    "audit_events.action": "a fixed action name",
    "audit_events.subject": "an application number or a record id",
    "audit_events.outcome": "allowed or refused",
    "staff_threads.status": "open or closed",
    "notice_subscriptions.town_id": "a town id",
    "notice_subscriptions.consent_version": "a notice version",
    "notice_subscriptions.stopped_reason": "a fixed reason",
    "broadcasts.status": "a fixed status",
    "broadcasts.draft_step": "a step name",
    "broadcasts.text": "a policy notice written by an administrator",
    "broadcasts.body_html": "the same notice, ready to send",
    "broadcasts.photo_file_id": "the notice's picture",
    "broadcasts.audience": "an audience chosen by an administrator",
    "broadcasts.stats": "counts",
    "rescreen_notices.standards_version": "a standards version",
    "key_check.digest_key": "the digest key, itself encrypted under the operator's keys",
}
