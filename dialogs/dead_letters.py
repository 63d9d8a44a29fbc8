"""Dead letters: administrators are told what the bot gave up on, and send each again or drop it (card or console).

The sender stopping on the bot's own credentials is told to them here too. Every notice carries the row's
kind, target, times, tries and error class, never its card or text.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from cards.common import render_notice
from cards.dead_letters import (
    DeadLetterView,
    DropDeadLetter,
    KeepDeadLetter,
    RetryDeadLetter,
    ShowDeadLetters,
    render_dead_letter,
    render_dead_letter_gone,
    render_dead_letter_settled,
    render_dead_letters,
    render_drop_confirm,
)
from dialogs.audit_trail import audit
from dialogs.router import Router
from dialogs.turn import Card, Reply, Services, Turn
from domain.messaging import DeadLetter, OutboxKind, OutboxMessage
from domain.roles import Role
from domain.working_days import WorkingCalendar
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

router = Router()
ADMINS = {Role.ADMINISTRATOR}
# A notice about the outbox names the row it is about: if the notice itself dies, nobody is told of that
# (which would be told of in turn, for ever); it is logged instead.
ABOUT_OUTBOX = "about_outbox"
CONSOLE = "console"


def _target_words(services: Services, letter: DeadLetter) -> str:
    if letter.kind is OutboxKind.SEND_TO_PERSON:
        return "A person's personal chat"
    names = {conversation: key for key, conversation in services.channels.items()}
    key = names.get(letter.conversation_id.split(";", 1)[0])
    if key:
        return f"The {key.replace('_', ' ')} channel"
    return "A channel or chat" if letter.conversation_id else "Nothing (an internal job)"


def view_of(services: Services, letter: DeadLetter) -> DeadLetterView:
    calendar = WorkingCalendar.from_profile(services.profile.working)
    return DeadLetterView(
        id=letter.id,
        attempts=letter.attempts,
        kind=letter.kind.value,
        target=_target_words(services, letter),
        due=calendar.format_when(letter.due_at),
        died=calendar.format_when(letter.dead_at) if letter.dead_at else "not recorded",
        error=letter.error + (f" ({letter.error_code})" if letter.error_code else ""),
        error_class=letter.error_class,
        key=letter.dedupe_key or "",
    )


def _key(*parts: object) -> str:
    text = ":".join(str(p) for p in parts)
    return text if len(text) <= 255 else "outbox.notice:" + hashlib.sha256(text.encode()).hexdigest()


async def tell_admins(
    uow: UnitOfWork, services: Services, card: Card, now: datetime, *, summary: str, key: str, about: int, tenant: str
) -> None:
    """A notice to the administrators' channel, or else to each administrator's personal chat."""
    channel = services.channels.get("admins")
    payload_base = {"card": card, "summary": summary, ABOUT_OUTBOX: about}
    if channel:
        payload = {**payload_base, "conversation_id": channel}
        await uow.outbox.add(OutboxMessage(OutboxKind.SEND_TO_CONVERSATION, payload, now, dedupe_key=key), now)
        return
    for object_id in services.admin_object_ids:
        where = tenant or await uow.conversations.tenant_of(object_id) or ""
        payload = {**payload_base, "tenant_id": where, "object_id": object_id}
        await uow.outbox.add(
            OutboxMessage(OutboxKind.SEND_TO_PERSON, payload, now, dedupe_key=_key(key, object_id)), now
        )


def for_admins(services: Services, letter: DeadLetter) -> bool:
    """The row was going to the administrators themselves: telling them of it the same way would fail too."""
    if letter.kind is OutboxKind.SEND_TO_PERSON:
        return letter.object_id in services.admin_object_ids
    return bool(letter.conversation_id) and letter.conversation_id == services.channels.get("admins")


async def dead_lettered(uow: UnitOfWork, services: Services, letter: DeadLetter, about: bool, now: datetime) -> None:
    """Called by the worker in the transaction that leaves a row dead: the administrators are told.

    Not of a notice about the outbox, nor of one to the administrators: that is logged at ERROR instead (and
    counted on /metrics, and listed by `stepbot dead-letters list`).
    """
    if about or for_admins(services, letter):
        log.error(
            "a notice to the administrators could not be delivered",
            extra={"outbox_id": letter.id, "failure": letter.error_class},
        )
        return
    card = render_dead_letter(view_of(services, letter))
    await tell_admins(
        uow,
        services,
        card,
        now,
        summary="A message could not be delivered",
        key=_key("outbox.dead", letter.id, letter.attempts, now.isoformat()),
        about=letter.id,
        tenant=letter.tenant_id,
    )


async def sender_stopped(uow: UnitOfWork, services: Services, now: datetime, until: datetime, why: str) -> None:
    """The Bot Connector refused the bot's own credentials: sending stops, and the administrators are told."""
    calendar = WorkingCalendar.from_profile(services.profile.working)
    card = render_notice(
        "The bot has stopped sending messages",
        [
            f"Teams refused the bot's own credentials ({why}). Nothing is lost: messages wait in the queue.",
            "Check the bot's client secret or certificate (README section 5, Rotating the client secret).",
            f"It tries again at {calendar.format_when(until)}, and carries on by itself once Teams accepts it.",
        ],
    )
    await tell_admins(
        uow,
        services,
        card,
        now,
        summary="The bot has stopped sending messages",
        key=_key("outbox.stopped", now.isoformat()),
        about=0,
        tenant="",
    )


# -- the administrators' cards ---------------------------------------------------------------------------
async def _list(services: Services) -> Reply:
    async with services.uow() as uow:
        letters = await uow.outbox.dead_letters(limit=16)
        total = await uow.outbox.count("dead")
    views = [view_of(services, letter) for letter in letters]
    return Reply(cards=[render_dead_letters(views[:15], more=max(0, total - min(15, len(views))))])


@router.command(
    "dead letters", roles=ADMINS, description="See messages the bot could not deliver", title="Dead letters"
)
async def dead_letters_command(turn: Turn, services: Services, _args: str) -> Reply:
    return await _list(services)


@router.action("outbox.list", payload=ShowDeadLetters, roles=ADMINS)
async def dead_letters_button(turn: Turn, services: Services, _payload: ShowDeadLetters) -> Reply:
    return await _list(services)


async def _current(uow: UnitOfWork, record_id: int, version: int) -> DeadLetter | None:
    letter = await uow.outbox.dead_letter(record_id)
    return letter if letter is not None and letter.attempts == version else None


@router.change("outbox.retry", payload=RetryDeadLetter, roles=ADMINS)
async def send_again(turn: Turn, services: Services, payload: RetryDeadLetter, uow: UnitOfWork) -> Reply:
    letter = await _current(uow, payload.record_id, payload.version)
    if letter is None or not await uow.outbox.send_again(letter.id, turn.now):
        return Reply(cards=[render_dead_letter_gone(payload.record_id)])
    await audit(uow, turn, "outbox.sent_again", "outbox", str(letter.id), detail={"kind": letter.kind.value})
    log.info("dead letter sent again", extra={"outbox_id": letter.id, "by": "card"})
    return Reply(cards=[render_dead_letter_settled(view_of(services, letter), sent_again=True)])


@router.change("outbox.drop", payload=DropDeadLetter, roles=ADMINS)
async def drop(turn: Turn, services: Services, payload: DropDeadLetter, uow: UnitOfWork) -> Reply:
    letter = await _current(uow, payload.record_id, payload.version)
    if letter is None:
        return Reply(cards=[render_dead_letter_gone(payload.record_id)])
    if not payload.confirmed:
        return Reply(cards=[render_drop_confirm(view_of(services, letter))])
    if not await uow.outbox.drop(letter.id, turn.now):
        return Reply(cards=[render_dead_letter_gone(payload.record_id)])
    await audit(uow, turn, "outbox.dropped", "outbox", str(letter.id), detail={"kind": letter.kind.value})
    log.info("dead letter dropped", extra={"outbox_id": letter.id, "by": "card"})
    return Reply(cards=[render_dead_letter_settled(view_of(services, letter), sent_again=False)])


@router.action("outbox.keep", payload=KeepDeadLetter, roles=ADMINS)
async def keep(turn: Turn, services: Services, payload: KeepDeadLetter) -> Reply:
    async with services.uow() as uow:
        letter = await _current(uow, payload.record_id, payload.version)
    if letter is None:
        return Reply(cards=[render_dead_letter_gone(payload.record_id)])
    return Reply(cards=[render_dead_letter(view_of(services, letter))])


# -- the console: `stepbot dead-letters list|retry ID|drop ID` -------------------------------------------
async def console_list(uow_factory: UnitOfWorkFactory) -> list[DeadLetter]:
    async with uow_factory() as uow:
        return await uow.outbox.dead_letters(limit=10_000)


async def console_settle(uow_factory: UnitOfWorkFactory, outbox_id: int, now: datetime, *, send: bool) -> bool:
    """Send a dead letter again, or drop it, from the console; audited as the console's doing."""
    async with uow_factory() as uow:
        letter = await uow.outbox.dead_letter(outbox_id)
        if letter is None:
            return False
        done = await (uow.outbox.send_again(outbox_id, now) if send else uow.outbox.drop(outbox_id, now))
        if done:
            await uow.audit.record(
                at=now,
                tenant_id=letter.tenant_id,
                actor_object_id=CONSOLE,
                action="outbox.sent_again" if send else "outbox.dropped",
                record_type="outbox",
                record_id=str(outbox_id),
                detail={"kind": letter.kind.value},
            )
        return done
