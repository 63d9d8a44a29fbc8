"""Runs last: no channel post, reminder, notice or log line the whole suite produced carries a family's details.

The invented details the tests type (reasons, outstanding needs, consent details, a booking's reason) may
appear only in the detail views a person opens on purpose: a details card, or a booking's reason opened by a
coordinator. Everything else the bot sent, and every log line, is scanned for them.
"""

from __future__ import annotations

import json
import re

from tests.conftest import SUITE_RECORD
from tests.scenarios.booking_steps import GOOD_DETAILS
from tests.scenarios.consent_steps import NOT_SOUGHT
from tests.scenarios.outcome_steps import OUTCOME_DETAILS
from tests.scenarios.transfer_steps import STEP_DOWN, STEP_UP, THRESHOLD_REASON

FAMILY_DETAILS = {
    STEP_DOWN["reason"],
    STEP_DOWN["outstanding_needs"],
    STEP_DOWN["consent_how"],
    STEP_UP["reason"],
    GOOD_DETAILS["reason"],
    "Asking would alert the adult who harms",
    *OUTCOME_DETAILS,
    THRESHOLD_REASON,
    NOT_SOUGHT["risk_reason"],
}
# The views a person opens on purpose, each audited: they are where the details belong.
OPENED_ON_PURPOSE = (
    "Details: ",
    ": reason for the step down",
    "Your view of these details is recorded",
    "Your view of this outcome is recorded",
    "Your view of this history is recorded",
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


# What a person reads on a card or in a notification: not the inputs' values, nor the actions' data.
_READ_KEYS = ("text", "title", "value", "label", "placeholder", "errorMessage", "summary", "altText", "fallbackText")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _read_texts(node: object, under_input: bool = False) -> list[str]:
    """Every string a person reads in a card or activity, skipping input values and button data."""
    found: list[str] = []
    if isinstance(node, dict):
        kind = str(node.get("type", ""))
        is_input = kind.startswith("Input.")
        for key, value in node.items():
            if key in ("data", "verb", "id", "min", "max", "refresh", "entities", "channelData", "conversation"):
                continue
            if is_input and key == "value":
                continue  # a date input's value is ISO by the schema; its label is what a person reads
            if isinstance(value, str) and key in _READ_KEYS:
                found.append(value)
            elif isinstance(value, dict | list):
                found += _read_texts(value, under_input or is_input)
    elif isinstance(node, list):
        for item in node:
            found += _read_texts(item, under_input)
    return found


def test_every_date_a_person_reads_is_in_the_gov_uk_style() -> None:
    """Dates in words ("Tuesday 8 December 2026"), in notices as on cards: never 2026-12-08."""
    iso: list[str] = []
    for call in SUITE_RECORD.posts:
        iso += [t[:100] for t in _read_texts(call.activity) if _ISO_DATE.search(t)]
    for card in SUITE_RECORD.answers:
        iso += [t[:100] for t in _read_texts(card) if _ISO_DATE.search(t)]
    assert SUITE_RECORD.answers and SUITE_RECORD.posts, "the scan saw what the suite produced"
    assert sorted(set(iso)) == [], f"{len(set(iso))} texts show an ISO date, e.g. {sorted(set(iso))[:8]}"


def test_the_date_scan_reads_what_a_person_reads_and_not_what_an_input_holds() -> None:
    card = {
        "type": "AdaptiveCard",
        "body": [
            {"type": "TextBlock", "text": "Joint visit planned for 2026-12-08."},
            {"type": "FactSet", "facts": [{"title": "Due", "value": "2026-12-09"}]},
            {"type": "Input.Date", "id": "on", "label": "When", "value": "2026-12-10", "max": "2026-12-11"},
        ],
        "actions": [{"type": "Action.Execute", "title": "Go", "data": {"on": "2026-12-12"}}],
    }
    dated = [t for t in _read_texts(card) if _ISO_DATE.search(t)]
    assert dated == ["Joint visit planned for 2026-12-08.", "2026-12-09"]
