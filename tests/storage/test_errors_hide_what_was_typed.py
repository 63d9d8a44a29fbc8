"""A failed statement or a refused model never carries what a person typed into an exception, so into a log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from cards.transfer_forms import ReviewTransfer
from domain.booking import BookingDetails
from domain.transfers import TransferDetails
from storage.tables import TransferRow
from storage.uow import UnitOfWorkFactory

MARK = "Typedmark91c"


async def test_a_failed_statement_is_reported_without_its_parameters(uow: UnitOfWorkFactory) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(DBAPIError) as caught:
        async with uow() as work:
            # tenant_id is NOT NULL: the statement fails with the family's words among its parameters.
            await work.session.execute(
                insert(TransferRow).values(
                    version=1,
                    state="submitted",
                    tenant_id=None,
                    requester_object_id="x",
                    requester_name=MARK,
                    case_reference="DEMO-0001",
                    direction="step_up",
                    from_team=MARK,
                    to_service=MARK,
                    details={"reason": MARK},
                    receiving_channel="front_door",
                    created_at=now,
                    updated_at=now,
                )
            )
    assert MARK not in str(caught.value)
    assert "hidden" in str(caught.value).lower()


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (TransferDetails, {"case_reference": MARK, "reason": MARK, "direction": "nowhere"}),
        (BookingDetails, {"case_reference": MARK, "reason": MARK * 1000}),
        (ReviewTransfer, {"verb": "transfer.review", "direction": "step_up", "reason": MARK + "\x00"}),
    ],
)
def test_a_refused_model_does_not_repeat_what_was_typed(model: type, data: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    assert MARK not in str(caught.value) and MARK not in repr(caught.value)
