"""Reads and validates the policy profile files; a bad file stops start-up naming file, field and problem."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from domain.profiles import PolicyProfile


class ProfileError(Exception):
    """A profile file that cannot be used."""


def profile_path(directory: Path, key: str) -> Path:
    return directory / f"{key}.toml"


def load_profile(directory: Path, key: str, *, closure_days: Iterable[date] = ()) -> PolicyProfile:
    """The profile in `directory/<key>.toml`, with the deployment's closure days (STEPBOT_CLOSURE_DAYS) added."""
    path = profile_path(directory, key)
    if not path.is_file():
        known = sorted(p.stem for p in directory.glob("*.toml"))
        raise ProfileError(f"{path}: no such profile; known profiles: {', '.join(known) or 'none'}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from exc
    try:
        profile = PolicyProfile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_problem(data, err["loc"], err["msg"]) for err in exc.errors())
        raise ProfileError(f"{path}: {problems}") from exc
    if profile.key != key:
        raise ProfileError(f"{path}: field key: says {profile.key!r} but the file is named {key!r}")
    return with_closure_days(profile, closure_days)


def with_closure_days(profile: PolicyProfile, days: Iterable[date]) -> PolicyProfile:
    """The profile with `days` among its working calendar's closure days (every WorkingCalendar built from it)."""
    extra = frozenset(days)
    if not extra:
        return profile
    working = profile.working.model_copy(update={"closure_days": profile.working.closure_days | extra})
    return profile.model_copy(update={"working": working})


def _problem(data: dict[str, Any], loc: tuple[int | str, ...], message: str) -> str:
    """`field deadlines.2.span.unit (rule "joint_visit"): <problem>`: a [[deadlines]] table is found by its key."""
    where = ".".join(str(p) for p in loc) or "(top)"
    rules = data.get("deadlines")
    if len(loc) >= 2 and loc[0] == "deadlines" and isinstance(loc[1], int) and isinstance(rules, list):
        rule = rules[loc[1]] if loc[1] < len(rules) else None
        if isinstance(rule, dict) and isinstance(rule.get("key"), str):
            where += f' (rule "{rule["key"]}")'
    # pydantic prefixes a validator's own message with "Value error, "; the field already says where.
    return f"field {where}: {message.removeprefix('Value error, ')}"


def all_profiles(directory: Path) -> dict[str, PolicyProfile]:
    return {p.stem: load_profile(directory, p.stem) for p in sorted(directory.glob("*.toml"))}
