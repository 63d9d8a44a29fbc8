"""Carries out one outbox row: sends (paced, with its @mentions), updates a card, runs a job; reroutes to a fallback.

It tries once and says how it went: done (with what to keep), or a classified failure. What to do about a
failure (wait in the lane, try later, stop, give up) is the worker's call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity
from msrest.exceptions import ClientRequestError, HttpOperationError
from sqlalchemy.exc import DBAPIError

from bot.credentials import CachedConnectorFactory, TokenError
from bot.graph import GraphError
from bot.outbox_failures import (
    REROUTED,
    STALE_STATUS,
    Failure,
    FailureClass,
    classify_http,
    classify_token_error,
    retry_after_seconds,
    teams_error_code,
)
from bot.outbox_targets import Targets, Undeliverable
from bot.pacing import PaceLater, Pacer
from bot.roles import RoleDirectory
from cards.delivery import rerouted_note, with_mentions, with_note
from dialogs.jobs import find_job
from dialogs.turn import Services
from domain.messaging import ConversationRef, OutboxKind, OutboxMessage

log = logging.getLogger(__name__)

_SENDS = (OutboxKind.SEND_TO_PERSON, OutboxKind.SEND_TO_CONVERSATION)


@dataclass(frozen=True)
class Outcome:
    """How a try ended: done (with a result to keep), or the failure, classified."""

    done: bool
    result: dict[str, Any] | None = None
    failure: Failure | None = None

    @property
    def error(self) -> str:
        return self.failure.error if self.failure is not None else ""


def _activity(payload: dict[str, Any], card: Any) -> Activity:
    if card:
        activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
        if payload.get("summary"):
            activity.summary = payload["summary"]
        return activity
    return MessageFactory.text(str(payload.get("text", "")))


def classify(exc: BaseException) -> Failure:
    """A failed try as a class the worker acts on; the error names what failed, never what was sent."""
    if isinstance(exc, PaceLater):
        return Failure(FailureClass.PACED, "paced", retry_after=exc.seconds)
    if isinstance(exc, Undeliverable):
        return Failure(FailureClass.UNDELIVERABLE, str(exc)[:200])
    if isinstance(exc, HttpOperationError):
        response = getattr(exc, "response", None)
        status = int(getattr(response, "status_code", 0) or 0)
        return classify_http(status, teams_error_code(exc), retry_after_seconds(getattr(response, "headers", None)))
    if isinstance(exc, ClientRequestError | TimeoutError | OSError | aiohttp.ClientError):
        return Failure(FailureClass.TRANSIENT, type(exc).__name__)
    if isinstance(exc, DBAPIError):
        # Our own database went away mid-try (it comes back): the row is tried again, no traceback.
        return Failure(FailureClass.TRANSIENT, "database unavailable")
    if isinstance(exc, GraphError):
        return Failure(FailureClass.TRANSIENT, str(exc)[:200], retry_after=60.0)
    if isinstance(exc, TokenError):
        return classify_token_error(str(exc))
    return Failure(FailureClass.FAILED, type(exc).__name__)


class OutboxSender:
    def __init__(
        self,
        services: Services,
        connectors: CachedConnectorFactory,
        roles: RoleDirectory | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self._services = services
        self._connectors = connectors
        self.pacer = pacer or Pacer()
        self._targets = Targets(services, connectors, self.pacer, roles)

    async def deliver(self, message: OutboxMessage, now: datetime) -> Outcome:
        try:
            return await self._deliver(message, now)
        except Exception as exc:
            failure = classify(exc)
            if failure.cls is FailureClass.FAILED:
                # Our own code or a job failed: the log has the row id, never the payload.
                log.exception("outbox row failed", extra={"outbox_id": message.id, "kind": message.kind.value})
            return Outcome(done=False, failure=failure)

    async def _deliver(self, message: OutboxMessage, now: datetime) -> Outcome:
        payload = message.payload
        if message.kind is OutboxKind.JOB:
            name = str(payload.get("job", ""))
            job = find_job(name)
            if job is None:
                return Outcome(done=False, failure=Failure(FailureClass.REJECTED, f"unknown job {name[:40]!r}"))
            await job(self._services, payload, now)
            return Outcome(done=True)
        if message.kind is OutboxKind.SYNC_ROSTER:
            ref = await self._targets.conversation(str(payload["conversation_id"]))
            client = await self._connectors.sending_client(ref.service_url)
            members = await self._targets.roster(client, ref, now)
            return Outcome(done=True, result={"members": len(members)})
        tried = ""
        try:
            ref = await self._target(message.kind, payload, now)
            tried = ref.conversation_id
            return await self._post(message, ref, now)
        except Exception as exc:
            failure = classify(exc)
            if failure.cls is FailureClass.GONE and tried:
                await self._targets.mark_stale(tried, STALE_STATUS.get(failure.code, "removed"), now)
                log.info(
                    "conversation marked stale",
                    extra={"outbox_id": message.id, "status": failure.status, "code": failure.code},
                )
            fallback = payload.get("fallback")
            if failure.cls not in REROUTED or message.kind not in _SENDS or not isinstance(fallback, dict):
                raise
            return await self._reroute(message, fallback, failure, now)

    async def _target(self, kind: OutboxKind, payload: dict[str, Any], now: datetime) -> ConversationRef:
        if kind is OutboxKind.SEND_TO_PERSON:
            return await self._targets.personal_chat(str(payload["tenant_id"]), str(payload["object_id"]), now)
        return await self._targets.conversation(str(payload["conversation_id"]))

    async def _reroute(self, message: OutboxMessage, fallback: dict[str, Any], why: Failure, now: datetime) -> Outcome:
        """The row's own target is gone: send it to its fallback instead (a manager, a managers' channel)."""
        payload = message.payload
        if fallback.get("object_id"):
            tenant = str(fallback.get("tenant_id") or payload.get("tenant_id") or "")
            if not tenant:
                async with self._services.uow() as uow:
                    tenant = await uow.conversations.tenant_of(str(fallback["object_id"])) or ""
            ref = await self._targets.personal_chat(tenant, str(fallback["object_id"]), now)
        elif fallback.get("conversation_id"):
            ref = await self._targets.conversation(str(fallback["conversation_id"]))
        else:
            raise Undeliverable("the fallback names no person and no conversation")
        card = payload.get("card")
        rerouted = {**payload, "thread_id": None}
        if isinstance(card, dict):
            rerouted["card"] = with_note(card, str(fallback.get("note") or rerouted_note()))
        outcome = await self._post(OutboxMessage(message.kind, rerouted, message.due_at, id=message.id), ref, now)
        log.info(
            "outbox row rerouted to its fallback",
            extra={"outbox_id": message.id, "because": why.code or why.cls.value},
        )
        return Outcome(done=True, result={**(outcome.result or {}), "rerouted": why.code or why.cls.value})

    async def _post(self, message: OutboxMessage, ref: ConversationRef, now: datetime) -> Outcome:
        payload = message.payload
        client = await self._connectors.sending_client(ref.service_url)
        card = payload.get("card")
        if isinstance(card, dict) and isinstance(card.get("refresh"), dict) and payload.get("refresh_for"):
            viewers = await self._targets.viewers(client, ref, list(payload["refresh_for"]), now)
            card = {**card, "refresh": {**card["refresh"], "userIds": viewers}}
        if isinstance(card, dict) and isinstance(payload.get("mention"), list):
            card = with_mentions(card, await self._targets.mentions(ref, list(payload["mention"])))
        activity = _activity(payload, card)
        try:
            await self.pacer.acquire(ref.conversation_id, ref.tenant_id)
            if message.kind is OutboxKind.UPDATE_CARD:
                activity.id = str(payload["activity_id"])
                await client.conversations.update_activity(ref.conversation_id, activity.id, activity)
                return Outcome(done=True, result={"activity_id": activity.id})
            # A turn's reply queued while it could not be sent goes back into the channel thread it answers.
            target = str(payload.get("thread_id") or ref.conversation_id)
            response = await client.conversations.send_to_conversation(target, activity)
        except HttpOperationError as exc:
            failure = classify(exc)
            if failure.cls is FailureClass.THROTTLED:
                # Teams knows its limits better than our windows: hold the conversation back as it asks.
                self.pacer.throttled_by_teams(ref.conversation_id, ref.tenant_id, failure.retry_after or 1.0)
            raise
        return Outcome(
            done=True, result={"activity_id": getattr(response, "id", None), "conversation_id": ref.conversation_id}
        )
