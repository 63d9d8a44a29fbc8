"""Records whose cards are posted by the outbox learn where their card landed, to update it later."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from dialogs.turn import Services

Tracker = Callable[[Services, int, int, str, str, datetime], Awaitable[None]]

_TRACKERS: dict[str, Tracker] = {}


def tracker(kind: str) -> Callable[[Tracker], Tracker]:
    def register(fn: Tracker) -> Tracker:
        if kind in _TRACKERS:
            raise ValueError(f"tracker {kind!r} registered twice")
        _TRACKERS[kind] = fn
        return fn

    return register


def track_key(kind: str, record_id: int, version: int) -> str:
    return f"{kind}:{record_id}:{version}"


async def posted(services: Services, track: str, conversation_id: str, activity_id: str, now: datetime) -> None:
    """Called by the outbox worker once a tracked card is sent."""
    kind, _, rest = track.partition(":")
    record, _, version = rest.partition(":")
    found = _TRACKERS.get(kind)
    if found is None or not record.isdigit() or not version.isdigit():
        return
    await found(services, int(record), int(version), conversation_id, activity_id, now)
