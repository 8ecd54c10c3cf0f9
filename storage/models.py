"""Tables. Telegram ids are BIGINT (they need 52 bits); times are aware UTC."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=ConversationStatus.ACTIVE)
    answers: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    history: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    # Transient view state (a programme opened for details, a screen shown over the step).
    view: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
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
    answers: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    verdicts: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    standards_version: Mapped[str] = mapped_column(String(32))
    evaluated_on: Mapped[date] = mapped_column(Date)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Programmes the resident chose to apply for; the application flow starts from these.
    chosen_programmes: Mapped[list[str] | None] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
