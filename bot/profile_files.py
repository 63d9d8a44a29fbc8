"""Reads and validates the policy profile files; a bad file stops start-up naming file, field and problem."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from domain.profiles import PolicyProfile


class ProfileError(Exception):
    """A profile file that cannot be used."""


def profile_path(directory: Path, key: str) -> Path:
    return directory / f"{key}.toml"


def load_profile(directory: Path, key: str) -> PolicyProfile:
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
        problems = "; ".join(
            f"field {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()
        )
        raise ProfileError(f"{path}: {problems}") from exc
    if profile.key != key:
        raise ProfileError(f"{path}: field key: says {profile.key!r} but the file is named {key!r}")
    return profile


def all_profiles(directory: Path) -> dict[str, PolicyProfile]:
    return {p.stem: load_profile(directory, p.stem) for p in sorted(directory.glob("*.toml"))}
