"""The servers `make bench` drives: gunicorn processes it starts, watches (RSS, CPU) and stops.

Every app runs with the same settings (sync workers, ``WORKERS`` of them, no access log),
each on a free local port. Memory is read from /proc: ``VmHWM`` is a process's peak
resident set, and writing 5 to ``/proc/<pid>/clear_refs`` resets it, so the peak of
one download is measured on the worker process itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

WORKERS = 4
ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    app: str  # gunicorn's APP_MODULE
    env: dict
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log_dir: Path, timeout: float = 60) -> "Server":
        self.log_path = log_dir / f"{self.name}.log"
        command = [
            GUNICORN, "--workers", str(WORKERS), "--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}",
            "--timeout", "600", "--graceful-timeout", "5", "--log-level", "warning", self.app,
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **self.env},
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} did not start; see {self.log_path}")
            if len(self.worker_pids()) == WORKERS and self._answers():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s; see {self.log_path}")

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(self.url + "/", timeout=2).close()
        except urllib.error.HTTPError:
            return True  # any HTTP answer (404, 405, 302) means it serves
        except OSError:
            return False
        return True

    def stop(self) -> None:
        """SIGTERM to the master (graceful, 5 s), then SIGKILL to the whole group if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def restart(self, log_dir: Path) -> None:
        """Stop and start again on the same port (signed-in sessions stay valid: same SECRET_KEY)."""
        self.stop()
        self.start(log_dir)

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid) if self.process is not None else []


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def status_kib(pid: int, key: str) -> int:
    """A ``/proc/<pid>/status`` value in KiB (VmRSS, VmHWM), 0 if the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak_rss(pids: list[int]) -> bool:
    """Reset each process's VmHWM to its current RSS; False where the kernel refuses."""
    ok = True
    for pid in pids:
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as clear:
                clear.write("5")
        except OSError:
            ok = False
    return ok


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except OSError:
            pass
    return total
