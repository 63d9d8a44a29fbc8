"""What stands in place of the bot's own Teams messages about a case removed under the retention policy."""

from __future__ import annotations

from cards.elements import Json, card, text
from domain.retention import REMOVED


def render_removed_under_retention() -> Json:
    """A card that says only that the record went: no reference, nothing of what it was."""
    return card([text(REMOVED, weight="Bolder"), text("Ask your administrator if you need to know more.", subtle=True)])
