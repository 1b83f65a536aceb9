"""A real Aula under gunicorn, and Debian's Chromium driven by Playwright.

One server for the whole browser run: a fresh SQLite database in a tmp dir,
migrated and seeded by the real CLI (``flask db upgrade``, ``flask seed-demo``),
then ``gunicorn wsgi:app`` on a free port of 127.0.0.1. No DATABASE_URL or
REDIS_URL reaches it, so it runs on the embedded defaults of DESIGN.md §3.
"""

from __future__ import annotations

import contextlib
import os
import re
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

DEMO_PASSWORD = "demo-pass-2026"

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


def run_in_live_app(code: str) -> None:
    """Run ``code`` (Python, with ``app`` created and its context pushed) against the live server's database."""
    script = "from app import create_app\napp = create_app()\nwith app.app_context():\n" + "".join(
        f"    {line}\n" for line in code.strip().splitlines())
    _run([str(BIN / "python"), "-c", script], LIVE_ENV)


def add_demo_students(prefix: str, count: int) -> list[str]:
    """``count`` students of Demo Partner (emails ``<prefix><n>@example.com``), created once; their emails."""
    emails = [f"{prefix}{n}@example.com" for n in range(1, count + 1)]
    run_in_live_app(f"""
import sqlalchemy as sa
from app.extensions import db
from app.models import Partner, Role, User
from app.transactions import commit
partner = db.session.scalar(sa.select(Partner).where(Partner.name == "Demo Partner"))
for n, email in enumerate({emails!r}, start=1):
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is None:
        db.session.add(User(email=email, name=f"{prefix.title()} Student {{n}}", role=Role.STUDENT.value,
                            partner_id=partner.id))
commit()
""")
    return emails


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


# Runs before any page script: records CSP violations in window.__cspViolations
# and reports them to Python at once, so a violation on a page the test then
# navigates away from is not lost.
CSP_LISTENER = """
(() => {
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    const v = {directive: e.violatedDirective, blocked: e.blockedURI,
               source: e.sourceFile, line: e.lineNumber, sample: e.sample};
    window.__cspViolations.push(v);
    if (typeof window.__aulaReportCsp === "function") window.__aulaReportCsp(v);
  });
})();
"""

_FAILED_LOAD = re.compile(r"status of (\d{3})")


class PageWatch:
    """Collects everything that would mean the page is broken.

    A console error, an uncaught exception, a failed request, a response >= 400 the test did not
    announce with ``expect_status``, and any Content-Security-Policy violation: reported by the
    ``securitypolicyviolation`` event, or only on the console (a violation inside a document htmx
    parses a response into fires no event in the page, but Chromium logs it).
    """

    def __init__(self, page):
        self.page = page
        self.problems: list[str] = []
        self._expected: list[tuple[int, str]] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"JS exception: {exc}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)
        page.expose_function("__aulaReportCsp", lambda v: self.problems.append(f"CSP violation: {v}"))
        page.add_init_script(CSP_LISTENER)

    def expect_status(self, status: int, url_part: str) -> None:
        """A response the test provokes on purpose (a refused form answers 422): not a problem."""
        self._expected.append((status, url_part))

    def _is_expected(self, status: int, url: str | None) -> bool:
        return any(status == s and part in (url or "") for s, part in self._expected)

    def _response(self, response) -> None:
        if response.status >= 400 and not self._is_expected(response.status, response.url):
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def _request_failed(self, request) -> None:
        self.problems.append(f"request failed: {request.method} {request.url}: {request.failure} "
                             f"(page then at {self.page.url}; started by {request.frame.url})")

    def _console(self, msg) -> None:
        text = msg.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.problems.append(f"CSP console message ({msg.type}): {text}")
        elif msg.type == "error":
            failed = _FAILED_LOAD.search(text)
            if failed and self._is_expected(int(failed.group(1)), msg.location.get("url")):
                return
            self.problems.append(f"console error: {text} ({msg.location.get('url')})")

    def assert_clean(self) -> None:
        self.page.wait_for_load_state("networkidle")
        violations = self.page.evaluate("window.__cspViolations || []")
        assert violations == [], f"CSP violations on {self.page.url}: {violations}"
        assert self.problems == [], f"problems on {self.page.url}:\n" + "\n".join(self.problems)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember whether the test itself passed, so a watch reports only on a passing test."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.test_passed = report.passed


def new_watched_page(browser, live_server, width: int = 1280, height: int = 800):
    """A fresh browser context (no cookies) and its page, watched; close the context when done."""
    context = browser.new_context(base_url=live_server, locale="en-US", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page, PageWatch(page)


@pytest.fixture
def watched(request, browser, live_server):
    """Open watched pages (``watched(width=390)``); every one must be clean when the test passes."""
    opened = []

    def open_page(width: int = 1280, height: int = 800):
        context, page, watch = new_watched_page(browser, live_server, width, height)
        opened.append((context, page, watch))
        return page, watch

    yield open_page
    try:
        if getattr(request.node, "test_passed", False):
            for _, _, watch in opened:
                watch.assert_clean()
    finally:
        for context, _, _ in opened:
            context.close()


@pytest.fixture
def page_and_watch(watched):
    return watched()


@pytest.fixture
def page(page_and_watch):
    """A desktop-width page; the test fails on any console error, failed request or CSP violation."""
    return page_and_watch[0]


@pytest.fixture
def watch(page_and_watch):
    return page_and_watch[1]


def sign_in(page, email: str) -> None:
    """Sign in through the login form and wait until the account's home has loaded."""
    page.goto("/auth/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    with page.expect_navigation(wait_until="networkidle"):
        page.locator("main form button[type=submit]").click()
