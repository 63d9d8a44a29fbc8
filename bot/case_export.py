"""`stepbot export <reference>`: a case's record as JSON (everything) and as a PDF summary to file in the case system.

The PDF is for the case management system (Liquidlogic, Mosaic, EHM) where staff must record what was
decided: it names the authority and the case reference on every page, has one section per part of the
record, and writes every date the GOV.UK way. It is made with fpdf2 (pure Python, no system libraries); its
built-in fonts cover Latin-1, so other characters are written as their nearest Latin-1 form.
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from fpdf import FPDF
from pydantic import BaseModel

from dialogs.case_export import CaseRecord
from domain.case_history import actor_name, audit_title
from domain.consent import ConsentRecord
from domain.consent_terms import CONSENT_TITLES as CONSENT_STATUS_TITLES
from domain.consent_terms import METHOD_TITLES, SCOPE_TITLES
from domain.directions import DIRECTION_TITLES
from domain.disputes import SETTLEMENT_TITLES
from domain.outcome_terms import DECISION_TITLES
from domain.outcomes import meeting_title
from domain.profiles import PolicyProfile
from domain.transfer_machine import EVENT_TITLES, STATE_TITLES
from domain.transfers import CONSENT_TITLES, ROUTE_TITLES
from domain.working_days import WorkingCalendar, format_date

FORMAT_VERSION = 1
# Characters the cards use that Latin-1 lacks, by code point: arrow, curly quotes, dashes, ellipsis.
_PLAIN = {
    "\u2192": "->",
    "\u201c": '"',
    "\u201d": '"',
    "\u2018": "'",
    "\u2019": "'",
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\u00b7": "-",
}


def jsonable(value: Any) -> Any:
    """Dataclasses, pydantic models, enums and dates as plain JSON values."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def record_json(record: CaseRecord, *, authority: str, exported_at: datetime) -> dict[str, Any]:
    return {
        "format": "stepbot.case-record",
        "format_version": FORMAT_VERSION,
        "authority": authority,
        "case_reference": record.reference,
        "exported_at": exported_at.isoformat(),
        "requests": [
            {
                **jsonable(t),
                "consent_record": jsonable([c for c in record.consents if c.transfer_id == t.id]),
                "outcomes": jsonable(record.outcomes.get(t.id, [])),
                "disputes": jsonable([d for d in record.disputes if d.transfer_id == t.id]),
                "deadlines": jsonable([d for d in record.deadlines if d.transfer_id == t.id]),
            }
            for t in record.transfers
        ],
        "bookings": jsonable(record.bookings),
        "audit_trail": [
            {**jsonable(e), "actor_name": actor_name(e.actor_object_id, record.names), "what": audit_title(e.action)}
            for e in record.events
        ],
    }


def _latin1(value: str) -> str:
    text = "".join(_PLAIN.get(ch, ch) for ch in value)
    text = unicodedata.normalize("NFKC", text)
    return text.encode("latin-1", "replace").decode("latin-1")


class _Summary(FPDF):
    def __init__(self, authority: str, reference: str) -> None:
        super().__init__(format="A4")
        self._running = _latin1(f"{authority} - case {reference}")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(_latin1(f"Case record {reference}"))
        self.set_author(_latin1(authority))

    def header(self) -> None:
        self.set_font("Helvetica", size=8)
        self.cell(0, 6, self._running, new_x="LMARGIN", new_y="NEXT")

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", size=8)
        self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="C")

    def section(self, title: str) -> None:
        self.ln(3)
        self.set_font("Helvetica", style="B", size=13)
        self.multi_cell(0, 7, _latin1(title), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", size=10)

    def subheading(self, title: str) -> None:
        self.ln(1)
        self.set_font("Helvetica", style="B", size=10)
        self.multi_cell(0, 5, _latin1(title), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", size=10)

    def row(self, label: str, value: str) -> None:
        self.set_font("Helvetica", style="B", size=10)
        self.multi_cell(0, 5, _latin1(f"{label}:"), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", size=10)
        self.set_x(self.l_margin + 6)
        self.multi_cell(0, 5, _latin1(value or "-"), new_x="LMARGIN", new_y="NEXT")

    def line_of_text(self, value: str) -> None:
        self.multi_cell(0, 5, _latin1(value), new_x="LMARGIN", new_y="NEXT")


def _requests(pdf: _Summary, record: CaseRecord, calendar: WorkingCalendar) -> None:
    pdf.section("Requests")
    for t in record.transfers:
        sent = t.submitted_at or t.created_at
        pdf.subheading(f"{DIRECTION_TITLES[t.direction]}" + (f", sent {calendar.format_when(sent)}" if sent else ""))
        pdf.row("Status", STATE_TITLES[t.state])
        pdf.row("Services", f"{t.from_team} -> {t.to_service}")
        pdf.row("Route", ROUTE_TITLES[t.details.route])
        pdf.row("Requested by", t.requester_name)
        pdf.row("Manager's agreement", f"{t.details.manager.manager}, {format_date(t.details.manager.decided_on)}")
        if t.allocated_worker or t.decision.allocation:
            allocation = t.decision.allocation
            pdf.row("Allocated to", f"{allocation.team}: {t.allocated_worker or 'to be named'}" if allocation else "")
        if t.decision.external is not None:
            pdf.row("Referred to", t.decision.external.agency)
        if t.decision.decline is not None:
            pdf.row("Reason for the decision", t.decision.decline.reason)
        pdf.row("Reason for the request", t.details.reason)
        if t.details.outstanding_needs:
            pdf.row("Outstanding needs", t.details.outstanding_needs)


def _consent_entry(entry: ConsentRecord) -> str:
    consent = entry.consent
    words = CONSENT_STATUS_TITLES[consent.status]
    if consent.relationship:
        words += f" by {consent.relationship} ({consent.initials})"
    if consent.method is not None:
        words += f", {METHOD_TITLES[consent.method]}"
    words += f", {format_date(consent.on)}"
    if consent.scopes:
        words += "; scope: " + ", ".join(SCOPE_TITLES[s] for s in consent.scopes)
    if consent.risk_reason:
        words += f". Not sought because: {consent.risk_reason} (agreed by {consent.agreed_by})"
    return words + f". Recorded by {entry.recorded_by_name or 'a colleague'}."


def _consent(pdf: _Summary, record: CaseRecord) -> None:
    pdf.section("Consent")
    for t in record.transfers:
        entries = [c for c in record.consents if c.transfer_id == t.id]
        if entries:
            for entry in sorted(entries, key=lambda c: c.entry):
                pdf.row(f"Entry {entry.entry}", _consent_entry(entry))
            continue
        consent = t.details.consent
        words = CONSENT_TITLES[consent.status]
        if consent.relationship:
            words += f" by {consent.relationship} ({consent.initials})"
        if consent.how:
            words += f", {consent.how}"
        if consent.on:
            words += f", {format_date(consent.on)}"
        if consent.risk_reason:
            words += f". Not sought because: {consent.risk_reason} (agreed by {consent.agreed_by})"
        pdf.row(f"Request of {format_date(t.created_at.date())}" if t.created_at else "Request", words)


def _outcomes(pdf: _Summary, record: CaseRecord, profile: PolicyProfile, calendar: WorkingCalendar) -> None:
    pdf.section("Meeting outcomes (every version)")
    versions = [v for t in record.transfers for v in record.outcomes.get(t.id, [])]
    if not versions:
        pdf.line_of_text("No outcome recorded.")
    for v in versions:
        o = v.outcome
        by = v.recorded_by_name or "someone"
        pdf.subheading(f"Version {v.version}, recorded by {by}, {calendar.format_when(v.recorded_at)}")
        pdf.row("Meeting", f"{meeting_title(o.meeting_kind, profile)}, {format_date(o.meeting_on)}")
        pdf.row("Decision", DECISION_TITLES[o.decision])
        if o.team:
            pdf.row("Receiving team", f"{o.team}; lead practitioner: {o.lead_practitioner or 'to be named'}")
        for label, value in (("Reason", o.reason), ("Missing", o.missing), ("External agency", o.agency)):
            if value:
                pdf.row(label, value)
        if o.deferred_to:
            pdf.row("Deferred to", format_date(o.deferred_to))
        if o.final_meeting_on:
            pdf.row("Final Child in Need meeting", format_date(o.final_meeting_on))
        for a in o.actions:
            pdf.row("Action", f"{a.what} ({a.owner}, by {format_date(a.due)})")
        labels = {f.key: f.label for f in profile.outcomes.fields}
        for key, value in o.extras.items():
            pdf.row(labels.get(key, key.replace("_", " ").capitalize()), value)
        if v.corrected:
            pdf.row("Corrected because", v.correction_reason)


def _disputes(pdf: _Summary, record: CaseRecord, calendar: WorkingCalendar) -> None:
    pdf.section("Disputes")
    if not record.disputes:
        pdf.line_of_text("None raised.")
    for d in record.disputes:
        pdf.subheading(f"Raised by {d.raised_by_name or 'a colleague'}, {calendar.format_when(d.raised_at)}")
        pdf.row("Decision disputed", EVENT_TITLES[d.decision_event])
        pdf.row("What is disputed", d.about)
        if d.settlement is not None:
            when = calendar.format_when(d.settled_at) if d.settled_at else ""
            pdf.row("Settled", f"{SETTLEMENT_TITLES[d.settlement]} by {d.settled_by_name or 'a manager'}, {when}")
            pdf.row("Note", d.settlement_note)
        else:
            pdf.row("Settled", "Not yet")


def _deadlines_and_bookings(pdf: _Summary, record: CaseRecord, calendar: WorkingCalendar) -> None:
    pdf.section("Deadlines")
    if not record.deadlines:
        pdf.line_of_text("None.")
    for d in record.deadlines:
        pdf.row(d.title, f"due {calendar.format_when(d.due_at)}; {d.state.value.replace('_', ' ')}")
    if record.bookings:
        pdf.section("Clinic bookings")
        for b in record.bookings:
            who = b.worker_name or "a social worker"
            pdf.row(format_date(b.clinic_date), f"{who}, {b.team}: {b.status.value}")


def _audit_trail(pdf: _Summary, record: CaseRecord, calendar: WorkingCalendar) -> None:
    pdf.section("Audit trail (who did what, the oldest first)")
    if not record.events:
        pdf.line_of_text("Nothing recorded.")
    for e in record.events:
        who = actor_name(e.actor_object_id, record.names)
        pdf.line_of_text(f"{calendar.format_when(e.at)} - {who}: {audit_title(e.action)}")


def write_pdf(
    record: CaseRecord, path: Path, *, profile: PolicyProfile, calendar: WorkingCalendar, exported_at: datetime
) -> None:
    authority = profile.authority
    pdf = _Summary(authority, record.reference)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=18)
    pdf.multi_cell(0, 9, _latin1(f"Case record: {record.reference}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.row("Authority", authority)
    pdf.row("Case reference", record.reference)
    pdf.row("Exported", calendar.format_when(exported_at))
    pdf.line_of_text(
        "A summary of what the step up / step down bot holds about this case, to record in the case management "
        "system (Liquidlogic, Mosaic or EHM). The JSON file exported with it holds the full record."
    )
    _requests(pdf, record, calendar)
    _consent(pdf, record)
    _outcomes(pdf, record, profile, calendar)
    _disputes(pdf, record, calendar)
    _deadlines_and_bookings(pdf, record, calendar)
    _audit_trail(pdf, record, calendar)
    pdf.output(str(path))


def export_files(
    record: CaseRecord, out: Path, *, profile: PolicyProfile, calendar: WorkingCalendar, exported_at: datetime
) -> list[Path]:
    """Write the JSON and the PDF; the names carry the reference and the moment, so exports never overwrite."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"case-{record.reference}-{exported_at:%Y%m%dT%H%M%SZ}"
    json_path, pdf_path = out / f"{stem}.json", out / f"{stem}.pdf"
    data = record_json(record, authority=profile.authority, exported_at=exported_at)
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_pdf(record, pdf_path, profile=profile, calendar=calendar, exported_at=exported_at)
    return [json_path, pdf_path]
