"""The few element builders every card is composed from."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"


def card(body: list[Json], actions: list[Json] | None = None, *, refresh: Json | None = None) -> Json:
    """An Adaptive Card 1.5, full width in Teams."""
    out: Json = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if actions:
        out["actions"] = actions
    if refresh:
        out["refresh"] = refresh
    return out


def heading(text: str) -> Json:
    return {"type": "TextBlock", "text": text, "size": "Large", "weight": "Bolder", "wrap": True, "style": "heading"}


def text(value: str, *, subtle: bool = False, weight: str | None = None, color: str | None = None) -> Json:
    out: Json = {"type": "TextBlock", "text": value, "wrap": True}
    if subtle:
        out["isSubtle"] = True
    if weight:
        out["weight"] = weight
    if color:
        out["color"] = color
    return out


def facts(pairs: list[tuple[str, str]]) -> Json:
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in pairs]}


def bullet_list(items: list[str]) -> Json:
    return text("\n".join(f"- {item}" for item in items))


def execute(title: str, verb: str, data: Json | None = None, *, style: str | None = None) -> Json:
    """A Universal Action (Action.Execute); the verb routes it, the data carries the payload."""
    out: Json = {"type": "Action.Execute", "title": title, "verb": verb, "data": {"verb": verb, **(data or {})}}
    if style:
        out["style"] = style
    return out


def not_now(verb: str, data: Json | None = None, *, title: str = "Not now") -> Json:
    """A form's way back: it sends none of the form's inputs, so an empty required box never blocks it."""
    out = execute(title, verb, data)
    out["associatedInputs"] = "none"
    return out


def submit(title: str, verb: str, data: Json | None = None, *, style: str | None = None) -> Json:
    """An Action.Submit for clients without Universal Actions; the verb travels in the data."""
    out: Json = {"type": "Action.Submit", "title": title, "data": {"verb": verb, **(data or {})}}
    if style:
        out["style"] = style
    return out


def container(items: list[Json], *, style: str | None = None) -> Json:
    out: Json = {"type": "Container", "items": items}
    if style:
        out["style"] = style
    return out
