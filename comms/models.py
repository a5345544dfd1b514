"""Every model of comms, imported in one place for Alembic and create_app."""

from comms.admin.models import (
    AuditEntry,
    ItemRevision,
    LoginAttempt,
    ReviewRequest,
    User,
)
from comms.catalogue.models import (
    Deliverable,
    Item,
    ItemDeliverable,
    ItemRegion,
    ItemTag,
    Newsletter,
    NewsletterEntry,
    ReportFile,
    WorkPackage,
)
from comms.catalogue.stamp import PageKey, SiteState
from comms.deposits.models import ReportDeposit
from comms.jobs.models import Job
from comms.newsletter.models import Consent, Delivery, Subscriber
from comms.videos.models import SyncRun, VideoThumbnail

__all__ = [
    "AuditEntry",
    "Consent",
    "Deliverable",
    "Delivery",
    "Item",
    "ItemDeliverable",
    "ItemRevision",
    "ItemRegion",
    "ItemTag",
    "Job",
    "LoginAttempt",
    "Newsletter",
    "NewsletterEntry",
    "PageKey",
    "ReportDeposit",
    "ReportFile",
    "ReviewRequest",
    "SiteState",
    "Subscriber",
    "User",
    "SyncRun",
    "VideoThumbnail",
    "WorkPackage",
]
