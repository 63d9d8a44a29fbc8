"""`stepbot export <reference>` at the console: the case's full record as JSON and a PDF summary, audited.

The case is made through the real endpoint (a step down agreed at Dorset's meeting, corrected once and
disputed), then exported with `bot.cli.main` against the same database, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from tests.conftest import SOCIAL_WORKER
from tests.scenarios.outcome_steps import audited
from tests.scenarios.test_case_history import ABOUT, _case_with_everything, ask
from tests.scenarios.transfer_steps import STEP_DOWN


def _pdf_text(path: Path) -> str:
    """The text a PDF shows, read from its (Flate-compressed) content streams."""
    raw = path.read_bytes()
    shown: list[str] = []
    for chunk in raw.split(b"stream")[1:]:
        body = chunk.split(b"endstream")[0].strip(b"\r\n")
        try:
            shown.append(zlib.decompress(body).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(shown)


async def _export(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> int:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("STEPBOT_PROFILE", "dorset")
    # main() runs its own event loop.
    return await asyncio.to_thread(main, ["export", *args])


async def test_the_export_writes_the_whole_record_as_json_and_a_pdf_summary_and_is_audited(
    start_bot: Any,
    clean_database: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bot, transfer_id = await _case_with_everything(start_bot)
    await ask(bot, SOCIAL_WORKER, "case DEMO-0101")
    out = tmp_path / "exports"
    assert await _export(monkeypatch, clean_database, "demo-0101", "--out", str(out)) == 0
    printed = capsys.readouterr().out
    files = sorted(out.iterdir())
    assert [f.suffix for f in files] == [".json", ".pdf"]
    for f in files:
        assert str(f) in printed
    data = json.loads(files[0].read_text(encoding="utf-8"))
    assert (data["case_reference"], data["authority"]) == ("DEMO-0101", bot.runtime.services.profile.authority)
    [request] = data["requests"]
    assert request["id"] == transfer_id and request["state"] == "accepted"
    assert request["details"]["reason"] == STEP_DOWN["reason"]
    assert request["details"]["consent"]["initials"] == "A.B."
    assert [v["version"] for v in request["outcomes"]] == [1, 2]
    assert request["outcomes"][1]["correction_reason"] == "The meeting was on Tuesday."
    assert [d["about"] for d in request["disputes"]] == [ABOUT]
    assert request["deadlines"]
    actions = [e["action"] for e in data["audit_trail"]]
    assert sorted(actions[:2]) == ["consent.recorded", "transfer.submitted"], "the request and its consent, first"
    assert [e["consent"]["status"] for e in request["consent_record"]] == ["given"]
    assert {"outcome.recorded", "outcome.corrected", "dispute.raised", "case.viewed"} <= set(actions)
    assert data["audit_trail"][0]["actor_name"] == "S.W."
    pdf = files[1].read_bytes()
    assert pdf.startswith(b"%PDF")
    shown = _pdf_text(files[1])
    assert "DEMO-0101" in shown
    assert bot.runtime.services.profile.authority in shown
    assert "Entry 1" in shown, "the consent record's entries"
    for section in ("Requests", "Consent", "Meeting outcomes", "Disputes", "Deadlines", "Audit trail"):
        assert section in shown
    assert "Wednesday 25 November 2026" in shown  # the GOV.UK way
    assert "Locality Step Up/Step Down Meeting" in shown  # the meeting by the profile's own name
    [exported] = await audited(bot, "case.exported")
    assert exported.record_id == "DEMO-0101" and exported.actor_object_id.startswith("console:")
    assert exported.detail["files"] == [f.name for f in files]


async def test_an_unknown_reference_is_refused_and_nothing_is_written(
    start_bot: Any,
    clean_database: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bot, _ = await _case_with_everything(start_bot)
    out = tmp_path / "exports"
    assert await _export(monkeypatch, clean_database, "DEMO-0999", "--out", str(out)) == 1
    assert "DEMO-0999" in capsys.readouterr().err
    assert not out.exists()
    assert await audited(bot, "case.exported") == []
