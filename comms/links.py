"""Links and file references that come in through a door: one check per value type.

The content-file import, the admin forms, site.yml and the outputs (pages, JSON-LD,
the API) all call these, so every door gives the same verdict with the same reason.
Each check returns the cleaned value or raises ValueError whose text is the reason
(the caller prefixes the field name).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import urlsplit

# The address check lives with the other shared text helpers; doors use it from here.
from comms.text import email_address as email_address

MAX_URL_LENGTH = 2000
URL_REASON = "must be an http:// or https:// address"
# A host name (IDN letters allowed), an IPv4 address or a bracketed IPv6 address.
_HOST = re.compile(r"^(?:[\w-]+(?:\.[\w-]+)*\.?|\[[0-9A-Fa-f:.]+\])$")
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\\<>\"`]")


def public_url(value: str) -> str:
    """``value`` as an absolute http(s) URL a visitor may follow; ValueError if not.

    Refused: other schemes (``javascript:``, ``data:``...), a missing or malformed
    host, credentials in the address, spaces and control characters.
    """
    url = value.strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"at most {MAX_URL_LENGTH} characters")
    if _UNSAFE.search(url):
        raise ValueError(f"{URL_REASON} without spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        raise ValueError(URL_REASON) from None
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(URL_REASON)
    host = parts.netloc.rpartition("@")[2]
    if "@" in parts.netloc:
        raise ValueError("must not contain a user name or password")
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if not hostname or not _HOST.match(hostname):
        raise ValueError(f"{URL_REASON} with a valid host name")
    return url


def shown_url(value: object) -> str | None:
    """A stored URL when it passes ``public_url``, else None: what outputs show."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return public_url(value)
    except ValueError:
        return None


def image_source(value: str) -> str:
    """An item image: a path on this site (``/media/...``) or a ``public_url``."""
    src = value.strip()
    if src.startswith("/") and not src.startswith("//"):
        if _UNSAFE.search(src) or ".." in PurePosixPath(src).parts:
            raise ValueError("must be a path on this site without '..' or spaces")
        return src
    try:
        return public_url(src)
    except ValueError as exc:
        raise ValueError(f"must be a path on this site (/...) or {exc}") from None


def media_path(value: str, folder: str = "media") -> str:
    """A file reference relative to the content folder that stays inside ``folder``.

    Checked as text, before any file is touched: no absolute path, no ``..``, no
    backslash or drive letter, and its first part is ``folder``.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a file path")
    text = value.strip()
    if "\\" in text or "\x00" in text or re.match(r"^[A-Za-z]:", text):
        raise ValueError("must be a relative path with / separators")
    path = PurePosixPath(text)
    if path.is_absolute():
        raise ValueError(f"must be a relative path inside {folder}/, not absolute")
    if ".." in path.parts:
        raise ValueError(f"must stay inside {folder}/ (no '..')")
    if len(path.parts) < 2 or path.parts[0] != folder:
        raise ValueError(f"must be a file inside {folder}/, e.g. {folder}/emblem.svg")
    return str(path)
