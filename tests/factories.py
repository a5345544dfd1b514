"""Small factories with defaults plus overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from comms.catalogue.models import Item, ItemRegion, ItemTag, ReportFile
from comms.rendering import render_markdown
from comms.storage import MediaStore

_counter = iter(range(1, 10**9))


def past(days: float = 1) -> datetime:
    """A time ``days`` ago, whole seconds."""
    return (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0)


def future(days: float = 1) -> datetime:
    """A time ``days`` ahead, whole seconds."""
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def make_item(
    session: Session,
    *,
    kind: str = "press_release",
    tags: list[str] | None = None,
    regions: list[str] | None = None,
    commit: bool = True,
    **fields: Any,
) -> Item:
    """An item, published a day ago unless told otherwise."""
    n = next(_counter)
    fields.setdefault("slug", f"item-{n}")
    fields.setdefault("language", "en")
    fields.setdefault("translation", fields["slug"])
    fields.setdefault("title", f"Item {n}")
    fields.setdefault("summary", f"Summary of item {n}")
    fields.setdefault("body", f"Body of item {n}")
    fields.setdefault("status", "published")
    fields.setdefault("published_at", past(1))
    fields.setdefault("details", {})
    if kind == "video":
        fields.setdefault("youtube_id", f"vid{n:08d}"[-11:])
        fields.setdefault("availability", "available")
        fields.setdefault("privacy_status", "public")
    item = Item(kind=kind, body_html=render_markdown(fields["body"]), **fields)
    item.tags = [ItemTag(name=t, position=i) for i, t in enumerate(tags or [])]
    item.regions = [ItemRegion(name=r, position=i) for i, r in enumerate(regions or [])]
    session.add(item)
    if commit:
        session.commit()
    return item


def make_pdf(
    title: str = "Test report",
    pages: int = 1,
    *,
    language: str | None = None,
    tagged: bool = False,
) -> bytes:
    """A small valid PDF with text on each page; with ``language`` a catalog /Lang,
    with ``tagged`` /MarkInfo /Marked true and a structure tree (a tagged PDF)."""
    from pypdf import PdfWriter
    from pypdf.generic import (
        BooleanObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        TextStringObject,
    )

    writer = PdfWriter()
    for number in range(pages):
        page = writer.add_blank_page(width=595, height=842)
        stream = DecodedStreamObject()
        stream.set_data(
            f"BT /F1 18 Tf 72 760 Td ({title} page {number + 1}) Tj ET".encode()
        )
        page[NameObject("/Contents")] = writer._add_object(stream)
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
    writer.add_metadata({"/Title": title})
    root = writer._root_object
    if language:
        root[NameObject("/Lang")] = TextStringObject(language)
    if tagged:
        root[NameObject("/MarkInfo")] = DictionaryObject(
            {NameObject("/Marked"): BooleanObject(True)}
        )
        tree = DictionaryObject({NameObject("/Type"): NameObject("/StructTreeRoot")})
        root[NameObject("/StructTreeRoot")] = writer._add_object(tree)
    import io

    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_report(
    session: Session,
    store: MediaStore,
    *,
    filename: str = "report.pdf",
    data: bytes | None = None,
    **fields: Any,
) -> Item:
    """A report with one PDF file."""
    data = data if data is not None else make_pdf()
    item = make_item(session, kind="report", commit=False, **fields)
    digest = store.put(data)
    item.files = [
        ReportFile(
            filename=filename, sha256=digest, size=len(data), page_count=1, position=0
        )
    ]
    session.commit()
    return item


def write_content(root: Path, relative: str, text: str) -> Path:
    """Write one content file under root."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
