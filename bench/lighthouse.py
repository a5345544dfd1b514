"""Lighthouse scores of every public page, on a phone and a desktop.

Builds a fresh instance from content/ in a temporary folder (`comms init-db`,
`comms import content`), serves it with gunicorn (2 workers, production settings,
as docs/deploy.md runs it, without nginx in front), runs Lighthouse (npm,
package.json) with Debian's Chromium on each page in its mobile (default) and desktop
form, prints the four category scores per page and the minimum of each, and exits 1
when a score is below its minimum. A page that misses one is measured twice more and
the median of the three counts: one slow run on a busy machine is noise, three are a
finding.

    .venv/bin/python bench/lighthouse.py                   # every page, ~4 minutes
    .venv/bin/python bench/lighthouse.py --only home item-report --forms mobile
    .venv/bin/python bench/lighthouse.py --min-performance 90
    .venv/bin/python bench/lighthouse.py --vnu vnu.jar    # and the Nu Html Checker

Needs `npm ci` (Lighthouse in node_modules) and Chromium (CHROME_PATH, default
/usr/bin/chromium). Each page's full report (JSON, open it in the Lighthouse viewer)
is written to bench/out/lighthouse/<form>-<page>.json. With ``--vnu`` (the Nu Html
Checker's jar, npm package vnu-jar, needs Java) the HTML of the same pages and of a
404 is checked as well, and any error fails the run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO, free_port, gunicorn, machine  # noqa: E402

PAGES = {
    "home": "/",
    "press-releases": "/press-releases/",
    "reports": "/reports/",
    "videos": "/videos/",
    "events": "/events/",
    "item-press-release": "/press-releases/first-results/",
    "item-report": "/reports/stresstest-lombardia/",
    "item-video": "/videos/what-is-a-stresstest-report/",
    "item-event": "/events/edw-lombardia/",
    "region": "/regions/lombardia/",
    "topic": "/topics/clusters/",
    "about": "/about/",
    "search": "/search?q=clusters",
    "subscribe": "/newsletter/subscribe",
    "newsletter": "/newsletter/",
    "newsletter-issue": "/newsletter/newsletter-1/",
}
# Audits left out on a page, with why: search results say noindex on purpose (endless
# query URLs with thin content; Google's own advice), which Lighthouse's SEO category
# counts as "blocked from indexing".
SKIPPED_AUDITS = {"search": ["is-crawlable"]}
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
FORMS = ["mobile", "desktop"]
DRIVER = REPO / "bench" / "lighthouse.mjs"
OUT = REPO / "bench" / "out" / "lighthouse"
RETRIES = 2  # extra runs of a page that misses a minimum; the median counts

Scores = dict[str, int | None]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: which pages and forms, and the minimum of each category."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=PAGES, help="these pages only")
    parser.add_argument("--forms", nargs="+", choices=FORMS, default=FORMS)
    parser.add_argument(
        "--min-performance",
        type=int,
        default=95,
        help="minimum performance score (default 95)",
    )
    for category in CATEGORIES[1:]:
        parser.add_argument(
            f"--min-{category}",
            type=int,
            default=100,
            help=f"minimum {category} score (default 100)",
        )
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the reports")
    parser.add_argument(
        "--vnu", type=Path, help="vnu.jar: check each page's HTML with the Nu checker"
    )
    return parser.parse_args(argv)


def minimums(args: argparse.Namespace) -> dict[str, int]:
    """The minimum score of each category, from the command line."""
    return {c: getattr(args, "min_" + c.replace("-", "_")) for c in CATEGORIES}


def missed(scores: Scores, minimum: dict[str, int]) -> list[str]:
    """The categories whose score is below its minimum (or missing)."""
    return [c for c in CATEGORIES if (scores[c] or 0) < minimum[c]]


def comms(env: dict[str, str], *args: str) -> None:
    """Run a `comms` command in the instance; stop with its output when it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "comms", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"comms {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def lighthouse(chrome: str, out: Path, runs: list[dict[str, Any]]) -> list[dict]:
    """Run Lighthouse on ``runs`` ({name, url, form, skip}) in one Chrome; results."""
    job = json.dumps({"chrome": chrome, "out": str(out), "runs": runs})
    done = subprocess.run(
        ["node", str(DRIVER)], input=job, capture_output=True, text=True, cwd=REPO
    )
    results = [json.loads(line) for line in done.stdout.splitlines() if line]
    if len(results) != len(runs):
        sys.exit(f"Lighthouse stopped (exit {done.returncode}):\n{done.stderr}")
    for result in results:
        if result["error"]:
            sys.exit(
                f"Lighthouse: {result['form']} {result['name']}: {result['error']}"
            )
    return results


def nu_check(jar: Path, base: str, pages: dict[str, str], out: Path) -> int:
    """Check each page's HTML (and a 404's) with the Nu Html Checker; its errors."""
    folder = out / "html"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.html"):
        old.unlink()
    for name, path in {**pages, "not-found": "/no-such-page/"}.items():
        try:
            with urllib.request.urlopen(base + path, timeout=10) as answer:  # noqa: S310
                body = answer.read()
        except urllib.error.HTTPError as error:  # the 404 page is a page too
            body = error.read()
        (folder / f"{name}.html").write_bytes(body)
    files = sorted(str(f) for f in folder.glob("*.html"))
    done = subprocess.run(
        ["java", "-jar", str(jar), "--errors-only", "--format", "gnu", *files],
        capture_output=True,
        text=True,
    )
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    print(f"Nu Html Checker: {len(files)} pages, {len(errors)} errors")
    for line in errors:
        print("  " + line.replace(f"file:{folder}/", ""))
    return len(errors) or done.returncode


def median(samples: list[Scores]) -> Scores:
    """The median of each category over several runs of one page."""
    return {c: int(statistics.median(s[c] or 0 for s in samples)) for c in CATEGORIES}


def check_tools() -> str:
    """Chromium's path; stop with what to install when node or Lighthouse is missing."""
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    if not shutil.which(chrome):
        sys.exit(f"Chromium not found at {chrome} (apt-get install chromium)")
    if shutil.which("node") is None:
        sys.exit("node not found (apt-get install nodejs npm)")
    if not (REPO / "node_modules" / "lighthouse").is_dir():
        sys.exit("Lighthouse is not in node_modules: run npm ci")
    return chrome


def main(argv: list[str] | None = None) -> int:
    """Build, serve and measure; print the table; 1 when a minimum is missed."""
    args = parse_args(argv)
    chrome = check_tools()
    minimum = minimums(args)
    pages = {name: PAGES[name] for name in args.only or PAGES}
    args.out.mkdir(parents=True, exist_ok=True)
    if args.vnu and not args.vnu.is_file():
        sys.exit(
            f"{args.vnu}: no such file (npm install vnu-jar, in a folder of its own)"
        )
    port = free_port()
    nu_errors = 0
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "COMMS_ENV": "production",
            "COMMS_ALLOW_HTTP": "1",  # plain http on 127.0.0.1, TLS is nginx's job
            "COMMS_SITE_URL": f"http://127.0.0.1:{port}",
            "COMMS_SECRET_KEY": "lighthouse-" + "0" * 64,
            "COMMS_INSTANCE_PATH": tmp,
            "COMMS_DATABASE_URL": f"sqlite:///{tmp}/comms.sqlite3",
            "COMMS_CONTENT_DIR": str(REPO / "content"),
            "COMMS_MEDIA_DIR": f"{tmp}/media",
        }
        comms(env, "init-db")
        comms(env, "import", str(REPO / "content"))
        with gunicorn("comms:create_app()", env, workers=2, port=port) as base:
            for name, path in pages.items():
                try:  # a page that is not there would be scored as an error page
                    urllib.request.urlopen(base + path, timeout=10)  # noqa: S310
                except (urllib.error.URLError, OSError) as exc:
                    sys.exit(f"{name}: {base + path} does not answer 200: {exc}")
            if args.vnu:
                nu_errors = nu_check(args.vnu, base, pages, args.out)
            runs = [
                {
                    "name": name,
                    "url": base + path,
                    "form": form,
                    "skip": SKIPPED_AUDITS.get(name, []),
                }
                for form in args.forms
                for name, path in pages.items()
            ]
            samples: dict[tuple[str, str], list[Scores]] = {}
            for result in lighthouse(chrome, args.out, runs):
                samples[(result["form"], result["name"])] = [result["scores"]]
            again = [
                run
                for run in runs
                if missed(samples[(run["form"], run["name"])][0], minimum)
            ]
            for _ in range(RETRIES if again else 0):
                for result in lighthouse(chrome, args.out, again):
                    samples[(result["form"], result["name"])].append(result["scores"])
    return report(samples, minimum) or (1 if nu_errors else 0)


def report(
    samples: dict[tuple[str, str], list[Scores]], minimum: dict[str, int]
) -> int:
    """Print the table of scores and minimums; 1 when a minimum is missed."""
    head = ["form", "page", *CATEGORIES]
    print(f"\nLighthouse 12, Chromium, gunicorn 2 workers; {machine()}")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    failures = []
    lowest: dict[str, dict[str, int]] = {}
    for (form, name), runs in samples.items():
        scores = median(runs)
        note = f" (median of {len(runs)})" if len(runs) > 1 else ""
        if name in SKIPPED_AUDITS:
            note += " (without " + ", ".join(SKIPPED_AUDITS[name]) + ")"
        print(
            f"| {form} | {name}{note} | "
            + " | ".join(str(scores[c]) for c in CATEGORIES)
            + " |"
        )
        low = lowest.setdefault(form, dict.fromkeys(CATEGORIES, 100))
        for c in CATEGORIES:
            low[c] = min(low[c], scores[c] or 0)
        failures += [
            f"{form} {name}: {c} {scores[c]} < {minimum[c]}"
            for c in missed(scores, minimum)
        ]
    for form, low in lowest.items():
        print(
            f"| {form} | **minimum** | "
            + " | ".join(str(low[c]) for c in CATEGORIES)
            + " |"
        )
    if failures:
        print("\nBelow the minimum:\n  " + "\n  ".join(failures))
        return 1
    print("\nEvery page meets every minimum.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
