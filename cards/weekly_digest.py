"""The managers' weekly digest card: the week's figures for the open transfers, no family's circumstances."""

from __future__ import annotations

from cards.elements import Json, card, facts, heading, text
from domain.weekly_digest import Digest, DueItem
from domain.working_days import WorkingCalendar

LIST_MAX = 8


def _items(items: tuple[DueItem, ...], calendar: WorkingCalendar) -> list[Json]:
    shown = [text(f"- {i.case_reference}: {i.title}, {calendar.format_when(i.due_at)}") for i in items[:LIST_MAX]]
    if len(items) > LIST_MAX:
        shown.append(text(f"And {len(items) - LIST_MAX} more: type **open transfers** to see them.", subtle=True))
    return shown or [text("None.", subtle=True)]


def render_weekly_digest(digest: Digest, calendar: WorkingCalendar) -> Json:
    """Open transfers per team, deadlines due this week, overdue items, unnamed workers, days to transfer."""
    body: list[Json] = [heading(f"Week beginning {calendar.format_when(digest.week_starting).split(',')[0]}")]
    teams = [(team, str(count)) for team, count in digest.open_by_team[:LIST_MAX]]
    body.append(text("Open transfers by team", weight="Bolder"))
    body.append(facts(teams) if teams else text("None open.", subtle=True))
    body.append(text(f"Due this week ({len(digest.due_this_week)})", weight="Bolder"))
    body += _items(digest.due_this_week, calendar)
    body.append(text(f"Overdue ({len(digest.overdue)})", weight="Bolder"))
    body += _items(digest.overdue, calendar)
    body.append(text(f"Accepted with no named worker ({len(digest.unnamed)})", weight="Bolder"))
    body.append(text(", ".join(digest.unnamed[:20]) if digest.unnamed else "None.", subtle=not digest.unnamed))
    if digest.median_days is None:
        line = "No request was transferred in the last 12 weeks."
    else:
        line = f"Median {digest.median_days:g} days from the decision to the transfer, over {digest.transferred}."
        if digest.standard_days is not None:
            met = "within" if digest.median_days <= digest.standard_days else "beyond"
            line += f" The standard is {digest.standard_days} days: {met} it."
    body.append(text("Time to transfer", weight="Bolder"))
    body.append(text(line))
    return card(body)
