"""How the outbox is doing, for /readyz and /metrics: the last tick's age, the oldest due row, dead letters, 429s.

The ages are measured on the app's clock (the one the worker reads), so a test can stall the scheduler and
move time on. A scheduler that has not ticked for STALL_TICKS intervals makes the process not ready: the
truth is in the database, but nothing of this process would deliver it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.outbox_worker import OutboxWorker
from storage.uow import UnitOfWorkFactory

STALL_TICKS = 3
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class OutboxHealth:
    last_tick_age_seconds: float
    stalled: bool
    oldest_due_age_seconds: float | None  # None: the database did not answer
    dead_letters: int | None
    pending: int | None
    throttled: int
    sent: int
    sent_late: int
    dead_lettered: int
    lost_leases: int
    stopped: bool
    failures: dict[str, int]


async def outbox_health(worker: OutboxWorker, uow: UnitOfWorkFactory, *, ask_database: bool = True) -> OutboxHealth:
    now = worker.now()
    last = worker.stats.last_tick_at or worker.started_at
    age = max(0.0, (now - last).total_seconds())
    oldest: float | None = None
    dead: int | None = None
    pending: int | None = None
    if ask_database:
        try:
            async with uow() as work:
                due = await work.outbox.oldest_due(now)
                dead = await work.outbox.count("dead")
                pending = await work.outbox.count("pending")
            oldest = max(0.0, (now - due).total_seconds()) if due is not None else 0.0
        except Exception:  # noqa: BLE001 - a report must answer whatever the database does
            oldest, dead, pending = None, None, None
    stopped = worker.stopped_until is not None and now < worker.stopped_until
    return OutboxHealth(
        last_tick_age_seconds=age,
        stalled=age > STALL_TICKS * worker.tick_seconds,
        oldest_due_age_seconds=oldest,
        dead_letters=dead,
        pending=pending,
        throttled=worker.throttled,
        sent=worker.stats.sent,
        sent_late=worker.stats.late,
        dead_lettered=worker.stats.dead,
        lost_leases=worker.stats.lost_leases,
        stopped=stopped,
        failures=dict(worker.stats.failures),
    )


def readiness(health: OutboxHealth) -> dict[str, object]:
    return {
        "last_tick_age_seconds": round(health.last_tick_age_seconds, 3),
        "scheduler_stalled": health.stalled,
        "oldest_due_age_seconds": health.oldest_due_age_seconds,
        "dead_letters": health.dead_letters,
        "throttled": health.throttled,
        "sender_stopped": health.stopped,
    }


def _line(name: str, kind: str, help_text: str, value: float | None, labels: str = "") -> list[str]:
    if value is None:
        return []
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name}{labels} {value:g}"]


def prometheus(health: OutboxHealth, *, database_up: bool) -> str:
    """The Prometheus text format (0.0.4); counters are this process's since it started."""
    lines: list[str] = []
    lines += _line("stepbot_database_up", "gauge", "1 when the database answers.", 1.0 if database_up else 0.0)
    lines += _line(
        "stepbot_outbox_last_tick_age_seconds",
        "gauge",
        "Seconds since this process's outbox worker last looked for due rows.",
        health.last_tick_age_seconds,
    )
    lines += _line(
        "stepbot_outbox_scheduler_stalled", "gauge", "1 when the tick is overdue.", 1.0 if health.stalled else 0.0
    )
    lines += _line(
        "stepbot_outbox_oldest_due_age_seconds",
        "gauge",
        "Seconds the longest-waiting due pending row has waited (0: none due).",
        health.oldest_due_age_seconds,
    )
    lines += _line(
        "stepbot_outbox_dead_letters",
        "gauge",
        "Rows given up on, waiting for an administrator.",
        _n(health.dead_letters),
    )
    lines += _line("stepbot_outbox_pending", "gauge", "Rows waiting to be sent, due or not.", _n(health.pending))
    lines += _line("stepbot_outbox_throttled_total", "counter", "429 answers from the Bot Connector.", health.throttled)
    lines += _line("stepbot_outbox_sent_total", "counter", "Rows sent by this process.", health.sent)
    lines += _line("stepbot_outbox_sent_late_total", "counter", "Rows sent late by this process.", health.sent_late)
    lines += _line(
        "stepbot_outbox_dead_lettered_total", "counter", "Rows this process gave up on.", health.dead_lettered
    )
    lines += _line("stepbot_outbox_lost_leases_total", "counter", "Leases lost to another worker.", health.lost_leases)
    lines += _line(
        "stepbot_outbox_sender_stopped",
        "gauge",
        "1 while Teams refuses the bot's credentials.",
        1.0 if health.stopped else 0.0,
    )
    if health.failures:
        lines += [
            "# HELP stepbot_outbox_failures_total Failed tries by class.",
            "# TYPE stepbot_outbox_failures_total counter",
        ]
        lines += [f'stepbot_outbox_failures_total{{class="{cls}"}} {n}' for cls, n in sorted(health.failures.items())]
    return "\n".join(lines) + "\n"


async def outbox_readiness(
    worker: OutboxWorker, uow: UnitOfWorkFactory, ticking: bool, database: bool
) -> tuple[dict[str, object] | None, bool]:
    """The outbox's part of /readyz (None where this process runs no tick) and whether its tick has stalled."""
    if not ticking:
        return None, False
    health = await outbox_health(worker, uow, ask_database=database)
    return readiness(health), health.stalled


async def metrics_text(worker: OutboxWorker, uow: UnitOfWorkFactory, database: bool) -> str:
    return prometheus(await outbox_health(worker, uow, ask_database=database), database_up=database)


def _n(value: int | None) -> float | None:
    return float(value) if value is not None else None


__all__ = [
    "CONTENT_TYPE",
    "STALL_TICKS",
    "OutboxHealth",
    "metrics_text",
    "outbox_health",
    "outbox_readiness",
    "prometheus",
    "readiness",
]
