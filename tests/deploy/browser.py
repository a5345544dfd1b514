"""An HTTP client of the deployment: one source address, its cookies, CSRF tokens."""

from __future__ import annotations

import http.client
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from tests.deploy.conftest import tls_context


class Browser:
    """An HTTP client bound to one source address, keeping its cookies."""

    def __init__(self, port: int, source: str, tls: bool = True) -> None:
        self.port, self.source, self.tls = port, source, tls
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request; status, headers (lower-case names) and the raw body."""
        options = {"source_address": (self.source, 0), "timeout": 30}
        connection = (
            http.client.HTTPSConnection(
                "127.0.0.1", self.port, context=tls_context(), **options
            )
            if self.tls
            else http.client.HTTPConnection("127.0.0.1", self.port, **options)
        )
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        for raw in answer.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(raw)
            self.cookies.update({k: m.value for k, m in cookie.items()})
        joined: dict[str, str] = {}  # repeated headers (two Vary lines) joined
        for name, value in answer.getheaders():
            key = name.lower()
            joined[key] = f"{joined[key]}, {value}" if key in joined else value
        return answer.status, joined, data

    def submit(
        self, page: str, action: str, form: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """Post ``form`` to ``action`` with the CSRF token of the form on ``page``."""
        status, _, html = self.request("GET", page)
        assert status == 200, (page, status)
        token = re.search(rb'name="csrf_token" value="([^"]+)"', html)
        assert token, f"{page} carries a CSRF token"
        return self.request(
            "POST", action, {"csrf_token": token.group(1).decode(), **form}
        )

    def log_in(self, email: str, password: str) -> int:
        """Post the login form (with its CSRF token); the status code."""
        form = {"email": email, "password": password}
        status, _, _ = self.submit("/admin/login", "/admin/login", form)
        return status
