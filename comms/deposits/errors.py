"""What can go wrong with a deposit, one error per fault, each said in one line."""

from __future__ import annotations

from comms.errors import CommsError, ConfigMissing


class DepositConfigMissing(ConfigMissing):
    """COMMS_ZENODO_TOKEN (or another deposit setting) is missing."""


class DepositRefused(CommsError):
    """The report cannot be deposited as it is (not a public report, no PDF...)."""


class RepositoryError(CommsError):
    """The repository answered with an error we cannot work around."""


class TokenRefused(RepositoryError):
    """The repository refused the token (HTTP 401 or 403)."""


class RepositoryValidation(RepositoryError):
    """The repository found the metadata invalid; ``problems``: `field: message`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the repository refused the metadata: " + "; ".join(problems))
        self.problems = problems


class RepositoryUnavailable(RepositoryError):
    """The repository kept failing (5xx, timeouts, dropped connections)."""
