"""Shared clinic lookups for the booking dialogs: the profile's clinic, its schedule, open clinics, refusals."""

from __future__ import annotations

from datetime import date, datetime

from cards.booking import ClinicChoice
from dialogs.turn import Services
from domain.booking import Slot
from domain.clinic import ClinicSchedule, ClinicSlot
from domain.profiles import Clinic
from domain.working_days import WorkingCalendar
from storage.uow import UnitOfWork


def clinic_of(services: Services) -> Clinic | None:
    clinic = services.profile.clinic
    return clinic if clinic is not None and clinic.enabled else None


def calendar_of(services: Services) -> WorkingCalendar:
    return WorkingCalendar.from_profile(services.profile.working)


async def schedule_of(uow: UnitOfWork, services: Services) -> ClinicSchedule | None:
    """The clinic as held (series, cancellations, extra dates), read once per use case; None without a clinic."""
    clinic = clinic_of(services)
    if clinic is None:
        return None
    return await uow.clinic.schedule(clinic, calendar_of(services))


async def open_choices(
    uow: UnitOfWork, clinics: ClinicSchedule, now: datetime, *, create: bool = True
) -> list[ClinicChoice]:
    """The next clinics open for booking, with their slots (created on first sight) and seats.

    With `create=False` nothing is written: a clinic nobody has looked at yet counts as all free.
    """
    upcoming = clinics.next_clinics(now, clinics.clinic.clinics_shown)
    if create:
        for found in upcoming:
            await uow.clinic.ensure_slots(clinics.slots(found))
    slots = await uow.clinic.slots_on([c.actual for c in upcoming])
    choices = []
    for found in upcoming:
        stored = [s for s in slots if s.clinic_date == found.actual]
        if not stored and not create:
            choices.append(ClinicChoice(found, _unstored(clinics.slots(found))))
        else:
            choices.append(ClinicChoice(found, stored))
    return choices


def _unstored(slots: list[ClinicSlot]) -> list[Slot]:
    return [Slot(0, s.clinic_date, s.index, s.start_utc, s.end_utc, s.capacity, 0) for s in slots]


async def next_open_clinic(uow: UnitOfWork, clinics: ClinicSchedule | None, now: datetime) -> date | None:
    """The next clinic with a free slot, to point a refused booking at (read only: refusals write nothing)."""
    if clinics is None:
        return None
    for choice in await open_choices(uow, clinics, now, create=False):
        if not choice.full:
            return choice.clinic.actual
    return None
