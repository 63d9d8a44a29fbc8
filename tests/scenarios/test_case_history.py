"""`case <reference>` through the real endpoint with configured roles: the history card, refused, paged, audited.

The people on a case see one card with the request, the consent, every outcome version, the disputes and
who did what; anyone else, and anyone asking about a reference that does not exist, gets the same refusal;
a long history pages with "Older" and "Newer", each page within Teams' limit, and every open is audited.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from storage.tables import AuditEventRow
from tests.conftest import CHAIR, OTHER_TEAM_MANAGER, SOCIAL_WORKER, TEAM_MANAGER, BotUnderTest
from tests.harness.cardschema import TEAMS_MESSAGE_LIMIT_BYTES
from tests.harness.cardwalk import button, buttons, shown_text
from tests.harness.driver import Chat, Person
from tests.scenarios.booking_steps import press, the_card
from tests.scenarios.outcome_steps import audited, on_meeting, record_outcome, send, view
from tests.scenarios.transfer_steps import STEP_DOWN

MEETING_DAY = "2026-11-25"
ABOUT = "The meeting agreed the step down before the school's view was heard."


async def ask(bot: BotUnderTest, who: Person, text: str) -> dict[str, Any]:
    exchange = await bot.driver.say(who, Chat.personal(who), text)
    assert exchange.status == 201
    return the_card(exchange)


async def _case_with_everything(start_bot: Any) -> tuple[BotUnderTest, int]:
    """Dorset: a step down agreed at the meeting, the outcome corrected once, and a dispute raised about it."""
    bot, transfer_id = await on_meeting(start_bot, "dorset", discussed_with="", discussed_on="")
    await record_outcome(bot, CHAIR, transfer_id, "Agreed", meeting_on=MEETING_DAY, lead_practitioner="E.W.")
    card = await view(bot, CHAIR, transfer_id)
    correcting = await press(bot, CHAIR, button(card, "outcome.form", "Correct the outcome"))
    await send(bot, CHAIR, correcting, meeting_on="2026-11-24", correction_reason="The meeting was on Tuesday.")
    mine = await view(bot, SOCIAL_WORKER, transfer_id)
    form = await press(bot, SOCIAL_WORKER, button(mine, "dispute.form"))
    await press(bot, SOCIAL_WORKER, button(form, "dispute.raise"), about=ABOUT)
    await bot.deliver()
    return bot, transfer_id


async def test_the_social_worker_sees_the_whole_history_of_their_case_and_the_view_is_audited(
    start_bot: Any,
) -> None:
    bot, _ = await _case_with_everything(start_bot)
    card = await ask(bot, SOCIAL_WORKER, "case demo-0101")
    text = shown_text(card)
    assert "Case history: DEMO-0101" in text
    for section in ("The request", "Consent", "Outcomes", "Disputes", "Who did what, latest first"):
        assert section in text
    assert STEP_DOWN["reason"] in text  # the request in full, for the people on the case
    # The case's consent record: the current entry, who gave it, how, when and for what; who recorded it.
    assert "Current: Given by mother (A.B.) in person on Friday 20 November 2026; scope: sharing" in text
    assert "Entry 1: recorded by S.W." in text
    # Every outcome version, the latest first and said to stand, the one it corrected after it.
    assert text.index("Version 2: the one that stands (corrected)") < text.index("Version 1: corrected by")
    assert "Locality Step Up/Step Down Meeting, Tuesday 24 November 2026" in text
    assert "Locality Step Up/Step Down Meeting, Wednesday 25 November 2026" in text
    assert ABOUT in text and "Open: a manager is settling it." in text
    # Who did what, by name, in words, with no detail anyone typed.
    assert "S.W.: Sent the request" in text
    assert "M.C.: Recorded the meeting's outcome" in text
    assert "M.C.: Corrected the meeting's outcome" in text
    assert "S.W.: Raised a dispute about a decision" in text
    assert "The meeting was on Tuesday." in text  # the correction's reason is the outcome's, shown with it
    [viewed] = await audited(bot, "case.viewed")
    assert (viewed.actor_object_id, viewed.record_type, viewed.record_id) == (
        SOCIAL_WORKER.object_id,
        "case",
        "DEMO-0101",
    )
    assert viewed.detail["page"] == 1
    # Their line manager is on the case too; the chair of its meeting as well.
    assert "Case history: DEMO-0101" in shown_text(await ask(bot, TEAM_MANAGER, "case DEMO-0101"))
    assert "Case history: DEMO-0101" in shown_text(await ask(bot, CHAIR, "case DEMO-0101"))
    assert len(await audited(bot, "case.viewed")) == 3


async def test_someone_not_on_the_case_learns_nothing_and_the_attempt_is_audited(start_bot: Any) -> None:
    bot, _ = await _case_with_everything(start_bot)
    refused = await ask(bot, OTHER_TEAM_MANAGER, "case DEMO-0101")
    unknown = await ask(bot, OTHER_TEAM_MANAGER, "case DEMO-0999")
    assert "Only the people on a case see it" in shown_text(refused)
    # The same words whether the case exists or not, apart from the reference they typed.
    assert shown_text(refused).replace("DEMO-0101", "X") == shown_text(unknown).replace("DEMO-0999", "X")
    assert STEP_DOWN["reason"] not in json.dumps(refused)
    attempts = sorted(await audited(bot, "case.refused"), key=lambda a: a.id)
    assert [(a.actor_object_id, a.record_id) for a in attempts] == [
        (OTHER_TEAM_MANAGER.object_id, "DEMO-0101"),
        (OTHER_TEAM_MANAGER.object_id, "DEMO-0999"),
    ]
    assert await audited(bot, "case.viewed") == []
    # A page asked for by card data gets the same refusal.
    exchange = await bot.driver.execute(
        OTHER_TEAM_MANAGER,
        Chat.personal(OTHER_TEAM_MANAGER),
        "case.page",
        {"case_reference": "DEMO-0101", "page": 2, "as_of": 10**9},
    )
    assert "Only the people on a case see it" in shown_text(the_card(exchange))
    assert len(await audited(bot, "case.refused")) == 3


async def test_a_reference_that_is_not_one_gets_a_card_saying_why_and_nothing_is_written(start_bot: Any) -> None:
    bot, _ = await _case_with_everything(start_bot)
    before = len(await _all_events(bot))
    for typed in ("case", "case not a reference!"):
        card = await ask(bot, SOCIAL_WORKER, typed)
        assert "Which case?" in shown_text(card) and "case DEMO-0001" in shown_text(card)
    assert len(await _all_events(bot)) == before


async def _all_events(bot: BotUnderTest) -> list[AuditEventRow]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(AuditEventRow)))


async def test_a_long_history_pages_older_and_newer_within_the_limit_and_each_page_is_audited(
    start_bot: Any,
) -> None:
    bot, transfer_id = await _case_with_everything(start_bot)
    # A year of views of the request's details: the audit trail grows long.
    async with bot.runtime.services.uow() as uow:
        for i in range(900):
            await uow.audit.record(
                at=bot.clock.now + timedelta(minutes=i),
                tenant_id="t",
                actor_object_id=TEAM_MANAGER.object_id,
                action="transfer.details_viewed",
                record_type="transfer",
                record_id=str(transfer_id),
            )
    first = await ask(bot, SOCIAL_WORKER, "case DEMO-0101")
    assert [b["title"] for b in buttons(first, "case.page")] == ["Older"]
    pages = [first]
    while buttons(pages[-1], "case.page") and "Older" in {b["title"] for b in buttons(pages[-1], "case.page")}:
        pages.append(await press(bot, SOCIAL_WORKER, button(pages[-1], "case.page", "Older")))
        assert len(pages) < 30
    assert len(pages) > 2
    for page in pages:  # the_card checked each against the schema and the limit; this says so plainly
        assert len(json.dumps(page).encode()) < TEAMS_MESSAGE_LIMIT_BYTES
    assert [b["title"] for b in buttons(pages[1], "case.page")] == ["Newer", "Older"]
    last = pages[-1]
    assert [b["title"] for b in buttons(last, "case.page")] == ["Newer"]
    assert f"Page {len(pages)} of {len(pages)}" in shown_text(last)
    # Every event up to the first open is on exactly one page, however many views were audited since.
    lines = sum(shown_text(p).count("T.M.: Viewed the request's details") for p in pages)
    assert lines == 900
    assert "Sent the request" in shown_text(last)  # the oldest event on the last page
    back = await press(bot, SOCIAL_WORKER, button(last, "case.page", "Newer"))
    assert shown_text(back) == shown_text(pages[-2])
    views = sorted(await audited(bot, "case.viewed"), key=lambda v: v.id)
    assert [v.detail["page"] for v in views] == [1, *range(2, len(pages) + 1), len(pages) - 1]
