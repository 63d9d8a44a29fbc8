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


def _walk(node: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        out.append(node)
        for value in node.values():
            out.extend(_walk(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_walk(value))
    return out


def accessibility_problems(card: dict[str, Any]) -> list[str]:
    """Our conventions: inputs are labelled, required inputs say what is wrong, images have alt text."""
    problems: list[str] = []
    for element in _walk(card):
        kind = str(element.get("type", ""))
        if kind.startswith("Input."):
            # A toggle's title is read as its label (a checklist item is one toggle titled with the item).
            if not element.get("label") and not (kind == "Input.Toggle" and element.get("title")):
                problems.append(f"input {element.get('id')!r} has no label")
            if element.get("isRequired") and not element.get("errorMessage"):
                problems.append(f"required input {element.get('id')!r} has no errorMessage")
        if kind == "Image" and not element.get("altText"):
            problems.append(f"image {element.get('url')!r} has no altText")
    return problems


def assert_valid_card(card: dict[str, Any]) -> None:
    problems = accessibility_problems(card)
    assert not problems, "card breaks the accessibility conventions:\n" + "\n".join(problems)
    errors = card_errors(card)
    assert not errors, "card fails the Adaptive Card 1.5 schema:\n" + "\n".join(errors[:20])
    assert card.get("version") == "1.5"
    size = len(json.dumps(card).encode("utf-8"))
    assert size < TEAMS_MESSAGE_LIMIT_BYTES, f"card is {size} bytes, over Teams' message limit"
