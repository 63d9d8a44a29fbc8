"""Steps people take with transfer requests, through the real endpoint."""

from __future__ import annotations

from typing import Any

from tests.conftest import (
    CHAIR,
    COORDINATOR,
    COORDINATORS_CHANNEL,
    EARLY_HELP_WORKER,
    FRONT_DOOR_CHANNEL,
    FRONT_DOOR_DECIDER,
    MANAGERS_CHANNEL,
    SECOND_COORDINATOR,
    SOCIAL_WORKER,
    TEAM_MANAGER,
    BotUnderTest,
)
from tests.harness.cardwalk import button, buttons
from tests.harness.connector import Member
from tests.harness.driver import Chat, Person
from tests.scenarios.booking_steps import press

# Who is in which team: the coordinators' team holds a front door decider and a social worker too, so the
# tests show that being in the channel is not enough without a role that decides that direction.
COORDINATORS_TEAM = (COORDINATOR, SECOND_COORDINATOR, SOCIAL_WORKER, FRONT_DOOR_DECIDER)
FRONT_DOOR_TEAM = (FRONT_DOOR_DECIDER, EARLY_HELP_WORKER)
MANAGERS_TEAM = (TEAM_MANAGER, CHAIR)


def set_roster(bot: BotUnderTest, chat: Chat, people: tuple[Person, ...]) -> None:
    bot.connector.rosters[chat.team_id] = [Member(p.user_id, p.object_id, p.name) for p in people]


async def set_up_channels(bot: BotUnderTest) -> None:
    """The three channels installed with their teams' rosters, and personal chats for the people in the tests."""
    set_roster(bot, COORDINATORS_CHANNEL, COORDINATORS_TEAM)
    set_roster(bot, FRONT_DOOR_CHANNEL, FRONT_DOOR_TEAM)
    set_roster(bot, MANAGERS_CHANNEL, MANAGERS_TEAM)
    await bot.driver.install(COORDINATOR, COORDINATORS_CHANNEL)
    await bot.driver.install(FRONT_DOOR_DECIDER, FRONT_DOOR_CHANNEL)
    await bot.driver.install(TEAM_MANAGER, MANAGERS_CHANNEL)
    for person in (SOCIAL_WORKER, EARLY_HELP_WORKER, COORDINATOR, TEAM_MANAGER, FRONT_DOOR_DECIDER):
        await bot.driver.install(person, Chat.personal(person))
    await bot.deliver()


STEP_DOWN = {
    "case_reference": "DEMO-0101",
    "children_count": "2",
    "from_team": "Field social work team",
    "to_service": "",
    "reason": "The child in need plan's goals are met; the family want early help to continue.",
    "outstanding_needs": "School attendance support.",
    "route": "direct",
    "consent_status": "given",
    "consent_relationship": "Mother",
    "consent_initials": "A.B.",
    "consent_how": "In person at the home visit",
    "consent_on": "2026-11-20",
    "manager": "T.M.",
    "manager_decided_on": "2026-11-19",
    "discussed_with": "E.C.",
    "discussed_on": "2026-11-23",
}

# Why the front door found the threshold met: the family's circumstances, for the details view only.
THRESHOLD_REASON = "Bruising seen at school and an account from the child: a strategy discussion is needed."

STEP_UP = {
    **{k: v for k, v in STEP_DOWN.items() if not k.startswith("discussed")},
    "case_reference": "DEMO-0202",
    "from_team": "",
    "reason": "Worries have escalated despite three months of early help.",
}


async def start_request(bot: BotUnderTest, person: Person) -> dict[str, Any]:
    from tests.scenarios.booking_steps import the_card

    exchange = await bot.driver.say(person, Chat.personal(person), "new transfer")
    assert exchange.status == 201
    return the_card(exchange)


def _forward(card: dict[str, Any]) -> dict[str, Any] | None:
    """The stage's Next (or, on the last stage, Review) button; None on a card that is no stage of the form."""
    from tests.harness.cardwalk import buttons

    steps = [b for b in buttons(card, "transfer.step") if b["data"]["go"] != b["data"]["stage"]]
    ahead = [b for b in steps if b.get("title") in ("Next", "Review")]
    return ahead[0] if ahead else None


async def review_request(bot: BotUnderTest, person: Person, form: dict[str, Any], **values: Any) -> dict[str, Any]:
    """Fill the request's stages in turn, as a person would, each with `values` (a stage takes its own fields),
    to the review card; or the stage a problem sent them back to."""
    card = form
    for _ in range(6):
        forward = _forward(card)
        if forward is None:
            return card
        pressed_stage = forward["data"]["stage"]
        card = await press(bot, person, forward, **_for_stage(card, values))
        if forward["data"]["go"] == "review":
            return card
        back_on = _forward(card)
        if back_on is not None and back_on["data"]["stage"] == pressed_stage:
            return card  # held on the same stage
    raise AssertionError("the request form never reached its review")


async def submit_request(bot: BotUnderTest, person: Person, form: dict[str, Any], **values: Any) -> dict[str, Any]:
    reviewed = await review_request(bot, person, form, **values)
    from tests.harness.cardwalk import shown_text

    assert buttons(reviewed, "transfer.submit"), shown_text(reviewed)
    return await press(bot, person, button(reviewed, "transfer.submit"))


def first_choice(form: dict[str, Any], input_id: str) -> str:
    from tests.harness.cardwalk import inputs

    return str(inputs(form)[input_id]["choices"][0]["value"])


# Stands for "tick every scope the consent stage offers" until the walk reaches that stage.
ALL_SCOPES = "*every offered scope*"


def all_scopes(form: dict[str, Any]) -> str:
    """The consent's scope ticked for everything the form offers (so the profile's [consent] rules hold); on a
    stage without the scopes, the marker the walk through the stages fills in at the consent stage."""
    from tests.harness.cardwalk import inputs

    offered = inputs(form).get("consent_scopes")
    return ",".join(c["value"] for c in offered["choices"]) if offered else ALL_SCOPES


def _for_stage(card: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    if values.get("consent_scopes") != ALL_SCOPES:
        return values
    rest = {k: v for k, v in values.items() if k != "consent_scopes"}
    scopes = all_scopes(card)
    return {**rest, "consent_scopes": scopes} if scopes != ALL_SCOPES else rest


def filled(form: dict[str, Any], base: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A request form's values: `base` with the first of each list the profile offers, and the overrides."""
    from tests.harness.cardwalk import inputs

    values = {
        **base,
        "from_team": first_choice(form, "from_team"),
        "to_service": first_choice(form, "to_service"),
    }
    if "route" in inputs(form):  # where the profile's route rules pick the route, the form asks for none
        values["route"] = first_choice(form, "route")
    if "level_of_need" in inputs(form):
        values["level_of_need"] = first_choice(form, "level_of_need")
    values["consent_scopes"] = all_scopes(form)
    return {**values, **overrides}


async def step_across(bot: BotUnderTest, person: Person) -> dict[str, Any]:
    """A step across request sent by `person` (a social worker or a team manager), with no discussion."""
    picker = await start_request(bot, person)
    form = await press(bot, person, button(picker, "transfer.start", "Step across between social work services"))
    return await submit_request(bot, person, form, **filled(form, STEP_DOWN, discussed_with="", discussed_on=""))
