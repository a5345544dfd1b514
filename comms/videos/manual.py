"""Adding one video by its YouTube address, without an API key.

The officer pastes an address; ``oembed`` gives the title and thumbnail; the
officer confirms or corrects them; ``add_video`` stores the item with the checks
the video kind's content files get (``comms.kinds.video``). The item is keyed by
its YouTube id like a synced one, so a later sync with a key updates this same
item. A title the officer changed from YouTube's is kept as the local override,
which a sync never touches; YouTube's own title goes in ``title`` for the sync to
refresh.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from PIL import Image
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comms.catalogue.models import Item
from comms.errors import ValidationFailed
from comms.kinds.video import KIND
from comms.storage import MediaStore
from comms.videos import sync, thumbnails
from comms.videos.models import VideoThumbnail
from comms.videos.oembed import OEmbed, VideoRef

TITLE_LIMIT = 500
THUMBNAIL_NAME = "high"  # oEmbed gives YouTube's "hqdefault", 480 x 360
YOUTUBE_IMAGE_HOSTS = ("ytimg.com", "img.youtube.com")
THUMBNAIL_HOST_PROBLEM = (
    "thumbnail: give an image address on YouTube's image servers "
    "(i.ytimg.com), or leave it empty for the site's placeholder"
)


@dataclass(frozen=True)
class VideoDraft:
    """A video the officer is about to add, as they confirmed it."""

    youtube_id: str
    title: str
    language: str
    short: bool = False
    youtube_title: str | None = None  # oEmbed's title; None when it gave none
    thumbnail_url: str | None = None
    thumbnail_width: int | None = None
    thumbnail_height: int | None = None


def draft_from(ref: VideoRef, found: OEmbed | None, language: str) -> VideoDraft:
    """The draft the confirmation step starts from."""
    return VideoDraft(
        youtube_id=ref.youtube_id,
        title=found.title if found else "",
        language=language,
        short=ref.short,
        youtube_title=found.title if found else None,
        thumbnail_url=found.thumbnail_url if found else None,
        thumbnail_width=found.thumbnail_width if found else None,
        thumbnail_height=found.thumbnail_height if found else None,
    )


def image_host_allowed(url: str, oembed_endpoint: str) -> bool:
    """Thumbnails come from YouTube's image hosts (or the oEmbed endpoint's host).

    The server fetches the thumbnail, so an address typed in the form may not
    point it anywhere else (a host on the internal network).
    """
    try:
        host = (urlsplit(url).hostname or "").lower()
        own = (urlsplit(oembed_endpoint).hostname or "").lower()
    except ValueError:
        return False
    if host and host == own:
        return True
    return any(host == h or host.endswith(f".{h}") for h in YOUTUBE_IMAGE_HOSTS)


def _thumbnail_details(draft: VideoDraft) -> dict[str, Any]:
    if not draft.thumbnail_url:
        return {}
    size: dict[str, Any] = {"url": draft.thumbnail_url}
    if draft.thumbnail_width:
        size["width"] = draft.thumbnail_width
    if draft.thumbnail_height:
        size["height"] = draft.thumbnail_height
    return {THUMBNAIL_NAME: size}


def check_draft(
    draft: VideoDraft, *, languages: tuple[str, ...], oembed_endpoint: str
) -> dict[str, Any]:
    """The draft's stored values, checked as a content file's; ValidationFailed."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    checks = {
        "youtube_id": draft.youtube_id,
        "thumbnails": _thumbnail_details(draft),
        "short": draft.short,
    }
    for name, raw in checks.items():
        try:
            values[name] = KIND.field(name).parse(raw)
        except ValueError as exc:
            label = "thumbnail" if name == "thumbnails" else name
            problems.append(f"{label}: {exc}")
    title = " ".join(draft.title.split())
    if not title:
        problems.append("title: give the video's title (YouTube's, or your own)")
    elif len(title) > TITLE_LIMIT:
        problems.append(f"title: at most {TITLE_LIMIT} characters")
    values["title"] = title
    if draft.language not in languages:
        problems.append(f"language: choose one of {', '.join(languages)}")
    if draft.thumbnail_url and not image_host_allowed(
        draft.thumbnail_url, oembed_endpoint
    ):
        problems.append(THUMBNAIL_HOST_PROBLEM)
    if problems:
        raise ValidationFailed(problems)
    return values


def existing(session: Session, youtube_id: str) -> Item | None:
    """The catalogue's item of this video, if it has one already."""
    return session.scalars(
        select(Item).where(Item.kind == KIND.name, Item.youtube_id == youtube_id)
    ).first()


def _measured(draft: VideoDraft, data: bytes) -> VideoDraft:
    """The draft with the fetched image's own size (the address may have changed)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return draft
    return replace(draft, thumbnail_width=width, thumbnail_height=height)


@dataclass(frozen=True)
class Preview:
    """The thumbnail as the confirmation page shows it, with its size."""

    draft: VideoDraft
    image: str | None  # a data: URL (own origin: the admin's CSP allows no other)
    problem: str | None = None


def preview(draft: VideoDraft, *, oembed_endpoint: str, timeout: float) -> Preview:
    """Fetch the draft's thumbnail for the confirmation page (allowed hosts only)."""
    url = draft.thumbnail_url
    if not url:
        return Preview(draft, None)
    if not image_host_allowed(url, oembed_endpoint):
        return Preview(draft, None, THUMBNAIL_HOST_PROBLEM)
    fetched = thumbnails.fetch_one(url, timeout)
    if fetched is None:
        return Preview(draft, None)
    data = base64.b64encode(fetched.data).decode()
    return Preview(
        _measured(draft, fetched.data), f"data:{fetched.media_type};base64,{data}"
    )


def add_video(
    session: Session,
    store: MediaStore,
    draft: VideoDraft,
    *,
    languages: tuple[str, ...],
    oembed_endpoint: str,
    now: datetime,
    timeout: float,
) -> Item:
    """Store the video as a published item with its thumbnail, then commit.

    Refused (ValidationFailed) when the catalogue has the video already: a second
    item of one video would be a duplicate the sync cannot merge.
    """
    values = check_draft(draft, languages=languages, oembed_endpoint=oembed_endpoint)
    fetched = (
        thumbnails.fetch_one(draft.thumbnail_url, timeout)
        if draft.thumbnail_url
        else None
    )
    if fetched is not None:
        draft = _measured(draft, fetched.data)
        values = check_draft(
            draft, languages=languages, oembed_endpoint=oembed_endpoint
        )
    found = existing(session, values["youtube_id"])
    if found is not None:
        raise ValidationFailed(
            [
                f"url: this video is in the catalogue already, as "
                f"/videos/{found.slug}/ (edit it there)"
            ]
        )
    youtube_title = " ".join((draft.youtube_title or "").split())[:TITLE_LIMIT]
    title = values["title"]
    taken = {
        name
        for pair in session.execute(
            select(Item.slug, Item.translation).where(Item.kind == KIND.name)
        )
        for name in pair
    }
    slug = sync.unique_slug(title, taken)
    item = Item(
        kind=KIND.name,
        slug=slug,
        translation=slug,
        language=draft.language,
        title=youtube_title or title,
        # The officer's correction survives a sync, which rewrites ``title``.
        override_title=title if youtube_title and title != youtube_title else None,
        summary="",
        body="",
        body_html="",
        status="published",
        published_at=now,
        youtube_id=values["youtube_id"],
        availability="available",
        video_type="short" if values["short"] else "video",
        details={"thumbnails": values["thumbnails"], "short": values["short"]},
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    _store_thumbnail(session, store, values["youtube_id"], draft, fetched, now)
    try:
        session.commit()
    except IntegrityError:  # another officer (or a sync) added it meanwhile
        session.rollback()
        raise ValidationFailed(
            ["url: this video was added to the catalogue meanwhile; see the list"]
        ) from None
    return item


def _store_thumbnail(
    session: Session,
    store: MediaStore,
    youtube_id: str,
    draft: VideoDraft,
    fetched: thumbnails.Fetched | None,
    now: datetime,
) -> None:
    """Keep the fetched thumbnail in the media store; else the placeholder shows."""
    if not draft.thumbnail_url:
        return
    row = session.get(VideoThumbnail, youtube_id)
    if row is None:
        row = VideoThumbnail(youtube_id=youtube_id)
        session.add(row)
    row.source_url = draft.thumbnail_url
    row.width = draft.thumbnail_width
    row.height = draft.thumbnail_height
    if fetched is None:
        row.sha256 = None
        row.fetched_at = None
        return
    row.sha256 = store.put(fetched.data)
    row.media_type = fetched.media_type
    row.fetched_at = now
