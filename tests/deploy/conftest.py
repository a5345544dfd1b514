"""The site as docs/deploy.md deploys it: the wheel, gunicorn behind nginx.

``deployment`` (once per session) builds the wheel from a copy of the checkout,
installs it into a venv in a temporary folder outside the checkout, creates the
database and imports the demo content there, starts gunicorn (2 workers,
COMMS_PROXIES=1) and Debian's nginx with docs/nginx/comms.conf (only ports and
paths changed) as child processes, and ``comms worker`` when the installed package
has that command. Mail goes to a real SMTP server (aiosmtpd) and WebSub pings to a
hub stand-in, both on loopback in the test process and named in the deployment's
environment; a running job silent for 2 s is resumed (COMMS_JOBS_STALE_SECONDS).
Tests of the jobs (tests/deploy/test_jobs.py) drive the same deployment:
``Deployment.comms``, ``start_worker``, ``stop``, ``smtp``, ``hub``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.feeds.test_websub import Hub, running_hub
from tests.newsletter.smtp import SmtpServer

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI") == "true"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ADMIN_EMAIL = "officer@example.org"
ADMIN_PASSWORD = "Larch-Meadow-Cable-91"
MAIL_FROM = "Alpine Clusters <news@example.org>"
SKIP_COPY = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "build", "dist", "*.egg-info", "__pycache__",
    "instance", ".*_cache", "test-artifacts", "bench",
)  # fmt: skip


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    """Wait until something accepts on ``port`` (fail if ``process`` dies first)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on {port} within 60 s")


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"deployment test cannot run in CI: {reason}")
    pytest.skip(reason)


@dataclass
class Deployment:
    """A running deployment and the means to drive it."""

    root: Path
    venv: Path
    env: dict[str, str]
    https_port: int
    http_port: int
    app_port: int
    smtp: SmtpServer
    hub: Hub
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def bin(self) -> Path:
        """The venv's bin folder."""
        return self.venv / "bin"

    @property
    def url(self) -> str:
        """The site's address through nginx."""
        return f"https://127.0.0.1:{self.https_port}"

    def comms(
        self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the installed ``comms`` from the deployment's folder."""
        return subprocess.run(
            [str(self.bin / "comms"), *args],
            cwd=self.root / "srv",
            env={**self.env, **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        """Start a child process named ``name`` (its output in ``root/name.log``)."""
        with (self.root / f"{name}.log").open("ab") as log:  # the child keeps it
            process = subprocess.Popen(
                argv,
                cwd=self.root / "srv",
                env={**self.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[name] = process
        return process

    def start_gunicorn(
        self, name: str, port: int, env: dict[str, str] | None = None, workers: int = 2
    ) -> subprocess.Popen[bytes]:
        """gunicorn as comms-web.service runs it, on 127.0.0.1:``port``."""
        process = self.start(
            name,
            [
                str(self.bin / "gunicorn"),
                "--workers", str(workers),
                "--bind", f"127.0.0.1:{port}",
                "comms:create_app()",
            ],
            env,
        )  # fmt: skip
        wait_for_port(port, process, name)
        return process

    def has_worker(self) -> bool:
        """True when the installed package has ``comms worker``."""
        return self.comms("worker", "--help").returncode == 0

    def start_worker(
        self, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """``comms worker`` as comms-worker.service runs it."""
        return self.start("worker", [str(self.bin / "comms"), "worker"], env)

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        """Stop a child process (``signal.SIGKILL`` for kill -9)."""
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        """Stop every child process."""
        for name in list(self.processes):
            self.stop(name)


def _build_venv(root: Path) -> Path:
    """Build the wheel from a copy of the checkout; install it into a fresh venv."""
    source = root / "source"
    shutil.copytree(REPO, source, ignore=SKIP_COPY)
    dist = root / "dist"
    pip = [sys.executable, "-m", "pip"]
    # Nothing of this checkout may leak into the venv (PYTHONPATH of a test run).
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(
        [*pip, "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        check=True, cwd=root, capture_output=True, timeout=600, env=clean,
    )  # fmt: skip
    wheel = next(dist.glob("comms-*.whl"))
    venv = root / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], check=True, timeout=120, env=clean
    )
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", f"{wheel}[redis]"],
        check=True, capture_output=True, timeout=900, env=clean, cwd=root,
    )  # fmt: skip
    shutil.rmtree(source)
    return venv


def _certificate(root: Path) -> tuple[Path, Path]:
    cert, key = root / "tls" / "cert.pem", root / "tls" / "key.pem"
    cert.parent.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def nginx_site(deployment: Deployment, static: Path, cert: Path, key: Path) -> str:
    """docs/nginx/comms.conf with this deployment's ports and paths."""
    site = (REPO / "docs" / "nginx" / "comms.conf").read_text()
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{deployment.http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{deployment.https_port} ssl http2;",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{deployment.app_port};",
        "/etc/letsencrypt/live/news.example.eu/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/news.example.eu/privkey.pem": str(key),
        "/srv/comms/venv/lib/python3.11/site-packages/comms/static": str(static),
    }
    for old, new in replacements.items():
        assert old in site, f"docs/nginx/comms.conf no longer has {old!r}"
        site = site.replace(old, new)
    return site


def _start_nginx(deployment: Deployment) -> None:
    static = Path(
        subprocess.run(
            [str(deployment.bin / "python"), "-c",
             "import comms.config as c; print(c.shipped('static'))"],
            check=True, capture_output=True, text=True, cwd=deployment.root,
            env=deployment.env,
        ).stdout.strip()
    )  # fmt: skip
    assert str(static).startswith(str(deployment.venv)), "static files from the wheel"
    cert, key = _certificate(deployment.root)
    prefix = deployment.root / "nginx"
    (prefix / "logs").mkdir(parents=True)
    site = nginx_site(deployment, static, cert, key)
    (prefix / "comms.conf").write_text(site)
    # Run as root, nginx's workers would become nobody, who cannot read the
    # test's private temporary folder.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/logs/error.log warn;\n"
        "events { worker_connections 256; }\n"
        "http {\n  include /etc/nginx/mime.types;\n"
        "  default_type application/octet-stream;\n"
        f"  access_log {prefix}/logs/access.log;\n"
        f"  client_body_temp_path {prefix}/body;\n"
        f"  proxy_temp_path {prefix}/proxy;\n"
        f"  include {prefix}/comms.conf;\n}}\n"
    )
    process = deployment.start(
        "nginx", [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
    )
    wait_for_port(deployment.https_port, process, "nginx")


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback: the deployment's COMMS_SMTP_URL."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def hub() -> Iterator[Hub]:
    """A WebSub hub stand-in on loopback: the deployment's COMMS_WEBSUB_HUB."""
    with running_hub() as stand_in:
        yield stand_in


@pytest.fixture(scope="session")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer, hub: Hub
) -> Iterator[Deployment]:
    """The installed package behind nginx, as docs/deploy.md describes it."""
    if not Path(NGINX).exists():
        _missing("nginx is not installed (apt-get install nginx-light)")
    if shutil.which("openssl") is None:
        _missing("openssl is not installed")
    root = tmp_path_factory.mktemp("deployment")
    assert not str(root).startswith(str(REPO)), "the venv lives outside the checkout"
    venv = _build_venv(root)
    (root / "srv").mkdir()  # the working folder: no content/, no templates/
    app_port = free_port()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin:/usr/sbin:/sbin",
        "HOME": str(root),
        "LANG": "C.UTF-8",
        "COMMS_ENV": "production",
        "COMMS_SECRET_KEY": "e2e-" + "x" * 60,
        "COMMS_INSTANCE_PATH": str(root / "instance"),
        "COMMS_DATABASE_URL": f"sqlite:///{root / 'instance' / 'comms.sqlite3'}",
        "COMMS_MEDIA_DIR": str(root / "media"),
        "COMMS_PROXIES": "1",
        "COMMS_SMTP_URL": smtp.url,
        "COMMS_MAIL_FROM": MAIL_FROM,
        "COMMS_WEBSUB_HUB": hub.url,
        "COMMS_JOBS_STALE_SECONDS": "2",
    }
    deployment = Deployment(
        root, venv, env, free_port(), free_port(), app_port, smtp, hub
    )
    deployment.env["COMMS_SITE_URL"] = deployment.url
    try:
        for args in (("init-db",), ("import", _demo_content(deployment))):
            done = deployment.comms(*args)
            assert done.returncode == 0, done.stderr
        created = deployment.comms(
            "user", "create", ADMIN_EMAIL, "--role", "admin", "--password-stdin",
            stdin=ADMIN_PASSWORD + "\n",
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        deployment.start_gunicorn("web", app_port)
        _start_nginx(deployment)
        if deployment.has_worker():
            deployment.start_worker()
        yield deployment
    finally:
        deployment.stop_all()


def _demo_content(deployment: Deployment) -> str:
    return subprocess.run(
        [str(deployment.bin / "python"), "-c",
         "import comms.config as c; print(c.shipped('content'))"],
        check=True, capture_output=True, text=True, cwd=deployment.root,
        env=deployment.env,
    ).stdout.strip()  # fmt: skip


def tls_context() -> ssl.SSLContext:
    """A client context accepting the deployment's self-signed certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
