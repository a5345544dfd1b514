#!/usr/bin/env python3
"""Write the demo report PDFs into content/media/.

Standalone (Python 3.11, standard library only). Each file is a small, tagged
PDF 1.7 of two pages in Helvetica: title, project, region, a few lines drawn from
the project's own description of its first results, the funding acknowledgement
and a note that the document is an illustrative stand-in. The output is
deterministic: no timestamps, and the /ID is a hash of the document's content,
so a rerun writes the same bytes.

    python3 tools/make_demo_pdfs.py [--out content/media]
"""

from __future__ import annotations

import argparse
import hashlib
import textwrap
from dataclasses import dataclass
from pathlib import Path

PROJECT = "S3-4AlpClusters"
PROGRAMME = "Interreg Alpine Space"
FUNDING = "Co-funded by the European Union (European Regional Development Fund)"
DEMO_NOTE = (
    "Illustrative demo document. It stands in for the published report in the "
    "comms demo and contains no survey data or findings."
)
LEADS = (
    "Led by the lead partner HES-SO//FR HEIA-FR, Fribourg, and the work package "
    "leaders VDI/VDE GmbH, Berlin, and Anteja ECG, Ljubljana."
)
PROJECT_LINES = (
    "S3-4AlpClusters is an Interreg Alpine Space project on the role of clusters in "
    "the implementation of the Smart Specialisation Strategies (S3) of its 11 "
    "participating regions.",
    "Its first period aimed at a deeper understanding of the regional S3 and related "
    "policymaking in the partner regions, and at initiating mutual policy learning.",
    "The results will be a keystone for the elaboration of a joint transnational "
    "cluster action plan and a fully synchronised scheme.",
)

REGIONS = {
    "western-switzerland": "Western Switzerland",
    "baden-wuerttemberg": "Baden-Württemberg",
    "bayern": "Bavaria",
    "lombardia": "Lombardy",
    "piemonte": "Piedmont",
    "veneto": "Veneto",
    "trentino": "Trentino",
    "auvergne-rhone-alpes": "Auvergne-Rhône-Alpes",
    "provence-alpes-cote-d-azur": "Provence-Alpes-Côte d'Azur",
    "oberoesterreich": "Upper Austria",
    "slovenija": "Slovenia",
}


@dataclass(frozen=True)
class Report:
    """One demo report: its file name, cover data and text paragraphs."""

    filename: str
    title: str
    kind: str  # report type and deliverable, shown under the title
    scope: str  # region or "All 11 participating regions"
    authors: str
    paragraphs: tuple[str, ...]


def stresstest(slug: str, region: str) -> Report:
    """The StressTest report of one region."""
    return Report(
        filename=f"stresstest-{slug}.pdf",
        title=f"StressTest report: {region}",
        kind="StressTest report, deliverable D.T1.2.1, work package T1",
        scope=f"Region: {region}",
        authors="HES-SO//FR HEIA-FR; VDI/VDE Innovation + Technik GmbH; Anteja ECG",
        paragraphs=(
            "This StressTest report looks at the role of clusters in the "
            f"implementation process of the Smart Specialisation Strategy (S3) of "
            f"{region}.",
            "It is based on an online survey of the regional stakeholders, among them "
            "regional clusters and policymakers concerned with regional development "
            "and innovation policy.",
            "A StressTest report was produced for each of the 11 participating "
            "regions. Their policy implications are summarised in a separate policy "
            "report.",
            LEADS,
        ),
    )


REPORTS = (
    *(stresstest(slug, name) for slug, name in REGIONS.items()),
    Report(
        filename="policy-report.pdf",
        title=(
            "Policy report: clusters in the implementation of regional Smart "
            "Specialisation Strategies"
        ),
        kind="Policy report, deliverable D.T1.3.1, work package T1",
        scope="All 11 participating regions",
        authors="HES-SO//FR HEIA-FR; VDI/VDE Innovation + Technik GmbH; Anteja ECG",
        paragraphs=(
            "This policy report draws on the results of the 11 regional StressTest "
            "reports and summarises their policy implications.",
            "The StressTest reports examined the role of clusters in the "
            "implementation process of the regional Smart Specialisation Strategies, "
            "based on an online survey of regional stakeholders.",
            LEADS,
        ),
    ),
    Report(
        filename="strategic-alpine-space-topics.pdf",
        title="Strategic Alpine Space topics for interregional cooperation",
        kind="Report, deliverable D.T2.2.1, work package T2",
        scope="All 11 participating regions",
        authors="HES-SO//FR HEIA-FR; VDI/VDE Innovation + Technik GmbH; Anteja ECG",
        paragraphs=(
            "This report summarises the opportunities represented by synergies "
            "between the Smart Specialisation Strategies of the participating "
            "regions.",
            "Its analysis was nourished by the results of the first Entrepreneurial "
            "Discovery Workshops, where new ideas for Smart Specialisation are "
            "discussed in the regions in a bottom-up approach.",
            "The workshops are led by Dominique Foray (EPFL), Gerd Meier zu Köcker "
            "(VDI/VDE GmbH) and Michael Keller (HES-SO//FR HEIA-FR).",
        ),
    ),
    Report(
        filename="transnational-cluster-action-plan.pdf",
        title="Joint transnational cluster action plan",
        kind="Action plan, work package T3",
        scope="All 11 participating regions",
        authors="HES-SO//FR HEIA-FR; VDI/VDE Innovation + Technik GmbH; Anteja ECG",
        paragraphs=(
            "The joint transnational cluster action plan and a fully synchronised "
            "scheme build on the StressTest reports, the policy report and the report "
            "on strategic Alpine Space topics for interregional cooperation.",
            "This placeholder belongs to a scheduled item: it stays invisible on the "
            "public site until its publication date.",
        ),
    ),
)

# --- PDF writing ------------------------------------------------------------------

PAGE_W, PAGE_H = 595, 842  # A4 in points
MARGIN = 72
WRAP = 84  # characters per 10 pt line; Helvetica averages about 5 pt a character


def pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsiEncoding, escaped."""
    out = bytearray(b"(")
    for byte in text.encode("cp1252"):
        if byte in b"()\\":
            out += b"\\" + bytes([byte])
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    return bytes(out + b")")


@dataclass(frozen=True)
class Block:
    """A tagged run of text: structure type, font, size and lines."""

    tag: str  # H1, H2 or P
    font: str  # F1 Helvetica, F2 Helvetica-Bold
    size: int
    lines: tuple[str, ...]
    gap: int = 10  # space after the block, in points


def para(text: str, size: int = 10, tag: str = "P") -> Block:
    """A wrapped paragraph."""
    return Block(tag, "F1", size, tuple(textwrap.wrap(text, WRAP * 10 // size)))


def pages_of(report: Report) -> tuple[list[Block], list[Block]]:
    """The blocks of page 1 and page 2."""
    first = [
        Block("H1", "F2", 18, tuple(textwrap.wrap(report.title, 46)), gap=8),
        Block("P", "F1", 11, (f"{PROJECT} | {PROGRAMME}",), gap=4),
        Block("P", "F1", 11, (report.kind,), gap=4),
        Block("P", "F1", 11, (report.scope,), gap=4),
        para(f"Authors: {report.authors}", 11),
        Block("H2", "F2", 13, ("Summary",), gap=6),
        *(para(p) for p in report.paragraphs),
        para(FUNDING),
        para(DEMO_NOTE),
    ]
    second = [
        Block("H2", "F2", 13, ("About the project",), gap=6),
        *(para(p) for p in PROJECT_LINES),
        para("Licence: Creative Commons Attribution 4.0 International (CC BY 4.0)."),
        para(FUNDING),
        para(DEMO_NOTE),
    ]
    return first, second


def content_stream(blocks: list[Block]) -> bytes:
    """Page content: each block one marked-content sequence, MCIDs from 0."""
    out = bytearray()
    y = PAGE_H - MARGIN
    for mcid, block in enumerate(blocks):
        leading = round(block.size * 1.35)
        y -= block.size
        out += b"/%s <</MCID %d>> BDC\nBT\n/%s %d Tf\n%d TL\n%d %d Td\n" % (
            block.tag.encode(),
            mcid,
            block.font.encode(),
            block.size,
            leading,
            MARGIN,
            y,
        )
        for i, line in enumerate(block.lines):
            out += (b"T* " if i else b"") + pdf_string(line) + b" Tj\n"
        out += b"ET\nEMC\n"
        y -= leading * (len(block.lines) - 1) + block.gap + (leading - block.size)
    if y < MARGIN:
        raise ValueError("page overflows")
    return bytes(out)


def build_pdf(report: Report) -> bytes:
    """The bytes of one tagged PDF 1.7 report."""
    page_blocks = pages_of(report)
    # Object numbers, fixed by position.
    catalog, pages, info, struct_root, document, parent_tree = 1, 2, 3, 4, 5, 6
    font_regular, font_bold = 7, 8
    next_num = 9
    page_nums: list[int] = []
    content_nums: list[int] = []
    for _ in page_blocks:
        page_nums.append(next_num)
        content_nums.append(next_num + 1)
        next_num += 2
    elem_nums: list[list[int]] = []
    for blocks in page_blocks:
        elem_nums.append(list(range(next_num, next_num + len(blocks))))
        next_num += len(blocks)

    objects: dict[int, bytes] = {}
    title = pdf_string(report.title)
    objects[catalog] = (
        b"<< /Type /Catalog /Pages 2 0 R /Lang (en-GB) /MarkInfo << /Marked true >>"
        b" /StructTreeRoot 4 0 R /ViewerPreferences << /DisplayDocTitle true >> >>"
    )
    kids = b" ".join(b"%d 0 R" % n for n in page_nums)
    objects[pages] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_nums))
    objects[info] = (
        b"<< /Title %s /Author %s /Subject %s /Creator (tools/make_demo_pdfs.py)"
        b" /Producer (comms demo content) >>"
        % (title, pdf_string(report.authors), pdf_string(f"{PROJECT}: {report.kind}"))
    )
    objects[struct_root] = (
        b"<< /Type /StructTreeRoot /K 5 0 R /ParentTree 6 0 R /ParentTreeNextKey %d >>"
        % len(page_nums)
    )
    all_elems = b" ".join(b"%d 0 R" % n for nums in elem_nums for n in nums)
    objects[document] = (
        b"<< /Type /StructElem /S /Document /P 4 0 R /K [%s] >>" % all_elems
    )
    nums = b" ".join(
        b"%d [%s]" % (i, b" ".join(b"%d 0 R" % n for n in elems))
        for i, elems in enumerate(elem_nums)
    )
    objects[parent_tree] = b"<< /Nums [%s] >>" % nums
    for num, base in ((font_regular, b"Helvetica"), (font_bold, b"Helvetica-Bold")):
        objects[num] = (
            b"<< /Type /Font /Subtype /Type1 /BaseFont /%s"
            b" /Encoding /WinAnsiEncoding >>" % base
        )
    for index, blocks in enumerate(page_blocks):
        objects[page_nums[index]] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d]"
            b" /Resources << /Font << /F1 7 0 R /F2 8 0 R >> >>"
            b" /Contents %d 0 R /StructParents %d /Tabs /S >>"
            % (PAGE_W, PAGE_H, content_nums[index], index)
        )
        stream = content_stream(blocks)
        objects[content_nums[index]] = b"<< /Length %d >>\nstream\n%s\nendstream" % (
            len(stream),
            stream,
        )
        for mcid, (num, block) in enumerate(zip(elem_nums[index], blocks, strict=True)):
            objects[num] = (
                b"<< /Type /StructElem /S /%s /P 5 0 R /Pg %d 0 R /K %d >>"
                % (block.tag.encode(), page_nums[index], mcid)
            )

    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for num in range(1, next_num):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (num, objects[num])
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % next_num
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    file_id = hashlib.md5(bytes(out), usedforsecurity=False).hexdigest().encode()
    out += (
        b"trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R /ID [<%s> <%s>] >>\n"
        b"startxref\n%d\n%%%%EOF\n" % (next_num, file_id, file_id, xref_at)
    )
    return bytes(out)


def main() -> None:
    """Write every demo PDF and print one line per file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_out = Path(__file__).resolve().parent.parent / "content" / "media"
    parser.add_argument("--out", type=Path, default=default_out)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for report in REPORTS:
        data = build_pdf(report)
        (args.out / report.filename).write_bytes(data)
        print(f"{args.out / report.filename}  {len(data)} bytes")


if __name__ == "__main__":
    main()
