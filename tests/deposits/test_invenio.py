"""The InvenioRDM client on its own: backoff, what it repeats, settings."""

from __future__ import annotations

import pytest

from comms.config import DEFAULT_ZENODO_URL, Settings
from comms.deposits.errors import RepositoryUnavailable
from comms.deposits.invenio import InvenioClient
from comms.errors import ConfigMissing
from tests.deposits.fake_invenio import TOKEN, FakeInvenio


def client_for(repo: FakeInvenio, sleeps: list[float]) -> InvenioClient:
    """A client of the fake whose waits are recorded, not slept."""
    return InvenioClient(
        repo.url, TOKEN, timeout=5.0, retries=3, backoff=0.5, sleep=sleeps.append
    )


def test_server_errors_are_retried_with_doubling_waits(repo: FakeInvenio):
    sleeps: list[float] = []
    repo.fail("503", on="create", times=3)
    draft = client_for(repo, sleeps).create_draft({"metadata": {"title": "T"}})
    assert sleeps == [0.5, 1.0, 2.0]
    assert list(repo.records) == [draft["id"]]


def test_a_create_whose_connection_dropped_is_not_sent_twice(repo: FakeInvenio):
    sleeps: list[float] = []
    repo.fail("drop", on="create", times=1)
    with pytest.raises(RepositoryUnavailable, match="did not answer POST"):
        client_for(repo, sleeps).create_draft({"metadata": {"title": "T"}})
    assert repo.calls["create"] == 1 and sleeps == []


def test_a_read_whose_connection_dropped_is_retried(repo: FakeInvenio):
    sleeps: list[float] = []
    client = client_for(repo, sleeps)
    draft = client.create_draft({"metadata": {"title": "T"}})
    repo.fail("drop", on="get_draft", times=2)
    assert client.get_draft(draft["id"])["id"] == draft["id"]
    assert sleeps == [0.5, 1.0]


def test_settings_read_the_repository_url_token_and_community():
    assert Settings.from_env({}).zenodo_url == DEFAULT_ZENODO_URL
    assert DEFAULT_ZENODO_URL == "https://sandbox.zenodo.org"
    settings = Settings.from_env(
        {
            "COMMS_ZENODO_URL": "https://zenodo.org/",
            "COMMS_ZENODO_TOKEN": "secret",
            "COMMS_ZENODO_COMMUNITY": "alpine-clusters",
        }
    )
    assert (
        settings.zenodo_url,
        settings.zenodo_token,
        settings.zenodo_community,
    ) == ("https://zenodo.org", "secret", "alpine-clusters")
    with pytest.raises(ConfigMissing, match="COMMS_ZENODO_URL must be an http"):
        Settings.from_env({"COMMS_ZENODO_URL": "zenodo.org"})
