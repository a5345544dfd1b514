"""Baseline: a bare Flask view returning fixed bytes from memory (BASELINE_FILE)."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response

BODY = Path(os.environ["BASELINE_FILE"]).read_bytes()
app = Flask(__name__)


@app.get("/")
@app.get("/healthz")
def same_bytes() -> Response:
    """The page under test, from memory."""
    return Response(BODY, mimetype="text/html")
