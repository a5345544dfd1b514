"""What the app keeps for every request and command: settings, database, media, site."""

from __future__ import annotations

from comms import db
from comms.config import Settings
from comms.site import load_site
from comms.storage import MediaStore


class Comms:
    """Everything a request or command needs, kept on ``app.extensions['comms']``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = db.make_engine(settings.resolved_database_url)
        self.sessionmaker = db.make_sessionmaker(self.engine)
        self.store = MediaStore(settings.resolved_media_dir)
        self.site = load_site(settings.content_dir, settings.site_name)
