"""Reading cards as a person would: the buttons on them, and the text they show."""

from __future__ import annotations

from typing import Any


def _walk(node: Any) -> list[dict[str, Any]]:
    """Every element a person can see or press (not the card's automatic refresh, nor fallbacks)."""
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        out.append(node)
        for key, value in node.items():
            if key in ("refresh", "fallback"):
                continue
            out.extend(_walk(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_walk(value))
    return out


def buttons(card: dict[str, Any], verb: str | None = None) -> list[dict[str, Any]]:
    """Every Action.Execute on the card (optionally with one verb), in reading order."""
    found = [n for n in _walk(card) if n.get("type") == "Action.Execute"]
    return [b for b in found if verb is None or b.get("verb") == verb]


def button(card: dict[str, Any], verb: str, title: str | None = None) -> dict[str, Any]:
    matches = [b for b in buttons(card, verb) if title is None or b.get("title") == title]
    present = [b.get("verb") for b in buttons(card)]
    assert matches, f"no {verb!r} button titled {title!r} on the card; buttons: {present}"
    return matches[0]


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in _walk(card) if str(n.get("type", "")).startswith("Input.")}


def shown_text(card: dict[str, Any]) -> str:
    parts: list[str] = []
    for node in _walk(card):
        if node.get("type") == "TextBlock":
            parts.append(str(node.get("text", "")))
        if node.get("type") == "FactSet":
            parts.extend(f"{f['title']}: {f['value']}" for f in node.get("facts", []))
    return "\n".join(parts)
