"""One verdict per value whichever door it comes in: links, addresses, file paths."""

from __future__ import annotations

import json
import os
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from comms import create_app, links
from comms.catalogue.models import Item, ReportFile
from comms.cli import main
from comms.errors import ConfigMissing
from tests.admin.helpers import log_in_as, make_user, post
from tests.factories import make_item, write_content

HOSTILE_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/phish",
    "https://trusted.example@evil.example/",
    "https://exa mple.org/",
]
EVENT = """---
title: Stakeholder workshop
published_at: 2018-05-15T09:00:00Z
starts_at: 2018-06-01T09:00:00Z
{field}: '{value}'
---
Body.
"""


@pytest.fixture
def editor_client(app, session):  # type: ignore[no-untyped-def]
    """A client logged in as an editor."""
    client = app.test_client()
    log_in_as(client, make_user(session, "editor@example.org", "editor"))
    return client


def _reason(value: str) -> str:
    try:
        links.public_url(value)
    except ValueError as exc:
        return str(exc)
    raise AssertionError(f"{value!r} was accepted")


@pytest.mark.parametrize(
    "value",
    [
        "https://example.org/register?id=4#form",
        "http://[::1]:8080/",
        "https://bücher.de/",
    ],
)
def test_public_url_accepts_http_and_https_addresses(value):
    assert links.public_url(value) == value


@pytest.mark.parametrize("value", HOSTILE_URLS)
def test_public_url_refuses_other_schemes_and_tricks(value):
    with pytest.raises(ValueError):
        links.public_url(value)


@pytest.mark.parametrize("field", ["online_url", "registration_url"])
@pytest.mark.parametrize("value", ["javascript:alert(1)", "data:text/html,x"])
def test_import_refuses_a_script_url_naming_path_and_field(
    runner, content_dir, session, field, value
):
    path = write_content(
        content_dir,
        "events/workshop.en.md",
        EVENT.format(field=field, value=value),
    )
    result = runner.invoke(args=["import", str(content_dir)])
    assert result.exit_code != 0
    assert f"{path}: {field}: {_reason(value)}\n" in result.stderr
    assert session.scalar(select(func.count()).select_from(Item)) == 0


@pytest.mark.parametrize("value", HOSTILE_URLS)
def test_admin_form_and_import_refuse_a_link_with_the_same_reason(
    editor_client, runner, content_dir, session, value
):
    form = post(
        editor_client,
        "/admin/items/new/events",
        {
            "title": "Workshop",
            "language": "en",
            "starts_at": "2026-06-01T09:00",
            "registration_url": value,
            "action": "save",
        },  # fmt: skip
    )
    assert form.status_code == 422
    reason = f"registration_url: {_reason(value)}"
    assert reason in unescape(form.get_data(as_text=True))
    path = write_content(
        content_dir,
        "events/workshop.en.md",
        EVENT.format(field="registration_url", value=value),
    )
    result = runner.invoke(args=["import", str(content_dir)])
    assert f"{path}: {reason}\n" in result.stderr
    assert session.scalar(select(func.count()).select_from(Item)) == 0


def test_import_refuses_a_script_image_thumbnail_and_contact_address(
    runner, content_dir, session
):
    image = write_content(
        content_dir,
        "press-releases/a.en.md",
        "---\ntitle: A\npublished_at: 2018-05-15T09:00:00Z\n"
        "image: 'javascript:alert(1)'\n---\n",
    )
    contact = write_content(
        content_dir,
        "press-releases/b.en.md",
        "---\ntitle: B\npublished_at: 2018-05-15T09:00:00Z\n"
        "contacts: [{name: Ana, email: 'javascript:alert(1)'}]\n---\n",
    )
    thumb = write_content(
        content_dir,
        "videos/c.en.md",
        "---\ntitle: C\npublished_at: 2018-05-15T09:00:00Z\nyoutube_id: abcdefghijk\n"
        "thumbnails: {default: {url: 'data:image/png;base64,AAAA'}}\n---\n",
    )
    result = runner.invoke(args=["import", str(content_dir)])
    assert f"{image}: image: must be a path on this site (/...) or " in result.stderr
    assert f"{contact}: contacts: email: must be an e-mail address" in result.stderr
    assert f"{thumb}: thumbnails: default: {links.URL_REASON}" in result.stderr
    assert session.scalar(select(func.count()).select_from(Item)) == 0


def test_admin_form_refuses_a_contact_address_the_import_refuses(
    editor_client, session
):
    form = post(
        editor_client,
        "/admin/items/new/press-releases",
        {
            "title": "News",
            "language": "en",
            "action": "save",
            "contacts": "Ana; Agency; javascript:alert(1); +386",
        },  # fmt: skip
    )
    assert form.status_code == 422
    assert "contacts: email: must be an e-mail address" in unescape(
        form.get_data(as_text=True)
    )
    assert session.scalar(select(func.count()).select_from(Item)) == 0


def test_api_and_page_drop_a_script_link_stored_before_the_check(client, session):
    make_item(
        session,
        kind="event",
        slug="old-event",
        details={
            "online_url": "javascript:alert(1)",
            "registration_url": "data:text/html,x",
        },
    )
    data = client.get("/api/v1/items/event/old-event").get_json()
    assert (data["online_url"], data["registration_url"]) == (None, None)
    page = client.get("/events/old-event/").get_data(as_text=True)
    assert "javascript:" not in page
    assert "data:text/html" not in page


# --- site.yml file references ---------------------------------------------------


def _bad_site(content_dir: Path, emblem: str) -> None:
    site = content_dir / "site.yml"
    site.write_text(
        site.read_text().replace(
            "funding: {text: Co-funded by the European Union}",
            f"funding: {{text: Co-funded by the European Union, emblem: '{emblem}'}}",
        )
    )


@pytest.mark.parametrize("emblem", ["../x", "/etc/passwd", "media/../../x"])
def test_export_with_an_emblem_outside_media_fails_and_writes_nothing(
    runner, tmp_path, content_dir, emblem
):
    (tmp_path / "x").write_text("outside")
    _bad_site(content_dir, emblem)
    parent = tmp_path / "target"
    parent.mkdir()
    result = runner.invoke(args=["export", str(parent / "export")])
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "site.yml: funding.emblem: must" in lines[0]
    assert [p.name for p in parent.iterdir()] == []


def test_every_door_refuses_an_emblem_outside_media(
    tmp_path, settings, content_dir, database_url
):
    _bad_site(content_dir, "../x")
    with pytest.raises(ConfigMissing, match=r"site.yml: funding.emblem: must stay"):
        create_app(settings)  # serve, export, static export and the admin build this
    env = {
        **os.environ,
        "COMMS_INSTANCE_PATH": str(tmp_path / "instance"),
        "COMMS_DATABASE_URL": database_url,
        "COMMS_CONTENT_DIR": str(content_dir),
    }
    for args in (["export", str(tmp_path / "out")], ["static", "export",
                 str(tmp_path / "static")], ["import", str(content_dir)]):  # fmt: skip
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code != 0, args
        assert "site.yml: funding.emblem: must stay inside media/" in result.stderr
        assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "static").exists()


def test_import_refuses_a_site_yml_emblem_outside_media(runner, tmp_path, session):
    root = tmp_path / "incoming"
    write_content(root, "site.yml", "name: X\nfunding: {emblem: ../../etc/passwd}\n")
    result = runner.invoke(args=["import", str(root)])
    assert result.exit_code != 0
    assert (
        f"{root / 'site.yml'}: funding.emblem: must stay inside media/" in result.stderr
    )


def test_export_never_writes_outside_its_folder_whatever_a_stored_name_holds(
    runner, tmp_path, session, store
):
    item = make_item(session, kind="report", slug="plan")
    item.files = [
        ReportFile(
            position=0,
            filename="../../escaped.pdf",
            sha256=store.put(b"%PDF"),
            size=4,
            page_count=1,
            text="",
        )  # fmt: skip
    ]
    session.commit()
    parent = tmp_path / "target"
    parent.mkdir()
    result = runner.invoke(args=["export", str(parent / "export")])
    assert result.exit_code != 0
    assert "would be written outside" in result.stderr
    assert not (tmp_path / "escaped.pdf").exists()
    assert [p.name for p in parent.iterdir()] == ["export"]


@pytest.mark.parametrize(
    "name", ["Alps\r\nBcc: victim@evil.example", "Alps\x0bX", "=?utf-8?q?A=0D=0AB?="]
)
def test_a_site_name_of_more_than_one_line_is_refused_at_start(
    settings, content_dir, name
):
    # The name goes into every mail's Subject: a line break there would be a header.
    write_content(content_dir, "site.yml", f"name: {json.dumps(name)}\n")
    with pytest.raises(ConfigMissing, match=r"site.yml: name: must be one line"):
        create_app(settings)
    with pytest.raises(ConfigMissing, match=r"COMMS_SITE_NAME: must be one line"):
        from comms.site import load_site

        load_site(content_dir.parent / "nowhere", name_override=name)
