"""The admin's side navigation: only pages that exist, only what the role may see."""

from __future__ import annotations

from comms import kinds
from comms.admin.navigation import NAVIGATION, build_menu
from tests.admin.helpers import log_in_as


def _url_for(endpoint: str, **args: str) -> str:
    path = {"admin.dashboard": "/admin/", "admin.items": "/admin/items/",
            "admin.new_item": "/admin/items/new/{plural}", "kpi.index": "/admin/kpi/",
            }.get(endpoint, "/admin/" + endpoint.split(".")[-1] + "/")  # fmt: skip
    path = path.format(**args)
    if "kind" in args:
        path += f"?kind={args['kind']}"
    return path


def _menu(endpoints, *, is_admin=True, path="/admin/", full_path=None):  # type: ignore[no-untyped-def]
    return build_menu(
        endpoints=endpoints,
        admin_only={"admin.users"},
        is_admin=is_admin,
        path=path,
        full_path=full_path or path,
        url_for=_url_for,
        kinds=kinds.all_kinds(),
    )


ALL = {endpoint for _label, endpoint, _admin in NAVIGATION}


def test_entries_of_pages_not_built_yet_are_left_out():
    present = ALL - {"admin.subscribers", "admin.media", "admin.review"}
    labels = [entry.link.label for entry in _menu(present)]
    assert "Subscribers" not in labels and "Media" not in labels
    assert labels[:3] == ["Dashboard", "Items", "Newsletters"]
    everything = [entry.link.label for entry in _menu(ALL)]
    assert everything == [label for label, _e, _a in NAVIGATION]


def test_editors_do_not_see_the_admins_pages():
    labels = [entry.link.label for entry in _menu(ALL, is_admin=False)]
    assert "Accounts" not in labels and "Audit log" not in labels
    assert "Jobs" in labels and "Figures" in labels


def test_the_current_section_and_kind_are_marked():
    menu = {e.link.label: e for e in _menu(ALL, path="/admin/kpi/")}
    assert menu["Figures"].link.current == "page"
    assert menu["Dashboard"].link.current == ""  # not a prefix of every page
    listing = {
        e.link.label: e
        for e in _menu(ALL, path="/admin/items/", full_path="/admin/items/?kind=report")
    }
    items = listing["Items"]
    assert items.link.current == "true"
    assert [c.label for c in items.children if c.current == "page"] == ["Reports"]
    news = [n.url for n in items.new_links]
    assert "/admin/items/new/press-releases" in news and "" in news  # videos: synced


def test_every_admin_page_shows_the_officer_and_a_way_out(app, session, editor):
    client = app.test_client()
    log_in_as(client, editor)
    html = client.get("/admin/jobs/").get_data(as_text=True)
    assert 'aria-current="page">Jobs</a>' in html
    assert "Signed in as <strong>editor@example.org</strong>" in html
    assert 'action="/admin/logout"' in html and 'href="/admin/password"' in html
    assert 'class="site-header"' not in html and 'lang="en"' in html
    assert 'href="/admin/users/"' not in html  # an editor's menu


def test_admin_errors_wear_the_admin_shell_and_public_ones_the_site(app, editor):
    client = app.test_client()
    log_in_as(client, editor)
    refused = client.get("/admin/items/?sort=bad")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'class="sidebar"' in html
    assert "site-header" not in html and "Back to the dashboard" in html
    forbidden = client.get("/admin/users/")
    assert forbidden.status_code == 403
    assert 'class="sidebar"' in forbidden.get_data(as_text=True)
    public = client.get("/no-such-page/")
    html = public.get_data(as_text=True)
    assert public.status_code == 404 and "site-header" in html
    assert "Back to the news page" in html
