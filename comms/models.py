"""Every model of comms, imported in one place for Alembic and create_app."""

from comms.admin.models import AuditEntry, LoginAttempt, User
from comms.catalogue.models import (
    Item,
    ItemRegion,
    ItemTag,
    Newsletter,
    NewsletterEntry,
    ReportFile,
)
from comms.catalogue.stamp import PageKey, SiteState
from comms.deposits.models import ReportDeposit
from comms.jobs.models import Job
from comms.newsletter.models import Consent, Delivery, Subscriber
from comms.videos.models import SyncRun, VideoThumbnail

__all__ = [
    "AuditEntry",
    "Consent",
    "Delivery",
    "Item",
    "ItemRegion",
    "ItemTag",
    "Job",
    "LoginAttempt",
    "Newsletter",
    "NewsletterEntry",
    "PageKey",
    "ReportDeposit",
    "ReportFile",
    "SiteState",
    "Subscriber",
    "User",
    "SyncRun",
    "VideoThumbnail",
]
