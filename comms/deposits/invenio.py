"""A client of the InvenioRDM REST API that Zenodo runs: drafts, files, versions.

Only the calls a report deposit needs, each with a timeout; a 5xx or 429 answer is
retried with exponential backoff, and so is a dropped connection on a request that
is safe to repeat (GET, PUT, DELETE and the file commit).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests

from comms.config import Settings
from comms.deposits.errors import (
    DepositConfigMissing,
    RepositoryError,
    RepositoryUnavailable,
    RepositoryValidation,
    TokenRefused,
)

Json = dict[str, Any]
_REPEATABLE = {"GET", "PUT", "DELETE"}


class NotFoundRemote(RepositoryError):
    """The repository has no such record or draft (HTTP 404)."""


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text.split())[:200]
    if isinstance(body, dict):
        return str(body.get("message") or "")[:300]
    return ""


def _field_errors(body: Any) -> list[str]:
    """`field: message` lines from InvenioRDM's {"errors": [{field, messages}]}."""
    problems: list[str] = []
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors or []:
        if not isinstance(error, dict):
            continue
        field = str(error.get("field") or "record")
        messages = error.get("messages") or error.get("message") or []
        if isinstance(messages, str):
            messages = [messages]
        if isinstance(messages, dict):  # nested fields: {"0": ["..."]}
            messages = [f"{k}: {v}" for k, v in messages.items()]
        for message in messages:
            problems.append(f"{field}: {message}")
    return problems


class InvenioClient:
    """The REST API of one repository, authenticated by a personal access token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        http: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.http = http or requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.http.headers["Accept"] = "application/json"

    @classmethod
    def from_settings(
        cls, settings: Settings, sleep: Callable[[float], None] = time.sleep
    ) -> InvenioClient:
        """A client for COMMS_ZENODO_URL; DepositConfigMissing without a token."""
        if not settings.zenodo_token:
            raise DepositConfigMissing(
                "COMMS_ZENODO_TOKEN is not set: a deposit needs a personal access "
                f"token of {settings.zenodo_url} with the deposit:write and "
                "deposit:actions scopes"
            )
        return cls(
            settings.zenodo_url,
            settings.zenodo_token,
            timeout=settings.zenodo_timeout,
            retries=settings.zenodo_retries,
            backoff=settings.zenodo_backoff,
            sleep=sleep,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | None = None,
        repeatable: bool | None = None,
    ) -> Any:
        """Send one call (retried when it may be); the JSON answer, or None."""
        url = f"{self.base_url}{path}"
        headers = {"Content-Type": "application/octet-stream"} if data else {}
        repeatable = method in _REPEATABLE if repeatable is None else repeatable
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.http.request(
                    method,
                    url,
                    json=json,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                if repeatable and attempt <= self.retries:
                    self._wait(attempt)
                    continue
                raise RepositoryUnavailable(
                    f"{self.base_url} did not answer {method} {path} "
                    f"({type(exc).__name__}); the deposit can be resumed"
                ) from None
            status = response.status_code
            if (status >= 500 or status == 429) and attempt <= self.retries:
                self._wait(attempt)
                continue
            return self._answer(method, path, response)

    def _wait(self, attempt: int) -> None:
        self.sleep(self.backoff * 2 ** (attempt - 1))

    def _answer(self, method: str, path: str, response: requests.Response) -> Any:
        status = response.status_code
        if status in (401, 403):
            raise TokenRefused(
                f"{self.base_url} refused the token (HTTP {status}): check "
                "COMMS_ZENODO_TOKEN and its deposit:write and deposit:actions scopes"
            )
        if status == 404:
            raise NotFoundRemote(f"{self.base_url} has no {path} (HTTP 404)")
        body: Any = None
        if response.content:
            try:
                body = response.json()
            except ValueError:
                body = None
        if status in (400, 422):
            problems = _field_errors(body)
            if problems:
                raise RepositoryValidation(problems)
        if status >= 500:
            raise RepositoryUnavailable(
                f"{self.base_url} kept failing (HTTP {status} to {method} {path}); "
                "the deposit can be resumed"
            )
        if status >= 400:
            raise RepositoryError(
                f"{self.base_url} answered HTTP {status} to {method} {path}: "
                f"{_message(response) or 'no reason given'}"
            )
        return body

    # The calls of a deposit, named after the API reference.

    def create_draft(self, record: Json) -> Json:
        """POST /api/records: a new draft (not retried on a dropped connection)."""
        result: Json = self.request("POST", "/api/records", json=record)
        return result

    def get_draft(self, record_id: str) -> Json:
        """GET /api/records/{id}/draft."""
        result: Json = self.request("GET", f"/api/records/{record_id}/draft")
        return result

    def get_record(self, record_id: str) -> Json:
        """GET /api/records/{id}: the published record."""
        result: Json = self.request("GET", f"/api/records/{record_id}")
        return result

    def update_draft(self, record_id: str, record: Json) -> Json:
        """PUT /api/records/{id}/draft: replace the draft's metadata."""
        result: Json = self.request(
            "PUT", f"/api/records/{record_id}/draft", json=record
        )
        return result

    def reserve_doi(self, record_id: str) -> Json:
        """POST /api/records/{id}/draft/pids/doi: reserve the draft's DOI."""
        result: Json = self.request(
            "POST", f"/api/records/{record_id}/draft/pids/doi", repeatable=True
        )
        return result

    def list_files(self, record_id: str) -> list[Json]:
        """GET /api/records/{id}/draft/files: the draft's file entries."""
        body = self.request("GET", f"/api/records/{record_id}/draft/files")
        return list((body or {}).get("entries") or [])

    def delete_file(self, record_id: str, key: str) -> None:
        """DELETE /api/records/{id}/draft/files/{key}."""
        self.request("DELETE", f"/api/records/{record_id}/draft/files/{quote(key)}")

    def upload_file(self, record_id: str, key: str, data: bytes) -> Json:
        """Start, send and commit one file; the committed entry (with its checksum)."""
        files = f"/api/records/{record_id}/draft/files"
        self.request("POST", files, json=[{"key": key}])
        self.request("PUT", f"{files}/{quote(key)}/content", data=data)
        result: Json = self.request(
            "POST", f"{files}/{quote(key)}/commit", repeatable=True
        )
        return result

    def publish(self, record_id: str) -> Json:
        """POST /api/records/{id}/draft/actions/publish."""
        result: Json = self.request(
            "POST", f"/api/records/{record_id}/draft/actions/publish"
        )
        return result

    def new_version(self, record_id: str) -> Json:
        """POST /api/records/{id}/versions: a draft of the record's next version."""
        result: Json = self.request("POST", f"/api/records/{record_id}/versions")
        return result

    def add_to_community(self, record_id: str, community: str) -> Json:
        """POST /api/records/{id}/communities: ask the community to include it."""
        result: Json = self.request(
            "POST",
            f"/api/records/{record_id}/communities",
            json={"communities": [{"id": community}]},
        )
        return result
