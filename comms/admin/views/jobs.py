"""The Jobs page: queued, running, failed and recent finished background jobs."""

from __future__ import annotations

from flask import current_app, flash, redirect, url_for
from werkzeug.wrappers import Response

from comms.admin.views.blueprint import bp, render, require_user
from comms.context import get_session
from comms.jobs import queue as jobs_queue
from comms.jobs import service as jobs_service


@bp.get("/jobs/")
def jobs() -> tuple[str, int]:
    """Every job a worker has to run, is running or could not finish, with progress."""
    require_user()
    return render("admin/jobs.html", lists=jobs_service.listing(get_session()))


@bp.post("/jobs/<int:job_id>/retry")
def retry_job(job_id: int) -> Response:
    """Queue a failed job again (a send goes on from where it stopped)."""
    require_user()
    session = get_session()
    job = jobs_service.requeue_failed(session, job_id, now=jobs_queue.utcnow())
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    jobs_queue.enqueue(app, job)
    flash(f"Job {job.id} queued again.")
    return redirect(url_for("admin.jobs"), code=303)
