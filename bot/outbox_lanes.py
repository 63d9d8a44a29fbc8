"""The lanes of a batch: its rows by target, in due order, with rows due together for one target folded.

Rows that may be folded (`payload["fold"]` True, a card, not a tracked channel card, not a reply in a thread)
and are due together for one person or conversation go as one digest card when there are FOLD_AT or more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cards.delivery import MAX_DIGEST, DigestItem, render_digest
from domain.messaging import OutboxKind, OutboxMessage
from domain.working_days import WorkingCalendar

# "Many" rows due together for one target: this many or more are folded into one digest.
FOLD_AT = 3
_SENDS = (OutboxKind.SEND_TO_PERSON, OutboxKind.SEND_TO_CONVERSATION)


@dataclass(frozen=True)
class Work:
    """One send: a row, or a digest of rows folded together."""

    messages: tuple[OutboxMessage, ...]
    digest: bool = False


def target_of(message: OutboxMessage) -> str:
    payload = message.payload
    if message.kind is OutboxKind.SEND_TO_PERSON:
        return f"person:{payload.get('tenant_id')}:{payload.get('object_id')}"
    if message.kind in (OutboxKind.SEND_TO_CONVERSATION, OutboxKind.UPDATE_CARD):
        return f"conversation:{payload.get('conversation_id')}"
    return f"row:{message.id}"


def foldable(message: OutboxMessage) -> bool:
    payload = message.payload
    return (
        message.kind in _SENDS
        and payload.get("fold") is True
        and isinstance(payload.get("card"), dict)
        and not payload.get("track")
        and not payload.get("thread_id")
    )


def lanes(claimed: list[OutboxMessage]) -> list[list[Work]]:
    """The batch by target, in due order; within a target, FOLD_AT or more foldable rows become digests."""
    by_target: dict[str, list[OutboxMessage]] = {}
    for message in claimed:
        by_target.setdefault(target_of(message), []).append(message)
    out: list[list[Work]] = []
    for rows in by_target.values():
        may_fold = [m for m in rows if foldable(m)]
        chunks = [tuple(may_fold[i : i + MAX_DIGEST]) for i in range(0, len(may_fold), MAX_DIGEST)]
        digests = {chunk[0].id: chunk for chunk in chunks if len(chunk) >= FOLD_AT}
        folded = {m.id for chunk in digests.values() for m in chunk}
        works: list[Work] = []
        for message in rows:
            if message.id in digests:
                works.append(Work(digests[message.id], digest=True))
            elif message.id not in folded:
                works.append(Work((message,)))
        out.append(works)
    return out


def digest_of(work: Work, calendar: WorkingCalendar, is_late: Callable[[OutboxMessage], bool]) -> OutboxMessage:
    """The one message a digest sends, to its rows' target: their summaries, and everyone they @mention."""
    first = work.messages[0]
    items = [
        DigestItem(
            m.key,
            str(m.payload.get("summary") or ""),
            calendar.format_when(m.scheduled_at or m.due_at),
            late=is_late(m),
        )
        for m in work.messages
    ]
    target: dict[str, Any] = {
        k: first.payload[k] for k in ("tenant_id", "object_id", "conversation_id") if k in first.payload
    }
    mentions: list[str] = list(dict.fromkeys(str(o) for m in work.messages for o in m.payload.get("mention") or []))
    payload: dict[str, Any] = {**target, "card": render_digest(items), "summary": f"{len(items)} reminders and notices"}
    if mentions:
        payload["mention"] = mentions
    return OutboxMessage(first.kind, payload, first.due_at, id=first.id)
