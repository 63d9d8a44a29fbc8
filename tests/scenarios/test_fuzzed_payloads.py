"""Every card reachable from `help`, as each role, replayed with mutated payloads: fields dropped, wrong types,
100 kB strings, NUL, a right-to-left override, unknown fields, unknown verbs. Each gets a clear error card:
no 5xx, no apology, nothing written; and none of the text sent reaches a log line or a channel post."""

from __future__ import annotations

import json
import logging
import re
from collections import deque
from typing import Any

import pytest
from sqlalchemy import func, select

from dialogs.catalogue import build_router
from storage.tables import Base
from tests.conftest import (
    ADMIN,
    ASSESSMENT_WORKER,
    CHAIR,
    COORDINATOR,
    EARLY_HELP_MANAGER,
    EARLY_HELP_WORKER,
    FRONT_DOOR_DECIDER,
    HEAD_OF_SERVICE,
    SOCIAL_WORKER,
    TEAM_MANAGER,
    BotUnderTest,
)
from tests.harness.cardwalk import buttons, inputs
from tests.harness.driver import Chat, Person
from tests.scenarios.booking_steps import book
from tests.scenarios.transfer_steps import STEP_DOWN, first_choice, set_up_channels, start_request, submit_request

EVERY_ROLE = (
    SOCIAL_WORKER,
    ASSESSMENT_WORKER,
    EARLY_HELP_WORKER,
    COORDINATOR,
    FRONT_DOOR_DECIDER,
    TEAM_MANAGER,
    EARLY_HELP_MANAGER,
    CHAIR,
    HEAD_OF_SERVICE,
    ADMIN,
)
# A word that must never reach a log line or a channel post, whatever it travels in.
MARK = "Fuzzmark7b1e"
FREE_TEXT = {
    "NUL": f"{MARK}\x00 after a NUL",
    "right-to-left override": f"{MARK}\u202e reversed",
    "100 kB": MARK + "W" * 100_000,
}
WRONG_TYPE = {"nested": [MARK]}
# Values a person would type, so the walk gets past each form to the cards behind it.
TYPED = {
    "case_reference": "DEMO-0901",
    "child_initials": "AB",
    "consent_initials": "A.B.",
    "children_count": "1",
    "decision_date": "2026-11-20",
    "manager_decided_on": "2026-11-20",
    "consent_on": "2026-11-20",
    "discussed_on": "2026-11-23",
    "joint_visit_on": "2026-12-03",
    "clinic_date": "2026-12-03",
}
MAX_CARDS_PER_ROLE = 40
ROUTER = build_router()


def _filled(action: dict[str, Any], card: dict[str, Any]) -> dict[str, Any]:
    """The button's data with the card's inputs filled in, as Teams merges them."""
    data = {k: v for k, v in action.get("data", {}).items() if k != "verb"}
    for key, spec in inputs(card).items():
        kind = spec["type"]
        if key in TYPED:
            data[key] = TYPED[key]
        elif kind == "Input.ChoiceSet" and spec.get("choices"):
            data[key] = str(spec["choices"][0]["value"])
        elif kind == "Input.Toggle":
            data[key] = spec.get("valueOn", "true")
        elif kind == "Input.Date":
            data[key] = "2026-11-20"
        elif kind == "Input.Number":
            data[key] = "1"
        elif kind == "Input.Text":
            data[key] = "Invented words for the test."
    return data


def _commands(card: dict[str, Any]) -> list[str]:
    """The commands a help card lists (a person reads them and types them)."""
    listed = [f["title"] for n in card["body"] if n.get("type") == "FactSet" for f in n["facts"]]
    listed += re.findall(r"\*\*([a-z ]+)\*\*", json.dumps(card))
    return [c for c in dict.fromkeys(listed) if c != "help"]


async def _answer(bot: BotUnderTest, person: Person, verb: str, data: dict[str, Any]) -> dict[str, Any]:
    exchange = await bot.driver.execute(person, Chat.personal(person), verb, data)
    assert exchange.status == 200, (verb, exchange.status)
    return exchange.invoke_card or {}


async def _walk(bot: BotUnderTest, person: Person) -> list[tuple[str, dict[str, Any]]]:
    """Every action on every card this person reaches from help, pressing each once with typed values."""
    help_card = (await bot.driver.say(person, Chat.personal(person), "help")).cards[0]
    queue: deque[dict[str, Any]] = deque([help_card])
    for command in _commands(help_card):
        said = await bot.driver.say(person, Chat.personal(person), command)
        queue.extend(said.cards)
    seen: set[tuple[str, tuple[str, ...]]] = set()
    found: list[tuple[str, dict[str, Any]]] = []
    while queue and len(seen) < MAX_CARDS_PER_ROLE:
        card = queue.popleft()
        for action in buttons(card):
            verb = str(action["verb"])
            data = _filled(action, card)
            key = (verb, tuple(sorted(data)))
            if key in seen:
                continue
            seen.add(key)
            found.append((verb, data))
            queue.append(await _answer(bot, person, verb, data))
    return found


def _mutations(verb: str, data: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(what, verb, data) for every way this action's payload is made wrong."""
    out: list[tuple[str, str, dict[str, Any]]] = [
        ("unknown verb", "fuzz.unknown_verb", {**data, "note": MARK}),
        ("unknown field", verb, {**data, "zz_unknown_field": MARK}),
    ]
    model = ROUTER.payload_for(verb)
    required = [n for n, f in model.model_fields.items() if f.is_required() and n != "verb"] if model else []
    for name in required:
        out.append((f"{name} dropped", verb, {k: v for k, v in data.items() if k != name}))
    for name, value in data.items():
        out.append((f"{name} of the wrong type", verb, {**data, name: WRONG_TYPE}))
        if isinstance(value, str):
            for what, text in FREE_TEXT.items():
                out.append((f"{name} with {what}", verb, {**data, name: text}))
    return out


async def _row_counts(bot: BotUnderTest) -> dict[str, int]:
    async with bot.runtime.services.uow() as uow:
        return {
            table.name: int(await uow.session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


async def _some_state(bot: BotUnderTest) -> None:
    """A booking and a request on the coordinators' card, so the deciders' walks reach real cards."""
    await set_up_channels(bot)
    await book(bot, SOCIAL_WORKER, 0, case_reference="DEMO-0800")
    form = await start_request(bot, SOCIAL_WORKER)
    await submit_request(bot, SOCIAL_WORKER, form, **{**STEP_DOWN, "to_service": first_choice(form, "to_service")})
    await bot.deliver()


async def test_every_reachable_action_with_a_mutated_payload_gets_a_clear_answer_and_writes_nothing(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await _some_state(bot)
    walked: dict[tuple[str, tuple[str, ...]], tuple[Person, dict[str, Any]]] = {}
    for person in EVERY_ROLE:
        for verb, data in await _walk(bot, person):
            walked.setdefault((verb, tuple(sorted(data))), (person, data))
    verbs = {verb for verb, _ in walked}
    # The walk reached the flows: booking, the transfer request, and the cards that decide it.
    assert {"booking.pick", "booking.review", "transfer.start", "transfer.step", "transfer.refresh"} <= verbs
    await bot.deliver()
    before = await _row_counts(bot)
    mark = bot.connector.snapshot()
    replayed = 0
    for (verb, _keys), (person, data) in walked.items():
        for what, mutated_verb, mutated in _mutations(verb, data):
            answer = await _answer(bot, person, mutated_verb, mutated)
            text = json.dumps(answer)
            assert "Nothing was saved." in text, (verb, what, text[:300])
            assert "something went wrong" not in text, (verb, what)
            assert MARK not in text, f"{verb}: {what} was echoed back"
            replayed += 1
    print(f"fuzzed {len(walked)} actions ({sorted(verbs)}) with {replayed} mutated payloads")
    assert replayed > 200
    assert await _row_counts(bot) == before, "a mutated payload wrote something"
    assert bot.connector.since(mark) == [], "a mutated payload sent something"
    await bot.deliver()
    posted = json.dumps([call.activity for call in bot.connector.calls])
    assert MARK not in posted
    logged = [r for r in caplog.records if MARK in r.getMessage() or MARK in str(r.exc_text or "")]
    assert logged == [], [r.getMessage()[:200] for r in logged]
