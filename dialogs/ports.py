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
