"""Which answers to a file request are a download: one rule for every counter."""

from __future__ import annotations

from werkzeug.http import parse_content_range_header


def is_download(method: str, status: int, content_range: str | None) -> bool:
    """True when an answer sends a file from its first byte to its last.

    A 200, or a 206 whose range starts at byte 0 and reaches the end of the file
    (what ``Range: bytes=0-`` gets). Not a HEAD or a 304, not a resumed range (its
    start was counted), and not a probing range such as ``bytes=0-0``, which a
    client may repeat at will without ever fetching the file.
    """
    if method != "GET":
        return False
    if status == 200:
        return True
    if status != 206:
        return False
    sent = parse_content_range_header(content_range)
    return (
        sent is not None
        and sent.start == 0
        and sent.length is not None
        and sent.stop == sent.length
    )
