"""The Teams app package: a manifest valid against the official v1.24 schema, the icons Teams requires, the app id."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from PIL import Image

from bot.package import build_package

APP_ID = "00000000-0000-4000-8000-000000000001"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "teams-manifest-1.24.schema.json"
SCOPES = ["personal", "team", "groupChat"]
COMMANDS = ["help", "book", "my bookings", "new transfer", "my transfers", "agenda"]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(tmp_path_factory.mktemp("package") / "app.zip", app_id=APP_ID)


@pytest.fixture(scope="module")
def manifest_text(package: Path) -> str:
    with zipfile.ZipFile(package) as zf:
        return zf.read("manifest.json").decode("utf-8")


@pytest.fixture(scope="module")
def manifest(manifest_text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(manifest_text)
    return loaded


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    # The schema is self-contained (only "#/..." references), so no network and no registry are needed.
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    # Checked against the meta-schema without format assertions: a few patterns use ECMAScript's \p{L},
    # which Python's re cannot compile but which no part of this manifest reaches.
    assert list(Draft4Validator(Draft4Validator.META_SCHEMA).iter_errors(schema)) == []
    return Draft4Validator(schema)


def test_the_schema_needs_no_network() -> None:
    refs = re.findall(r'"\$ref":\s*"([^"]*)"', SCHEMA_PATH.read_text(encoding="utf-8"))
    assert refs
    assert [ref for ref in refs if not ref.startswith("#")] == []


def _image(package: Path, name: str) -> Image.Image:
    with zipfile.ZipFile(package) as zf:
        image = Image.open(io.BytesIO(zf.read(name)))
        image.load()
    return image


def test_the_manifest_is_valid_against_the_official_schema(
    manifest: dict[str, Any], validator: Draft4Validator
) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(manifest)]
    assert errors == []


def test_the_schema_check_would_catch_a_broken_manifest(manifest: dict[str, Any], validator: Draft4Validator) -> None:
    broken = json.loads(json.dumps(manifest))
    broken["bots"][0]["botId"] = "not-a-guid"
    broken["name"]["short"] = "x" * 31
    del broken["accentColor"]
    assert len(list(validator.iter_errors(broken))) == 3


def test_the_manifest_declares_schema_version_1_24(manifest: dict[str, Any]) -> None:
    # Draft-04 validators ignore the schema's "const", so the version is checked here.
    assert manifest["manifestVersion"] == "1.24"
    assert manifest["$schema"].endswith("/teams/v1.24/MicrosoftTeams.schema.json")


def test_the_package_holds_exactly_the_manifest_and_the_two_icons_at_its_root(package: Path) -> None:
    with zipfile.ZipFile(package) as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]
        assert zf.testzip() is None


def test_the_app_id_is_filled_in_everywhere(manifest_text: str, manifest: dict[str, Any]) -> None:
    assert "{{APP_ID}}" not in manifest_text
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == APP_ID


def test_the_manifest_points_at_the_packaged_icons(manifest: dict[str, Any]) -> None:
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_the_colour_icon_is_192_pixels_square_and_opaque(package: Path) -> None:
    icon = _image(package, "color.png")
    assert icon.format == "PNG"
    assert icon.size == (192, 192)
    alpha = icon.convert("RGBA").getchannel("A")
    assert alpha.getextrema() == (255, 255)


def test_the_outline_icon_is_white_on_transparent(package: Path) -> None:
    icon = _image(package, "outline.png")
    assert icon.format == "PNG"
    assert icon.size == (32, 32)
    assert icon.mode == "RGBA"
    pixels = [icon.getpixel((x, y)) for y in range(icon.height) for x in range(icon.width)]
    stray = {p for p in pixels if p != (255, 255, 255, 255) and p[3] != 0}
    assert stray == set()
    # Both kinds must be present: an all-white or all-transparent square is no glyph.
    assert (255, 255, 255, 255) in pixels
    assert any(p[3] == 0 for p in pixels)


def test_the_bot_is_installable_in_personal_chat_teams_and_group_chats(manifest: dict[str, Any]) -> None:
    (bot,) = manifest["bots"]
    assert sorted(bot["scopes"]) == sorted(SCOPES)
    assert bot["supportsFiles"] is False
    assert bot["isNotificationOnly"] is False


def test_every_scope_lists_commands_the_bot_really_answers(manifest: dict[str, Any]) -> None:
    from dialogs.catalogue import build_router

    answered = set(build_router().commands)
    lists = manifest["bots"][0]["commandLists"]
    assert sorted(scope for entry in lists for scope in entry["scopes"]) == sorted(SCOPES)
    for entry in lists:
        titles = [command["title"] for command in entry["commands"]]
        assert titles[0] == "help", entry["scopes"]
        assert set(titles) <= answered, set(titles) - answered
        assert len(titles) <= 10, "Teams shows at most 10 commands per scope"
        assert all(command["description"].strip() for command in entry["commands"])
    personal = next(e for e in lists if e["scopes"] == ["personal"])
    assert {c["title"] for c in personal["commands"]} >= set(COMMANDS)


def test_an_empty_app_id_is_refused(tmp_path: Path) -> None:
    output = tmp_path / "app.zip"
    with pytest.raises(ValueError, match="MICROSOFT_APP_ID is needed to build the app package"):
        build_package(output, app_id="")
    assert not output.exists()


@pytest.mark.parametrize(
    "app_id", ["stepbot", "00000000-0000-4000-8000-00000000000", "{00000000-0000-4000-8000-000000000001}"]
)
def test_an_app_id_that_is_not_a_guid_is_refused(tmp_path: Path, app_id: str) -> None:
    output = tmp_path / "app.zip"
    with pytest.raises(ValueError, match="GUID"):
        build_package(output, app_id=app_id)
    assert not output.exists()


def test_two_builds_of_the_same_manifest_are_identical(tmp_path: Path, package: Path) -> None:
    again = build_package(tmp_path / "again.zip", app_id=APP_ID)
    assert again.read_bytes() == package.read_bytes()
