"""Static files under content-hashed names, kept by browsers for a year.

At start the app hashes every file of its static folder (a few files: cheap), and
``url_for('static', filename='site.css')`` gives ``/static/site.<hash>.css``, served
with ``Cache-Control: public, max-age=31536000, immutable``: a changed file gets a
new name, so no visitor keeps an old one. The plain name still answers, revalidated
on each use. nginx serves the same names from disk (docs/nginx/comms.conf).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, send_from_directory
from werkzeug.wrappers import Response

EXTENSION = "comms.assets"
ONE_YEAR = 365 * 24 * 3600
HASH_LENGTH = 12  # hex digits of the SHA-256 in a name: name.<hash>.ext


@dataclass(frozen=True)
class Manifest:
    """The hashed name of each static file, and the file of each hashed name."""

    hashed: dict[str, str]
    plain: dict[str, str]


def hashed_name(relative: str, data: bytes) -> str:
    """``dir/name.<hash>.ext`` for a file ``dir/name.ext`` holding ``data``."""
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    folder, _, name = relative.rpartition("/")
    stem, dot, ext = name.rpartition(".")
    hashed = f"{stem}.{digest}.{ext}" if dot and stem else f"{name}.{digest}"
    return f"{folder}/{hashed}" if folder else hashed


def build_manifest(folder: Path) -> Manifest:
    """Hash every file under ``folder`` (hidden files left out)."""
    hashed: dict[str, str] = {}
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).as_posix()
            if path.is_file() and not any(p.startswith(".") for p in path.parts):
                hashed[relative] = hashed_name(relative, path.read_bytes())
    return Manifest(hashed, {v: k for k, v in hashed.items()})


def manifest() -> Manifest:
    """The current app's manifest."""
    found: Manifest = current_app.extensions[EXTENSION]
    return found


def serve_static(filename: str) -> Response:
    """A static file by its hashed name (immutable) or its plain name."""
    plain = manifest().plain.get(filename)
    if plain is None:
        return current_app.send_static_file(filename)
    response = send_from_directory(
        str(current_app.static_folder), plain, max_age=ONE_YEAR
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


def init_app(app: Flask) -> None:
    """Hash the static files and make url_for('static') give the hashed names."""
    found = build_manifest(Path(str(app.static_folder)))
    app.extensions[EXTENSION] = found

    @app.url_defaults
    def _hashed_static(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static":
            name = values.get("filename")
            if name in found.hashed:
                values["filename"] = found.hashed[name]

    app.view_functions["static"] = serve_static
