"""Every model of comms, imported in one place for Alembic and create_app."""

from comms.catalogue.models import (
    Item,
    ItemRegion,
    ItemTag,
    Newsletter,
    NewsletterEntry,
    ReportFile,
)
from comms.catalogue.stamp import SiteState

__all__ = [
    "Item",
    "ItemRegion",
    "ItemTag",
    "Newsletter",
    "NewsletterEntry",
    "ReportFile",
    "SiteState",
]
