"""Why an outbox send failed, in classes the worker acts on, and how long to wait before the next try."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any


class FailureClass(StrEnum):
    PACED = "paced"  # not tried: it would break Teams' pace; put back, not counted as an attempt
    THROTTLED = "throttled"  # 429: retried after Retry-After (and the sender slows down)
    TRANSIENT = "transient"  # 5xx, a timeout, no network, no token from Entra: retried with back-off
    GONE = "gone"  # 403/404 with a roster code: the conversation can't be reached; the fallback, or dead
    CREDENTIALS = "credentials"  # other 401/403: the bot's own credentials; the sender stops, with an alert
    REJECTED = "rejected"  # other 4xx: the same request would fail the same way; dead
    UNDELIVERABLE = "undeliverable"  # nowhere to send it (no reference, the bot removed); the fallback, or dead
    FAILED = "failed"  # a job or our own code raised: retried with back-off
    ABANDONED = "abandoned"  # claimed again and again without ever finishing (a worker died each time)


RETRIED = frozenset({FailureClass.THROTTLED, FailureClass.TRANSIENT, FailureClass.FAILED})
REROUTED = frozenset({FailureClass.GONE, FailureClass.UNDELIVERABLE})

# The Teams error codes that mean this conversation is closed to the bot, whatever is sent.
ROSTER_CODES = frozenset(
    {"BotNotInConversationRoster", "ConversationBlockedByUser", "BotDisabledByAdmin", "ConversationNotFound"}
)
# What a stale reference is marked, by the code that made it stale.
STALE_STATUS = {
    "BotNotInConversationRoster": "removed",
    "ConversationBlockedByUser": "blocked",
    "BotDisabledByAdmin": "disabled",
    "ConversationNotFound": "deleted",
}
# Entra's answers that mean the bot's secret or certificate is wrong, not that Entra is down.
CREDENTIAL_TOKEN_ERRORS = ("invalid_client", "unauthorized_client", "invalid_grant")
BACKOFF_MAX = timedelta(hours=1)


@dataclass(frozen=True)
class Failure:
    """One failed try: its class, a short error for the row (never the payload) and what the far side said."""

    cls: FailureClass
    error: str
    status: int = 0
    code: str = ""
    retry_after: float | None = None

    @property
    def retried(self) -> bool:
        return self.cls in RETRIED


def classify_http(status: int, code: str, retry_after: float | None) -> Failure:
    error = f"HTTP {status}"
    if status == 429:
        return Failure(FailureClass.THROTTLED, error, status, code, retry_after)
    if status >= 500 or status == 408:
        return Failure(FailureClass.TRANSIENT, error, status, code, retry_after)
    if status in (403, 404) and code in ROSTER_CODES:
        return Failure(FailureClass.GONE, error, status, code)
    if status in (401, 403):
        return Failure(FailureClass.CREDENTIALS, error, status, code)
    return Failure(FailureClass.REJECTED, error, status, code)


def classify_token_error(message: str) -> Failure:
    """Entra gave no token: a wrong secret stops the sender; Entra being down only waits."""
    if any(code in message for code in CREDENTIAL_TOKEN_ERRORS):
        return Failure(FailureClass.CREDENTIALS, f"no bot token: {message}"[:200], code=message[:64])
    return Failure(FailureClass.TRANSIENT, f"no bot token: {message}"[:200], retry_after=60.0)


def retry_after_seconds(headers: Any, now: datetime | None = None) -> float | None:
    """Retry-After in seconds, from either of its forms (delta-seconds, or an HTTP date)."""
    raw = (headers or {}).get("Retry-After") if hasattr(headers, "get") else None
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except (TypeError, ValueError):
        pass
    try:
        when = parsedate_to_datetime(str(raw))
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def teams_error_code(exc: Any) -> str:
    """The Bot Connector's error code (`{"error": {"code": ...}}`), from the SDK's model or the raw body."""
    model = getattr(getattr(exc, "error", None), "error", None)
    code = getattr(model, "code", None)
    if isinstance(code, str) and code:
        return code[:64]
    response: Any = getattr(exc, "response", None)
    try:
        reader = getattr(response, "text", None)
        text = reader() if callable(reader) else reader
        body = json.loads(text or "{}")
    except (ValueError, TypeError, AttributeError):
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code", ""))[:64] if isinstance(error, dict) else ""


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """About 1, 2, 4 ... minutes (each drawn between half and all of it, so replicas spread out), at most an hour."""
    base = min(BACKOFF_MAX.total_seconds(), 60.0 * 2 ** max(0, attempts - 1))
    return timedelta(seconds=(rng or random).uniform(base / 2, base))


def retry_delay(failure: Failure, attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait before the next try: never less than the Retry-After Teams asked for."""
    wait = backoff(attempts, rng)
    if failure.retry_after is not None:
        wait = max(wait, timedelta(seconds=failure.retry_after))
    return wait


def short_wait(failure: Failure, tries: int, rng: random.Random | None = None) -> float:
    """A 429's pause in the lane: Retry-After (a second when it says none), grown per try, plus up to 20%."""
    base = max(failure.retry_after if failure.retry_after is not None else 1.0, 0.5 * 2**tries)
    return float(base * (rng or random).uniform(1.0, 1.2))
