"""Load from a second process: sign in over HTTP, then let wrk drive one path at a time.

wrk (Debian's ``wrk``) runs ``bench.lua``, which sends the session cookie and CSRF
token as headers, numbers the POST bodies from an id list, counts answers by status
class and prints one ``BENCH_RESULT`` JSON line that ``parse_wrk_output`` reads.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

LUA = Path(__file__).with_name("bench.lua")
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


class LoadError(RuntimeError):
    pass


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise LoadError("make bench needs wrk: apt-get install -y wrk")
    return path


# --- HTTP with a session ----------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Browser:
    """A signed-in user over plain HTTP: cookies kept by hand (Secure cookies over http too)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def headers(self, htmx: bool = False) -> dict[str, str]:
        headers = {"Cookie": self.cookie_header, "X-CSRFToken": self.csrf}
        if htmx:
            headers["HX-Request"] = "true"
        return headers

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None,
                timeout: float = 120) -> Answer:
        parts = urlsplit(self.base_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            all_headers = {"Cookie": self.cookie_header, **(headers or {})}
            if body is not None:
                all_headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            answer = Answer(response.status, response.getheaders(), response.read())
        finally:
            conn.close()
        self._keep_cookies(answer.headers)
        return answer

    def _keep_cookies(self, headers: list[tuple[str, str]]) -> None:
        for name, value in headers:
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                self.cookies[key.strip()] = val.strip()

    def login(self, email: str, password: str, landing: str) -> "Browser":
        token = csrf_of(self.request("GET", "/auth/login").text)
        answer = self.request("POST", "/auth/login",
                              urlencode({"email": email, "password": password, "csrf_token": token}))
        if answer.status != 302:
            raise LoadError(f"login as {email} answered {answer.status}, not a redirect")
        self.csrf = csrf_of(self.request("GET", landing).text)
        return self


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise LoadError("no CSRF token in the page")
    return match.group(1) or match.group(2)


# --- wrk ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    duration_s: float
    requests: int
    ok: int  # 2xx answers
    not_ok: int  # 3xx, 4xx, 5xx answers
    socket_errors: int  # connect/read/write errors and timeouts
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    bytes: int = 0
    statuses: str = ""  # the answers that were not 2xx, by class: "4xx: 3, 5xx: 1"

    @property
    def rps(self) -> float:
        """Successful answers per second (a refused or redirected request does not count)."""
        return self.ok / self.duration_s if self.duration_s else 0.0

    @property
    def mean_bytes(self) -> int:
        return self.bytes // self.requests if self.requests else 0


def parse_wrk_output(output: str) -> WrkResult:
    """The ``BENCH_RESULT`` line bench.lua prints, as a WrkResult (latencies in ms)."""
    for line in output.splitlines():
        if line.startswith("BENCH_RESULT "):
            data = json.loads(line.split(" ", 1)[1])
            break
    else:
        raise LoadError("wrk printed no BENCH_RESULT line:\n" + output[-2000:])
    answered = data["requests"] > 0

    def ms(key: str) -> float | None:
        return data[key] / 1000 if answered else None

    return WrkResult(
        duration_s=data["duration_us"] / 1e6,
        requests=data["requests"],
        ok=data["s2xx"],
        not_ok=data["s3xx"] + data["s4xx"] + data["s5xx"],
        socket_errors=data["connect_errors"] + data["read_errors"] + data["write_errors"] + data["timeouts"],
        p50_ms=ms("p50_us"), p95_ms=ms("p95_us"), p99_ms=ms("p99_us"),
        bytes=data["bytes"],
        statuses=", ".join(f"{name[1:]}: {data[name]}" for name in ("s3xx", "s4xx", "s5xx") if data[name]),
    )


def run_wrk(url: str, *, method: str = "GET", headers: dict | None = None, body: str = "",
            ids: list[int] | None = None, duration: float = 10, connections: int = 16, threads: int = 2,
            timeout: float = 30) -> WrkResult:
    """wrk against ``url`` for ``duration`` seconds; a body's ``{id}`` takes the next of ``ids``."""
    wrk = require_wrk()
    with tempfile.TemporaryDirectory(prefix="aula-bench-wrk-") as tmp:
        header_file = Path(tmp, "headers")
        headers = dict(headers or {})
        if body:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        header_file.write_text("".join(f"{k}: {v}\n" for k, v in headers.items()))
        id_file = Path(tmp, "ids")
        id_file.write_text("".join(f"{i}\n" for i in ids or []))
        env = {
            "BENCH_METHOD": method, "BENCH_PATH": urlsplit(url).path or "/", "BENCH_BODY": body,
            "BENCH_HEADERS": str(header_file), "BENCH_IDS": str(id_file) if ids else "",
            "BENCH_THREADS": str(threads), "PATH": "/usr/bin:/bin",
        }
        command = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s",
                   "--timeout", f"{timeout:g}s", "-s", str(LUA), url]
        started = time.monotonic()
        done = subprocess.run(command, env=env, capture_output=True, text=True,
                              timeout=duration + timeout + 60)
        if done.returncode != 0:
            raise LoadError(f"wrk failed ({done.returncode}) after {time.monotonic() - started:.0f} s:\n"
                            + done.stderr[-2000:])
        return parse_wrk_output(done.stdout)
