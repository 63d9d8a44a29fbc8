"""Runs last: no channel post, reminder, notice or log line the whole suite produced carries a family's details.

The invented details the tests type (reasons, outstanding needs, consent details, a booking's reason) may
appear only in the detail views a person opens on purpose: a details card, or a booking's reason opened by a
coordinator. Everything else the bot sent, and every log line, is scanned for them.
"""

from __future__ import annotations

import json

from tests.conftest import SUITE_RECORD
from tests.scenarios.booking_steps import GOOD_DETAILS
from tests.scenarios.consent_steps import NOT_SOUGHT
from tests.scenarios.outcome_steps import OUTCOME_DETAILS
from tests.scenarios.transfer_steps import STEP_DOWN, STEP_UP

FAMILY_DETAILS = {
    STEP_DOWN["reason"],
    STEP_DOWN["outstanding_needs"],
    STEP_DOWN["consent_how"],
    STEP_UP["reason"],
    GOOD_DETAILS["reason"],
    "Asking would alert the adult who harms",
    *OUTCOME_DETAILS,
    NOT_SOUGHT["risk_reason"],
}
# The views a person opens on purpose, each audited: they are where the details belong.
OPENED_ON_PURPOSE = (
    "Details: ",
    ": reason for the step down",
    "Your view of these details is recorded",
    "Your view of this outcome is recorded",
)


def _opened_on_purpose(card: object) -> bool:
    text = json.dumps(card)
    return any(marker in text for marker in OPENED_ON_PURPOSE)


def test_no_post_notice_or_log_line_carries_a_familys_details() -> None:
    leaks: list[str] = []
    for call in SUITE_RECORD.posts:
        cards = [c for c in call.cards if not _opened_on_purpose(c)]
        text = json.dumps(cards) + json.dumps({k: v for k, v in call.activity.items() if k != "attachments"})
        leaks += [f"{call.op} to {call.conversation_id[:30]}: {d[:30]}" for d in FAMILY_DETAILS if d in text]
    for line in SUITE_RECORD.logs:
        leaks += [f"log: {line[:120]}" for d in FAMILY_DETAILS if d in line]
    assert leaks == [], f"{len(leaks)} places carry a family's details, e.g. {leaks[:5]}"
