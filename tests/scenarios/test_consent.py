"""The family's consent through the real endpoint with configured roles: its own record per case.

Submitting a request starts the record from the form; "Record consent" on the request's card appends an entry
(given, refused, withdrawn, given again, not sought). A withdrawal pauses the request at its step and tells the
worker and the receiving side what happens next; consent given again resumes it. Bad input, or a person the
case-access rule refuses, gets a card saying why and nothing is written. A profile's [consent] rules refuse a
request lacking the scope they need, naming it, before anything is written or sent.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, func, select

from storage.case_tables import ConsentRow
from storage.tables import TransferRow
from tests.conftest import (
    CHAIR,
    COORDINATOR,
    COORDINATORS_CHANNEL,
    FRONT_DOOR_DECIDER,
    MANAGERS_CHANNEL,
    OTHER_COORDINATOR,
    SOCIAL_WORKER,
    TEAM_MANAGER,
    BotUnderTest,
)
from tests.harness.cardwalk import button, buttons, inputs, shown_text
from tests.harness.driver import Chat
from tests.scenarios.booking_steps import press
from tests.scenarios.consent_steps import (
    GIVEN,
    NOT_SOUGHT,
    WITHDRAWN,
    consent_form,
    consent_rows,
    record_consent,
    view,
)
from tests.scenarios.outcome_steps import (
    audited,
    on_meeting,
    record_outcome,
    submit_step_down,
    to_chat,
    transfer_row,
)
from tests.scenarios.transfer_steps import STEP_DOWN, filled, review_request, set_up_channels, start_request

SW_CHAT = Chat.personal(SOCIAL_WORKER)
SCOPES = "share_information,early_help_offer"


async def _requested(start_bot: Any, profile: str = "redcar") -> tuple[BotUnderTest, int]:
    """A step down to early help sent by the social worker to the coordinators (consent given on the form)."""
    bot: BotUnderTest = await start_bot(profile=profile, managers_channel_id=MANAGERS_CHANNEL.id)
    await set_up_channels(bot)
    transfer_id = await submit_step_down(bot, case_reference="DEMO-0101", route="direct")
    return bot, transfer_id


async def _counts(bot: BotUnderTest) -> tuple[int, int]:
    """How many consent entries and transfers are stored."""
    async with bot.runtime.services.uow() as uow:
        consents = await uow.session.scalar(select(func.count()).select_from(ConsentRow))
        transfers = await uow.session.scalar(select(func.count()).select_from(TransferRow))
    return int(consents or 0), int(transfers or 0)


# -- the first entry, from the request form --------------------------------------------------------------------
async def test_submitting_a_request_starts_the_consent_record_and_the_cards_show_it(start_bot: Any) -> None:
    bot, transfer_id = await _requested(start_bot)
    [first] = await consent_rows(bot)
    assert (first.transfer_id, first.entry, first.status, first.given_on.isoformat()) == (
        transfer_id,
        1,
        "given",
        "2026-11-20",
    )
    assert first.record["method"] == "in_person"  # the older form's free text, read as a method
    assert first.record["scopes"] == ["share_information", "early_help_offer", "social_care_referral"]
    card = shown_text(await view(bot, COORDINATOR, transfer_id))
    # Redcar shows no initials on cards: the person's relationship, how, when and the scope.
    assert (
        "Consent: Given by mother in person on Friday 20 November 2026; scope: sharing information, "
        "early help offer, referral to social care"
    ) in card
    assert "A.B." not in card
    details = shown_text(
        await press(bot, COORDINATOR, button(await view(bot, COORDINATOR, transfer_id), "transfer.details"))
    )
    assert "Given by mother (A.B.) in person on Friday 20 November 2026" in details
    assert "Entry 1: recorded by S.W." in details
    assert [e.record_id for e in await audited(bot, "consent.recorded")] == [str(transfer_id)]


# -- entries from the card ------------------------------------------------------------------------------------
async def test_consent_given_and_refused_are_appended_and_leave_the_request_where_it_is(start_bot: Any) -> None:
    bot, transfer_id = await _requested(start_bot)
    form = await consent_form(bot, COORDINATOR, transfer_id, "Consent given")
    assert {"relationship", "initials", "method", "on", "scopes"} <= set(inputs(form))
    assert inputs(form)["on"]["max"] == "2026-11-25"
    given = await press(bot, COORDINATOR, button(form, "consent.record"), **GIVEN, scopes="share_information")
    assert "Recorded: consent given." in shown_text(given)
    assert "Given by mother in person on Tuesday 24 November 2026; scope: sharing information" in shown_text(given)
    refused = await record_consent(
        bot, SOCIAL_WORKER, transfer_id, "Consent refused", **{**GIVEN, "relationship": "Father", "on": "2026-11-25"}
    )
    assert "Refused by father in person on Wednesday 25 November 2026" in shown_text(refused)
    rows = await consent_rows(bot)
    assert [(r.entry, r.status) for r in rows] == [(1, "given"), (2, "given"), (3, "refused")]
    assert rows[1].recorded_by_object_id == COORDINATOR.object_id
    assert (await transfer_row(bot, transfer_id)).state == "submitted"
    assert len(await audited(bot, "consent.recorded")) == 3


async def test_consent_withdrawn_pauses_the_request_and_both_sides_hear_what_happens_next(start_bot: Any) -> None:
    bot, transfer_id = await _requested(start_bot)
    paused = await record_consent(bot, COORDINATOR, transfer_id, "Consent withdrawn", **WITHDRAWN)
    assert "Consent withdrawn: the request is paused at its step" in shown_text(paused)
    row = await transfer_row(bot, transfer_id)
    assert (row.state, row.paused_from) == ("paused", "submitted")
    [*_, withdrawn] = await consent_rows(bot)
    assert (withdrawn.status, withdrawn.given_on.isoformat(), withdrawn.record["method"]) == (
        "withdrawn",
        "2026-11-25",
        "by_phone",
    )
    calls = await bot.deliver()
    told = json.dumps(to_chat(calls, SW_CHAT))
    assert "Consent withdrawn: DEMO-0101" in told
    assert "nothing moves until consent is given again or the request is withdrawn" in told
    # The receiving side, in its channel, as a new message (an edit notifies nobody).
    channel = [c for c in calls if c.conversation_id == COORDINATORS_CHANNEL.id and c.op == "send"]
    assert any("nothing moves until consent is given again" in json.dumps(c.cards) for c in channel)
    # A paused request moves no further: the coordinator's card offers consent, and the requester's withdrawal.
    offered = [b["title"] for b in buttons(await view(bot, COORDINATOR, transfer_id))]
    assert "Accept and allocate" not in offered and "Record consent" in offered


async def test_consent_given_again_resumes_the_request_at_the_step_it_was_paused_at(start_bot: Any) -> None:
    bot, transfer_id = await _requested(start_bot)
    # Redcar: the MACH manager authorises the field team's step down before the coordinators may accept it.
    mach = await view(bot, FRONT_DOOR_DECIDER, transfer_id)
    await press(bot, FRONT_DOOR_DECIDER, button(mach, "transfer.act", "Authorise"))
    card = await view(bot, COORDINATOR, transfer_id)
    accept = await press(bot, COORDINATOR, button(card, "transfer.form", "Accept and allocate"))
    team = inputs(accept)["team"]["choices"][0]["value"]
    await press(bot, COORDINATOR, button(accept, "transfer.decide"), team=team, worker="E.W.")
    assert (await transfer_row(bot, transfer_id)).state == "accepted"
    await record_consent(bot, SOCIAL_WORKER, transfer_id, "Consent withdrawn", **WITHDRAWN)
    assert (await transfer_row(bot, transfer_id)).state == "paused"
    await bot.deliver()
    choice = await press(bot, SOCIAL_WORKER, button(await view(bot, SOCIAL_WORKER, transfer_id), "consent.start"))
    assert [b["title"] for b in buttons(choice, "consent.form")] == ["Consent given again", "Consent refused"]
    # Given again before it was withdrawn can't be: the record reads in order.
    early = await record_consent(bot, SOCIAL_WORKER, transfer_id, "Consent given again", **GIVEN, scopes=SCOPES)
    assert "can't be before the consent recorded now (Wednesday 25 November 2026)" in shown_text(early)
    assert (await transfer_row(bot, transfer_id)).state == "paused"
    resumed = await record_consent(
        bot, SOCIAL_WORKER, transfer_id, "Consent given again", **{**GIVEN, "on": "2026-11-25"}, scopes=SCOPES
    )
    assert "Consent given again: the request goes on from the step it was paused at." in shown_text(resumed)
    row = await transfer_row(bot, transfer_id)
    assert (row.state, row.paused_from) == ("accepted", None)
    assert [r.status for r in await consent_rows(bot)] == ["given", "withdrawn", "given_again"]
    calls = await bot.deliver()
    channel = json.dumps([c.cards for c in calls if c.conversation_id == COORDINATORS_CHANNEL.id])
    assert "Consent given again: DEMO-0101" in channel


async def test_not_sought_needs_the_reason_and_the_manager_and_missing_either_writes_nothing(start_bot: Any) -> None:
    bot, transfer_id = await _requested(start_bot)
    version = (await transfer_row(bot, transfer_id)).version
    form = await consent_form(bot, SOCIAL_WORKER, transfer_id, "Not sought (risk to the child)")
    assert {"risk_reason", "agreed_by", "on"} <= set(inputs(form)) and "relationship" not in inputs(form)
    no_reason = await press(bot, SOCIAL_WORKER, button(form, "consent.record"), **{**NOT_SOUGHT, "risk_reason": ""})
    assert "Say why seeking consent would increase the risk to the child." in shown_text(no_reason)
    no_manager = await press(bot, SOCIAL_WORKER, button(form, "consent.record"), **{**NOT_SOUGHT, "agreed_by": ""})
    assert "Name the manager who agreed not to seek consent." in shown_text(no_manager)
    assert len(await consent_rows(bot)) == 1
    assert (await transfer_row(bot, transfer_id)).version == version
    done = await press(bot, SOCIAL_WORKER, button(form, "consent.record"), **NOT_SOUGHT)
    text = shown_text(done)
    assert (
        "Not sought on Wednesday 25 November 2026: seeking it would increase the risk to the child; agreed by T.M."
        in text
    )
    assert NOT_SOUGHT["risk_reason"] not in text  # the reason is the family's: on the details card only
    [*_, stored] = await consent_rows(bot)
    assert (stored.status, stored.record["risk_reason"], stored.record["agreed_by"]) == (
        "not_sought_risk",
        NOT_SOUGHT["risk_reason"],
        "T.M.",
    )
    details = await press(bot, SOCIAL_WORKER, button(done, "transfer.details"))
    assert f"Why not sought: {NOT_SOUGHT['risk_reason']}" in shown_text(details)


async def test_a_consent_dated_in_the_future_is_refused_and_nothing_is_written(start_bot: Any) -> None:
    bot, transfer_id = await _requested(start_bot)
    reply = await record_consent(
        bot, COORDINATOR, transfer_id, "Consent given", **{**GIVEN, "on": "2026-11-26"}, scopes=SCOPES
    )
    assert "The date consent was given can't be in the future." in shown_text(reply)
    assert "relationship" in inputs(reply)  # the form again, with what was typed
    assert len(await consent_rows(bot)) == 1
    no_who = await record_consent(bot, COORDINATOR, transfer_id, "Consent given", on="2026-11-25", scopes=SCOPES)
    assert "Say who gave it: their relationship to the child and their initials." in shown_text(no_who)
    assert "Choose how: in person, by phone or at the meeting." in shown_text(no_who)
    assert len(await consent_rows(bot)) == 1


async def test_a_person_the_case_access_rule_refuses_is_told_why_and_nothing_is_written(start_bot: Any) -> None:
    bot, transfer_id = await _requested(start_bot)
    version = (await transfer_row(bot, transfer_id)).version
    ids = {"record_id": transfer_id, "version": version}
    for verb, data in (
        ("consent.start", ids),
        ("consent.record", {**ids, "status": "withdrawn", **WITHDRAWN}),
    ):
        # A coordinator of another team's channel: not on this case's receiving side.
        reply = await press(bot, OTHER_COORDINATOR, {"verb": verb, "data": data})
        assert "That request is not one you are on." in shown_text(reply)
        assert "Nothing was saved." in shown_text(reply)
    assert len(await consent_rows(bot)) == 1
    row = await transfer_row(bot, transfer_id)
    assert (row.state, row.version) == ("submitted", version)
    refused = await audited(bot, "transfer.refused")
    assert {r.detail["attempt"] for r in refused} >= {"consent.start", "consent.record"}


async def test_a_double_click_records_the_entry_once_and_both_clicks_get_the_same_answer(start_bot: Any) -> None:
    bot, transfer_id = await _requested(start_bot)
    form = await consent_form(bot, SOCIAL_WORKER, transfer_id, "Consent withdrawn")
    first = await press(bot, SOCIAL_WORKER, button(form, "consent.record"), **WITHDRAWN)
    second = await press(bot, SOCIAL_WORKER, button(form, "consent.record"), **WITHDRAWN)
    assert shown_text(first) == shown_text(second)
    assert [r.status for r in await consent_rows(bot)] == ["given", "withdrawn"]
    assert len(await audited(bot, "consent.recorded")) == 2
    assert len(await audited(bot, "transfer.withdraw_consent")) == 1


async def test_the_old_bare_consent_buttons_open_the_consent_form_instead_of_moving_the_request(
    start_bot: Any,
) -> None:
    bot, transfer_id = await _requested(start_bot)
    version = (await transfer_row(bot, transfer_id)).version
    ids = {"record_id": transfer_id, "version": version, "event": "withdraw_consent"}
    for verb in ("transfer.act", "transfer.form"):
        reply = await press(bot, SOCIAL_WORKER, {"verb": verb, "data": ids})
        assert "Record consent: DEMO-0101" in shown_text(reply)
        assert "Consent withdrawn" in [b["title"] for b in buttons(reply, "consent.form")]
    row = await transfer_row(bot, transfer_id)
    assert (row.state, row.version) == ("submitted", version)
    assert len(await consent_rows(bot)) == 1


# -- the profile's scope rules, at submission ---------------------------------------------------------------------
async def _reviewed(bot: BotUnderTest, direction: str, **values: Any) -> dict[str, Any]:
    picker = await start_request(bot, SOCIAL_WORKER)
    form = await press(bot, SOCIAL_WORKER, button(picker, "transfer.start", direction))
    filled_in = filled(form, STEP_DOWN, discussed_with="", discussed_on="", **values)
    return await review_request(bot, SOCIAL_WORKER, form, **filled_in)


async def test_rochdale_refuses_a_step_across_without_consent_to_share_information(start_bot: Any) -> None:
    bot: BotUnderTest = await start_bot(profile="rochdale", managers_channel_id=MANAGERS_CHANNEL.id)
    await set_up_channels(bot)
    across = "Step across between social work services"
    refused = await _reviewed(bot, across, consent_scopes="early_help_offer")
    text = shown_text(refused)
    assert "needs the family's consent to share information with the receiving service (003 line 52)" in text
    assert not buttons(refused, "transfer.submit")
    assert await _counts(bot) == (0, 0)
    # Not sought, where seeking it would increase the risk, is the exception the procedure makes.
    risky = await _reviewed(
        bot,
        across,
        consent_status="not_sought_risk",
        consent_scopes="",
        consent_risk_reason=NOT_SOUGHT["risk_reason"],
        consent_agreed_by="T.M.",
    )
    assert buttons(risky, "transfer.submit")
    reviewed = await _reviewed(bot, across, consent_scopes="share_information")
    sent = await press(bot, SOCIAL_WORKER, button(reviewed, "transfer.submit"))
    assert "Sent to " in shown_text(sent)
    assert await _counts(bot) == (1, 1)


async def test_york_refuses_a_step_down_without_informed_consent(start_bot: Any) -> None:
    bot: BotUnderTest = await start_bot(profile="york", managers_channel_id=MANAGERS_CHANNEL.id)
    await set_up_channels(bot)
    form = await start_request(bot, SOCIAL_WORKER)
    if buttons(form, "transfer.start"):
        form = await press(bot, SOCIAL_WORKER, button(form, "transfer.start", "Step down to early help"))
    values = filled(form, STEP_DOWN, consent_scopes="share_information,early_help_offer")
    consent_stage = await press(bot, SOCIAL_WORKER, button(form, "transfer.step", "Next"), **values)
    scopes = {c["value"] for c in inputs(consent_stage)["consent_scopes"]["choices"]}
    assert "informed_plan" in scopes, "the consent stage offers York's informed consent"
    refused = await review_request(bot, SOCIAL_WORKER, form, **values)
    assert (
        "needs the family's consent to the early help plan, having seen the assessment (informed consent) (004 line 44)"
        in shown_text(refused)
    )
    assert not buttons(refused, "transfer.submit")
    assert await _counts(bot) == (0, 0)
    values = filled(form, STEP_DOWN, consent_scopes="early_help_offer,informed_plan")
    reviewed = await review_request(bot, SOCIAL_WORKER, form, **values)
    assert buttons(reviewed, "transfer.submit")


async def test_the_team_manager_of_the_requester_may_record_consent_and_nobody_else_in_the_channel(
    start_bot: Any,
) -> None:
    bot, transfer_id = await _requested(start_bot)
    # The team manager manages the social worker (tests/conftest.py): the requester's side.
    reply = await record_consent(bot, TEAM_MANAGER, transfer_id, "Consent given", **GIVEN, scopes=SCOPES)
    assert "Recorded: consent given." in shown_text(reply)
    assert len(await consent_rows(bot)) == 2


async def test_the_outcome_card_shows_the_current_consent(start_bot: Any) -> None:
    bot, transfer_id = await on_meeting(start_bot, "dorset", discussed_with="", discussed_on="")
    await record_consent(bot, SOCIAL_WORKER, transfer_id, "Consent given", **GIVEN, scopes="early_help_offer")
    await record_outcome(bot, CHAIR, transfer_id, "Agreed", meeting_on="2026-11-25", lead_practitioner="")
    card = await view(bot, CHAIR, transfer_id)
    history = await press(bot, CHAIR, button(card, "outcome.history"))
    assert "Consent: Given by mother (A.B.) in person on Tuesday 24 November 2026; scope: early help offer" in (
        shown_text(history)
    )


async def test_a_request_sent_before_the_consent_record_existed_shows_its_forms_consent_and_can_be_paused(
    start_bot: Any,
) -> None:
    bot, transfer_id = await _requested(start_bot)
    # As a request submitted before migration 0010 stands: no consent on its record, no entries.
    async with bot.runtime.services.uow() as uow:
        row = await uow.session.get(TransferRow, transfer_id)
        assert row is not None
        row.decision = {k: v for k, v in row.decision.items() if k != "consent"}
        await uow.session.execute(delete(ConsentRow))
    card = shown_text(await view(bot, COORDINATOR, transfer_id))
    assert "Consent: Given by mother in person on Friday 20 November 2026" in card
    paused = await record_consent(bot, COORDINATOR, transfer_id, "Consent withdrawn", **WITHDRAWN)
    assert "Consent withdrawn: the request is paused at its step" in shown_text(paused)
    assert [(r.entry, r.status) for r in await consent_rows(bot)] == [(1, "withdrawn")]
    assert (await transfer_row(bot, transfer_id)).state == "paused"
