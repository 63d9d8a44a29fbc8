"""Records whose cards are posted by the outbox learn where their card landed, to update it later.

The outbox worker calls `posted_in` inside the transaction that marks the row sent: where the card landed
is kept exactly when the row is settled, so a crash cannot leave a card that is never updated again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from types import TracebackType

from dialogs.turn import Services
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

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


class _Joined(UnitOfWork):
    """A unit of work that is the caller's: entering it opens nothing, leaving it commits nothing."""

    def __init__(self, outer: UnitOfWork) -> None:
        self._outer = outer

    async def __aenter__(self) -> UnitOfWork:
        return self._outer

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


class _JoinedFactory(UnitOfWorkFactory):
    """Hands a tracker the worker's transaction whenever it asks for a unit of work."""

    def __init__(self, outer: UnitOfWork) -> None:
        self._outer = outer

    def __call__(self) -> UnitOfWork:
        return _Joined(self._outer)


async def posted_in(
    uow: UnitOfWork, services: Services, track: str, conversation_id: str, activity_id: str, now: datetime
) -> bool:
    """Called by the outbox worker, in the transaction that marks the tracked card's row sent.

    The tracker runs under a savepoint: if it fails, what it wrote is undone and the row is still marked
    sent (sending it again would post a second card). Returns whether the record took it.
    """
    kind, _, rest = track.partition(":")
    record, _, version = rest.partition(":")
    found = _TRACKERS.get(kind)
    if found is None or not record.isdigit() or not version.isdigit():
        return False
    joined = replace(services, uow=_JoinedFactory(uow))
    try:
        async with uow.session.begin_nested():
            await found(joined, int(record), int(version), conversation_id, activity_id, now)
    except Exception:
        # The send happened: the row stays marked sent whatever the tracker did (sending again would post twice).
        log.exception("tracking a posted card failed", extra={"track_kind": kind, "record_id": record})
        return False
    return True


async def posted(services: Services, track: str, conversation_id: str, activity_id: str, now: datetime) -> None:
    """Where a card landed, in a transaction of its own (for callers outside the outbox worker)."""
    async with services.uow() as uow:
        await posted_in(uow, services, track, conversation_id, activity_id, now)


__all__ = ["Tracker", "posted", "posted_in", "track_key", "tracker"]
