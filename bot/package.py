"""Builds the Teams app package (app.zip) from manifest/, with the app id filled in."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

MANIFEST_DIR = Path(__file__).resolve().parent.parent / "manifest"
APP_ID_PLACEHOLDER = "{{APP_ID}}"
PACKAGE_FILES = ("manifest.json", "color.png", "outline.png")

# The manifest schema's own definition of a GUID; Teams rejects the upload otherwise.
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")

# A fixed timestamp makes two builds of the same manifest byte-identical.
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)


def render_manifest(app_id: str, manifest_dir: Path = MANIFEST_DIR) -> str:
    """The manifest's text with the app id in place of every placeholder."""
    app_id = app_id.strip()
    if not app_id:
        raise ValueError("MICROSOFT_APP_ID is needed to build the app package")
    if not _GUID.fullmatch(app_id):
        raise ValueError(f"MICROSOFT_APP_ID must be a GUID (the bot's Entra app id), not {app_id!r}")
    text = (manifest_dir / "manifest.json").read_text(encoding="utf-8")
    rendered = text.replace(APP_ID_PLACEHOLDER, app_id)
    # Fail here, not at upload, if the template is broken.
    json.loads(rendered)
    return rendered


def build_package(output: Path, *, app_id: str) -> Path:
    """Write the zip Teams expects (manifest.json, color.png, outline.png at its root) and return its path."""
    manifest = render_manifest(app_id)
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in PACKAGE_FILES:
            data = manifest.encode("utf-8") if name == "manifest.json" else (MANIFEST_DIR / name).read_bytes()
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return output
