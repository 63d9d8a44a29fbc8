"""Shared clinic lookups for the booking dialogs: the profile's clinic, open clinics, and refusals."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from cards.booking import ClinicChoice
from dialogs.turn import Services
from domain.booking import Slot
from domain.clinic import ClinicDate, ClinicSlot, clinic_dates, next_clinics, slots_for
from domain.profiles import Clinic
from domain.working_days import WorkingCalendar
from storage.uow import UnitOfWork


def clinic_of(services: Services) -> Clinic | None:
    clinic = services.profile.clinic
    return clinic if clinic is not None and clinic.enabled else None


def calendar_of(services: Services) -> WorkingCalendar:
    return WorkingCalendar.from_profile(services.profile.working)


def find_clinic_date(
    services: Services, day: date, cancelled: frozenset[date], extra: frozenset[date]
) -> ClinicDate | None:
    """The clinic held on `day`, if the series (with its changes) holds one then."""
    clinic = clinic_of(services)
    if clinic is None:
        return None
    window = timedelta(days=7 * clinic.interval_weeks)
    for found in clinic_dates(
        clinic, calendar_of(services), day - window, day + window, cancelled=cancelled, extra=extra
    ):
        if found.actual == day:
            return found
    return None


async def open_choices(
    uow: UnitOfWork, services: Services, now: datetime, *, create: bool = True
) -> list[ClinicChoice]:
    """The next clinics open for booking, with their slots (created on first sight) and seats.

    With `create=False` nothing is written: a clinic nobody has looked at yet counts as all free.
    """
    clinic = clinic_of(services)
    if clinic is None:
        return []
    calendar = calendar_of(services)
    cancelled, extra = await uow.clinic.changes()
    clinics = next_clinics(clinic, calendar, now, clinic.clinics_shown, cancelled=cancelled, extra=extra)
    if create:
        for found in clinics:
            await uow.clinic.ensure_slots(slots_for(clinic, calendar, found))
    slots = await uow.clinic.slots_on([c.actual for c in clinics])
    choices = []
    for found in clinics:
        stored = [s for s in slots if s.clinic_date == found.actual]
        if not stored and not create:
            choices.append(ClinicChoice(found, _unstored(slots_for(clinic, calendar, found))))
        else:
            choices.append(ClinicChoice(found, stored))
    return choices


def _unstored(slots: list[ClinicSlot]) -> list[Slot]:
    return [Slot(0, s.clinic_date, s.index, s.start_utc, s.end_utc, s.capacity, 0) for s in slots]


async def next_open_clinic(uow: UnitOfWork, services: Services, now: datetime) -> date | None:
    """The next clinic with a free slot, to point a refused booking at (read only: refusals write nothing)."""
    for choice in await open_choices(uow, services, now, create=False):
        if not choice.full:
            return choice.clinic.actual
    return None
