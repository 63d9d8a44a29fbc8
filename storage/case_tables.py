"""The tables about a case once it is asked for: team rosters, running deadlines, meeting outcomes, disputes and
the family's consent (the request itself, and the rest, are in storage/tables.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.tables import Base, BigIntId
from storage.types import UTCDateTime


# -- who is in which team -------------------------------------------------------------------------------
class TeamRosterRow(Base):
    """When a team's roster was last read from the Bot Connector: no row means it is not known yet."""

    __tablename__ = "team_rosters"

    team_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TeamMemberRow(Base):
    """A member of a team's roster, so a turn can tell who is on the receiving side without calling Teams."""

    __tablename__ = "team_members"
    __table_args__ = (Index("ix_team_members_person", "object_id"),)

    team_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(256), default="")
    name: Mapped[str] = mapped_column(String(128), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# -- deadlines ------------------------------------------------------------------------------------------
OPEN_DEADLINE = "state = 'open'"


class DeadlineRow(Base):
    """One running clock of a case: a profile rule started by a recorded fact; reminders are outbox rows."""

    __tablename__ = "deadlines"
    __table_args__ = (
        # A fact recorded twice (a resubmission, say) does not start a second clock of the same rule.
        Index(
            "uq_deadlines_open_rule",
            "transfer_id",
            "rule_key",
            unique=True,
            sqlite_where=text(OPEN_DEADLINE),
            postgresql_where=text(OPEN_DEADLINE),
        ),
        Index("ix_deadlines_owner", "tenant_id", "owner_object_id", "state", "due_at"),
        Index("ix_deadlines_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    tenant_id: Mapped[str] = mapped_column(String(64))
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"))
    case_reference: Mapped[str] = mapped_column(String(32))
    rule_key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(32))
    owner_object_id: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default="open")
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    extension_reason: Mapped[str] = mapped_column(String(300), default="")
    extension_agreed_by: Mapped[str] = mapped_column(String(80), default="")
    previous_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# -- meeting outcomes and disputes ------------------------------------------------------------------------
class OutcomeRow(Base):
    """What a clinic, meeting or panel decided about a request; a correction is a new version with a reason."""

    __tablename__ = "outcomes"
    __table_args__ = (
        UniqueConstraint("transfer_id", "version", name="uq_outcomes_transfer_version"),
        Index("ix_outcomes_transfer", "transfer_id", "version"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"))
    version: Mapped[int] = mapped_column(Integer)
    meeting_kind: Mapped[str] = mapped_column(String(24))
    meeting_on: Mapped[date] = mapped_column(Date)
    decision: Mapped[str] = mapped_column(String(24))
    # The decision's own facts (reason, deferred date, what is missing, the agency, the allocation, the
    # actions, the final meeting's date, the profile's extra fields): typed in domain/outcomes.py.
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    correction_reason: Mapped[str] = mapped_column(String(300), default="")
    recorded_by_object_id: Mapped[str] = mapped_column(String(64))
    recorded_by_name: Mapped[str] = mapped_column(String(128), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DisputeRow(Base):
    """A party's dispute about a decision, settled by a manager (Dorset: within 1 working day)."""

    __tablename__ = "disputes"
    __table_args__ = (Index("ix_disputes_transfer", "transfer_id", "state"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"))
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | settled
    # The decision disputed: the event that made it, and the outcome's version when a meeting made it.
    decision_event: Mapped[str] = mapped_column(String(32))
    outcome_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    about: Mapped[str] = mapped_column(String(300))
    raised_by_object_id: Mapped[str] = mapped_column(String(64))
    raised_by_name: Mapped[str] = mapped_column(String(128), default="")
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    settlement: Mapped[str] = mapped_column(String(24), default="")  # upheld | changed
    settlement_note: Mapped[str] = mapped_column(String(300), default="")
    settled_by_object_id: Mapped[str] = mapped_column(String(64), default="")
    settled_by_name: Mapped[str] = mapped_column(String(128), default="")
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Where its card landed in the managers' channel, so settling it updates the card for everyone.
    channel_conversation_id: Mapped[str] = mapped_column(String(512), default="")
    channel_activity_id: Mapped[str] = mapped_column(String(256), default="")


# -- the family's consent ---------------------------------------------------------------------------------------
class ConsentRow(Base):
    """One entry of a case's consent record; entries are appended, never changed, and the latest stands."""

    __tablename__ = "consents"
    __table_args__ = (
        UniqueConstraint("transfer_id", "entry", name="uq_consents_transfer_entry"),
        Index("ix_consents_case", "case_reference"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"))
    case_reference: Mapped[str] = mapped_column(String(32))
    entry: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24))
    given_on: Mapped[date] = mapped_column(Date)
    # Who, how, the scope, and for "not sought" the reason and the manager: typed in domain/consent.py.
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_by_object_id: Mapped[str] = mapped_column(String(64))
    recorded_by_name: Mapped[str] = mapped_column(String(128), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
