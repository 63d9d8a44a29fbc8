"""A digest's "Show each one": the folded reminders and notices sent again one by one, with their own buttons.

Only to the person or the conversation they were for: a person unfolds the rows sent to them, a channel's
member the rows posted in that channel. Keys the clicker has no right to are ignored, the same as unknown ones.
"""

from __future__ import annotations

import hashlib
import logging

from cards.common import render_notice
from cards.delivery import DigestItem, UnfoldDigest, render_digest
from dialogs.router import Router
from dialogs.turn import Reply, Services, Turn
from domain.messaging import OutboxKind, OutboxMessage
from domain.working_days import WorkingCalendar
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

router = Router()


def _again_key(key: str) -> str:
    again = f"{key}:unfolded"
    return again if len(again) <= 255 else "unfolded:" + hashlib.sha256(key.encode()).hexdigest()


def _theirs(turn: Turn, message: OutboxMessage) -> bool:
    payload = message.payload
    if message.kind is OutboxKind.SEND_TO_PERSON:
        return payload.get("object_id") == turn.actor.object_id and payload.get("tenant_id") == turn.actor.tenant_id
    if message.kind is OutboxKind.SEND_TO_CONVERSATION:
        return str(payload.get("conversation_id", "")) == turn.where.conversation_id.split(";", 1)[0]
    return False


@router.change("outbox.unfold", payload=UnfoldDigest)
async def unfold(turn: Turn, services: Services, payload: UnfoldDigest, uow: UnitOfWork) -> Reply:
    calendar = WorkingCalendar.from_profile(services.profile.working)
    rows = {m.key: m for m in await uow.outbox.by_keys(payload.keys)}
    items: list[DigestItem] = []
    for key in payload.keys:
        message = rows.get(key)
        if message is None or not _theirs(turn, message):
            continue
        result = await uow.outbox.result_of(message.id) or {}
        if not result.get("digest"):
            continue
        again = {k: v for k, v in message.payload.items() if k not in ("fold", "late_note")}
        await uow.outbox.add(OutboxMessage(message.kind, again, turn.now, dedupe_key=_again_key(key)), turn.now)
        due = message.scheduled_at or message.due_at
        items.append(DigestItem(key, str(message.payload.get("summary") or ""), calendar.format_when(due)))
    log.info("digest unfolded", extra={"rows": len(items), "asked": len(payload.keys)})
    if not items:
        return Reply(
            cards=[render_notice("Nothing to show", ["Those have been cleared away since, or were not for you."])]
        )
    return Reply(cards=[render_digest(items, unfolded=True)])
