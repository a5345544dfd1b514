"""Baseline: a bare Flask view returning fixed bytes from memory.

``BASELINE_FILE`` is served at `/`; with ``BASELINE_DIR`` each file in that folder is
also served at `/b/<file name>` (one baseline server for several bodies).
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response, abort

BODY = Path(os.environ["BASELINE_FILE"]).read_bytes()
BODIES = {
    p.name: p.read_bytes()
    for p in Path(os.environ.get("BASELINE_DIR") or "/nonexistent").glob("*")
    if p.is_file()
}
app = Flask(__name__)


@app.get("/")
@app.get("/healthz")
def same_bytes() -> Response:
    """The page under test, from memory."""
    return Response(BODY, mimetype="text/html")


@app.get("/b/<name>")
def named_bytes(name: str) -> Response:
    """One of the bodies of BASELINE_DIR, from memory."""
    if name not in BODIES:
        abort(404)
    return Response(BODIES[name], mimetype="text/html")
