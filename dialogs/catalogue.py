"""Every capability's router, merged into the one bot/ dispatches to."""

from __future__ import annotations

from dialogs import help as help_dialog
from dialogs.router import Router


def build_router() -> Router:
    """Add each capability module's router here as it lands (booking, transfer, outcomes, reminders)."""
    root = Router()
    root.include(help_dialog.router)
    return root
