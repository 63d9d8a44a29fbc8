"""`make playground`: the checked-in config is what playground/people.py writes, and its people hold the roles
their names say, through the bot's own settings."""

from __future__ import annotations

import importlib.util
import json
import shlex
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bot.settings import REPO_ROOT, Settings
from domain.roles import Role


def _people() -> ModuleType:
    spec = importlib.util.spec_from_file_location("playground_people", REPO_ROOT / "playground" / "people.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_checked_in_config_is_the_social_workers() -> None:
    people = _people()
    checked_in = (REPO_ROOT / ".m365agentsplayground.yml").read_text(encoding="utf-8")
    assert checked_in == people.config_yaml("social_worker")
    assert "name: Sam Social Worker" in checked_in.split("users:")[0], "Sam is the current user"


def test_six_people_each_named_for_the_role_the_bot_gives_them(tmp_path: Path) -> None:
    people = _people()
    env_file = tmp_path / "env"
    assert people.main(["--as", "coordinator", "--config", str(tmp_path / "c.yml"), "--env", str(env_file)]) == 0
    env = dict(line.removeprefix("export ").split("=", 1) for line in env_file.read_text().splitlines())
    values = {k: shlex.split(v)[0] for k, v in env.items()}
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        local_mode=True,
        roles=json.loads(values["STEPBOT_ROLES"]),
        teams=json.loads(values["STEPBOT_TEAMS"]),
        coordinators_channel_id=values["STEPBOT_COORDINATORS_CHANNEL_ID"],
        managers_channel_id=values["STEPBOT_MANAGERS_CHANNEL_ID"],
    )
    assert len(people.PEOPLE) == 6, "the Playground takes a current user and exactly five others"
    for person in people.PEOPLE:
        [role] = [r for r, ids in settings.roles.items() if person.object_id in ids]
        assert role.value.replace("_", " ") in person.name.lower()
    config = (tmp_path / "c.yml").read_text()
    assert "name: Cora Coordinator" in config.split("users:")[0], "AS makes that person the current user"
    assert f'id: "{values["STEPBOT_COORDINATORS_CHANNEL_ID"]}"' in config
    assert f'id: "{values["STEPBOT_MANAGERS_CHANNEL_ID"]}"' in config
    assert Role.SOCIAL_WORKER in settings.roles


def test_an_unknown_person_is_refused_with_the_choices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = _people()
    code = people.main(["--as", "administrator", "--config", str(tmp_path / "c.yml"), "--env", str(tmp_path / "e")])
    assert code == 2 and not (tmp_path / "c.yml").exists()
    assert "choose one of social_worker, team_manager" in capsys.readouterr().err
