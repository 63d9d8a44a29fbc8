"""Cards for administrators about what the bot could not deliver: why, and buttons to send it again or drop it.

They show the row's kind, where it was going, when it was due, how many tries it had and the error class,
never what it carried: an administrator sees no case content.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from cards.elements import Json, card, container, execute, facts, heading, text
from cards.payloads import ActionPayload, RecordAction

# The longest dead-letter list one card shows; the console lists them all.
LIST_MAX = 15

KIND_WORDS = {
    "send.conversation": "A post to a channel or chat",
    "send.person": "A message to a person's personal chat",
    "update.card": "An update of a card already posted",
    "job": "An internal job (a reminder to queue, an agenda to post)",
    "sync.roster": "Reading a team's members from Teams",
}
CLASS_WORDS = {
    "gone": "The conversation can't be reached any more: the bot was removed or blocked there, or it was deleted.",
    "undeliverable": "There is nowhere to send it: the bot has no conversation with that person or channel.",
    "rejected": "Teams refused it as it is: sending the same again is likely to fail the same way.",
    "throttled": "Teams kept asking the bot to slow down, and the tries ran out.",
    "transient": "Teams, Entra or the network kept failing, and the tries ran out.",
    "failed": "The bot's own job failed each time it ran, and the tries ran out.",
    "credentials": "Teams refused the bot's own credentials.",
    "abandoned": "A bot process stopped while sending it, again and again.",
}


class RetryDeadLetter(RecordAction):
    """Send a dead letter again: record_id is the outbox row, version the attempts it had (a stale card)."""


class DropDeadLetter(RecordAction):
    """Drop a dead letter for good; asked once more before it is done."""

    confirmed: bool = Field(False)


class KeepDeadLetter(RecordAction):
    """Not dropped after all: the dead letter's card again."""


class ShowDeadLetters(ActionPayload):
    """The list of dead letters, from a button."""


@dataclass(frozen=True)
class DeadLetterView:
    """A dead letter in words, ready to show (times already in local time)."""

    id: int
    attempts: int
    kind: str
    target: str
    due: str
    died: str
    error: str
    error_class: str
    key: str = ""


def _facts(view: DeadLetterView) -> Json:
    pairs = [
        ("What", KIND_WORDS.get(view.kind, view.kind)),
        ("To", view.target),
        ("Due", view.due),
        ("Given up", view.died),
        ("Tries", str(view.attempts)),
        ("Error", view.error[:200] or "none recorded"),
    ]
    if view.key:
        pairs.append(("Key", view.key[:120]))
    return facts(pairs)


def _why(view: DeadLetterView) -> Json:
    return text(CLASS_WORDS.get(view.error_class, "It failed, and the tries ran out."))


def _buttons(view: DeadLetterView) -> list[Json]:
    data = {"record_id": view.id, "version": max(1, view.attempts)}
    return [
        execute("Send again", "outbox.retry", data, style="positive"),
        execute("Drop it", "outbox.drop", data, style="destructive"),
    ]


def render_dead_letter(view: DeadLetterView) -> Json:
    """The notice an administrator gets when the bot gives up on a message."""
    body = [
        heading("A message could not be delivered"),
        _why(view),
        _facts(view),
        text("Send it again once the cause is fixed, or drop it. `stepbot dead-letters` lists them all.", subtle=True),
    ]
    return card(body, _buttons(view))


def render_dead_letters(views: list[DeadLetterView], *, more: int = 0) -> Json:
    """`dead letters`: what the bot gave up on, newest first, each with its buttons."""
    if not views:
        return card([heading("No dead letters"), text("Everything queued has been delivered or is still trying.")])
    body: list[Json] = [heading(f"Dead letters: {len(views) + more}")]
    for view in views[:LIST_MAX]:
        body.append(
            container(
                [
                    _facts(view),
                    _why(view),
                    {"type": "ActionSet", "actions": _buttons(view)},
                ],
                style="emphasis",
            )
        )
    hidden = more + max(0, len(views) - LIST_MAX)
    if hidden:
        body.append(text(f"{hidden} more: `stepbot dead-letters list` on the console shows them all.", subtle=True))
    return card(body)


def render_drop_confirm(view: DeadLetterView) -> Json:
    """Dropping is for good: asked once more."""
    data = {"record_id": view.id, "version": max(1, view.attempts), "confirmed": True}
    return card(
        [heading("Drop this message for good?"), _facts(view), text("It will never be sent. This can't be undone.")],
        [
            execute("Drop it", "outbox.drop", data, style="destructive"),
            execute("Keep it", "outbox.keep", {"record_id": view.id, "version": max(1, view.attempts)}),
        ],
    )


def render_dead_letter_settled(view: DeadLetterView, *, sent_again: bool) -> Json:
    """What an administrator's button did."""
    line = (
        "Sent again: it goes out with the next tick, and comes back here if it fails again."
        if sent_again
        else "Dropped: it will not be sent."
    )
    return card([heading(line), _facts(view)])


def render_dead_letter_gone(outbox_id: int) -> Json:
    """A button on an old card: the row was sent again, dropped or purged since."""
    return card(
        [
            heading("Already dealt with"),
            text(f"Message {outbox_id} is no longer a dead letter: someone sent it again or dropped it."),
        ],
        [execute("See dead letters", "outbox.list", {})],
    )
