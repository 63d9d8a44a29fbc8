"""Validates cards against the official Adaptive Card 1.5 schema plus our documented `msteams` overlay."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
# Teams' documented limit is about 28 KB for a whole message; keep cards well under it.
TEAMS_MESSAGE_LIMIT_BYTES = 28 * 1024


@cache
def _validator() -> Draft6Validator:
    schema = json.loads((SCHEMAS / "adaptive-card-1.5.schema.json").read_text(encoding="utf-8"))
    overlay = json.loads((SCHEMAS / "teams-msteams-overlay.json").read_text(encoding="utf-8"))
    schema = copy.deepcopy(schema)
    card_props = schema["definitions"]["AdaptiveCard"]["properties"]
    card_props.update(overlay["definitions"]["AdaptiveCard"]["properties"])
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def card_errors(card: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in _validator().iter_errors(card)]


def assert_valid_card(card: dict[str, Any]) -> None:
    errors = card_errors(card)
    assert not errors, "card fails the Adaptive Card 1.5 schema:\n" + "\n".join(errors[:20])
    assert card.get("version") == "1.5"
    size = len(json.dumps(card).encode("utf-8"))
    assert size < TEAMS_MESSAGE_LIMIT_BYTES, f"card is {size} bytes, over Teams' message limit"
