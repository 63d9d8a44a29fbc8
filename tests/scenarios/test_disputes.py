"""Disputes about a decision, through the real endpoint with configured roles: raised, settled, refused.

Any party raises a dispute from the request's card; it goes to the managers' channel as a new message that
@mentions the managers, Dorset's clock gives it 1 working day, and a manager settles it from that card with
the decision and a note, which tells both sides and updates the card for everyone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.case_tables import DisputeRow
from tests.conftest import (
    CHAIR,
    HEAD_OF_SERVICE,
    MANAGERS_CHANNEL,
    OTHER_TEAM_MANAGER,
    SOCIAL_WORKER,
    TEAM_MANAGER,
    BotUnderTest,
)
from tests.harness.cardwalk import button, buttons, shown_text
from tests.harness.driver import Chat, Person
from tests.scenarios.booking_steps import press
from tests.scenarios.outcome_steps import (
    audited,
    count_rows,
    deadline_row,
    on_meeting,
    record_outcome,
    to_chat,
    transfer_row,
    view,
)

MEETING_DAY = "2026-11-25"
ABOUT = "The meeting agreed the step down before the school's view was heard."
SETTLED_NOTE = "The school's view was in the report; the decision stands."


async def _agreed(start_bot: Any, **options: Any) -> tuple[BotUnderTest, int]:
    """Dorset: the chair records the meeting's agreement to the social worker's step down."""
    bot, transfer_id = await on_meeting(start_bot, "dorset", discussed_with="", discussed_on="", **options)
    await record_outcome(bot, CHAIR, transfer_id, "Agreed", meeting_on=MEETING_DAY, lead_practitioner="E.W.")
    await bot.deliver()
    return bot, transfer_id


async def _raise(bot: BotUnderTest, who: Person, transfer_id: int, about: str = ABOUT) -> dict[str, Any]:
    card = await view(bot, who, transfer_id)
    form = await press(bot, who, button(card, "dispute.form"))
    return await press(bot, who, button(form, "dispute.raise"), about=about)


async def _settle(bot: BotUnderTest, who: Person, chat: Chat, settle: dict[str, Any], **values: Any) -> Any:
    data = {k: v for k, v in settle["data"].items() if k != "verb"}
    exchange = await bot.driver.execute(who, chat, "dispute.settle", {**data, **values})
    assert exchange.status == 200
    return exchange


async def _disputes(bot: BotUnderTest) -> list[DisputeRow]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(DisputeRow).order_by(DisputeRow.id)))


async def test_a_dispute_goes_to_the_managers_and_a_manager_settles_it_for_both_sides(start_bot: Any) -> None:
    bot, transfer_id = await _agreed(start_bot)
    # Nobody raises an empty or one-word dispute: the form comes back and nothing is written.
    short = await _raise(bot, SOCIAL_WORKER, transfer_id, about="No")
    assert "Say what you dispute about the decision" in shown_text(short)
    assert await count_rows(bot, DisputeRow) == 0
    raised = await _raise(bot, SOCIAL_WORKER, transfer_id)
    assert "Your dispute went to the managers' channel" in shown_text(raised)
    assert "Dispute" in shown_text(raised) and "open" in shown_text(raised).lower()
    [row] = await _disputes(bot)
    assert (row.state, row.decision_event, row.outcome_version) == ("open", "outcome_agreed", 1)
    clock = await deadline_row(bot, "dispute_resolved")
    assert clock.state == "open"
    calls = await bot.deliver()
    [posted] = [c for c in calls if c.conversation_id == MANAGERS_CHANNEL.id and c.op == "send"]
    [dispute_card] = posted.cards
    assert "Dispute: DEMO-0101" in shown_text(dispute_card) and ABOUT in shown_text(dispute_card)
    assert "Decision disputed: Outcome agreed" in shown_text(dispute_card)
    assert "To settle: Due by Thursday 26 November 2026, 5pm" in shown_text(dispute_card), "Dorset: 1 working day"
    mentioned = {m["mentioned"]["id"] for m in dispute_card.get("msteams", {}).get("entities", [])}
    assert TEAM_MANAGER.user_id in mentioned, "the social worker's line manager is @mentioned"
    # The same decision cannot be disputed twice while the first is open; the button is gone.
    again = await view(bot, SOCIAL_WORKER, transfer_id)
    assert not buttons(again, "dispute.form")
    current = {"record_id": transfer_id, "version": (await transfer_row(bot, transfer_id)).version}
    forced = await press(bot, SOCIAL_WORKER, {"verb": "dispute.raise", "data": {**current, "about": ABOUT}})
    assert "S.W. has already raised a dispute about this decision" in shown_text(forced)
    assert await count_rows(bot, DisputeRow) == 1

    settle = button(dispute_card, "dispute.settle")
    # Who may not settle it: the social worker (no manager), the chair who decided, a manager in personal chat
    # who manages nobody on the case. Each is told why (in Dorset's titles, 000 5.1), and nothing is written.
    for person, chat, why in (
        (SOCIAL_WORKER, MANAGERS_CHANNEL, "This needs the role of Early Help team manager or Head of service"),
        (CHAIR, MANAGERS_CHANNEL, "This needs the role of Early Help team manager or Head of service"),
        (OTHER_TEAM_MANAGER, Chat.personal(OTHER_TEAM_MANAGER), "Only a manager settles a dispute: the parties'"),
    ):
        refused = await _settle(bot, person, chat, settle, settlement="upheld", note=SETTLED_NOTE)
        assert why in refused.card_text() and "Nothing was saved." in refused.card_text()
    # A manager in the channel who leaves out the note gets the card back with what is missing.
    no_note = await _settle(bot, OTHER_TEAM_MANAGER, MANAGERS_CHANNEL, settle, settlement="upheld", note="")
    assert "Add a note: both sides read it." in no_note.card_text()
    assert [r.state for r in await _disputes(bot)] == ["open"]
    assert not await audited(bot, "dispute.settled")

    done = await _settle(bot, OTHER_TEAM_MANAGER, MANAGERS_CHANNEL, settle, settlement="upheld", note=SETTLED_NOTE)
    assert "The decision stands: settled by T.M.2" in done.card_text()
    assert not buttons(done.invoke_card or {}, "dispute.settle"), "a settled dispute offers no settling"
    [row] = await _disputes(bot)
    assert (row.state, row.settlement, row.settled_by_object_id) == ("settled", "upheld", OTHER_TEAM_MANAGER.object_id)
    assert (await deadline_row(bot, "dispute_resolved")).state == "met"
    # A second click, or a second manager with the old card: settled once, and they are told by whom.
    late = await _settle(bot, TEAM_MANAGER, MANAGERS_CHANNEL, settle, settlement="changed", note="I disagree.")
    assert "This dispute is settled already, by T.M.2." in late.card_text()
    assert len(await audited(bot, "dispute.settled")) == 1
    calls = await bot.deliver()
    updates = [c for c in calls if c.conversation_id == MANAGERS_CHANNEL.id and c.op == "update"]
    assert [u.activity_id for u in updates] == [posted.activity_id], "the channel card updates in place, once"
    assert "The decision stands" in shown_text(updates[-1].cards[0])
    # Both sides hear in personal chat: the social worker who raised it and the chair whose decision it was.
    for person in (SOCIAL_WORKER, CHAIR):
        [told] = [c for c in to_chat(calls, Chat.personal(person)) if "Dispute settled: DEMO-0101" in shown_text(c)]
        assert "The decision stands" in shown_text(told)
        assert SETTLED_NOTE not in shown_text(told) and ABOUT not in shown_text(told)
    # The request's card says so too.
    after = await view(bot, SOCIAL_WORKER, transfer_id)
    assert "Dispute: Raised by S.W. on Wednesday 25 November 2026, settled: The decision stands" in shown_text(after)
    assert "Dispute about the transfer resolved: Met on Wednesday 25 November 2026" in shown_text(after)


async def test_the_manager_who_raised_a_dispute_does_not_settle_it(start_bot: Any) -> None:
    bot, transfer_id = await _agreed(start_bot)
    raised = await _raise(bot, TEAM_MANAGER, transfer_id)
    assert "Your dispute went to the managers' channel" in shown_text(raised)
    calls = await bot.deliver()
    [posted] = [c for c in calls if c.conversation_id == MANAGERS_CHANNEL.id and c.op == "send"]
    settle = button(posted.cards[0], "dispute.settle")
    own = await _settle(bot, TEAM_MANAGER, MANAGERS_CHANNEL, settle, settlement="changed", note="Let us look again.")
    assert "You raised this dispute, so another manager settles it." in own.card_text()
    refusals = await audited(bot, "dispute.refused")
    assert [r.actor_object_id for r in refusals] == [TEAM_MANAGER.object_id]
    done = await _settle(bot, HEAD_OF_SERVICE, MANAGERS_CHANNEL, settle, settlement="changed", note="Look again.")
    assert "The decision is changed: settled by H.S." in done.card_text()
    calls = await bot.deliver()
    told = [c for c in to_chat(calls, Chat.personal(TEAM_MANAGER)) if "Dispute settled" in shown_text(c)]
    assert told and "The decision is changed" in shown_text(told[0])


async def test_only_the_people_on_the_case_raise_a_dispute_and_only_about_a_decision(start_bot: Any) -> None:
    bot, transfer_id = await on_meeting(start_bot, "dorset", discussed_with="", discussed_on="")
    # No decision yet: nothing to dispute, so no button.
    card = await view(bot, SOCIAL_WORKER, transfer_id)
    assert not buttons(card, "dispute.form")
    await record_outcome(bot, CHAIR, transfer_id, "Agreed", meeting_on=MEETING_DAY, lead_practitioner="E.W.")
    # A manager of another team is not on the case: refused, told why, nothing written.
    outsider = await press(
        bot, OTHER_TEAM_MANAGER, {"verb": "dispute.raise", "data": {"record_id": transfer_id, "version": 2}}
    )
    assert "That request is not one you are on." in shown_text(outsider)
    assert await count_rows(bot, DisputeRow) == 0
    refusals = await audited(bot, "transfer.refused")
    assert OTHER_TEAM_MANAGER.object_id in {r.actor_object_id for r in refusals}
