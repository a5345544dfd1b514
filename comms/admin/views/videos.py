"""Videos: the list, the sync's status and errors, "Sync now", add by address.

Adding a video needs no API key: the address gives the id, YouTube's oEmbed
endpoint the title and thumbnail, which the officer confirms or corrects.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from comms.admin import audit, background, video_board
from comms.admin.views.blueprint import bp, render, require_user
from comms.admin.views.dashboard import dashboard_context
from comms.context import comms_state, get_session
from comms.errors import ValidationFailed
from comms.jobs import queue as jobs_queue
from comms.jobs import service as jobs_service
from comms.jobs.service import NewJob
from comms.publishing import announce
from comms.videos import manual, oembed
from comms.videos.errors import SyncRunning, YouTubeConfigMissing


def _dashboard(status: int, message: str) -> tuple[str, int]:
    return render(
        "admin/dashboard.html", status, **dashboard_context(sync_problem=message)
    )


@bp.post("/videos/sync")
def sync_videos() -> Response | tuple[str, int]:
    """Start an incremental video sync; refused while one runs or without settings."""
    user = require_user()
    session = get_session()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        background.check_sync_can_start(app, session)
        if jobs_service.active(session, "video-sync") is not None:
            raise SyncRunning("a video sync is already queued or running")
    except YouTubeConfigMissing as exc:
        return _dashboard(422, f"The video sync cannot run: {exc}.")
    except SyncRunning as exc:
        return _dashboard(409, f"Not started: {exc}.")
    audit.record(
        session,
        user,
        "sync",
        audit.Target("videos", "sync", "video sync started"),
        before=None,
        after=None,
        now=datetime.now(UTC),
    )
    session.commit()
    jobs_queue.submit(
        app, session, NewJob("video-sync", {}, "Video sync", actor_id=user.id)
    )
    if request.form.get("back") == "videos":
        flash("Video sync started. Refresh this page to see its result.")
        return redirect(url_for("admin.videos"), code=303)
    flash("Video sync started. Refresh the dashboard to see its result.")
    return redirect(url_for("admin.dashboard"), code=303)


def _board(status: int = 200, **context: object) -> tuple[str, int]:
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        page = 1
    state = comms_state()
    board = video_board.build(
        get_session(), state.settings, datetime.now(UTC), page=page
    )
    return render("admin/videos.html", status, board=board, **context)


@bp.get("/videos/")
def videos() -> tuple[str, int]:
    """The catalogue's videos, the last sync runs with their errors, add by address."""
    require_user()
    return _board()


def _confirm_page(
    draft: manual.VideoDraft,
    *,
    status: int = 200,
    notice: str | None = None,
    problems: list[str] | None = None,
) -> tuple[str, int]:
    settings = comms_state().settings
    shown = manual.preview(
        draft,
        oembed_endpoint=settings.youtube_oembed_url,
        timeout=settings.youtube_timeout,
    )
    problems = list(problems or [])
    if shown.problem and shown.problem not in problems:
        problems.append(shown.problem)
    return render(
        "admin/video_add.html",
        400 if problems and status == 200 else status,
        draft=shown.draft,
        image=shown.image,
        notice=notice,
        problems=problems,
    )


@bp.post("/videos/add")
def add_video() -> tuple[str, int]:
    """Read a pasted address, ask oEmbed, show what will be added for confirmation."""
    require_user()
    state = comms_state()
    try:
        ref = oembed.video_ref(request.form.get("url", ""))
    except ValidationFailed as exc:
        return _board(400, add_problems=exc.problems, url=request.form.get("url", ""))
    found = manual.existing(get_session(), ref.youtube_id)
    if found is not None:
        return _board(
            409,
            add_problems=[
                f"This video is in the catalogue already: {found.display_title}."
            ],
            existing=found,
        )
    notice = None
    answer = None
    try:
        answer = oembed.fetch(
            state.settings.youtube_oembed_url, ref, state.settings.youtube_timeout
        )
    except oembed.OEmbedUnavailable as exc:
        notice = (
            f"{exc}. You may still add it: type its title below (and a thumbnail "
            "address if you have one); a sync with an API key fills in the rest."
        )
    draft = manual.draft_from(ref, answer, state.site.default_language)
    return _confirm_page(draft, notice=notice)


def _form_draft() -> manual.VideoDraft:
    form = request.form

    def size(name: str) -> int | None:
        raw = form.get(name, "").strip()
        return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else None

    return manual.VideoDraft(
        youtube_id=form.get("youtube_id", "").strip(),
        title=form.get("title", ""),
        language=form.get("language", ""),
        short=form.get("short") == "1",
        youtube_title=form.get("youtube_title") or None,
        thumbnail_url=form.get("thumbnail_url", "").strip() or None,
        thumbnail_width=size("thumbnail_width"),
        thumbnail_height=size("thumbnail_height"),
    )


@bp.post("/videos/add/confirm")
def confirm_video() -> Response | tuple[str, int]:
    """Add the confirmed video (published), or show another thumbnail first."""
    user = require_user()
    state = comms_state()
    session = get_session()
    draft = _form_draft()
    if request.form.get("action") == "preview":
        return _confirm_page(draft)
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        item = manual.add_video(
            session,
            state.store,
            draft,
            languages=state.site.languages,
            oembed_endpoint=state.settings.youtube_oembed_url,
            now=now,
            timeout=state.settings.youtube_timeout,
        )
    except ValidationFailed as exc:
        session.rollback()
        return _confirm_page(draft, status=400, problems=exc.problems)
    audit.record(
        session,
        user,
        "create",
        item,
        before=None,
        after=audit.item_snapshot(item),
        summary=f"video {item.youtube_id} added by its address",
        now=now,
    )
    session.commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    announce(app, session, [item], when=now, keyed=True)
    flash(f"Video added and published: {item.display_title}.")
    return redirect(url_for("admin.videos"), code=303)
