"""Errors of the video sync: each has its own exit status and a one-line message."""

from __future__ import annotations

from comms.errors import CommsError, ConfigMissing


class SyncError(CommsError):
    """A sync that could not complete; ``exit_code`` is the command's exit status."""

    exit_code = 10


class YouTubeConfigMissing(SyncError, ConfigMissing):
    """COMMS_YOUTUBE_API_KEY or COMMS_YOUTUBE_CHANNEL is missing or unusable."""

    exit_code = 3


class InvalidApiKey(SyncError):
    """YouTube refused the API key (400 keyInvalid / API_KEY_INVALID)."""

    exit_code = 4


class ChannelNotFound(SyncError):
    """No channel has this handle or id."""

    exit_code = 5


class QuotaExceeded(SyncError):
    """The project's daily YouTube quota is used up."""

    exit_code = 6


class ServerUnavailable(SyncError):
    """YouTube answered 5xx or dropped the connection, retries included."""

    exit_code = 7


class ApiTimeout(SyncError):
    """YouTube stopped answering for longer than COMMS_YOUTUBE_TIMEOUT."""

    exit_code = 8


class MalformedResponse(SyncError):
    """YouTube answered with something that is not the documented JSON."""

    exit_code = 9


class ApiError(SyncError):
    """Any other error answer of the API (e.g. 403 forbidden, playlist not found)."""

    exit_code = 11


class DatabaseFailure(SyncError):
    """The catalogue could not take the changes (the transaction was rolled back)."""

    exit_code = 13


class SyncRunning(SyncError):
    """Another sync holds the lock."""

    exit_code = 12
