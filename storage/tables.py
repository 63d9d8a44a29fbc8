"""The typed SQLAlchemy tables (classes named ...Row); repositories map them to domain objects."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime

BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class ConversationRefRow(Base):
    """Where the bot can reach a person or a channel, kept from installs and every activity."""

    __tablename__ = "conversation_refs"
    __table_args__ = (
        UniqueConstraint("conversation_id", "object_id", name="uq_conversation_refs_conv_person"),
        Index("ix_conversation_refs_person", "tenant_id", "object_id", "kind"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    # Entra object id of the person; "" for a channel or group chat reference.
    object_id: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(16))  # personal | channel | groupChat
    conversation_id: Mapped[str] = mapped_column(String(512))
    service_url: Mapped[str] = mapped_column(String(512))
    channel_id: Mapped[str] = mapped_column(String(32), default="msteams")
    bot_id: Mapped[str] = mapped_column(String(128), default="")
    user_id: Mapped[str] = mapped_column(String(256), default="")  # the person's 29: id for this bot
    team_id: Mapped[str] = mapped_column(String(256), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | uninstalled | removed
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DraftRow(Base):
    """A multi-step card flow's state, so it survives restarts and works across replicas."""

    __tablename__ = "drafts"
    # AUTOINCREMENT: a deleted draft's id is never reused, so (id, version) names one draft for ever.
    __table_args__ = (
        UniqueConstraint("tenant_id", "object_id", "flow", name="uq_drafts_owner_flow"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    flow: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _first_due(context: Any) -> Any:
    """A row is first due when it is due: the default of `scheduled_at` for rows written without one."""
    return context.get_current_parameters()["due_at"]


class OutboxRow(Base):
    """A side effect to carry out (a message, a card update, a job), written with its cause."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "due_at"),
        # The claim's: its cost grows with the rows due, never with those queued for later or kept after
        # sending. Partial on both databases (the claim names `status = 'pending'` literally for SQLite).
        Index(
            "ix_outbox_pending_due",
            "due_at",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|sent|dead|dropped
    # Counts claims: it is also the claim's fencing token (a worker settles only the claim it made).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    locked_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # When it was first due; due_at moves on with each retry, lateness is counted from this.
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_first_due)
    last_error: Mapped[str] = mapped_column(Text, default="")
    error_class: Mapped[str] = mapped_column(String(32), default="", server_default="")
    error_code: Mapped[str] = mapped_column(String(64), default="", server_default="")
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditEventRow(Base):
    """Who did what, when, from which card: every change and every read of a case's detail."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_record", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    tenant_id: Mapped[str] = mapped_column(String(64))
    actor_object_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str] = mapped_column(String(64), default="")
    record_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ProcessedActionRow(Base):
    """A card action already carried out, and the answer it got: a double click or a resent invoke acts once."""

    __tablename__ = "processed_actions"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    verb: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    tenant_id: Mapped[str] = mapped_column(String(64), default="")
    actor_object_id: Mapped[str] = mapped_column(String(64), default="")
    # The card the clicker got the first time, given again to a repeat; purged with the row.
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


# -- the step-down clinic ---------------------------------------------------------------------------
ACTIVE_BOOKING = "status IN ('held', 'booked')"


class ClinicDayRow(Base):
    """A coordinator's change to the clinic calendar: a cancelled clinic date, or an extra one."""

    __tablename__ = "clinic_days"

    clinic_date: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # cancelled | extra
    reason: Mapped[str] = mapped_column(String(300), default="")
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClinicSlotRow(Base):
    """One slot of one clinic; `booked` only moves by a conditional UPDATE, so it never passes capacity."""

    __tablename__ = "clinic_slots"
    __table_args__ = (
        UniqueConstraint("clinic_date", "slot_index", name="uq_clinic_slots_date_index"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_clinic_slots_capacity"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    clinic_date: Mapped[date] = mapped_column(Date, index=True)
    slot_index: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)


class BookingRow(Base):
    """A social worker's booking at the clinic (or a freed slot held for them from the waiting list)."""

    __tablename__ = "bookings"
    __table_args__ = (
        # One case cannot hold two bookings at one clinic; one worker cannot hold one slot twice.
        Index(
            "uq_bookings_case_clinic",
            "case_reference",
            "clinic_date",
            unique=True,
            sqlite_where=text(ACTIVE_BOOKING),
            postgresql_where=text(ACTIVE_BOOKING),
        ),
        Index(
            "uq_bookings_worker_slot",
            "worker_object_id",
            "slot_id",
            unique=True,
            sqlite_where=text(ACTIVE_BOOKING),
            postgresql_where=text(ACTIVE_BOOKING),
        ),
        Index("ix_bookings_worker", "tenant_id", "worker_object_id", "clinic_date"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("clinic_slots.id"))
    clinic_date: Mapped[date] = mapped_column(Date)
    tenant_id: Mapped[str] = mapped_column(String(64))
    worker_object_id: Mapped[str] = mapped_column(String(64))
    worker_name: Mapped[str] = mapped_column(String(128), default="")
    case_reference: Mapped[str] = mapped_column(String(32))
    team: Mapped[str] = mapped_column(String(80))
    direction: Mapped[str] = mapped_column(String(32))
    decision_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    manager_agreed: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    calendar_event_id: Mapped[str] = mapped_column(String(256), default="")
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WaitlistRow(Base):
    """A social worker waiting for a slot (at one clinic, or the earliest with room)."""

    __tablename__ = "waitlist"
    __table_args__ = (Index("ix_waitlist_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    clinic_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    worker_object_id: Mapped[str] = mapped_column(String(64))
    worker_name: Mapped[str] = mapped_column(String(128), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    offered_booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# -- transfer requests --------------------------------------------------------------------------------
class TransferRow(Base):
    """A request to move a child's case between services, and where its life cycle stands."""

    __tablename__ = "transfers"
    __table_args__ = (
        Index("ix_transfers_case", "case_reference"),
        Index("ix_transfers_requester", "tenant_id", "requester_object_id", "state"),
        Index("ix_transfers_state", "state", "receiving_channel"),
        Index("ix_transfers_worker", "tenant_id", "worker_object_id"),
        Index("ix_transfers_channel", "channel_conversation_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(24))
    paused_from: Mapped[str | None] = mapped_column(String(24), nullable=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    requester_object_id: Mapped[str] = mapped_column(String(64))
    requester_name: Mapped[str] = mapped_column(String(128), default="")
    case_reference: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(32))
    from_team: Mapped[str] = mapped_column(String(80))
    to_service: Mapped[str] = mapped_column(String(80))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    receiving_channel: Mapped[str] = mapped_column(String(32))
    channel_conversation_id: Mapped[str] = mapped_column(String(512), default="")
    channel_activity_id: Mapped[str] = mapped_column(String(256), default="")
    decision: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    gaps: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Copied out of `details` and `decision` so lists can find a person's cases by index.
    route: Mapped[str] = mapped_column(String(24), default="direct")
    wording: Mapped[str] = mapped_column(Text, default="")
    worker_object_id: Mapped[str] = mapped_column(String(64), default="")
    previous_worker_object_id: Mapped[str] = mapped_column(String(64), default="")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    transferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    escalated_to: Mapped[str] = mapped_column(String(32), default="")
    last_actor_object_id: Mapped[str] = mapped_column(String(64), default="")
    last_actor_name: Mapped[str] = mapped_column(String(128), default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
