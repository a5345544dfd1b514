"""Content files: `<kind plural>/<slug>.<lang>.md` with YAML front matter.

`import_tree` checks every file before storing any; `export_tree` writes the
database back out so that importing an export changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from comms import kinds
from comms.catalogue import front_matter, register, register_file
from comms.catalogue.covers import ensure_cover
from comms.catalogue.models import (
    KIND_PLURALS,
    KINDS,
    PLURAL_KINDS,
    Item,
    ItemRegion,
    ItemTag,
    Newsletter,
    NewsletterEntry,
    ReportFile,
)
from comms.catalogue.page_texts import PAGES_DIR, load_pages
from comms.config import DEFAULT_MAX_IMAGE_PIXELS
from comms.errors import ConfigMissing, ValidationFailed
from comms.kinds import values
from comms.rendering import clean_text, render_markdown
from comms.site import load_site
from comms.storage import InvalidFile, MediaStore, check_pixels, inspect_pdf
from comms.text import SLUG

NEWSLETTER_DIR = "newsletters"
# media/: files items link to; pages/: the site's own pages, read by the app at
# start (comms.pages), checked but not stored by an import.
SKIPPED_DIRS = {"media", PAGES_DIR}
FILE_NAME = re.compile(
    r"^(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<lang>[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\.md$"
)  # noqa: E501
STATUSES = values.STATUSES


# --- fields -----------------------------------------------------------------------

Parser = values.Parser
# The fields every kind has; each kind's own come from its module in comms.kinds.
COMMON: dict[str, Parser] = {
    "title": values.limited(values.text, 500),
    "summary": values.text,
    "status": values.choice(*STATUSES),
    "published_at": values.timestamp,
    "updated_at": values.timestamp,
    "translation": values.slug,
    "tags": values.slugs,
    "regions": values.slugs,
    "author": values.limited(values.text, 200),
    "demo": values.flag,
    "image": values.image,
    # Any kind may be an output of deliverables of the register (deliverables.yml).
    "deliverables": register.deliverable_codes,
}
NEWSLETTER_FIELDS: dict[str, Parser] = {
    "title": values.line,  # becomes the mail's Subject header
    "number": values.count,
    "status": values.choice(*STATUSES),
    "published_at": values.timestamp,
    "translation": values.slug,
    "demo": values.flag,
    "items": values.mapping_list("kind", "slug"),
}
# Front-matter keys of every kind that map one to one onto an Item column.
COMMON_COLUMNS = (
    "title", "summary", "status", "published_at", "author", "demo", "image",
)  # fmt: skip
COMMON_ORDER = (
    "title", "summary", "status", "published_at", "updated_at", "translation",
    "tags", "regions", "author", "demo", "image", "deliverables",
)  # fmt: skip


def kind_fields(kind: str) -> dict[str, Parser]:
    """The front-matter keys of ``kind`` and the check of each (with its limit)."""
    return COMMON | {f.name: f.parse for f in kinds.get(kind).file_fields}


def column_keys() -> tuple[str, ...]:
    """Every Item column a content file sets (those of other kinds are cleared)."""
    own = [c for k in kinds.all_kinds() for c in k.columns]
    file_columns = [
        f.name
        for k in kinds.all_kinds()
        for f in k.file_fields
        if f.storage == "column"
    ]
    return (*COMMON_COLUMNS, *dict.fromkeys(c for c in own if c in file_columns))


def export_order(kind: str) -> tuple[str, ...]:
    """The front-matter keys of ``kind`` in the order an export writes them."""
    return (*COMMON_ORDER, *(f.name for f in kinds.get(kind).file_fields))


# --- parsing ----------------------------------------------------------------------


@dataclass
class ParsedFile:
    """A file attached to a report, read and checked."""

    filename: str
    data: bytes
    language: str | None
    page_count: int
    text: str
    pdf_title: str | None = None
    pdf_language: str | None = None
    pdf_tagged: bool | None = None


@dataclass
class ParsedItem:
    """One content file, validated and ready to store."""

    path: Path
    kind: str
    slug: str
    language: str
    translation: str
    values: dict[str, Any]
    details: dict[str, Any]
    tags: list[str]
    regions: list[str]
    body: str
    override: dict[str, Any] = field(default_factory=dict)
    files: list[ParsedFile] = field(default_factory=list)
    newsletter_items: list[dict[str, Any]] = field(default_factory=list)
    deliverables: list[str] = field(default_factory=list)


class BadFile(ValueError):
    """One content file is invalid; the message is the reason."""


def _parse_fields(meta: dict[str, Any], spec: dict[str, Parser]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, raw in meta.items():
        if key not in spec:
            raise BadFile(f"unknown front matter key {key!r}")
        if raw is None:
            continue
        try:
            values[key] = spec[key](raw)
        except ValueError as exc:
            raise BadFile(f"{key}: {exc}") from None
    if not values.get("title"):
        raise BadFile("title is required")
    values.setdefault("status", "published")
    if values["status"] == "published" and "published_at" not in values:
        raise BadFile("published_at is required when status is published")
    updated, published = values.get("updated_at"), values.get("published_at")
    if updated is not None and (published is None or updated < published):
        raise BadFile("updated_at: must come on or after published_at")
    return values


class FileReader:
    """Reads attached files once each, however many items name them."""

    def __init__(self, max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> None:
        self._cache: dict[Path, ParsedFile | str] = {}
        self.max_image_pixels = max_image_pixels

    def check_image(self, src: str, root: Path) -> None:
        """Refuse an ``image`` of the content folder over the pixel limit.

        Only the header is read: the site serves such a file as it is.
        """
        if not src.startswith("/media/"):
            return
        target = (root / "media" / src.removeprefix("/media/")).resolve()
        if not target.is_relative_to(root.resolve()) or not target.is_file():
            return
        try:
            check_pixels(target.read_bytes(), self.max_image_pixels)
        except InvalidFile as exc:
            raise BadFile(f"image: {src}: {exc}") from None

    def read(self, base: Path, entry: dict[str, Any], root: Path) -> ParsedFile:
        """Read and check one `files[]` entry relative to the Markdown file."""
        if "path" not in entry:
            raise BadFile("files: every entry needs a path")
        target = (base / entry["path"]).resolve()
        if not target.is_relative_to(root.resolve()):
            raise BadFile(f"files: {entry['path']} lies outside the content folder")
        cached = self._cache.get(target)
        if cached is None:
            try:
                data = target.read_bytes()
                info = inspect_pdf(data)
                cached = ParsedFile(
                    target.name, data, None, info.page_count, info.text,
                    info.title, info.language, info.tagged,
                )  # fmt: skip
            except OSError:
                cached = f"files: {entry['path']} does not exist"
            except InvalidFile as exc:
                cached = f"files: {entry['path']}: {exc}"
            self._cache[target] = cached
        if isinstance(cached, str):
            raise BadFile(cached)
        language = entry.get("language")
        return replace(cached, language=language)


def parse_file(
    path: Path, root: Path, kind: str, reader: FileReader, regions: set[str] | None
) -> ParsedItem:
    """Parse and validate one content file; raise BadFile with the reason."""
    match = FILE_NAME.match(path.name)
    if match is None:
        raise BadFile("file name must be <slug>.<lang>.md (lowercase slug)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadFile("not UTF-8 text") from None
    try:
        meta, body = front_matter.split(text)
    except front_matter.FrontMatterError as exc:
        raise BadFile(str(exc)) from None
    slug, language = match.group("slug"), match.group("lang")
    spec = NEWSLETTER_FIELDS if kind == "newsletter" else kind_fields(kind)
    found = _parse_fields(meta, spec)
    translation = found.pop("translation", slug)
    parsed = ParsedItem(
        path=path,
        kind=kind,
        slug=slug,
        language=language,
        translation=translation,
        values={},
        details={},
        tags=found.pop("tags", []),
        regions=found.pop("regions", []),
        body=clean_text(body).strip("\n"),
        deliverables=found.pop("deliverables", []),
    )
    if regions is not None:
        unknown = [r for r in parsed.regions if r not in regions]
        if unknown:
            raise BadFile(f"regions: {unknown[0]!r} is not a region of site.yml")
    if kind == "newsletter":
        for entry in found.pop("items", []):
            if entry.get("kind") not in KINDS or not SLUG.match(entry.get("slug", "")):
                raise BadFile("items: each entry needs a known kind and a slug")
            parsed.newsletter_items.append(entry)
        parsed.values = found
        return parsed
    spec_kind = kinds.get(kind)
    for spec_field in spec_kind.file_fields:
        if spec_field.required and spec_field.name not in found:
            raise BadFile(f"{spec_field.name} is required for {_a(spec_kind)}")
        if spec_field.default is not None:
            found.setdefault(spec_field.name, spec_field.default)
    problems = spec_kind.check(found) if spec_kind.check else []
    if problems:
        raise BadFile(problems[0])
    parsed.override = found.pop("override", {})
    if found.get("image"):
        reader.check_image(found["image"], root)
    parsed.files = [reader.read(path.parent, e, root) for e in found.pop("files", [])]
    names = [f.filename for f in parsed.files]
    if len(set(names)) != len(names):
        raise BadFile("files: two files share one name")
    parsed.details = {k: found.pop(k) for k in spec_kind.detail_keys if k in found}
    parsed.values = found
    return parsed


def _a(kind: kinds.Kind) -> str:
    """'a report', 'an event': the kind as the end of a sentence."""
    name = kind.label.lower()
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"


@dataclass
class ImportReport:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    register: int = 0  # work packages and deliverables added or changed

    @property
    def total(self) -> int:
        """Files stored or found unchanged."""
        return self.created + self.updated + self.unchanged


def _site_regions(root: Path) -> set[str] | None:
    site = root / "site.yml"
    if not site.exists():
        return None
    try:
        data = yaml.safe_load(site.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        raise ValidationFailed([f"{site}: invalid YAML"]) from None
    try:  # the same checks serve and export apply (links, file references)
        load_pages(root, load_site(root).languages)
    except ConfigMissing as exc:
        raise ValidationFailed([str(exc)]) from None
    regions = data.get("regions") if isinstance(data, dict) else None
    return set(regions) if isinstance(regions, dict) else None


def discover(root: Path) -> tuple[list[tuple[Path, str]], list[str]]:
    """List (path, kind) of every content file under root, and misplaced files."""
    if not root.is_dir():
        raise ValidationFailed([f"{root}: not a folder"])
    found: list[tuple[Path, str]] = []
    problems: list[str] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name in SKIPPED_DIRS or folder.name.startswith("."):
            continue
        kind = (
            "newsletter"
            if folder.name == NEWSLETTER_DIR
            else PLURAL_KINDS.get(folder.name)
        )
        files = sorted(folder.rglob("*.md"))
        if kind is None:
            problems.extend(
                f"{path}: unknown kind {folder.name!r} (expected one of "
                f"{', '.join([*KIND_PLURALS.values(), NEWSLETTER_DIR])})"
                for path in files
            )
            continue
        for path in files:
            if path.parent != folder:
                problems.append(f"{path}: content files may not be in subfolders")
            else:
                found.append((path, kind))
    return found, problems


def parse_tree(
    root: Path, max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
) -> tuple[list[ParsedItem], list[str]]:
    """Parse every content file under root; return the good ones and the problems."""
    found, problems = discover(root)
    regions = _site_regions(root)
    reader = FileReader(max_image_pixels)
    parsed: list[ParsedItem] = []
    for path, kind in found:
        try:
            parsed.append(parse_file(path, root, kind, reader, regions))
        except BadFile as exc:
            problems.append(f"{path}: {exc}")
    return parsed, problems


def _check_duplicates(items: list[ParsedItem]) -> tuple[list[ParsedItem], list[str]]:
    """Refuse two files for one language version or one YouTube video."""
    problems: list[str] = []
    seen_version: dict[tuple[str, str, str], Path] = {}
    seen_video: dict[str, Path] = {}
    good: list[ParsedItem] = []
    for item in items:
        version_key = (item.kind, item.translation, item.language)
        reason = None
        if version_key in seen_version:
            reason = (
                f"duplicate: {seen_version[version_key].name} is already the "
                f"{item.language!r} version of {item.translation!r}"
            )
        video_id = item.values.get("youtube_id")
        if video_id and video_id in seen_video:
            reason = (
                f"duplicate: youtube_id {video_id} is also in {seen_video[video_id]}"
            )
        if reason:
            problems.append(f"{item.path}: {reason}")
            continue
        seen_version[version_key] = item.path
        if video_id:
            seen_video[video_id] = item.path
        good.append(item)
    return good, problems


# --- storing ----------------------------------------------------------------------


def _apply_item(item: Item, parsed: ParsedItem, store: MediaStore) -> None:
    columns = {key: parsed.values.get(key) for key in column_keys()}
    columns["summary"] = columns["summary"] or ""
    columns["demo"] = bool(columns["demo"])
    for key, value in columns.items():
        if getattr(item, key) != value:
            setattr(item, key, value)
    if item.revised_at != parsed.values.get("updated_at"):
        item.revised_at = parsed.values.get("updated_at")
    if item.translation != parsed.translation:
        item.translation = parsed.translation
    if item.body != parsed.body or not item.body_html and parsed.body:
        item.body = parsed.body
        item.body_html = render_markdown(parsed.body)
    if (item.details or {}) != parsed.details:
        item.details = parsed.details
    override = parsed.override
    for attr, key in (("override_title", "title"), ("override_summary", "summary")):
        if getattr(item, attr) != override.get(key):
            setattr(item, attr, override.get(key))
    if item.override_tags != override.get("tags"):
        item.override_tags = override.get("tags")
    if item.hidden != override.get("hidden", False):
        item.hidden = override.get("hidden", False)
    if [t.name for t in item.tags] != parsed.tags:
        item.tags = [ItemTag(name=n, position=i) for i, n in enumerate(parsed.tags)]
    if [r.name for r in item.regions] != parsed.regions:
        item.regions = [
            ItemRegion(name=n, position=i) for i, n in enumerate(parsed.regions)
        ]
    wanted = [(f.filename, f.language) for f in parsed.files]
    current = [(f.filename, f.language) for f in item.files]
    hashes = [store.put(f.data) for f in parsed.files]
    for f, digest in zip(parsed.files, hashes, strict=True):
        ensure_cover(store, digest, f.data)
    if wanted != current or hashes != [f.sha256 for f in item.files]:
        item.files = [
            ReportFile(
                position=i,
                filename=f.filename,
                sha256=digest,
                size=len(f.data),
                page_count=f.page_count,
                language=f.language,
                text=f.text,
                download_count=_previous_downloads(item, f.filename),
                pdf_title=f.pdf_title,
                pdf_language=f.pdf_language,
                pdf_tagged=f.pdf_tagged,
            )
            for i, (f, digest) in enumerate(zip(parsed.files, hashes, strict=True))
        ]
    else:  # same files: record the accessibility findings if not known yet
        for f, row in zip(parsed.files, item.files, strict=True):
            if row.pdf_tagged is None and f.pdf_tagged is not None:
                row.pdf_title, row.pdf_language = f.pdf_title, f.pdf_language
                row.pdf_tagged = f.pdf_tagged


def _previous_downloads(item: Item, filename: str) -> int:
    return next((f.download_count for f in item.files if f.filename == filename), 0)


def _apply_newsletter(letter: Newsletter, parsed: ParsedItem) -> None:
    v = parsed.values
    for key, value in (
        ("title", v["title"]),
        ("number", v.get("number")),
        ("status", v["status"]),
        ("published_at", v.get("published_at")),
        ("demo", bool(v.get("demo"))),
        ("translation", parsed.translation),
    ):
        if getattr(letter, key) != value:
            setattr(letter, key, value)
    if letter.intro != parsed.body or not letter.intro_html and parsed.body:
        letter.intro = parsed.body
        letter.intro_html = render_markdown(parsed.body)
    wanted = [(e["kind"], e["slug"]) for e in parsed.newsletter_items]
    if [(e.kind, e.slug) for e in letter.entries] != wanted:
        letter.entries = [
            NewsletterEntry(position=i, kind=k, slug=s)
            for i, (k, s) in enumerate(wanted)
        ]


def import_tree(
    session: Session,
    store: MediaStore,
    root: Path,
    *,
    keep_going: bool = False,
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
) -> ImportReport:
    """Check every content file under root, then upsert them by kind, slug, language.

    Nothing is stored when any file is bad, unless ``keep_going`` is set, in which
    case the good files are stored and the bad ones listed in the report.
    """
    parsed, problems = parse_tree(root, max_image_pixels)
    parsed, duplicate_problems = _check_duplicates(parsed)
    problems += duplicate_problems
    declared, register_problems = register_file.read_register_file(root)
    problems += register_problems
    registered = declared.codes | {d.code for d in register.deliverables(session)}
    parsed, link_problems = _check_links(parsed, registered)
    problems += link_problems
    items = [p for p in parsed if p.kind != "newsletter"]
    letters = [p for p in parsed if p.kind == "newsletter"]

    existing = {(i.kind, i.slug, i.language): i for i in session.scalars(select(Item))}
    by_version = {(i.kind, i.translation, i.language): i for i in existing.values()}
    by_video = {i.youtube_id: i for i in existing.values() if i.youtube_id}
    good: list[ParsedItem] = []
    for p in items:
        key = (p.kind, p.slug, p.language)
        other = by_version.get((p.kind, p.translation, p.language))
        if other is not None and (other.kind, other.slug, other.language) != key:
            problems.append(
                f"{p.path}: duplicate: {other.slug!r} is already the "
                f"{p.language!r} version of {p.translation!r}"
            )
            continue
        video = by_video.get(p.values.get("youtube_id") or "")
        if video is not None and (video.kind, video.slug, video.language) != key:
            problems.append(
                f"{p.path}: duplicate: youtube_id is already used by {video.slug!r}"
            )
            continue
        good.append(p)
    known = {(k, s) for k, s, _ in existing} | {(p.kind, p.slug) for p in good}
    good_letters: list[ParsedItem] = []
    for p in letters:
        missing = [e for e in p.newsletter_items if (e["kind"], e["slug"]) not in known]
        if missing:
            problems.append(
                f"{p.path}: items: no {missing[0]['kind']} {missing[0]['slug']!r}"
            )
        else:
            good_letters.append(p)
    if problems and not keep_going:
        raise ValidationFailed(problems)

    report = ImportReport(problems=problems)
    report.register = register_file.apply_register(session, declared)
    for p in good:
        item = existing.get((p.kind, p.slug, p.language))
        if item is None:
            item = Item(kind=p.kind, slug=p.slug, language=p.language)
            item.deliverables = []
            session.add(item)
            _apply_item(item, p, store)
            _link(session, item, p, registered)
            report.created += 1
            continue
        _apply_item(item, p, store)
        linked = _link(session, item, p, registered)
        if session.is_modified(item) or _collections_changed(item) or linked:
            report.updated += 1
        else:
            report.unchanged += 1
    current_letters = {
        (n.slug, n.language): n for n in session.scalars(select(Newsletter))
    }
    for p in good_letters:
        letter = current_letters.get((p.slug, p.language))
        if letter is None:
            letter = Newsletter(slug=p.slug, language=p.language)
            session.add(letter)
            _apply_newsletter(letter, p)
            report.created += 1
        else:
            _apply_newsletter(letter, p)
            if session.is_modified(letter):
                report.updated += 1
            else:
                report.unchanged += 1
    return report


def _check_links(
    items: list[ParsedItem], known: set[str]
) -> tuple[list[ParsedItem], list[str]]:
    """Refuse a file naming a deliverable that neither the register nor the file has."""
    good, problems = [], []
    for item in items:
        unknown = [code for code in item.deliverables if code not in known]
        if unknown:
            problems.append(
                f"{item.path}: deliverables: {', '.join(unknown)} not in the register "
                f"({register_file.REGISTER_FILE} or the admin's Deliverables)"
            )
        else:
            good.append(item)
    return good, problems


def _link(session: Session, item: Item, parsed: ParsedItem, known: set[str]) -> bool:
    """Link the item to its listed deliverables (and a report's own code)."""
    with session.no_autoflush:
        codes = register.link_codes(item, parsed.deliverables, known)
        return register.set_links(item, register.resolve(session, codes))


def _collections_changed(item: Item) -> bool:
    from sqlalchemy import inspect

    state = inspect(item)
    return any(
        state.attrs[name].history.has_changes() for name in ("tags", "regions", "files")
    )


# --- exporting --------------------------------------------------------------------


def item_front_matter(item: Item, file_paths: list[str]) -> dict[str, Any]:
    """The front matter of one item, in canonical key order, without bookkeeping."""
    kind = kinds.get(item.kind)
    raw: dict[str, Any] = {key: getattr(item, key) for key in COMMON_COLUMNS}
    raw.update({key: getattr(item, key) for key in kind.columns})
    raw.update(item.details or {})
    raw["updated_at"] = item.revised_at
    raw["translation"] = item.translation if item.translation != item.slug else None
    raw["tags"] = [t.name for t in item.tags] or None
    raw["regions"] = [r.name for r in item.regions] or None
    raw["demo"] = True if item.demo else None
    # A report's own ``deliverable`` code links it by itself (see register.link_codes).
    own = item.deliverable or ""
    raw["deliverables"] = [d.code for d in item.deliverables if d.code != own] or None
    if kind.has_files:
        raw["files"] = [
            {"path": path, "language": f.language} if f.language else {"path": path}
            for f, path in zip(item.files, file_paths, strict=True)
        ] or None
    override: dict[str, Any] = {}
    if item.override_title is not None:
        override["title"] = item.override_title
    if item.override_summary is not None:
        override["summary"] = item.override_summary
    if item.override_tags is not None:
        override["tags"] = item.override_tags
    if item.hidden:
        override["hidden"] = True
    raw["override"] = override or None
    if not raw.get("summary"):
        raw["summary"] = None
    return {
        key: raw[key] for key in export_order(item.kind) if raw.get(key) is not None
    }


def export_tree(
    session: Session, store: MediaStore, root: Path, site_file: Path | None = None
) -> int:
    """Write every item and newsletter under root; return the number of files."""
    # site.yml is checked before anything is written (a path leaving media/...).
    has_site = site_file is not None and site_file.exists()
    identity: tuple[str, ...] = ()
    if site_file is not None and has_site:
        identity = load_site(site_file.parent).identity_files()
    root.mkdir(parents=True, exist_ok=True)
    written_media: dict[str, str] = {}
    count = 0
    items: Iterable[Item] = session.scalars(
        select(Item).order_by(Item.kind, Item.slug, Item.language)
    )
    for item in items:
        paths = []
        for f in item.files:
            name = f.filename
            if written_media.get(name, f.sha256) != f.sha256:
                name = f"{f.sha256[:12]}-{f.filename}"
            if name not in written_media:
                _write_inside(root, f"media/{name}", store.read(f.sha256))
                written_media[name] = f.sha256
            paths.append(f"../media/{name}")
        text = front_matter.dump(item_front_matter(item, paths), item.body)
        relative = f"{KIND_PLURALS[item.kind]}/{item.slug}.{item.language}.md"
        _write_inside(root, relative, text.encode("utf-8"))
        count += 1
    for letter in session.scalars(
        select(Newsletter).order_by(Newsletter.slug, Newsletter.language)
    ):
        meta: dict[str, Any] = {
            "title": letter.title,
            "number": letter.number,
            "status": letter.status,
            "published_at": letter.published_at,
            "translation": letter.translation
            if letter.translation != letter.slug
            else None,
            "demo": True if letter.demo else None,
            "items": [{"kind": e.kind, "slug": e.slug} for e in letter.entries] or None,
        }
        text = front_matter.dump(
            {k: v for k, v in meta.items() if v is not None}, letter.intro
        )
        relative = f"{NEWSLETTER_DIR}/{letter.slug}.{letter.language}.md"
        _write_inside(root, relative, text.encode("utf-8"))
        count += 1
    document = register_file.register_document(session)
    if document is not None:
        text = register_file.dump_register(document)
        _write_inside(root, register_file.REGISTER_FILE, text.encode("utf-8"))
    if site_file is not None and has_site:
        _write_inside(root, "site.yml", site_file.read_bytes())
        for name in identity:  # the emblem, the programme's logo, the icons
            if (site_file.parent / name).is_file():
                _write_inside(root, name, (site_file.parent / name).read_bytes())
        for page in sorted((site_file.parent / PAGES_DIR).glob("*.md")):
            relative = f"{PAGES_DIR}/{page.name}"
            _write_inside(root, relative, page.read_bytes())
    return count


def _write_inside(root: Path, relative: str, data: bytes) -> None:
    """Write ``data`` to root/relative, refusing any path that resolves outside root.

    A second guard behind the checks on the values (slugs, file names, site.yml):
    whatever a stored value holds, an export writes only inside its target folder.
    """
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base) or target == base:
        raise ValidationFailed([f"{relative}: would be written outside {root}"])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
