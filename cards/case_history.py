"""A case's history on one card: the request, the consent, every outcome version, the disputes and the audit trail.

The history is cut into blocks (the request, the consent, one outcome version, one dispute, ten audit events)
and the blocks are laid onto pages by their size, so no page passes Teams' message limit however long the
history grows; "Older" and "Newer" page through it, the newest first. A page is drawn from the audit trail
as it stood when the history was first opened (`as_of`), so opening a page, itself audited, moves nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import Field

from cards.consent import consent_elements as consent_record_elements
from cards.elements import Json, card, container, facts, heading, text
from cards.outcomes import outcome_elements
from cards.payloads import ID_MAX, ActionPayload
from cards.transfer_card import button, case_label
from domain.case_history import AuditEntry, actor_name, audit_title
from domain.consent import ConsentRecord
from domain.directions import DIRECTION_TITLES
from domain.disputes import SETTLEMENT_TITLES, Dispute
from domain.outcomes import OutcomeVersion
from domain.profiles import PolicyProfile
from domain.transfer_machine import EVENT_TITLES, STATE_TITLES
from domain.transfer_record import Transfer
from domain.transfers import CONSENT_TITLES, ROUTE_TITLES
from domain.working_days import WorkingCalendar, format_date

# What a page's blocks may weigh, as JSON: the header, the buttons and Teams' own envelope fit in the rest
# of the 28 KB a message may be.
PAGE_BUDGET = 22 * 1024
EVENTS_PER_BLOCK = 10
OLDER_LISTED = 10  # earlier requests for the same case, one line each
PAGES_MAX = 10_000
VIEW_RECORDED = "Your view of this history is recorded."


class CasePage(ActionPayload):
    """ "Older" / "Newer" on a case's history: which case, which page, and the audit trail as it stood."""

    case_reference: str = Field(min_length=3, max_length=32)
    page: int = Field(1, ge=1, le=PAGES_MAX)
    as_of: int = Field(0, ge=0, le=ID_MAX)


@dataclass(frozen=True)
class CaseHistory:
    """Everything about one case reference that this person may see."""

    reference: str
    transfers: Sequence[Transfer]  # the oldest first; the last is the request shown in full
    outcomes: Mapping[int, Sequence[OutcomeVersion]] = field(default_factory=dict)  # by transfer, first first
    disputes: Sequence[Dispute] = ()
    events: Sequence[AuditEntry] = ()  # the newest first
    names: Mapping[str, str] = field(default_factory=dict)  # object id -> the name the bot knows
    as_of: int = 0  # the newest audit event the history was drawn with
    consents: Sequence[ConsentRecord] = ()  # the case's consent record, every entry


@dataclass(frozen=True)
class _Block:
    section: str
    items: list[Json]

    @property
    def size(self) -> int:
        return len(json.dumps(self.items, ensure_ascii=False).encode("utf-8"))


def _section_heading(title: str) -> Json:
    return {"type": "TextBlock", "text": title, "size": "Medium", "weight": "Bolder", "wrap": True}


def consent_elements(transfer: Transfer) -> list[Json]:
    """The family's consent as the request's form gave it: for a request sent before the consent record."""
    consent = transfer.details.consent
    rows = [("Consent", CONSENT_TITLES[consent.status])]
    if consent.relationship:
        rows.append(("Given or refused by", f"{consent.relationship} ({consent.initials})"))
    if consent.how:
        rows.append(("How", consent.how))
    if consent.on is not None:
        rows.append(("When", format_date(consent.on)))
    items: list[Json] = [facts(rows)]
    if consent.risk_reason:
        items.append(text(f"Not sought because: {consent.risk_reason} (agreed by {consent.agreed_by})"))
    return items


def _request_block(history: CaseHistory, profile: PolicyProfile, calendar: WorkingCalendar) -> _Block:
    latest = history.transfers[-1]
    details = latest.details
    sent = latest.submitted_at or latest.created_at
    rows = [
        ("Case reference", case_label(latest, profile)),
        ("Direction", DIRECTION_TITLES[latest.direction]),
        ("Services", f"{latest.from_team} → {latest.to_service}"),
        ("Route", ROUTE_TITLES[details.route]),
        ("Requested by", latest.requester_name or "—"),
        ("Status", STATE_TITLES[latest.state]),
    ]
    if sent is not None:
        rows.insert(5, ("Sent", calendar.format_when(sent)))
    if latest.allocated_worker:
        rows.append(("Allocated to", latest.allocated_worker))
    if latest.decision.external is not None:
        rows.append(("Referred to", latest.decision.external.agency))
    items: list[Json] = [facts(rows), text("Reason", weight="Bolder"), text(details.reason)]
    earlier = list(reversed(history.transfers[:-1]))
    if earlier:
        items.append(text("Earlier requests for this case", weight="Bolder"))
        lines = []
        for transfer in earlier[:OLDER_LISTED]:
            when = transfer.submitted_at or transfer.created_at
            on = f", sent {format_date(calendar.to_local(when).date())}" if when else ""
            lines.append(f"- {DIRECTION_TITLES[transfer.direction]}: {STATE_TITLES[transfer.state]}{on}")
        if len(earlier) > OLDER_LISTED:
            lines.append(f"- and {len(earlier) - OLDER_LISTED} earlier")
        items.append(text("\n".join(lines)))
    return _Block("The request", items)


def _outcome_blocks(history: CaseHistory, profile: PolicyProfile, calendar: WorkingCalendar) -> list[_Block]:
    blocks: list[_Block] = []
    by_id = {t.id: t for t in history.transfers}
    several = len([t for t in history.transfers if history.outcomes.get(t.id)]) > 1
    for transfer in reversed(history.transfers):
        versions = list(history.outcomes.get(transfer.id, ()))
        for i, version in enumerate(reversed(versions)):
            if i == 0:
                title = f"Version {version.version}: the one that stands"
                if version.corrected:
                    title += " (corrected)"
            else:
                title = f"Version {version.version}: corrected by a later version"
            if several:
                when = by_id[version.transfer_id].submitted_at
                title += f", request sent {format_date(calendar.to_local(when).date())}" if when else ""
            items = [text(title, weight="Bolder"), *outcome_elements(version, transfer, profile, calendar)]
            blocks.append(_Block("Outcomes", [container(items, style="emphasis" if i else None)]))
    if not blocks:
        blocks.append(_Block("Outcomes", [text("No outcome recorded yet.")]))
    return blocks


def _dispute_block(dispute: Dispute, calendar: WorkingCalendar) -> _Block:
    rows = [
        ("Decision disputed", EVENT_TITLES[dispute.decision_event]),
        ("Raised by", f"{dispute.raised_by_name or 'A colleague'}, {calendar.format_when(dispute.raised_at)}"),
    ]
    if dispute.outcome_version is not None:
        rows.append(("Outcome version", str(dispute.outcome_version)))
    items: list[Json] = [facts(rows), text(dispute.about)]
    if dispute.settlement is not None:
        who = dispute.settled_by_name or "a manager"
        when = f", {calendar.format_when(dispute.settled_at)}" if dispute.settled_at else ""
        items.append(text(f"{SETTLEMENT_TITLES[dispute.settlement]}: settled by {who}{when}.", weight="Bolder"))
        items.append(text(dispute.settlement_note))
    else:
        items.append(text("Open: a manager is settling it.", subtle=True))
    return _Block("Disputes", [container(items)])


def _event_blocks(history: CaseHistory, calendar: WorkingCalendar) -> list[_Block]:
    blocks: list[_Block] = []
    events = list(history.events)
    for start in range(0, len(events), EVENTS_PER_BLOCK):
        lines = [
            f"- **{calendar.format_when(e.at)}** · {actor_name(e.actor_object_id, history.names)}: "
            f"{audit_title(e.action)}"
            for e in events[start : start + EVENTS_PER_BLOCK]
        ]
        blocks.append(_Block("Who did what, latest first", [text("\n".join(lines))]))
    if not blocks:
        blocks.append(_Block("Who did what, latest first", [text("Nothing recorded yet.")]))
    return blocks


def case_blocks(history: CaseHistory, profile: PolicyProfile, calendar: WorkingCalendar) -> list[_Block]:
    """The history in reading order: the request, the consent, the outcomes, the disputes, the audit trail."""
    latest = history.transfers[-1]
    recorded = [c for c in history.consents if c.transfer_id == latest.id]
    consent = consent_record_elements(recorded, profile, calendar) if recorded else consent_elements(latest)
    blocks = [
        _request_block(history, profile, calendar),
        _Block("Consent", consent),
        *_outcome_blocks(history, profile, calendar),
    ]
    disputes = sorted(history.disputes, key=lambda d: d.id, reverse=True)
    blocks += [_dispute_block(d, calendar) for d in disputes] or [_Block("Disputes", [text("None raised.")])]
    return blocks + _event_blocks(history, calendar)


def paginate(blocks: Sequence[_Block], budget: int = PAGE_BUDGET) -> list[list[_Block]]:
    """The blocks laid onto pages in order, each page as many as fit its budget (at least one)."""
    pages: list[list[_Block]] = [[]]
    used = 0
    for block in blocks:
        size = block.size
        if pages[-1] and used + size > budget:
            pages.append([])
            used = 0
        pages[-1].append(block)
        used += size
    return pages


def render_case_history(
    history: CaseHistory, profile: PolicyProfile, calendar: WorkingCalendar, *, page: int = 1
) -> Json:
    """One page of the case's history, with "Newer" and "Older" to the pages either side."""
    pages = paginate(case_blocks(history, profile, calendar))
    number = min(max(page, 1), len(pages))
    label = case_label(history.transfers[-1], profile)
    body: list[Json] = [heading(f"Case history: {label}")]
    if len(pages) > 1:
        body.append(text(f"Page {number} of {len(pages)}, the newest first.", subtle=True))
    seen = {b.section for p in pages[: number - 1] for b in p}
    section = ""
    for block in pages[number - 1]:
        if block.section != section:
            section = block.section
            body.append(_section_heading(f"{section} (continued)" if section in seen else section))
        body += block.items
    body.append(text(VIEW_RECORDED, subtle=True))
    ids = {"case_reference": history.reference, "as_of": history.as_of}
    actions: list[Json] = []
    if number > 1:
        actions.append(button("Newer", "case.page", {**ids, "page": number - 1}))
    if number < len(pages):
        actions.append(button("Older", "case.page", {**ids, "page": number + 1}))
    return card(body, actions)
