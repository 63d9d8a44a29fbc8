"""What dialogs need from the outside world, as protocols bot/ implements (so dialogs stay SDK-free)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class ClinicCalendar(Protocol):
    """Outlook events for clinic bookings, organised from the clinic's own mailbox."""

    async def create_event(
        self, *, attendee_object_id: str, subject: str, start: datetime, end: datetime, join_url: str
    ) -> str:
        """Create the event and invite the worker; returns the event id."""
        ...

    async def cancel_event(self, event_id: str, *, comment: str) -> None: ...


class LineManagers(Protocol):
    """Who manages whom: Microsoft Graph's manager and direct reports, or the configured teams."""

    async def managers_of(self, tenant_id: str, object_id: str) -> frozenset[str]:
        """The line managers' object ids (empty when unknown or when the lookup failed: fail closed)."""
        ...

    async def reports_of(self, tenant_id: str, object_id: str) -> frozenset[str]:
        """The object ids of the people this person manages."""
        ...


class NoLineManagers:
    """Nobody manages anybody: the default until bot/ hands down a directory."""

    async def managers_of(self, tenant_id: str, object_id: str) -> frozenset[str]:
        return frozenset()

    async def reports_of(self, tenant_id: str, object_id: str) -> frozenset[str]:
        return frozenset()
