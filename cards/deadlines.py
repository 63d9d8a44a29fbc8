"""Deadline cards: the reminder with the actions that settle it, the overdue notice, a person's list of deadlines.

Each carries the case reference and what is due, by when, in local time the GOV.UK way; never a name, a date
of birth or the family's circumstances (Teams shows card text in the activity feed and on lock screens).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from cards.elements import Json, card, container, execute, facts, heading, not_now, text
from cards.payloads import RecordAction
from domain.deadlines import Deadline, Standing, standing_line
from domain.working_days import WorkingCalendar

OBJECT_ID_PATTERN = r"^[0-9A-Za-z:._-]{1,64}$"


# -- payloads ---------------------------------------------------------------------------------------------
class SnoozeDeadline(RecordAction):
    """Remind me again at a chosen time, before the deadline."""

    until: datetime


class ReassignDeadline(RecordAction):
    """Give the deadline to a colleague on the receiving team's roster."""

    to: str = Field(pattern=OBJECT_ID_PATTERN)


class ExtendDeadline(RecordAction):
    """More time, agreed in supervision: the new date, why, and the manager who agreed."""

    due_on: str = Field("", max_length=10)
    reason: str = Field("", max_length=300)
    agreed_by: str = Field("", max_length=80)


class ShowDeadline(RecordAction):
    pass


@dataclass(frozen=True)
class CaseButton:
    """A button of the case itself that settles the deadline (its form opens first)."""

    title: str
    verb: str
    data: dict[str, object]


def _case_facts(deadline: Deadline, label: str, calendar: WorkingCalendar, now: datetime) -> Json:
    rows = [
        ("Case reference", label),
        ("What is due", deadline.title),
        ("When", standing_line(deadline, now, calendar)),
    ]
    if deadline.extension is not None:
        rows.append(("Extended", f"from {calendar.format_when(deadline.extension.previous_due_at)}"))
    return facts(rows)


def _ids(deadline: Deadline) -> dict[str, object]:
    return {"record_id": deadline.id, "version": deadline.version}


def _choice(id_: str, label: str, choices: list[Json], error: str, *, first: bool = False) -> Json:
    out: Json = {
        "type": "Input.ChoiceSet",
        "id": id_,
        "label": label,
        "choices": choices,
        "isRequired": True,
        "errorMessage": error,
    }
    if first and choices:
        out["value"] = choices[0]["value"]
    return out


def _show_card(title: str, choose: Json, action: Json) -> Json:
    """A small form under a button (Action.ShowCard), so the reminder stays short until it is wanted."""
    form = card([choose], [action])
    form.pop("msteams", None)
    return {"type": "Action.ShowCard", "title": title, "card": form}


def render_deadline_reminder(
    deadline: Deadline,
    label: str,
    calendar: WorkingCalendar,
    now: datetime,
    *,
    settle: list[CaseButton],
    snooze_to: list[datetime],
    reassign_to: list[tuple[str, str]],
    extendable: bool,
    late: str = "",
) -> Json:
    """A reminder to the owner: what is due and by when, and the actions that settle it or give it time."""
    standing = deadline.standing(now)
    title = {
        Standing.OVERDUE: f"Overdue: {deadline.title}",
        Standing.NOT_YET: f"Not yet: {deadline.title}",
        Standing.MET: f"From now on: {deadline.title}",  # an earliest date reached: the step may happen
    }.get(standing, f"Due soon: {deadline.title}")
    body: list[Json] = [heading(title), _case_facts(deadline, label, calendar, now)]
    if late:
        body.append(text(late, subtle=True))
    actions: list[Json] = [execute(b.title, b.verb, b.data, style="positive") for b in settle[:2]]
    if snooze_to:
        choices = [{"title": calendar.format_when(t), "value": t.isoformat()} for t in snooze_to[:6]]
        choose = _choice("until", "Remind me again", choices, "Choose when to be reminded", first=True)
        actions.append(_show_card("Snooze", choose, execute("Snooze", "deadline.snooze", _ids(deadline))))
    if reassign_to:
        choices = [{"title": name, "value": oid} for name, oid in reassign_to[:20]]
        choose = _choice("to", "Give it to", choices, "Choose a colleague")
        actions.append(_show_card("Reassign", choose, execute("Reassign", "deadline.reassign", _ids(deadline))))
    if extendable:
        actions.append(execute("More time agreed", "deadline.extend_form", _ids(deadline)))
    return card(body, actions[:5])


def render_deadline_overdue(
    deadline: Deadline, label: str, calendar: WorkingCalendar, now: datetime, *, to_whom: str, settle: list[CaseButton]
) -> Json:
    """A new message when a deadline passes, or an escalation: it @mentions the people responsible."""
    body: list[Json] = [
        heading(f"Overdue: {deadline.title}"),
        _case_facts(deadline, label, calendar, now),
        text(to_whom),
    ]
    actions = [execute(b.title, b.verb, b.data, style="positive") for b in settle[:2]]
    actions.append(execute("Open the request", "transfer.refresh", {"record_id": deadline.transfer_id}))
    return card(body, actions)


def render_extension_form(
    deadline: Deadline, label: str, calendar: WorkingCalendar, now: datetime, *, note: str = ""
) -> Json:
    body: list[Json] = [heading(f"More time: {deadline.title}"), _case_facts(deadline, label, calendar, now)]
    if note:
        body.append(text(note, weight="Bolder"))
    body += [
        {
            "type": "Input.Date",
            "id": "due_on",
            "label": "The new date",
            "min": calendar.local_date(deadline.due_at).isoformat(),
            "isRequired": True,
            "errorMessage": "Choose the new date",
        },
        {
            "type": "Input.Text",
            "id": "reason",
            "label": "Why more time is needed",
            "maxLength": 300,
            "isMultiline": True,
            "isRequired": True,
            "errorMessage": "Say why more time is needed",
        },
        {
            "type": "Input.Text",
            "id": "agreed_by",
            "label": "The manager who agreed it in supervision",
            "maxLength": 80,
            "isRequired": True,
            "errorMessage": "Name the manager who agreed",
        },
    ]
    return card(
        body,
        [
            execute("Record the extension", "deadline.extend", _ids(deadline), style="positive"),
            not_now("deadline.show", _ids(deadline)),
        ],
    )


def render_my_deadlines(
    deadlines: list[Deadline], labels: dict[int, str], calendar: WorkingCalendar, now: datetime
) -> Json:
    """What a person owns, soonest first."""
    body: list[Json] = [heading("Your deadlines")]
    if not deadlines:
        body.append(text("No deadline yet: nothing of yours is running."))
    for deadline in deadlines[:20]:
        label = labels.get(deadline.transfer_id, deadline.case_reference)
        body.append(
            container(
                [
                    text(f"{label} · {deadline.title}", weight="Bolder"),
                    text(standing_line(deadline, now, calendar), subtle=deadline.standing(now) is not Standing.OVERDUE),
                    {
                        "type": "ActionSet",
                        "actions": [
                            execute("Open", "deadline.show", _ids(deadline)),
                            execute("Open the request", "transfer.refresh", {"record_id": deadline.transfer_id}),
                        ],
                    },
                ],
                style="emphasis",
            )
        )
    if len(deadlines) > 20:
        body.append(text(f"And {len(deadlines) - 20} more: the soonest are shown first.", subtle=True))
    return card(body)


def deadline_rows(deadlines: list[Deadline], calendar: WorkingCalendar, now: datetime) -> list[tuple[str, str]]:
    """Each clock of a request as a fact row for its card: what is due, and whether met, due or overdue."""
    return [(d.title, standing_line(d, now, calendar)) for d in deadlines[:8]]
