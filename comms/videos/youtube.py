"""The YouTube Data API v3 client: quota counting, retries and one error per fault.

Built from the discovery document bundled with google-api-python-client (no discovery
request) with the endpoint override, so the same code talks to YouTube and to a fake.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httplib2
from googleapiclient.errors import HttpError

from comms.config import Settings
from comms.videos.errors import (
    ApiError,
    ApiTimeout,
    ChannelNotFound,
    InvalidApiKey,
    MalformedResponse,
    QuotaExceeded,
    ServerUnavailable,
    YouTubeConfigMissing,
)

PAGE_SIZE = 50  # the largest page playlistItems.list and videos.list allow
VIDEO_PARTS = "snippet,contentDetails,statistics,status,liveStreamingDetails"
_CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_HANDLE = re.compile(r"^@?[A-Za-z0-9._-]{3,100}$")
_CHANNEL_URL = re.compile(
    r"^https?://(?:www\.|m\.)?youtube\.com/(?:channel/(?P<id>UC[A-Za-z0-9_-]{22})"
    r"|(?P<handle>@[A-Za-z0-9._-]{3,100}))/?$"
)
_TAG = re.compile(r"<[^>]+>")
_RETRIED_403 = {"rateLimitExceeded", "userRateLimitExceeded"}
_QUOTA = {"quotaExceeded", "dailyLimitExceeded"}


@dataclass(frozen=True)
class Channel:
    """The channel the sync follows."""

    id: str
    title: str
    uploads: str
    video_count: int | None


@dataclass(frozen=True)
class ListedVideo:
    """One entry of the uploads playlist; ``gone`` names a placeholder's state."""

    video_id: str
    gone: str | None = None  # "private" or "deleted" for a placeholder entry


def channel_lookup(value: str) -> tuple[str, str]:
    """The channels.list argument for `@handle`, a `UC...` id or a channel URL."""
    value = value.strip()
    match = _CHANNEL_URL.match(value)
    if match:
        value = match.group("id") or match.group("handle")
    if _CHANNEL_ID.match(value):
        return "id", value
    if _HANDLE.match(value):
        return "forHandle", value if value.startswith("@") else f"@{value}"
    raise YouTubeConfigMissing(
        f"COMMS_YOUTUBE_CHANNEL must be an @handle or a UC... channel id, got {value!r}"
    )


def check_settings(settings: Settings) -> tuple[str, str]:
    """The API key and channel; YouTubeConfigMissing names whatever is missing."""
    missing = [
        name
        for name, value in (
            ("COMMS_YOUTUBE_API_KEY", settings.youtube_api_key),
            ("COMMS_YOUTUBE_CHANNEL", settings.youtube_channel),
        )
        if not value
    ]
    if missing:
        raise YouTubeConfigMissing(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
            "the video sync needs the channel's API key and @handle or UC... id"
        )
    assert settings.youtube_api_key and settings.youtube_channel
    return settings.youtube_api_key, settings.youtube_channel


def _malformed(what: str, detail: str) -> MalformedResponse:
    return MalformedResponse(
        f"the YouTube API sent a malformed response to {what} ({detail})"
    )


def _one_line(text: str) -> str:
    return " ".join(_TAG.sub("", text).split())


def _error_info(exc: HttpError) -> tuple[int, str, str]:
    """(status, machine reason, human message) of an API error answer."""
    status = int(exc.resp.status)
    reason, message = "", ""
    try:
        body = json.loads(exc.content)
        error = body["error"]
        message = str(error.get("message") or "")
        errors = error.get("errors") or []
        if errors and isinstance(errors[0], dict):
            reason = str(errors[0].get("reason") or "")
        for detail in error.get("details") or []:
            if isinstance(detail, dict) and detail.get("reason") == "API_KEY_INVALID":
                reason = "API_KEY_INVALID"
    except (ValueError, TypeError, KeyError, AttributeError):
        message = str(exc.resp.reason or "")
    return status, reason, _one_line(message)


class YouTube:
    """A thin client over the three list calls the sync needs; counts quota units."""

    def __init__(
        self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        from googleapiclient.discovery import build

        key, _channel = check_settings(settings)
        self.units = 0
        self.timeout = settings.youtube_timeout
        self.retries = settings.youtube_retries
        self.backoff = settings.youtube_backoff
        self._sleep = sleep
        self._api: Any = build(
            "youtube",
            "v3",
            developerKey=key,
            cache_discovery=False,
            static_discovery=True,
            client_options={"api_endpoint": settings.youtube_api_endpoint},
            http=httplib2.Http(timeout=settings.youtube_timeout),
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self._api.close()

    def _execute(self, request: Any, what: str) -> dict[str, Any]:
        """Send one list request (1 unit per attempt), retrying transient faults."""
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            self.units += 1
            try:
                response = request.execute(num_retries=0)
            except HttpError as exc:
                status, reason, message = _error_info(exc)
                transient = (
                    status >= 500
                    or status == 429
                    or (status == 403 and reason in _RETRIED_403)
                )
                if transient and not last:
                    self._wait(attempt)
                    continue
                raise self._error(status, reason, message, what, attempt + 1) from None
            except TimeoutError:
                raise ApiTimeout(
                    f"the YouTube API did not answer {what} within "
                    f"{self.timeout:g} s (COMMS_YOUTUBE_TIMEOUT)"
                ) from None
            except (OSError, http.client.HTTPException, httplib2.HttpLib2Error) as exc:
                if not last:
                    self._wait(attempt)
                    continue
                detail = _one_line(str(exc)) or type(exc).__name__
                raise ServerUnavailable(
                    f"the YouTube API is unreachable ({detail}) for {what}, "
                    f"after {attempt + 1} attempts"
                ) from None
            if not isinstance(response, dict):
                raise _malformed(what, "not JSON")
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, attempt: int) -> None:
        jitter = 0.5 + random.random() / 2  # noqa: S311 (backoff jitter, not crypto)
        self._sleep(self.backoff * 2**attempt * jitter)

    def _error(
        self, status: int, reason: str, message: str, what: str, attempts: int
    ) -> Exception:
        said = f"HTTP {status}{f' {reason}' if reason else ''}"
        if status == 400 and (
            reason in ("keyInvalid", "API_KEY_INVALID")
            or "API key not valid" in message
        ):
            return InvalidApiKey(
                f"YouTube rejected the API key ({said}): check COMMS_YOUTUBE_API_KEY"
            )
        if reason in _QUOTA:
            return QuotaExceeded(
                f"the YouTube API daily quota is used up ({said}); "
                "it resets at midnight Pacific time"
            )
        if reason == "channelNotFound":
            return ChannelNotFound(f"no YouTube channel found ({said})")
        if status >= 500 or status == 429 or reason in _RETRIED_403:
            return ServerUnavailable(
                f"the YouTube API failed {what} ({said}: {message}), "
                f"after {attempts} attempts"
            )
        if reason == "playlistNotFound":
            return ApiError(
                f"the channel's uploads playlist was not found ({said}); "
                "try again later"
            )
        return ApiError(f"the YouTube API refused {what} ({said}: {message})")

    def channel(self, lookup: str) -> Channel:
        """The channel by `@handle` or id, with its uploads playlist (1 unit)."""
        param, value = channel_lookup(lookup)
        request = self._api.channels().list(
            part="contentDetails,snippet,statistics", **{param: value}
        )
        response = self._execute(request, "channels.list")
        items = response.get("items", [])
        if not isinstance(items, list):
            raise _malformed("channels.list", "items is not a list")
        if not items:
            raise ChannelNotFound(
                f"no YouTube channel {value} (check COMMS_YOUTUBE_CHANNEL)"
            )
        try:
            found = items[0]
            uploads = found["contentDetails"]["relatedPlaylists"]["uploads"]
            count = (found.get("statistics") or {}).get("videoCount")
            channel = Channel(
                id=str(found["id"]),
                title=str((found.get("snippet") or {}).get("title") or ""),
                uploads=str(uploads),
                video_count=int(count) if count is not None else None,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _malformed("channels.list", f"a channel lacks {exc}") from None
        if not channel.uploads or not channel.id:
            raise _malformed("channels.list", "a channel without uploads")
        return channel

    def uploads(self, playlist_id: str) -> Iterator[list[ListedVideo]]:
        """Pages of the uploads playlist, newest first (1 unit a page)."""
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"pageToken": token} if token else {}
            request = self._api.playlistItems().list(
                part="contentDetails,status",
                playlistId=playlist_id,
                maxResults=PAGE_SIZE,
                **kwargs,
            )
            response = self._execute(request, "playlistItems.list")
            yield _listed(response)
            token = response.get("nextPageToken")
            if token is None:
                return
            if not isinstance(token, str) or not token:
                raise _malformed("playlistItems.list", "bad nextPageToken")

    def videos(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The public or unlisted videos among up to 50 ids (1 unit)."""
        assert 0 < len(ids) <= PAGE_SIZE
        # maxResults does not combine with id: the answer holds at most the ids asked
        request = self._api.videos().list(part=VIDEO_PARTS, id=",".join(ids))
        response = self._execute(request, "videos.list")
        items = response.get("items", [])
        if not isinstance(items, list) or not all(
            isinstance(i, dict) and isinstance(i.get("id"), str) for i in items
        ):
            raise _malformed("videos.list", "items are not videos with ids")
        return items


def _listed(response: dict[str, Any]) -> list[ListedVideo]:
    items = response.get("items", [])
    if not isinstance(items, list):
        raise _malformed("playlistItems.list", "items is not a list")
    page: list[ListedVideo] = []
    for entry in items:
        try:
            video_id = entry["contentDetails"]["videoId"]
            privacy = (entry.get("status") or {}).get("privacyStatus")
        except (KeyError, TypeError, AttributeError):
            raise _malformed(
                "playlistItems.list", "an item has no contentDetails.videoId"
            ) from None
        if not isinstance(video_id, str) or not video_id:
            raise _malformed("playlistItems.list", "a video id is not text")
        gone = None
        if privacy == "private":
            gone = "private"
        elif privacy == "privacyStatusUnspecified":
            gone = "deleted"
        page.append(ListedVideo(video_id, gone))
    return page
