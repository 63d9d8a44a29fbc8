"""The router parses and checks before a handler runs: unknown verbs, bad payloads, roles, stale cards."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.profile_files import load_profile
from bot.settings import REPO_ROOT
from cards.payloads import RecordAction
from dialogs.router import RefusalRecord, Refused, Router, StaleCard
from dialogs.turn import Reply, Services, Turn, Where
from domain.messaging import ConversationKind
from domain.roles import Person, Role
from storage.tables import ProcessedActionRow
from storage.uow import UnitOfWork, UnitOfWorkFactory

NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)


class Decide(RecordAction):
    choice: str


def _router(calls: list[Any]) -> Router:
    router = Router()

    @router.action("case.decide", payload=Decide, roles={Role.COORDINATOR})
    async def decide(turn: Turn, services: Services, payload: Decide) -> Reply:
        if payload.version < 3:
            raise StaleCard(Reply(cards=[{"current": 3}]))
        calls.append(payload)
        return Reply(cards=[{"decided": payload.choice}])

    @router.command("my bookings", roles={Role.SOCIAL_WORKER}, description="Your bookings")
    async def bookings(turn: Turn, services: Services, args: str) -> Reply:
        calls.append(("bookings", args))
        return Reply(text="bookings")

    @router.command("my", description="Something shorter")
    async def my(turn: Turn, services: Services, args: str) -> Reply:
        calls.append(("my", args))
        return Reply(text="my")

    return router


def _turn(*roles: Role) -> Turn:
    return Turn(
        actor=Person("t", "oid", "X.Y.", frozenset(roles)),
        where=Where(ConversationKind.PERSONAL, "a:1"),
        now=NOW,
    )


@pytest.fixture
def services(uow: UnitOfWorkFactory) -> Services:
    return Services(uow=uow, profile=load_profile(REPO_ROOT / "profiles", "redcar"))


async def test_a_valid_action_reaches_its_handler(services: Services) -> None:
    calls: list[Any] = []
    data = {"verb": "case.decide", "record_id": 7, "version": 3, "choice": "accept"}
    reply = await _router(calls).dispatch_action(data, _turn(Role.COORDINATOR), services)
    assert reply.cards == [{"decided": "accept"}]
    assert len(calls) == 1


@pytest.mark.parametrize(
    "data",
    [
        {"verb": "case.nope", "record_id": 7, "version": 3, "choice": "x"},
        {"record_id": 7},
        {"verb": "case.decide", "record_id": 7, "version": 3},
        {"verb": "case.decide", "record_id": "seven", "version": 3, "choice": "x"},
        {"verb": "case.decide", "record_id": 7, "version": 3, "choice": "x", "smuggled": True},
        {"verb": "case.decide", "record_id": 7, "version": 3, "choice": "x", "v": 9},
        ["not", "a", "dict"],
    ],
)
async def test_a_bad_payload_gets_an_error_card_and_no_handler_runs(services: Services, data: Any) -> None:
    calls: list[Any] = []
    reply = await _router(calls).dispatch_action(data, _turn(Role.COORDINATOR), services)
    assert calls == []
    assert "Nothing was saved." in str(reply.cards)


async def test_a_person_without_the_role_is_refused_before_parsing_and_the_attempt_is_audited(
    services: Services,
) -> None:
    calls: list[Any] = []
    data = {"verb": "case.decide", "record_id": 7, "version": 3, "choice": "accept"}
    reply = await _router(calls).dispatch_action(data, _turn(Role.SOCIAL_WORKER), services)
    assert calls == []
    assert "Early Help Coordinator" in str(reply.cards)
    async with services.uow() as uow:
        [event] = await uow.audit.for_record("record", "7")
    assert (event["action"], event["actor"], event["detail"]["verb"]) == (
        "access.refused",
        "oid",
        "case.decide",
    )


async def test_a_stale_card_gets_the_current_one_back(services: Services) -> None:
    calls: list[Any] = []
    data = {"verb": "case.decide", "record_id": 7, "version": 1, "choice": "accept"}
    reply = await _router(calls).dispatch_action(data, _turn(Role.COORDINATOR), services)
    assert reply.cards == [{"current": 3}]
    assert calls == []


async def test_the_longest_command_wins_and_gets_its_arguments(services: Services) -> None:
    calls: list[Any] = []
    router = _router(calls)
    await router.dispatch_command("My  Bookings  next week", _turn(Role.SOCIAL_WORKER), services)
    await router.dispatch_command("my thing", _turn(Role.SOCIAL_WORKER), services)
    assert calls == [("bookings", "next week"), ("my", "thing")]


def test_a_verb_cannot_be_registered_twice() -> None:
    router = _router([])
    with pytest.raises(ValueError, match="twice"):
        router.include(_router([]))


def test_help_lists_only_what_the_roles_allow() -> None:
    router = _router([])
    assert [c.command for c in router.capabilities_for(_turn(Role.SOCIAL_WORKER))] == ["my bookings", "my"]
    assert [c.command for c in router.capabilities_for(_turn(Role.COORDINATOR))] == ["my"]


class Count(RecordAction):
    by: int


def _counting_router(calls: list[int]) -> Router:
    router = Router()

    @router.change("case.count", payload=Count, roles={Role.COORDINATOR})
    async def count(turn: Turn, services: Services, payload: Count, uow: UnitOfWork) -> Reply:
        if payload.by < 0:
            raise Refused(
                Reply(cards=[{"refused": payload.by}]),
                RefusalRecord("case.count_refused", "case", str(payload.record_id)),
            )
        await uow.audit.record(at=turn.now, tenant_id="t", actor_object_id="oid", action="case.counted")
        calls.append(payload.by)
        return Reply(cards=[{"counted": len(calls)}])

    return router


async def test_a_change_sent_twice_is_carried_out_once_and_the_repeat_gets_the_first_answer(
    services: Services,
) -> None:
    calls: list[int] = []
    router = _counting_router(calls)
    data = {"verb": "case.count", "record_id": 7, "version": 1, "by": 2}
    first = await router.dispatch_action(data, _turn(Role.COORDINATOR), services)
    again = await router.dispatch_action(data, _turn(Role.COORDINATOR), services)
    other = await router.dispatch_action({**data, "by": 3}, _turn(Role.COORDINATOR), services)
    assert calls == [2, 3]
    assert first.cards == again.cards == [{"counted": 1}]
    assert other.cards == [{"counted": 2}]
    async with services.uow() as uow:
        assert [e["action"] for e in await uow.audit.for_record("", "")] == ["case.counted", "case.counted"]


async def test_a_change_sent_twice_at_once_is_carried_out_once(services: Services) -> None:
    calls: list[int] = []
    router = _counting_router(calls)
    data = {"verb": "case.count", "record_id": 7, "version": 1, "by": 5}
    replies = await asyncio.gather(*(router.dispatch_action(data, _turn(Role.COORDINATOR), services) for _ in range(4)))
    assert calls == [5]
    assert all(reply.cards == [{"counted": 1}] for reply in replies)


async def test_a_refused_change_writes_nothing_but_its_audit_event_and_can_be_tried_again(services: Services) -> None:
    calls: list[int] = []
    router = _counting_router(calls)
    data = {"verb": "case.count", "record_id": 7, "version": 1, "by": -1}
    for _ in range(2):
        reply = await router.dispatch_action(data, _turn(Role.COORDINATOR), services)
        assert reply.cards == [{"refused": -1}]
    assert calls == []
    async with services.uow() as uow:
        refused = await uow.audit.for_record("case", "7")
        counted = await uow.audit.for_record("", "")
        kept = await uow.session.scalar(select(func.count()).select_from(ProcessedActionRow))
    assert [e["action"] for e in refused] == ["case.count_refused", "case.count_refused"]
    assert counted == [] and kept == 0
