"""The consent record on both databases: entries are appended in order, the latest stands, one writer per entry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from domain.consent import ConsentEntry
from domain.consent_terms import ConsentMethod, ConsentScope, ConsentStatus
from domain.transfer_record import Decisions
from domain.transfers import TransferDetails
from storage.database import create_engine, session_factory
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
GIVEN = ConsentEntry(
    status=ConsentStatus.GIVEN,
    on=date(2026, 11, 20),
    relationship="Mother",
    initials="A.B.",
    method=ConsentMethod.IN_PERSON,
    scopes=(ConsentScope.SHARE_INFORMATION,),
)
WITHDRAWN = GIVEN.model_copy(update={"status": ConsentStatus.WITHDRAWN, "on": date(2026, 11, 25), "scopes": ()})
DETAILS = TransferDetails.model_validate(
    {
        "case_reference": "DEMO-0101",
        "children_count": 1,
        "direction": "step_down_early_help",
        "from_team": "Field social work team",
        "to_service": "Internal Early Help team",
        "reason": "An invented reason.",
        "route": "direct",
        "consent": {
            "status": "given",
            "relationship": "Mother",
            "initials": "A.B.",
            "how": "in_person",
            "on": "2026-11-20",
        },
        "manager": {"manager": "T.M.", "decided_on": "2026-11-19"},
    }
)


async def test_entries_are_appended_in_order_and_a_second_writer_of_one_entry_is_refused(clean_database: str) -> None:
    engine = create_engine(clean_database)
    uow = UnitOfWorkFactory(session_factory(engine))
    try:
        async with uow() as work:
            transfer = await work.transfers.create(
                tenant_id="t",
                requester_object_id="sw",
                requester_name="S.W.",
                details=DETAILS,
                receiving_channel="coordinators",
                channel_conversation_id="19:c",
                wording="",
                decision=Decisions(consent=GIVEN.note(1)),
                now=NOW,
            )
            assert await work.consents.next_entry(transfer.id) == 1
            await work.consents.add(
                transfer.id, "DEMO-0101", GIVEN, entry=1, by_name="S.W.", by_object_id="sw", now=NOW
            )
        async with uow() as work:
            assert await work.consents.next_entry(transfer.id) == 2
            await work.consents.add(
                transfer.id,
                "DEMO-0101",
                WITHDRAWN,
                entry=2,
                by_name="E.C.",
                by_object_id="ec",
                now=NOW + timedelta(hours=1),
            )
        with pytest.raises(IntegrityError):
            async with uow() as work:
                await work.consents.add(
                    transfer.id, "DEMO-0101", GIVEN, entry=2, by_name="E.C.", by_object_id="ec", now=NOW
                )
        async with uow() as work:
            entries = await work.consents.entries(transfer.id)
            latest = await work.consents.latest(transfer.id)
            for_case = await work.consents.for_case("DEMO-0101")
    finally:
        await engine.dispose()
    assert [(e.entry, e.consent.status) for e in entries] == [(1, ConsentStatus.GIVEN), (2, ConsentStatus.WITHDRAWN)]
    assert entries[0].consent == GIVEN and entries[1].recorded_by_object_id == "ec"
    assert latest is not None and latest.entry == 2 and latest.note.status is ConsentStatus.WITHDRAWN
    assert [e.entry for e in for_case] == [1, 2]
