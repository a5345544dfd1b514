"""The admin's side navigation: which sections exist, and which one is open.

Other parts of the admin add pages under their own endpoints; an entry whose
endpoint is not registered yet is left out, so the menu never links to a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from comms.kinds import Kind

# (label, endpoint, admin only?) in the order the menu shows them.
NAVIGATION: list[tuple[str, str, bool]] = [
    ("Dashboard", "admin.dashboard", False),
    ("Items", "admin.items", False),
    ("Newsletters", "admin.newsletters", False),
    ("Subscribers", "admin.subscribers", False),
    ("Videos", "admin.videos", False),
    ("Figures", "kpi.index", False),
    ("Media", "admin.media", False),
    ("Deliverables", "admin.deliverables", False),
    ("Review", "admin.review", False),
    ("Accounts", "admin.users", True),
    ("Jobs", "admin.jobs", False),
    ("Audit log", "admin.audit_log", True),
]


@dataclass(frozen=True)
class MenuLink:
    """One link of the menu; ``current`` is "page", "true" (inside it) or ""."""

    label: str
    url: str
    current: str = ""


@dataclass(frozen=True)
class MenuEntry:
    """A section of the admin with its sub-links (the item kinds under Items)."""

    link: MenuLink
    children: tuple[MenuLink, ...] = ()
    new_links: tuple[MenuLink, ...] = ()  # "New <kind>", beside each child


def _current(url: str, path: str, full: str, *, exact: bool) -> str:
    if full == url or path == url:
        return "page"
    if not exact and path.startswith(url):
        return "true"
    return ""


def build_menu(
    *,
    endpoints: Collection[str],
    admin_only: Collection[str],
    is_admin: bool,
    path: str,
    full_path: str,
    url_for: Callable[..., str],
    kinds: Sequence[Kind] = (),
) -> list[MenuEntry]:
    """The menu this officer sees on the page at ``path``.

    The Items section links to each kind's list and to a new item of each kind
    officers write. ``full_path`` is the path with its query (``/admin/items/?kind=x``).
    """
    menu = []
    for label, endpoint, only_admins in NAVIGATION:
        if endpoint not in endpoints:
            continue
        if (only_admins or endpoint in admin_only) and not is_admin:
            continue
        url = url_for(endpoint)
        exact = endpoint == "admin.dashboard"
        current = _current(url, path, full_path, exact=exact)
        children: list[MenuLink] = []
        new_links: list[MenuLink] = []
        if endpoint == "admin.items":
            for kind in kinds:
                child = url_for(endpoint, kind=kind.name)
                shown = "page" if full_path == child else ""
                children.append(MenuLink(kind.plural_label, child, shown))
                new = ""
                if not kind.synced:
                    new = url_for("admin.new_item", plural=kind.plural)
                shown = "page" if new and new == path else ""
                new_links.append(MenuLink(f"New {kind.label.lower()}", new, shown))
            if current == "page" and full_path != url:
                current = "true"  # a kind's list: the kind is the current page
        menu.append(
            MenuEntry(MenuLink(label, url, current), tuple(children), tuple(new_links))
        )
    return menu
