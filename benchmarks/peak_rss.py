"""Run a command and print its wall time and peak RSS: ``python -m benchmarks.peak_rss CMD ARGS…``.

Why a launcher of its own: Linux keeps a process's peak RSS across ``exec``, so a child
forked from the (large) benchmark process would report at least the parent's size. Forked
from this small process instead, the child's ``ru_maxrss`` (from ``wait4``) is its own.
The command's output passes through; the last line is ``PEAK_RSS {json}``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    process = subprocess.Popen(argv)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    sys.stdout.flush()
    print("PEAK_RSS " + json.dumps({"seconds": seconds, "rss_kib": usage.ru_maxrss,
                                    "returncode": process.returncode}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
