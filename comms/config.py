"""Settings read from COMMS_* environment variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from comms.errors import ConfigMissing

DEFAULT_SITE_URL = "http://127.0.0.1:5000"
DEFAULT_YOUTUBE_ENDPOINT = "https://youtube.googleapis.com"
DEFAULT_YOUTUBE_OEMBED = "https://www.youtube.com/oembed"
DEFAULT_ZENODO_URL = "https://sandbox.zenodo.org"
DEFAULT_YOUTUBE_HUB = "https://pubsubhubbub.appspot.com/subscribe"
VIDEO_TYPES = ("video", "short", "live", "upcoming", "premiere", "stream")
DEFAULT_VIDEO_PUBLIC_TYPES = ("video", "short", "live", "stream")
# An image with more pixels is refused before it is decoded (a 40 MP photo is
# about 160 MB once decoded).
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000
MIN_SECRET_BYTES = 32
PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_SESSION_IDLE_MINUTES = 30
DEFAULT_API_RATE_LIMIT = 300
MAX_PROXIES = 10


@dataclass(frozen=True)
class Settings:
    """Typed application settings; tests build one directly."""

    instance_path: Path = field(default_factory=lambda: Path("instance").resolve())
    database_url: str = ""
    secret_key: str = ""
    site_url: str = DEFAULT_SITE_URL
    site_name: str | None = None
    media_dir: Path | None = None
    content_dir: Path = field(default_factory=lambda: default_content_dir())
    youtube_api_key: str | None = None
    youtube_channel: str | None = None
    youtube_api_endpoint: str = DEFAULT_YOUTUBE_ENDPOINT
    # YouTube's oEmbed endpoint: a video's title and thumbnail without an API key.
    youtube_oembed_url: str = DEFAULT_YOUTUBE_OEMBED
    youtube_timeout: float = 30.0
    youtube_retries: int = 4
    youtube_backoff: float = 1.0  # seconds before the first retry; doubles
    video_public_types: tuple[str, ...] = DEFAULT_VIDEO_PUBLIC_TYPES
    feed_size: int = 50
    page_size: int = 20
    websub_hub: str | None = None  # the hub announcing the site's own feeds
    # Push from YouTube: the hub we subscribe the channel's upload feed at, the
    # public base of our callback (default: site_url), the lease asked for (the
    # hub decides), and after how many hours without news the timer polls again.
    websub_youtube_hub: str = DEFAULT_YOUTUBE_HUB
    public_callback_url: str | None = None
    websub_lease_seconds: int = 432000  # five days
    websub_silence_hours: float = 24.0
    websub_timeout: float = 10.0  # the hub request, and the pushed video's sync
    max_upload_mb: int = 50
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    mail_rate: float = 10.0
    smtp_url: str | None = None
    mail_from: str | None = None
    zenodo_url: str = DEFAULT_ZENODO_URL  # any InvenioRDM instance
    zenodo_token: str | None = None
    zenodo_community: str | None = None  # a community slug, optional
    zenodo_timeout: float = 60.0
    zenodo_retries: int = 4
    zenodo_backoff: float = 1.0  # seconds before the first retry; doubles
    production: bool = False
    allow_http: bool = False  # production over plain http: tests and local runs only
    session_idle_minutes: int = DEFAULT_SESSION_IDLE_MINUTES
    # An editor's publish or schedule waits for an admin's approval (the review queue).
    review_required: bool = False
    testing: bool = False
    counting: bool = True
    count_flush_seconds: float = 2.0  # how long counts wait in memory before a write
    # Where rate-limit counts live: memory:// (per process) or redis://host:port/db
    # (shared by every worker and host).
    ratelimit_storage_url: str = "memory://"
    # Proxies in front whose X-Forwarded-For/-Proto/-Host are believed (0: none).
    proxies: int = 0
    api_rate_limit: int = DEFAULT_API_RATE_LIMIT  # API requests a minute per client
    # Where queued jobs wait: "" (a SQLite file in the instance folder, one host),
    # redis://host:port/db (several hosts), or memory:// (this process only: tests).
    jobs_url: str = ""
    jobs_stale_seconds: float = 30.0  # a running job silent this long is resumed
    video_sync_minutes: int = 60  # 0: no periodic video sync

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the instance folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.instance_path / 'comms.sqlite3'}"

    @property
    def callback_base(self) -> str:
        """The public address the WebSub hub calls back (no trailing slash)."""
        return (self.public_callback_url or self.site_url).rstrip("/")

    @property
    def resolved_media_dir(self) -> Path:
        """Where uploaded and imported files are stored."""
        return self.media_dir or self.instance_path / "media"

    @property
    def resolved_jobs_url(self) -> str:
        """The job queue's storage (default: a SQLite file in the instance folder)."""
        return self.jobs_url or f"sqlite:///{self.instance_path / 'jobs.sqlite3'}"

    @property
    def https(self) -> bool:
        """True when the site is served over https (Secure cookies, HSTS)."""
        return self.site_url.startswith("https://")

    def production_problems(self) -> list[str]:
        """What makes these settings unsafe to run in production (empty elsewhere)."""
        if not self.production:
            return []
        problems = []
        if not self.secret_key:
            problems.append("COMMS_SECRET_KEY is required in production")
        elif len(self.secret_key.encode()) < MIN_SECRET_BYTES:
            problems.append(
                f"COMMS_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes in "
                f"production (it has {len(self.secret_key.encode())}); "
                "generate one with: python -c 'import secrets; "
                "print(secrets.token_hex(32))'"
            )
        if not self.https and not self.allow_http:
            problems.append(
                f"COMMS_SITE_URL must start with https:// in production "
                f"(it is {self.site_url!r}); COMMS_ALLOW_HTTP=1 allows plain http "
                "for tests and local runs only"
            )
        return problems

    def with_secret(self) -> Settings:
        """Return settings whose secret key is set (generated once in development).

        Raises ConfigMissing, naming every problem, when production settings are
        unsafe.
        """
        problems = self.production_problems()
        if problems:
            raise ConfigMissing("; ".join(problems))
        if self.secret_key:
            return self
        key_file = self.instance_path / "secret_key"
        if not key_file.exists():
            try:
                self.instance_path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # one line for the CLI, not a traceback
                raise ConfigMissing(
                    f"cannot create the instance folder {self.instance_path}: "
                    f"{exc.strerror or exc}"
                ) from None
            # Created 0600 in one step: never readable by others, not even briefly.
            descriptor = os.open(key_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
        return replace(self, secret_key=key_file.read_text().strip())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from COMMS_* variables, converting each type explicitly."""
        env = os.environ if env is None else env
        errors: list[str] = []

        def number(name: str, default: float, kind: type = int) -> float:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                value = kind(raw)
            except ValueError:
                errors.append(f"{name} must be a number, got {raw!r}")
                return default
            if value <= 0:
                errors.append(f"{name} must be positive, got {raw!r}")
                return default
            return float(value) if kind is float else value

        def path(name: str) -> Path | None:
            raw = env.get(name)
            return Path(raw).resolve() if raw else None

        settings = cls(
            instance_path=path("COMMS_INSTANCE_PATH") or Path("instance").resolve(),
            database_url=env.get("COMMS_DATABASE_URL", ""),
            secret_key=env.get("COMMS_SECRET_KEY", ""),
            site_url=env.get("COMMS_SITE_URL", DEFAULT_SITE_URL).rstrip("/"),
            site_name=env.get("COMMS_SITE_NAME") or None,
            media_dir=path("COMMS_MEDIA_DIR"),
            content_dir=path("COMMS_CONTENT_DIR") or default_content_dir(),
            youtube_api_key=env.get("COMMS_YOUTUBE_API_KEY") or None,
            youtube_channel=env.get("COMMS_YOUTUBE_CHANNEL") or None,
            youtube_api_endpoint=env.get(
                "COMMS_YOUTUBE_API_ENDPOINT", DEFAULT_YOUTUBE_ENDPOINT
            ),
            youtube_oembed_url=_http_url(env, "COMMS_YOUTUBE_OEMBED_URL", errors)
            or DEFAULT_YOUTUBE_OEMBED,
            youtube_timeout=number("COMMS_YOUTUBE_TIMEOUT", 30.0, float),
            video_public_types=_video_types(env, errors),
            feed_size=int(number("COMMS_FEED_SIZE", 50)),
            websub_hub=env.get("COMMS_WEBSUB_HUB") or None,
            websub_youtube_hub=_http_url(env, "COMMS_WEBSUB_YOUTUBE_HUB", errors)
            or DEFAULT_YOUTUBE_HUB,
            public_callback_url=_http_url(env, "COMMS_PUBLIC_CALLBACK_URL", errors),
            websub_lease_seconds=int(number("COMMS_WEBSUB_LEASE_SECONDS", 432000)),
            websub_silence_hours=number("COMMS_WEBSUB_SILENCE_HOURS", 24.0, float),
            websub_timeout=number("COMMS_WEBSUB_TIMEOUT", 10.0, float),
            max_upload_mb=int(number("COMMS_MAX_UPLOAD_MB", 50)),
            max_image_pixels=int(
                number("COMMS_MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS)
            ),
            mail_rate=number("COMMS_MAIL_RATE", 10.0, float),
            smtp_url=env.get("COMMS_SMTP_URL") or None,
            mail_from=env.get("COMMS_MAIL_FROM") or None,
            zenodo_url=_http_url(env, "COMMS_ZENODO_URL", errors) or DEFAULT_ZENODO_URL,
            zenodo_token=env.get("COMMS_ZENODO_TOKEN") or None,
            zenodo_community=env.get("COMMS_ZENODO_COMMUNITY") or None,
            zenodo_timeout=number("COMMS_ZENODO_TIMEOUT", 60.0, float),
            production=env.get("COMMS_ENV", "development") == "production",
            allow_http=_flag(env.get("COMMS_ALLOW_HTTP", "0")),
            session_idle_minutes=int(
                number("COMMS_SESSION_IDLE_MINUTES", DEFAULT_SESSION_IDLE_MINUTES)
            ),
            review_required=_flag(env.get("COMMS_REVIEW_REQUIRED", "0")),
            counting=env.get("COMMS_COUNTING", "1").lower() not in ("0", "false", "no"),
            count_flush_seconds=number("COMMS_COUNT_FLUSH_SECONDS", 2.0, float),
            ratelimit_storage_url=env.get("COMMS_RATELIMIT_STORAGE_URL") or "memory://",
            proxies=_proxies(env.get("COMMS_PROXIES"), errors),
            api_rate_limit=int(number("COMMS_API_RATE_LIMIT", DEFAULT_API_RATE_LIMIT)),
            jobs_url=_jobs_url(env.get("COMMS_JOBS_URL", ""), errors),
            jobs_stale_seconds=number("COMMS_JOBS_STALE_SECONDS", 30.0, float),
            video_sync_minutes=_minutes(env.get("COMMS_VIDEO_SYNC_MINUTES"), errors),
        )
        errors += settings.production_problems()
        if errors:
            raise ConfigMissing("; ".join(errors))
        return settings


def shipped(name: str) -> Path:
    """A folder the wheel ships inside the package (templates, static, content).

    In a checkout (or an editable install) it sits at the repository's top level;
    setup.py copies it into ``comms/`` when a wheel is built.
    """
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


def default_content_dir() -> Path:
    """``./content`` when the working directory has one, else the demo content."""
    here = Path("content").resolve()
    return here if here.is_dir() else shipped("content")


def _flag(raw: str) -> bool:
    """A yes/no variable: 0, false, no and the empty string are no."""
    return raw.strip().lower() not in ("", "0", "false", "no")


def _proxies(raw: str | None, errors: list[str]) -> int:
    """COMMS_PROXIES: how many proxies in front set X-Forwarded-* headers (0-10)."""
    if raw is None or raw.strip() == "":
        return 0
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_PROXIES:
        errors.append(
            f"COMMS_PROXIES must be a whole number from 0 to {MAX_PROXIES}, got {raw!r}"
        )
        return 0
    return value


JOBS_SCHEMES = ("sqlite:///", "redis://", "rediss://", "memory://")


def _jobs_url(raw: str, errors: list[str]) -> str:
    """COMMS_JOBS_URL: empty (the instance folder's SQLite file) or a known scheme."""
    raw = raw.strip()
    if raw and not raw.startswith(JOBS_SCHEMES):
        errors.append(
            f"COMMS_JOBS_URL must start with one of {', '.join(JOBS_SCHEMES)}, "
            f"got {raw!r}"
        )
        return ""
    return raw


def _minutes(raw: str | None, errors: list[str]) -> int:
    """COMMS_VIDEO_SYNC_MINUTES: a whole number of minutes, 0 for never."""
    if raw is None or raw.strip() == "":
        return 60
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        errors.append(
            f"COMMS_VIDEO_SYNC_MINUTES must be a whole number of minutes "
            f"(0: never), got {raw!r}"
        )
        return 60
    return value


def _video_types(env: Mapping[str, str], errors: list[str]) -> tuple[str, ...]:
    """COMMS_VIDEO_PUBLIC_TYPES: the video types shown on the news page and feeds."""
    raw = env.get("COMMS_VIDEO_PUBLIC_TYPES")
    if raw is None or raw.strip() == "":
        return DEFAULT_VIDEO_PUBLIC_TYPES
    wanted = tuple(dict.fromkeys(p.strip() for p in raw.split(",") if p.strip()))
    unknown = [t for t in wanted if t not in VIDEO_TYPES]
    if unknown:
        errors.append(
            f"COMMS_VIDEO_PUBLIC_TYPES: unknown type {unknown[0]!r}; "
            f"use some of {', '.join(VIDEO_TYPES)}"
        )
        return DEFAULT_VIDEO_PUBLIC_TYPES
    return wanted


def _http_url(env: Mapping[str, str], name: str, errors: list[str]) -> str | None:
    """An http(s) URL setting without a trailing slash; None when unset or bad."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    if not raw.startswith(("https://", "http://")) or " " in raw:
        errors.append(f"{name} must be an http(s) URL, got {raw!r}")
        return None
    return raw.rstrip("/")
