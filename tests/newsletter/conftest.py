"""Newsletter fixtures: a real SMTP server and settings that point at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from comms.config import Settings
from tests.newsletter.smtp import SmtpServer

MAIL_FROM = "Test Project <news@example.org>"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1 that keeps every message it accepts."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    """The shared settings, sending mail to the test server, unthrottled."""
    return replace(
        settings,
        smtp_url=smtp.url,
        mail_from=MAIL_FROM,
        mail_rate=1000.0,
        site_url="https://news.example.org",
    )
