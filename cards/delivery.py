"""What the outbox adds to a card as it sends it (@mentions, a late line, a rerouting note), and the digest card."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, field_validator

from cards.elements import Json, card, container, execute, heading, text
from cards.payloads import ActionPayload, text_problem

# At most this many rows in one digest: its keys travel in the button's data, and the card must stay small.
MAX_DIGEST = 25
SUMMARY_MAX = 150
KEY_MAX = 255


@dataclass(frozen=True)
class Mention:
    """A person to @mention: their Teams (29:) id for this bot and the name to show."""

    user_id: str
    name: str


def _plain_name(name: str) -> str:
    # A name is shown between <at> tags: anything that could close the tag is left out.
    return "".join(c for c in name if c not in "<>&").strip()[:64]


def with_mentions(base: Json, people: list[Mention]) -> Json:
    """The card with a line @mentioning each person at the top, and Teams' mention entities for them."""
    named = [(p.user_id, _plain_name(p.name)) for p in people if p.user_id and _plain_name(p.name)]
    if not named:
        return base
    tags = [f"<at>{name}</at>" for _, name in named]
    entities = [
        {"type": "mention", "text": tag, "mentioned": {"id": user_id, "name": name}}
        for tag, (user_id, name) in zip(tags, named, strict=True)
    ]
    msteams = dict(base.get("msteams") or {})
    msteams["entities"] = [*msteams.get("entities", []), *entities]
    return {**base, "body": [text(", ".join(tags)), *base.get("body", [])], "msteams": msteams}


def with_note(base: Json, note: str) -> Json:
    """The card with a short subtle line at the top: sent late, or sent here instead."""
    return {**base, "body": [text(note, subtle=True), *base.get("body", [])]}


def late_note(due: str) -> str:
    return f"This was due at {due} and is sent late."


def rerouted_note() -> str:
    return "This could not reach the person or channel it was meant for, so it has come to you instead."


@dataclass(frozen=True)
class DigestItem:
    """One folded row as the digest shows it: its summary (the notification text), when it was due."""

    key: str
    summary: str
    due: str
    late: bool = False


class UnfoldDigest(ActionPayload):
    """Show each one: the rows a digest carries, by their idempotency keys."""

    keys: list[str] = Field(min_length=1, max_length=MAX_DIGEST)

    @field_validator("keys")
    @classmethod
    def _plain_keys(cls, keys: list[str]) -> list[str]:
        for key in keys:
            problem = text_problem("keys", key)
            if problem is not None:
                raise problem
            if not key or len(key) > KEY_MAX:
                raise ValueError("a key is empty or too long")
        return keys


def render_digest(items: list[DigestItem], *, unfolded: bool = False) -> Json:
    """Many reminders or notices due together, as one message; the button's data lists the keys it carries."""
    shown = items[:MAX_DIGEST]
    body: list[Json] = [
        heading(f"{len(shown)} reminders and notices"),
        text("They fell due together, so they come as one message.", subtle=True),
    ]
    for item in shown:
        when = f"Due at {item.due}" + (", sent late" if item.late else "")
        summary = item.summary[:SUMMARY_MAX] or "A reminder"
        body.append(container([text(summary, weight="Bolder"), text(when, subtle=True)]))
    if unfolded:
        body.append(text("Each one has been sent again on its own, with its buttons."))
        return card(body)
    keys = [item.key for item in shown]
    return card(body, [execute("Show each one", "outbox.unfold", {"keys": keys})])
