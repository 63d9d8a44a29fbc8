"""Profiles are validated at start-up (file, field, problem), and check-config masks secrets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import settings as settings_module
from bot.app import create_app
from bot.cli import main
from bot.profile_files import ProfileError, all_profiles, load_profile
from bot.settings import REPO_ROOT, Settings

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


def test_check_config_warns_when_the_front_doors_numbers_are_not_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STEPBOT_LOCAL_MODE", "true")
    monkeypatch.setenv("STEPBOT_FRONT_DOOR_PHONE", "01642 000000")
    monkeypatch.delenv("STEPBOT_FRONT_DOOR_OUT_OF_HOURS_PHONE", raising=False)
    main(["check-config"])
    out = capsys.readouterr().out
    assert "warning: STEPBOT_FRONT_DOOR_OUT_OF_HOURS_PHONE not set" in out
    assert "STEPBOT_FRONT_DOOR_PHONE and" not in out
    monkeypatch.setenv("STEPBOT_FRONT_DOOR_OUT_OF_HOURS_PHONE", "01642 999999")
    main(["check-config"])
    assert "urgent-concern warning" not in capsys.readouterr().out


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


# -- local mode: loopback, no credentials, never in the image -----------------------------------------
APP_ID = "11111111-1111-4111-8111-111111111111"


def _local_mode_with_credentials_on_every_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPBOT_LOCAL_MODE", "true")
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    monkeypatch.setenv("MICROSOFT_APP_PASSWORD", "very-secret-value")
    monkeypatch.setenv("MICROSOFT_APP_TENANT_ID", "tenant")
    monkeypatch.setenv("STEPBOT_HOST", "0.0.0.0")


def test_local_mode_with_credentials_does_not_start_and_says_which_variable_to_change(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _local_mode_with_credentials_on_every_address(monkeypatch)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "cannot start: STEPBOT_LOCAL_MODE=true with MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD set" in err
    assert "Set STEPBOT_LOCAL_MODE=false" in err


def test_check_config_says_local_mode_with_credentials_would_not_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _local_mode_with_credentials_on_every_address(monkeypatch)
    assert main(["check-config"]) == 1
    out = capsys.readouterr().out
    assert "would not start: STEPBOT_LOCAL_MODE=true with MICROSOFT_APP_ID" in out
    assert "would start" not in out.replace("would not start", "")


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_local_mode_with_credentials_is_refused_on_loopback_too_and_by_create_app() -> None:
    settings = _settings(local_mode=True, app_id=APP_ID, app_password="x", app_tenant_id="t", host="127.0.0.1")
    with pytest.raises(RuntimeError, match="STEPBOT_LOCAL_MODE=true with MICROSOFT_APP_ID"):
        create_app(settings, load_profile(PROFILES, "redcar"))
    certificate = _settings(local_mode=True, app_certificate_path="/keys/bot.pem", app_certificate_thumbprint="AB")
    assert "MICROSOFT_APP_CERTIFICATE_PATH" in (certificate.startup_problem() or "")


def test_local_mode_off_loopback_names_the_host_variable() -> None:
    problem = _settings(local_mode=True, host="0.0.0.0").startup_problem()
    assert problem is not None and "set STEPBOT_HOST=127.0.0.1" in problem


def test_make_runs_local_mode_on_loopback_without_credentials_and_check_config_warns_what_it_opens(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_CERTIFICATE_PATH", "STEPBOT_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STEPBOT_LOCAL_MODE", "true")  # what `make run` sets
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "would start: LOCAL MODE (unauthenticated, loopback only) on 127.0.0.1:3978" in out
    assert "every role" in out and "every tenant" in out


def test_where_the_image_marker_exists_local_mode_never_starts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    marker = tmp_path / "container-image"
    monkeypatch.setattr(settings_module, "IMAGE_MARKER", marker)
    assert _settings(local_mode=True).startup_problem() is None
    marker.write_text("the stepbot image\n", encoding="utf-8")
    problem = _settings(local_mode=True).startup_problem()
    assert problem is not None and "Docker image" in problem and "STEPBOT_LOCAL_MODE=false" in problem
    # Outside local mode the image runs as it always did.
    assert _settings(app_id=APP_ID, app_password="x", app_tenant_id="t", host="0.0.0.0").startup_problem() is None


# -- check-config shows no credential inside a URL -----------------------------------------------------
JOIN_LINK = (
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_SECRETMEETINGID%40thread.v2/0"
    "?context=%7b%22Tid%22%3a%22tenant%22%7d"
)


def test_check_config_masks_the_database_password_and_keeps_the_user_and_host(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://app:s3cr%40t@db/stepbot")
    main(["check-config"])
    out = capsys.readouterr().out
    assert "s3cr" not in out
    assert "postgresql+asyncpg://app:***@db/stepbot" in out


def test_check_config_masks_userinfo_and_query_values_in_any_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STEPBOT_GRAPH_BASE_URL", "https://proxy-user:proxy-pass@graph.example/v1.0?token=abc123")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://app@db/stepbot?password=qwerty&ssl=require")
    main(["check-config"])
    out = capsys.readouterr().out
    for secret in ("proxy-pass", "abc123", "qwerty"):
        assert secret not in out
    assert "https://proxy-user:***@graph.example/v1.0?token=***" in out
    assert "postgresql+asyncpg://app@db/stepbot?password=***&ssl=***" in out


def test_check_config_shows_only_the_host_of_the_clinics_meeting_link(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STEPBOT_CLINIC_JOIN_URL", JOIN_LINK)
    main(["check-config"])
    out = capsys.readouterr().out
    assert "SECRETMEETINGID" not in out and "meetup-join" not in out
    line = next(line for line in out.splitlines() if line.startswith("STEPBOT_CLINIC_JOIN_URL"))
    assert line.endswith("(set, hidden: a link to teams.microsoft.com)")


def test_every_variable_has_a_row_in_the_readmes_tables() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    names = [field.validation_alias.choices[0] for field in Settings.model_fields.values()]  # type: ignore[union-attr]
    assert [name for name in names if f"| `{name}` |" not in readme] == []
