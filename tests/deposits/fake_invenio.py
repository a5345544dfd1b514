"""A fake InvenioRDM (Zenodo) REST API on 127.0.0.1 for the deposit tests.

Built from the InvenioRDM reference "Drafts and Records" (docs/reference/
rest_api_drafts_records.md): drafts, draft files (start, content, commit), DOI
reservation, publish, new versions, record communities. In-memory state, a bearer
token, and a switch for each fault a deposit must survive (`fail`).
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

TOKEN = "test-zenodo-token"
DOI_PREFIX = "10.5072/zenodo"
_ID = r"/api/records/(?P<id>[^/]+)"
_FILE = _ID + r"/draft/files/(?P<key>[^/]+)"
ROUTES = [
    ("POST", r"/api/records", "create"),
    ("GET", _ID + "/draft", "get_draft"),
    ("PUT", _ID + "/draft", "update"),
    ("POST", _ID + "/draft/pids/doi", "reserve"),
    ("GET", _ID + "/draft/files", "list_files"),
    ("POST", _ID + "/draft/files", "files_start"),
    ("DELETE", _FILE, "delete"),
    ("PUT", _FILE + "/content", "content"),
    ("POST", _FILE + "/commit", "commit"),
    ("POST", _ID + "/draft/actions/publish", "publish"),
    ("GET", _ID, "get_record"),
    ("POST", _ID + "/versions", "versions"),
    ("POST", _ID + "/communities", "community"),
]
REQUIRED = ("title", "creators", "resource_type", "publication_date")


def _error(status: int, message: str) -> dict[str, Any]:
    """InvenioRDM's error body."""
    return {"status": status, "message": message}


def validation_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """A 400 answer listing field errors, as InvenioRDM's validation sends."""
    return {**_error(400, "A validation error occurred."), "errors": errors}


@dataclass
class Failure:
    """Serve ``mode`` on calls to ``on`` (every call if None), ``times`` times."""

    mode: str  # "401", "403", "503", "drop", "validation", "lost_answer"
    on: str | None
    times: int | None
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeRecord:
    """One record id: its draft (if any) and its published version (if any)."""

    id: str
    parent: str
    draft: dict[str, Any] | None
    published: dict[str, Any] | None = None
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    doi: str | None = None


class FakeInvenio:
    """The fake repository; ``records`` by id, ``calls`` by route name."""

    def __init__(self) -> None:
        self.token = TOKEN
        self.records: dict[str, FakeRecord] = {}
        self.parents: dict[str, list[str]] = {}
        self.community_requests: list[tuple[str, str]] = []
        self.failures: list[Failure] = []
        self.calls: Counter[str] = Counter()
        self.uploads: Counter[str] = Counter()
        self._ids = iter(range(1001, 10**6))
        self._lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The repository's root, as COMMS_ZENODO_URL."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeInvenio:
        """Serve in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def fail(
        self,
        mode: str,
        on: str | None = None,
        times: int | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        """Serve the fault ``mode`` on route ``on`` (every route if None)."""
        self.failures.append(Failure(mode, on, times, errors or []))

    def heal(self) -> None:
        """Serve every call normally again."""
        self.failures.clear()

    def published(self) -> list[dict[str, Any]]:
        """Every published version, oldest first."""
        return [r.published for r in self.records.values() if r.published]

    def _fault(self, name: str) -> Failure | None:
        with self._lock:
            for failure in self.failures:
                if failure.on not in (None, name):
                    continue
                if failure.times is not None:
                    if failure.times <= 0:
                        continue
                    failure.times -= 1
                return failure
        return None

    # The API.

    def _links(self, rid: str, draft: bool) -> dict[str, str]:
        api = f"{self.url}/api/records/{rid}"
        return {
            "self": f"{api}/draft" if draft else api,
            "self_html": f"{self.url}/{'uploads' if draft else 'records'}/{rid}",
            "files": f"{api}/draft/files" if draft else f"{api}/files",
            "publish": f"{api}/draft/actions/publish",
            "versions": f"{api}/versions",
        }

    def _view(self, rec: FakeRecord, draft: bool) -> dict[str, Any]:
        body = dict((rec.draft if draft else rec.published) or {})
        concept = {"doi": {"identifier": f"{DOI_PREFIX}.{rec.parent}"}}
        pids = {"doi": {"identifier": rec.doi, "provider": "datacite"}}
        body.update(
            id=rec.id,
            is_published=not draft,
            links=self._links(rec.id, draft),
            parent={"id": rec.parent, "pids": concept},
            pids=pids if rec.doi else {},
        )
        return body

    def _new(self, body: dict[str, Any], parent: str | None) -> FakeRecord:
        rid = str(next(self._ids))
        rec = FakeRecord(rid, parent or f"p{rid}", dict(body))
        self.records[rid] = rec
        self.parents.setdefault(rec.parent, []).append(rid)
        return rec

    def handle(self, name: str, params: dict[str, str], body: Any) -> tuple[int, Any]:
        rid = params.get("id", "")
        rec = self.records.get(rid)
        if name == "create":
            return 201, self._view(self._new(body, None), True)
        if name == "get_record":
            if rec is None or rec.published is None:
                return 404, _error(404, "The persistent identifier does not exist.")
            return 200, self._view(rec, False)
        if name == "versions":
            if rec is None or rec.published is None:
                return 404, _error(404, "Not found.")
            meta = dict(rec.published.get("metadata", {}))
            meta.pop("publication_date", None)
            new = self._new({**rec.published, "metadata": meta}, rec.parent)
            return 201, self._view(new, True)
        if name == "community":
            for entry in (body or {}).get("communities", []):
                self.community_requests.append((rid, entry["id"]))
            return 200, {"processed": body.get("communities", []), "errors": []}
        if rec is None or rec.draft is None:
            return 404, _error(404, "The draft does not exist.")
        if name == "get_draft":
            return 200, self._view(rec, True)
        if name == "update":
            rec.draft = dict(body)
            return 200, self._view(rec, True)
        if name == "reserve":
            rec.doi = rec.doi or f"{DOI_PREFIX}.{rid}"
            return 201, self._view(rec, True)
        if name == "list_files":
            entries = [self._file(rid, e) for e in rec.files.values()]
            return 200, {"enabled": True, "entries": entries}
        if name == "files_start":
            for entry in body:
                if entry["key"] in rec.files:
                    return 400, _error(400, f"File {entry['key']} already exists.")
                rec.files[entry["key"]] = {
                    "key": entry["key"],
                    "status": "pending",
                    "data": None,
                }
            return 201, {
                "entries": [self._file(rid, rec.files[e["key"]]) for e in body]
            }
        key = unquote(params.get("key", ""))
        if name == "publish":
            return self._publish(rec)
        entry = rec.files.get(key)
        if entry is None:
            return 404, _error(404, "File not found.")
        if name == "delete":
            del rec.files[key]
            return 204, None
        if name == "content":
            entry["data"] = body
            self.uploads[key] += 1
            return 200, self._file(rid, entry)
        if entry["data"] is None:  # commit before content
            return 400, _error(400, "File has no content.")
        entry["status"] = "completed"
        return 200, self._file(rid, entry)

    def _file(self, rid: str, entry: dict[str, Any]) -> dict[str, Any]:
        data = entry.get("data")
        out = {"key": entry["key"], "status": entry["status"]}
        if entry["status"] == "completed" and data is not None:
            out["checksum"] = "md5:" + hashlib.md5(data).hexdigest()  # noqa: S324
            out["size"] = len(data)
        return out

    def _publish(self, rec: FakeRecord) -> tuple[int, Any]:
        assert rec.draft is not None
        meta = rec.draft.get("metadata") or {}
        missing = "Missing data for required field."
        errors = [
            {"field": f"metadata.{name}", "messages": [missing]}
            for name in REQUIRED
            if not meta.get(name)
        ]
        files = rec.files.values()
        if not files or any(e["status"] != "completed" for e in files):
            message = "Missing uploaded files. To disable files for this record "
            message += "please mark it as metadata-only."
            errors.append({"field": "files.enabled", "messages": [message]})
        if errors:
            return 400, validation_body(errors)
        rec.doi = rec.doi or f"{DOI_PREFIX}.{rec.id}"
        rec.published = dict(rec.draft)
        rec.draft = None
        return 202, self._view(rec, False)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # dropped connections are on purpose


def _handler(fake: FakeInvenio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def _json(self, status: int, body: Any) -> None:
            raw = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _drop(self) -> None:
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.connection.close()
            self.close_connection = True

        def _route(self) -> tuple[str, dict[str, str]] | None:
            path = urlsplit(self.path).path
            for method, pattern, name in ROUTES:
                match = re.fullmatch(pattern, path)
                if method == self.command and match:
                    return name, match.groupdict()
            return None

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            found = self._route()
            if found is None:
                self._json(404, {"status": 404, "message": "Not found."})
                return
            name, params = found
            with fake._lock:
                fake.calls[name] += 1
            if self.headers.get("Authorization") != f"Bearer {fake.token}":
                status = 403 if self.headers.get("Authorization") else 401
                self._json(status, _error(status, "Permission denied."))
                return
            failure = fake._fault(name)
            if failure is not None and failure.mode != "lost_answer":
                self._serve_fault(failure)
                return
            if name == "content":
                body: Any = raw
            else:
                body = json.loads(raw) if raw else None
            with fake._lock:
                status, answer = fake.handle(name, params, body)
            if failure is not None:  # done, but the answer never arrives
                self._drop()
                return
            self._json(status, answer)

        def _serve_fault(self, failure: Failure) -> None:
            if failure.mode == "drop":
                self._drop()
            elif failure.mode == "validation":
                self._json(400, validation_body(failure.errors))
            elif failure.mode in ("401", "403"):
                status = int(failure.mode)
                self._json(status, _error(status, "Permission denied."))
            else:
                status = int(failure.mode)
                self._json(status, _error(status, "Service unavailable."))

        do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815

    return Handler
