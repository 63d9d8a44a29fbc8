"""Case references are plain ASCII, ids and versions fit the database, checklist toggles are toggles."""

from __future__ import annotations

import pytest

from bot.profile_files import load_profile
from bot.settings import REPO_ROOT
from tests.conftest import COORDINATOR, SOCIAL_WORKER, BotUnderTest
from tests.harness.cardwalk import button, shown_text
from tests.scenarios.booking_steps import open_clinics, press, slot_buttons
from tests.scenarios.transfer_steps import STEP_DOWN, first_choice, review_request, start_request

FULL_WIDTH = "DEMO-\uff10\uff10\uff10\uff11"  # DEMO-0001 in full-width digits: \\d matches them, a lookup does not


def test_a_case_reference_in_other_scripts_digits_is_not_a_case_reference() -> None:
    redcar = load_profile(REPO_ROOT / "profiles", "redcar")
    assert redcar.is_case_reference("DEMO-0001")
    assert not redcar.is_case_reference(FULL_WIDTH)
    assert not redcar.is_case_reference("DEMO-0001\n")


async def test_a_booking_for_a_case_written_in_full_width_digits_is_refused(bot: BotUnderTest) -> None:
    picker = await open_clinics(bot, SOCIAL_WORKER)
    form = await press(bot, SOCIAL_WORKER, slot_buttons(picker)[0])
    reviewed = await press(
        bot,
        SOCIAL_WORKER,
        button(form, "booking.review"),
        case_reference=FULL_WIDTH,
        team="Safeguarding Team 2",
        direction="step_down_early_help",
        decision_date="2026-11-20",
        reason="Plan goals met; the family want early help.",
        manager_agreed="true",
    )
    assert "case reference" in shown_text(reviewed).lower()
    assert not [b for b in reviewed.get("actions", []) if b.get("verb") == "booking.confirm"]


async def test_a_transfer_request_for_a_case_in_full_width_digits_is_refused(bot: BotUnderTest) -> None:
    form = await start_request(bot, SOCIAL_WORKER)
    values = {**STEP_DOWN, "case_reference": FULL_WIDTH, "to_service": first_choice(form, "to_service")}
    reviewed = await review_request(bot, SOCIAL_WORKER, form, **values)
    assert "case reference" in shown_text(reviewed).lower()


@pytest.mark.parametrize(
    ("verb", "data"),
    [
        ("transfer.refresh", {"record_id": 2**63}),
        ("transfer.act", {"record_id": 1, "version": 2**31, "event": "withdraw"}),
        ("booking.cancel", {"record_id": 2**64, "version": 1}),
        ("transfer.submit", {"draft_id": 10**30, "version": 1}),
    ],
)
async def test_an_id_or_version_the_database_cannot_hold_is_refused_plainly(
    bot: BotUnderTest, verb: str, data: dict[str, object]
) -> None:
    answer = await press(
        bot, COORDINATOR if verb.startswith("transfer.r") else SOCIAL_WORKER, {"verb": verb, "data": data}
    )
    assert "Some of what you entered can't be used" in shown_text(answer)


@pytest.mark.parametrize(
    "toggle",
    [{"gap_chronology": "maybe"}, {"gap_" + "x" * 60: "true"}, {"gapchronology": "true"}, {"check_plan": "true"}],
)
async def test_a_decision_form_takes_only_its_own_toggles(bot: BotUnderTest, toggle: dict[str, str]) -> None:
    data = {"record_id": 1, "version": 1, "event": "mark_gaps", **toggle}
    answer = await press(bot, COORDINATOR, {"verb": "transfer.decide", "data": data})
    assert "Some of what you entered can't be used" in shown_text(answer)
