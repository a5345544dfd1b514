"""Domain errors raised by services and mapped to HTTP or CLI errors at the edges."""

from __future__ import annotations


class CommsError(Exception):
    """Base class of every error comms reports to a user."""


class NotFound(CommsError):
    """The thing asked for does not exist or is not public."""


class BadRequest(CommsError):
    """A request parameter has a value that cannot be used."""


class ValidationFailed(CommsError):
    """Input data is invalid; ``problems`` lists ``path: reason`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class ConfigMissing(CommsError):
    """A setting needed for this operation is missing or invalid."""
