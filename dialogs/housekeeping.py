"""Retention: the scheduled purge of what is kept only for a while (expired drafts, old actions, sent rows)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retention:
    """How long each kind of record is kept; the periods come from the deployment's configuration.

    Expired drafts have no period: they hold reasons and consent details that nobody can reach once the
    draft has expired. Dead outbox rows have none either: they wait for an administrator.
    """

    processed_actions: timedelta
    sent_outbox: timedelta


@dataclass(frozen=True)
class Purged:
    drafts: int
    processed_actions: int
    sent_outbox: int


async def purge_old_records(uow: UnitOfWorkFactory, now: datetime, retention: Retention) -> Purged:
    """Delete what has outlived its period, in one transaction, and log how many of each went.

    Every delete is "older than", so replicas that purge at the same moment only find less to delete.
    """
    async with uow() as work:
        purged = Purged(
            drafts=await work.drafts.purge_expired(now),
            processed_actions=await work.actions.purge_before(now - retention.processed_actions),
            sent_outbox=await work.outbox.purge_sent_before(now - retention.sent_outbox),
        )
    # Counts only: the rows themselves carry people's words.
    log.info(
        "purged %d expired drafts, %d processed actions, %d sent outbox rows",
        purged.drafts,
        purged.processed_actions,
        purged.sent_outbox,
        extra={"purged": asdict(purged)},
    )
    return purged


class Housekeeping:
    """The scheduler's purge job: the clock read at each run, and no failure that stops the next one."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Callable[[], datetime], retention: Retention) -> None:
        self._uow = uow
        self._clock = clock
        self._retention = retention

    async def tick(self) -> None:
        try:
            await purge_old_records(self._uow, self._clock(), self._retention)
        except Exception:
            log.exception("purge failed")
