"""Internal jobs the outbox runs when they fall due (a held slot expiring, an agenda to post)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from dialogs.turn import Services

Job = Callable[[Services, dict[str, Any], datetime], Awaitable[None]]

_JOBS: dict[str, Job] = {}


def job(name: str) -> Callable[[Job], Job]:
    """Register a job by name; capability modules register theirs when imported by the catalogue."""

    def register(fn: Job) -> Job:
        if name in _JOBS:
            raise ValueError(f"job {name!r} registered twice")
        _JOBS[name] = fn
        return fn

    return register


def find_job(name: str) -> Job | None:
    return _JOBS.get(name)
