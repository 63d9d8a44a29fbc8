"""Every capability's router, merged into the one bot/ dispatches to."""

from __future__ import annotations

from dialogs import (
    booking,
    booking_assessment,
    booking_waitlist,
    case_history,
    clinic_agenda,
    consent,
    dead_letters,
    deadline_actions,
    digests,
    disputes,
    outcomes,
    transfer_decisions,
    transfer_requests,
    transfer_review,
)
from dialogs import help as help_dialog
from dialogs.router import Router


def build_router() -> Router:
    """Add each capability module's router here as it lands (booking, transfer, outcomes, reminders)."""
    root = Router()
    root.include(help_dialog.router)
    root.include(booking.router)
    root.include(booking_waitlist.router)
    root.include(booking_assessment.router)
    root.include(clinic_agenda.router)
    root.include(dead_letters.router)
    root.include(digests.router)
    root.include(transfer_requests.router)
    root.include(transfer_review.router)
    root.include(transfer_decisions.router)
    root.include(deadline_actions.router)
    root.include(outcomes.router)
    root.include(disputes.router)
    root.include(case_history.router)
    root.include(consent.router)
    return root
