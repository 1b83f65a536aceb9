"""A real Aula under gunicorn, and Debian's Chromium driven by Playwright.

One server for the whole browser run: a fresh SQLite database in a tmp dir,
migrated and seeded by the real CLI (``flask db upgrade``, ``flask seed-demo``),
then ``gunicorn wsgi:app`` on a free port of 127.0.0.1. No DATABASE_URL or
REDIS_URL reaches it, so it runs on the embedded defaults of DESIGN.md §3.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Settings of the developer's shell that must not leak into the server.
_SCRUBBED_PREFIXES = ("AULA_", "DATABASE_URL", "REDIS_URL", "RQ_", "MAIL_", "SECRET_KEY", "FLASK_",
                      "TEST_DATABASE_URL", "TEST_REDIS_URL", "LOGIN_RATE_LIMIT")


def _server_env(instance_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    env.update(
        AULA_INSTANCE_DIR=str(instance_dir),
        FLASK_APP="wsgi.py",
        # The smoke test logs in seven times in a few seconds; rate limiting
        # has its own tests.
        LOGIN_RATE_LIMIT="1000 per minute",
        PYTHONUNBUFFERED="1",
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# A failed email, so the email log has a "Re-send" button to drive over HTMX.
_FAILED_EMAIL = """
from app import create_app
from app.extensions import db
from app.models import EmailMessage
from app.transactions import commit

app = create_app()
with app.app_context():
    db.session.add(EmailMessage(
        template="low_balance", recipient="partner@example.com",
        subject="Smoke test: Demo Partner credit balance is low",
        body_text="The credit balance of Demo Partner is low.",
        status="failed", attempts=1, last_error="SMTPServerDisconnected: smoke test"))
    commit()
"""


# The live server's environment, for tests that run a CLI command against its database.
LIVE_ENV: dict[str, str] = {}


@contextlib.contextmanager
def serve_demo(instance_dir: Path, setup_scripts: tuple[str, ...] = ()) -> Iterator[tuple[str, dict[str, str]]]:
    """A freshly migrated and seeded demo served by gunicorn: (base URL, its environment); stopped at the end."""
    env = _server_env(instance_dir)
    _run([str(BIN / "flask"), "db", "upgrade"], env)
    _run([str(BIN / "flask"), "seed-demo"], env)
    for script in setup_scripts:
        _run([str(BIN / "python"), "-c", script], env)

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = instance_dir / "gunicorn.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--access-logfile", "-", "--graceful-timeout", "5", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        _wait_for_health(proc, base_url, log_path)
        yield base_url, env
    finally:
        _stop(proc)
        log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Base URL of a gunicorn serving the seeded demo, shared by the whole browser run."""
    with serve_demo(tmp_path_factory.mktemp("e2e-instance"), (_FAILED_EMAIL,)) as (base_url, env):
        LIVE_ENV.update(env)
        yield base_url


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A demo served for one module alone: for tests that change the demo for good (the demo student's plan),
    so the other browser tests still find the demo as seeded, whatever order they run in."""
    with serve_demo(tmp_path_factory.mktemp("e2e-own-instance")) as (base_url, _env):
        yield base_url


def _wait_for_health(proc: subprocess.Popen, base_url: str, log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gunicorn exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer /healthz within {timeout}s:\n{log_path.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    """Stop the gunicorn we started: its own process group, by id."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("screenshots")
