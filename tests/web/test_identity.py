"""The site's identity at the top of every page: EU emblem, acknowledgement, logo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from comms.errors import ConfigMissing
from comms.site import load_site
from tests.web.helpers import text

LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 3 1"/>'


def _with_identity(content_dir: Path, logo: str = "media/logo.svg") -> None:
    (content_dir / "media").mkdir(exist_ok=True)
    (content_dir / "media" / "logo.svg").write_text(LOGO)
    (content_dir / "media" / "flag.svg").write_text(LOGO)
    site = content_dir / "site.yml"
    site.write_text(
        site.read_text()
        .replace(
            "url: https://example.org}", f"url: https://example.org, logo: {logo}}}"
        )
        .replace(
            "funding: {text: Co-funded by the European Union}",
            "funding: {text: Co-funded by the European Union, emblem: media/flag.svg}",
        )
    )


@pytest.fixture
def identity(content_dir: Path) -> Path:
    """site.yml with an emblem and a programme logo (ask for it before ``client``)."""
    _with_identity(content_dir)
    return content_dir


def _header(html: str) -> str:
    return html[html.index("<header") : html.index("</header>")]


@pytest.mark.parametrize(
    "logo, problem",
    [
        ("../logo.svg", "must stay inside media/"),
        ("/etc/passwd", "must be a relative path inside media/"),
        ("media/logo.pdf", "must be a .svg or .png file"),
    ],
)
def test_a_programme_logo_outside_media_or_not_an_image_is_refused(
    content_dir, logo, problem
):
    _with_identity(content_dir, logo)
    with pytest.raises(ConfigMissing, match=rf"programme.logo: {re.escape(problem)}"):
        load_site(content_dir)


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize(
    "url", ["/", "/reports/", "/newsletter/subscribe", "/search?q=x", "/about/"]
)
def test_every_page_header_shows_emblem_acknowledgement_and_logo(
    identity, client, url, lang
):
    joiner = "&" if "?" in url else "?"
    response = client.get(url + (f"{joiner}lang={lang}" if lang != "en" else ""))
    assert response.status_code == 200
    header = _header(text(response))
    words, alt = {
        "en": ("Co-funded by the European Union", "Flag of the European Union"),
        "de": (
            "Kofinanziert von der Europäischen Union",
            "Flagge der Europäischen Union",
        ),
    }[lang]
    assert f"<span>{words}</span>" in header
    assert f'src="/media/flag.svg" alt="{alt}"' in header
    assert '<a class="programme-logo" href="https://example.org"' in header
    assert 'src="/media/logo.svg" alt="Interreg Alpine Space"' in header
    with client.get("/media/logo.svg") as logo:
        assert logo.status_code == 200
        assert logo.mimetype == "image/svg+xml"
