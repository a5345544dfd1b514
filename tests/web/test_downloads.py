"""Report downloads: headers, bytes, counting, and what is never served."""

from __future__ import annotations

import pytest

from comms.catalogue.models import ReportFile
from tests.factories import future, make_pdf, make_report
from tests.web.helpers import resolved, text

PDF = make_pdf("Policy report", pages=2)
URL = "/reports/policy/files/policy.pdf"


@pytest.fixture
def report(session, store):
    return make_report(session, store, slug="policy", filename="policy.pdf", data=PDF)


def downloads(session, report) -> int:
    session.expire_all()
    row = session.get(ReportFile, report.files[0].id)
    assert row is not None
    return row.download_count


def test_download_serves_the_stored_pdf_as_an_attachment(client, report):
    with client.get(URL) as response:
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Length"] == str(len(PDF))
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment")
        assert "filename=policy.pdf" in disposition.replace('"', "")
        assert response.data == PDF


def test_download_of_non_ascii_filename_keeps_the_name(client, session, store):
    make_report(session, store, slug="sl", filename="Poročilo 1.pdf", data=PDF)
    with client.get("/reports/sl/files/Poro%C4%8Dilo%201.pdf") as response:
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment")
        assert "filename*=UTF-8''Poro%C4%8Dilo%201.pdf" in disposition
        assert response.data == PDF


def test_each_get_counts_one_download(client, session, report):
    assert downloads(session, report) == 0
    for expected in (1, 2, 3):
        with client.get(URL) as response:
            assert response.status_code == 200
        assert downloads(session, report) == expected


def test_head_does_not_count_a_download(client, session, report):
    with client.head(URL) as response:
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Length"] == str(len(PDF))
    assert downloads(session, report) == 0


def test_revalidation_and_resumed_ranges_do_not_count_again(client, session, report):
    with client.get(URL) as response:
        etag = response.headers["ETag"]
    with client.get(URL, headers={"If-None-Match": etag}) as response:
        assert response.status_code == 304
    with client.get(URL, headers={"Range": "bytes=100-"}) as response:
        assert response.status_code == 206
        assert response.data == PDF[100:]
    assert downloads(session, report) == 1
    with client.get(URL, headers={"Range": "bytes=0-99"}) as response:
        assert response.status_code == 206
    assert downloads(session, report) == 1  # a probe of the start, not a download
    with client.get(URL, headers={"Range": "bytes=0-"}) as response:
        assert response.status_code == 206
    assert downloads(session, report) == 2


def test_counts_are_per_file(client, session, store, report):
    other = make_report(session, store, slug="other", filename="other.pdf")
    with client.get("/reports/other/files/other.pdf"):
        pass
    assert downloads(session, report) == 0
    assert downloads(session, other) == 1


def test_report_page_shows_a_working_download_link(client, report):
    assert f'href="{URL}"' in text(client.get("/reports/policy/"))
    with client.get(URL) as response:
        assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/reports/policy/files/missing.pdf",
        "/reports/policy/files/POLICY.PDF",
        "/reports/policy/files/policy.pdf.exe",
        "/reports/policy/files/",
        "/reports/other/files/policy.pdf",
        "/press-releases/policy/files/policy.pdf",
    ],
)
def test_unknown_file_gives_404(client, session, report, path):
    with client.get(path) as response:
        assert response.status_code == 404
    assert downloads(session, report) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/reports/policy/files/..%2F..%2Fetc%2Fpasswd",
        "/reports/policy/files/%2Fetc%2Fpasswd",
        "/reports/policy/files/..",
        "/reports/policy/files/%2e%2e",
        "/reports/policy/files/..%5C..%5Cetc%5Cpasswd",
        "/reports/policy/files/%252e%252e%252fetc%252fpasswd",
        "/reports/..%2F..%2Fetc/files/passwd",
        "/reports/policy/files/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    ],
)
def test_path_traversal_attempt_gives_404_never_500(client, report, path):
    with client.get(path) as response:
        assert response.status_code == 404
        assert b"root:" not in response.data


@pytest.mark.parametrize(
    "path", ["/reports/policy/files/policy.pdf%00", "/reports/policy/files/a%00b.pdf"]
)
def test_nul_byte_in_download_filename_is_refused_not_a_server_error(
    client, session, report, path
):
    with client.get(path) as response:
        assert response.status_code in (400, 404)
    assert downloads(session, report) == 0


@pytest.mark.parametrize(
    "state",
    [
        pytest.param({"status": "draft"}, id="draft"),
        pytest.param({"published_at": lambda: future(1)}, id="scheduled"),
    ],
)
def test_file_of_unpublished_report_gives_404_and_is_not_counted(
    client, session, store, state
):
    hidden = make_report(
        session,
        store,
        slug="secret",
        filename="secret.pdf",
        data=PDF,
        **resolved(state),
    )
    for method in (client.get, client.head):
        with method("/reports/secret/files/secret.pdf") as response:
            assert response.status_code == 404
    assert downloads(session, hidden) == 0


def test_file_of_archived_report_still_downloads(client, session, store):
    make_report(
        session, store, slug="old", filename="old.pdf", data=PDF, status="archived"
    )
    with client.get("/reports/old/files/old.pdf") as response:
        assert response.status_code == 200
        assert response.data == PDF


def test_draft_version_does_not_expose_its_file_under_a_public_slug(
    client, session, store
):
    make_report(session, store, slug="shared", language="en", filename="en.pdf")
    make_report(
        session,
        store,
        slug="shared",
        language="de",
        filename="de.pdf",
        status="draft",
    )
    with client.get("/reports/shared/files/en.pdf") as response:
        assert response.status_code == 200
    with client.get("/reports/shared/files/de.pdf") as response:
        assert response.status_code == 404


def test_post_to_download_is_not_allowed(client, session, report):
    response = client.post(URL)
    assert response.status_code == 405
    assert downloads(session, report) == 0
