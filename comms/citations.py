"""Citation data of a report: BibTeX, RIS, CSL-JSON and Highwire meta tags (pure)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from comms.catalogue.models import Item
from comms.site import Site

FORMATS = {
    "bib": ("application/x-bibtex; charset=utf-8", "bib"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
}
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIBTEX_RE = re.compile("|".join(re.escape(c) for c in _BIBTEX_SPECIAL))


@dataclass(frozen=True)
class Citation:
    """What a citation of one report says, with absolute URLs."""

    key: str
    title: str
    authors: tuple[str, ...]
    year: int
    month: int
    day: int
    publisher: str
    url: str
    pdf_url: str | None
    language: str
    abstract: str
    report_type: str | None
    number: str | None
    doi: str | None
    licence: str | None
    funding: str | None
    keywords: tuple[str, ...]


def authors_of(item: Item, site: Site) -> tuple[str, ...]:
    """The report's authors (front matter `authors`), else its author or the site."""
    names: list[str] = []
    for author in (item.details or {}).get("authors") or []:
        if isinstance(author, dict):
            author = author.get("name", "")
        if str(author).strip():
            names.append(str(author).strip())
    if not names:
        names.append(item.author or site.name)
    return tuple(names)


def funding_note(site: Site) -> str | None:
    """`Funder, grant number` (what the site says about funding), or None."""
    if not site.funder and not site.grant:
        return None
    note = site.funder or site.funding_text
    if site.grant:
        note = f"{note}, grant {site.grant}"
    return note


def build_citation(
    item: Item, site: Site, *, url: str, pdf_url: str | None
) -> Citation:
    """Gather a report's citation data."""
    published = item.published_at
    if published is None:
        raise ValueError("an unpublished item cannot be cited")
    return Citation(
        key=re.sub(r"[^A-Za-z0-9]+", "-", item.slug).strip("-") or "report",
        title=item.display_title,
        authors=authors_of(item, site),
        year=published.year,
        month=published.month,
        day=published.day,
        publisher=site.name,
        url=url,
        pdf_url=pdf_url,
        language=item.language,
        abstract=item.display_summary or "",
        report_type=item.report_type,
        number=item.deliverable,
        doi=item.doi or None,
        licence=item.licence,
        funding=funding_note(site),
        keywords=tuple(item.tag_names),
    )


def _bib(value: str) -> str:
    value = " ".join(value.split())
    return _BIBTEX_RE.sub(lambda m: _BIBTEX_SPECIAL[m.group(0)], value)


def to_bibtex(c: Citation) -> str:
    """A BibTeX @techreport entry (authors braced: they are often organisations)."""
    fields: list[tuple[str, str]] = [
        ("title", "{" + _bib(c.title) + "}"),
        ("author", " and ".join("{" + _bib(a) + "}" for a in c.authors)),
        ("institution", _bib(c.publisher)),
        ("year", str(c.year)),
        ("month", str(c.month)),
        ("date", f"{c.year:04d}-{c.month:02d}-{c.day:02d}"),
    ]
    if c.report_type:
        fields.append(("type", _bib(c.report_type)))
    if c.number:
        fields.append(("number", _bib(c.number)))
    if c.doi:
        fields.append(("doi", _bib(c.doi)))
    fields.append(("url", c.url))
    fields.append(("language", _bib(c.language)))
    if c.abstract:
        fields.append(("abstract", _bib(c.abstract)))
    if c.keywords:
        fields.append(("keywords", _bib(", ".join(c.keywords))))
    if c.licence:
        fields.append(("copyright", _bib(c.licence)))
    if c.funding:
        fields.append(("note", _bib(f"Funding: {c.funding}")))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@techreport{{{c.key},\n{body}\n}}\n"


def _ris_line(tag: str, value: str) -> str:
    return f"{tag}  - {' '.join(value.split())}\r\n"


def to_ris(c: Citation) -> str:
    """An RIS record of type RPRT, CRLF line ends."""
    lines = [_ris_line("TY", "RPRT"), _ris_line("TI", c.title)]
    lines += [_ris_line("AU", a) for a in c.authors]
    lines.append(_ris_line("PY", str(c.year)))
    lines.append(_ris_line("DA", f"{c.year:04d}/{c.month:02d}/{c.day:02d}/"))
    lines.append(_ris_line("PB", c.publisher))
    if c.report_type:
        lines.append(_ris_line("M3", c.report_type))
    if c.number:
        lines.append(_ris_line("SN", c.number))
    if c.doi:
        lines.append(_ris_line("DO", c.doi))
    lines.append(_ris_line("UR", c.url))
    if c.pdf_url:
        lines.append(_ris_line("L1", c.pdf_url))
    lines.append(_ris_line("LA", c.language))
    if c.abstract:
        lines.append(_ris_line("AB", c.abstract))
    lines += [_ris_line("KW", k) for k in c.keywords]
    if c.funding:
        lines.append(_ris_line("N1", f"Funding: {c.funding}"))
    lines.append("ER  - \r\n")
    return "".join(lines)


def to_csl(c: Citation) -> list[dict[str, Any]]:
    """A CSL-JSON list holding one item of type report."""
    entry: dict[str, Any] = {
        "id": c.key,
        "type": "report",
        "title": c.title,
        "author": [{"literal": a} for a in c.authors],
        "issued": {"date-parts": [[c.year, c.month, c.day]]},
        "publisher": c.publisher,
        "URL": c.url,
        "language": c.language,
    }
    if c.report_type:
        entry["genre"] = c.report_type
    if c.number:
        entry["number"] = c.number
    if c.doi:
        entry["DOI"] = c.doi
    if c.abstract:
        entry["abstract"] = c.abstract
    if c.keywords:
        entry["keyword"] = ", ".join(c.keywords)
    if c.licence:
        entry["license"] = c.licence
    if c.funding:
        entry["note"] = f"Funding: {c.funding}"
    return [entry]


def to_csl_json(c: Citation) -> str:
    """CSL-JSON text of the citation."""
    return json.dumps(to_csl(c), ensure_ascii=False, indent=2) + "\n"


def render(c: Citation, fmt: str) -> str:
    """The citation in ``fmt`` (bib, ris or json)."""
    if fmt == "bib":
        return to_bibtex(c)
    if fmt == "ris":
        return to_ris(c)
    if fmt == "json":
        return to_csl_json(c)
    raise ValueError(f"unknown citation format {fmt!r}")


def highwire_tags(c: Citation) -> list[tuple[str, str]]:
    """Highwire Press `citation_*` meta tags (read by Google Scholar and Zotero)."""
    tags = [("citation_title", c.title)]
    tags += [("citation_author", a) for a in c.authors]
    tags.append(
        ("citation_publication_date", f"{c.year:04d}/{c.month:02d}/{c.day:02d}")
    )
    tags.append(("citation_publisher", c.publisher))
    tags.append(("citation_technical_report_institution", c.publisher))
    if c.number:
        tags.append(("citation_technical_report_number", c.number))
    if c.pdf_url:
        tags.append(("citation_pdf_url", c.pdf_url))
    tags.append(("citation_abstract_html_url", c.url))
    if c.doi:
        tags.append(("citation_doi", c.doi))
    tags.append(("citation_language", c.language))
    tags += [("citation_keywords", k) for k in c.keywords]
    if c.funding:
        tags.append(("citation_funding_source", c.funding))
    return tags


def meta_html(tags: list[tuple[str, str]]) -> Markup:
    """`<meta name=... content=...>` elements, escaped."""
    return Markup("\n  ").join(  # noqa: S704
        Markup('<meta name="{}" content="{}">').format(escape(n), escape(v))
        for n, v in tags
    )
