"""The `comms` command line: import, export, init-db and serve."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from comms.catalogue.models import Item
from comms.cli import main
from comms.site import load_site
from tests.catalogue.test_content_files import GOOD
from tests.conftest import CONTENT
from tests.factories import write_content


def test_import_prints_summary_and_is_idempotent(runner, content_dir, session):
    write_content(content_dir, "press-releases/first-results.en.md", GOOD)
    first = runner.invoke(args=["import", str(content_dir)])
    assert first.exit_code == 0, first.output
    assert "1 files: 1 new, 0 updated, 0 unchanged" in first.output
    second = runner.invoke(args=["import", str(content_dir)])
    assert "0 new, 0 updated, 1 unchanged" in second.output


def test_import_of_bad_file_names_it_on_stderr_and_exits_non_zero(
    runner, content_dir, session
):
    write_content(content_dir, "press-releases/first-results.en.md", GOOD)
    bad = write_content(content_dir, "press-releases/broken.en.md", "---\na: [\n---\n")
    result = runner.invoke(args=["import", str(content_dir)])
    assert result.exit_code != 0
    assert f"{bad}: invalid YAML" in result.stderr
    assert "nothing imported" in result.stderr
    assert session.scalar(select(func.count()).select_from(Item)) == 0


def test_import_keep_going_stores_good_files_and_still_fails(
    runner, content_dir, session
):
    write_content(content_dir, "press-releases/first-results.en.md", GOOD)
    write_content(content_dir, "press-releases/broken.en.md", "---\na: [\n---\n")
    result = runner.invoke(args=["import", "--keep-going", str(content_dir)])
    assert result.exit_code == 1
    assert "1 bad files skipped" in result.output
    assert session.scalar(select(func.count()).select_from(Item)) == 1


def test_export_then_import_reports_nothing_changed(runner, tmp_path, content_dir):
    shutil.copy(CONTENT / "site.yml", content_dir / "site.yml")
    (content_dir / "media").mkdir()
    for name in load_site(CONTENT).identity_files():  # emblems, logos, icons
        shutil.copy(CONTENT / name, content_dir / name)
    assert runner.invoke(args=["import", str(CONTENT)]).exit_code == 0
    out = tmp_path / "export"
    result = runner.invoke(args=["export", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "site.yml").read_bytes() == (CONTENT / "site.yml").read_bytes()
    assert (out / "media" / "eu-emblem.svg").exists()
    again = runner.invoke(args=["import", str(out)])
    assert " 0 new, 0 updated" in again.output


def test_missing_folder_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(args=["import", str(tmp_path / "nowhere")])
    assert result.exit_code != 0
    assert "not a folder" in result.stderr


def test_console_script_reports_bad_setting_on_one_line(tmp_path):
    env = {
        **os.environ,
        "COMMS_FEED_SIZE": "many",
        "COMMS_INSTANCE_PATH": str(tmp_path),
    }
    result = CliRunner().invoke(main, ["init-db"], env=env)
    assert result.exit_code != 0
    assert "COMMS_FEED_SIZE must be a number" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_on_empty_database_creates_schema_imports_content_and_serves(
    tmp_path: Path,
):
    port = _free_port()
    env = {
        **os.environ,
        "COMMS_INSTANCE_PATH": str(tmp_path / "instance"),
        "COMMS_CONTENT_DIR": str(CONTENT),
        "COMMS_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    }
    env.pop("COMMS_SECRET_KEY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "comms", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = ""
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.1)
        assert "StressTest report" in body
        assert (tmp_path / "instance" / "secret_key").exists()
        assert len(_workers_of(tmp_path)) == 1  # the job worker beside the site
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=10)
    assert "importing" in output
    assert _workers_of(tmp_path) == [], "the worker outlived comms serve"


def _workers_of(tmp_path: Path) -> list[int]:
    """Pids of the `comms worker` processes serving this test's instance folder."""
    found = []
    for proc_dir in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc_dir / "cmdline").read_bytes().split(b"\0")
            environ = (proc_dir / "environ").read_bytes()
        except OSError:
            continue
        is_worker = b"worker" in cmdline[-2:] and b"comms" in cmdline
        if is_worker and str(tmp_path / "instance").encode() in environ:
            found.append(int(proc_dir.name))
    return found


def test_every_documented_command_is_on_the_console_script(tmp_path: Path):
    """`comms --help` (no app built yet) lists every command product.md names."""
    env = {**os.environ, "COMMS_INSTANCE_PATH": str(tmp_path / "instance")}
    listed = subprocess.run(
        [sys.executable, "-m", "comms", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    for name in (
        "serve",
        "init-db",
        "import",
        "export",
        "user",
        "videos",
        "newsletter",
        "subscribers",
        "static",
        "kpi",
        "check",
    ):
        assert f"  {name} " in listed.stdout, name
    subprocess.run(
        [sys.executable, "-m", "comms", "init-db"], env=env, check=True, timeout=60
    )
    figures = subprocess.run(
        [sys.executable, "-m", "comms", "kpi", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert figures.returncode == 0, figures.stderr
    assert isinstance(json.loads(figures.stdout), dict | list)
