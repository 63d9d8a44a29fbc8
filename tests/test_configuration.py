"""Profiles are validated at start-up (file, field, problem), and check-config masks secrets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.profile_files import ProfileError, all_profiles, load_profile
from bot.settings import REPO_ROOT

PROFILES = REPO_ROOT / "profiles"


def test_every_shipped_profile_is_valid_and_redcar_is_the_default() -> None:
    profiles = all_profiles(PROFILES)
    assert "redcar" in profiles
    assert profiles["redcar"].clinic is not None
    assert profiles["redcar"].clinic.interval_weeks == 4


def test_an_invalid_profile_names_the_file_the_field_and_the_problem(tmp_path: Path) -> None:
    text = (PROFILES / "redcar.toml").read_text(encoding="utf-8").replace("interval_weeks = 4", "interval_weeks = 0")
    (tmp_path / "redcar.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as raised:
        load_profile(tmp_path, "redcar")
    message = str(raised.value)
    assert str(tmp_path / "redcar.toml") in message
    assert "clinic.interval_weeks" in message
    assert "greater than or equal to 1" in message


def test_an_unknown_field_is_refused(tmp_path: Path) -> None:
    shutil.copy(PROFILES / "redcar.toml", tmp_path / "redcar.toml")
    with (tmp_path / "redcar.toml").open("a", encoding="utf-8") as f:
        f.write('\nclinic_typo = "x"\n')
    with pytest.raises(ProfileError, match="clinic_typo"):
        load_profile(tmp_path, "redcar")


def test_a_missing_profile_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError, match=r"known profiles: .*redcar"):
        load_profile(PROFILES, "atlantis")


def test_the_service_will_not_start_on_a_bad_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text('key = "broken"\n', encoding="utf-8")
    monkeypatch.setenv("STEPBOT_PROFILES_DIR", str(tmp_path))
    monkeypatch.setenv("STEPBOT_PROFILE", "broken")
    monkeypatch.setenv("STEPBOT_LOCAL_MODE", "true")
    assert main(["serve"]) == 2


def test_check_config_masks_secrets_and_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", "11111111-1111-4111-8111-111111111111")
    monkeypatch.setenv("MICROSOFT_APP_PASSWORD", "very-secret-value")
    monkeypatch.setenv("MICROSOFT_APP_TENANT_ID", "tenant")
    monkeypatch.delenv("STEPBOT_ALLOWED_TENANTS", raising=False)
    monkeypatch.delenv("STEPBOT_LOCAL_MODE", raising=False)
    status = main(["check-config"])
    out = capsys.readouterr().out
    assert "very-secret-value" not in out
    assert "MICROSOFT_APP_PASSWORD" in out and "(set, hidden)" in out
    assert "STEPBOT_COORDINATORS_CHANNEL_ID" in out and "(not set)" in out
    assert "every tenant is refused" in out
    assert status == 0


def test_check_config_fails_when_the_service_would_not_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MICROSOFT_APP_ID", raising=False)
    monkeypatch.setenv("STEPBOT_LOCAL_MODE", "false")
    assert main(["check-config"]) == 1
    assert "would not start" in capsys.readouterr().out


def test_there_is_a_profile_for_each_source_procedure() -> None:
    seeds = sorted(p.name for p in (REPO_ROOT.parent / "shared" / "seeds").glob("0*.txt"))
    sources = sorted(p.source.split(" ")[0] for p in all_profiles(PROFILES).values())
    assert sources == seeds


def test_only_redcar_runs_a_step_down_clinic() -> None:
    clinics = {key: profile.clinic is not None for key, profile in all_profiles(PROFILES).items()}
    assert clinics == {"cheshire_east": False, "dorset": False, "redcar": True, "rochdale": False, "york": False}
