"""`comms static export OUT`: the public site as static files with the same URLs.

`crawl` fetches the pages in-process; `export` writes them and keeps the manifest
(`manifest`) that lets the next export render only what changed; features describe
their content to it through `sources`.
"""

from comms.static_export.crawl import crawl, iter_site, output_path
from comms.static_export.export import ExportReport, export_site
from comms.static_export.manifest import MANIFEST
from comms.static_export.sources import Record, register_source

__all__ = [
    "MANIFEST",
    "ExportReport",
    "Record",
    "crawl",
    "export_site",
    "iter_site",
    "output_path",
    "register_source",
]
