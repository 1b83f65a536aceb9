"""The one table `make bench` prints, and which of its rows miss their target.

Pure functions (no server, no database), so they are unit-tested in tests/test_bench_report.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks import routes
from benchmarks.load import WrkResult
from benchmarks.servers import WORKERS

PASS, FAIL, INFO = "ok", "MISSED", ""


@dataclass(frozen=True)
class Row:
    measure: str
    aula: str
    reference: str = ""
    ratio: str = ""
    sql: str = ""
    target: str = ""
    verdict: str = INFO  # PASS, FAIL or INFO (measured, no target)

    @property
    def missed(self) -> bool:
        return self.verdict == FAIL


def _ms(value: float | None) -> str:
    return "–" if value is None else (f"{value:.0f}" if value >= 10 else f"{value:.1f}")


def latency_cell(result: WrkResult, alone_ms: float | None = None, cpu_ms: float | None = None,
                 lock_waits: float | None = None) -> str:
    """rps and percentiles under load; ``alone_ms``: one request with the server otherwise idle;
    ``cpu_ms``: the workers' CPU time per request during the load; ``lock_waits``: how many of
    the workers' database sessions waited on a lock, on average (a POST queues on its wallet row)."""
    text = (f"{result.rps:.1f} rps; p50 {_ms(result.p50_ms)} / p95 {_ms(result.p95_ms)} /"
            f" p99 {_ms(result.p99_ms)} ms")
    if alone_ms is not None:
        text += f"; alone {_ms(alone_ms)} ms"
    if cpu_ms is not None:
        text += f"; CPU {cpu_ms:.2f} ms/req" if cpu_ms < 1 else f"; CPU {cpu_ms:.1f} ms/req"
    if lock_waits is not None:
        text += f"; {lock_waits:.1f} of {WORKERS} waiting on a lock"
    problems = []
    if result.not_ok:
        problems.append(f"{result.not_ok} not 2xx" + (f" ({result.statuses})" if result.statuses else ""))
    if result.socket_errors:
        problems.append(f"{result.socket_errors} timeouts/socket errors")
    if result.ok == 0:
        problems.append(f"no 2xx answer within {result.duration_s:.0f} s")
    return text + (f" ({', '.join(problems)})" if problems else "")


def ratio(value: float, reference: float) -> float:
    return value / reference if reference else 0.0


def reference_row(name: str, result: WrkResult, cpu_ms: float | None = None, lock_waits: float | None = None) -> Row:
    return Row(name, latency_cell(result, cpu_ms=cpu_ms, lock_waits=lock_waits), verdict=INFO)


def floor_row(name: str, result: WrkResult, reference: WrkResult, cpu_ms: float | None = None, *,
              reference_name: str = "hello", lock_waits: float | None = None) -> Row:
    """A reference nothing is held to, with its ratio to the one a target uses: what the stack alone allows."""
    return Row(name, latency_cell(result, cpu_ms=cpu_ms, lock_waits=lock_waits),
               f"{reference_name} {reference.rps:.0f} rps",
               f"{ratio(result.rps, reference.rps):.3f}", verdict=INFO)


def sql_cell(small: int | None, large: int | None, paginated: bool = True) -> str:
    """Statements at 10 → 100 rows; a list that does not paginate shows all its rows both times."""
    if small is None or large is None:
        return ""
    if not paginated:
        return f"{large} (not paginated: every row)"
    return f"{small} → {large}"


def list_row(name: str, result: WrkResult, hello: WrkResult, *, sql: str = "",
             queries_constant: bool | None = None, alone_ms: float | None = None, cpu_ms: float | None = None) -> Row:
    """A list page: ≥ LIST_MIN_RATIO × hello rps, p95 ≤ LIST_MAX_P95_MS, same SQL at 10 and 100 rows."""
    r = ratio(result.rps, hello.rps)
    ok = (result.ok > 0 and r >= routes.LIST_MIN_RATIO and result.p95_ms is not None
          and result.p95_ms <= routes.LIST_MAX_P95_MS and not result.not_ok and queries_constant is not False)
    target = (f"≥ {routes.LIST_MIN_RATIO:g} × hello, p95 ≤ {routes.LIST_MAX_P95_MS} ms, "
              "same SQL at 10/100 rows")
    return Row(name, latency_cell(result, alone_ms, cpu_ms), f"hello {hello.rps:.0f} rps", f"{r:.3f}", sql, target,
               PASS if ok else FAIL)


def action_row(name: str, result: WrkResult, debit: WrkResult, *, sql: str = "",
               alone_ms: float | None = None, cpu_ms: float | None = None, lock_waits: float | None = None) -> Row:
    """An action (enrolment POST): ≥ ACTION_MIN_RATIO × the minimal debit's rps, every answer a 2xx."""
    r = ratio(result.rps, debit.rps)
    ok = result.ok > 0 and r >= routes.ACTION_MIN_RATIO and not result.not_ok
    return Row(name, latency_cell(result, alone_ms, cpu_ms, lock_waits), f"minimal debit {debit.rps:.0f} rps",
               f"{r:.3f}", sql,
               f"≥ {routes.ACTION_MIN_RATIO:g} × minimal debit", PASS if ok else FAIL)


def bulk_row(seconds: float, enrolled: int, statements: int, reference_seconds: float,
             reference_statements: int, wanted: int) -> Row:
    ok = seconds < routes.BULK_MAX_SECONDS and enrolled == wanted
    note = "" if enrolled == wanted else f" (only {enrolled} of {wanted} enrolled)"
    return Row(f"bulk enrolment of {wanted:,} students", f"{seconds:.1f} s{note}",
               f"same rows, plain SQL, one transaction: {reference_seconds:.2f} s",
               f"{ratio(reference_seconds, seconds):.3f}", f"{statements:,} ({reference_statements:,})",
               f"< {routes.BULK_MAX_SECONDS:g} s", PASS if ok else FAIL)


def audit_row(seconds: float, rss_mb: float, passed: bool, baseline_mb: float) -> Row:
    ok = passed and rss_mb < routes.AUDIT_MAX_RSS_MB
    verdict_note = "" if passed else " (audit FAILED: the ledger is broken)"
    return Row("flask audit-ledger", f"{seconds:.1f} s, peak RSS {rss_mb:.0f} MB{verdict_note}",
               f"flask routes (app loaded, no work): {baseline_mb:.0f} MB", "", "",
               f"< {routes.AUDIT_MAX_RSS_MB} MB RSS", PASS if ok else FAIL)


def export_row(name: str, rows: str, seconds: float | None, rss_mb: float | None, size_mb: float,
               max_seconds: float | None, complete: bool, baseline_mb: float | None = None,
               lines: int | None = None) -> Row:
    time_text = f"{seconds:.0f} s, stopped unfinished" if not complete else f"{seconds:.1f} s"
    rss_text = "–" if rss_mb is None else f"{rss_mb:.0f} MB"
    size_text = f"{size_mb:.1f} MB" + (f", {lines:,} lines" if lines else "")
    cell = f"{time_text}, {size_text}; worker peak RSS {rss_text}"
    reference = "" if baseline_mb is None else f"worker at rest {baseline_mb:.0f} MB"
    if max_seconds is None:
        return Row(f"{name} ({rows})", cell, reference, verdict=INFO)
    ok = complete and seconds is not None and seconds < max_seconds
    return Row(f"{name} ({rows})", cell, reference, target=f"< {max_seconds:g} s", verdict=PASS if ok else FAIL)


def error_row(name: str, message: str) -> Row:
    return Row(name, f"not measured: {message}", verdict=FAIL)


COLUMNS = ("measure", "Aula", "reference (same run)", "ratio", "SQL 10 → 100 rows", "target", "")


def table(rows: list[Row]) -> str:
    """A Markdown table: readable in a terminal, pasted as is into the README."""
    cells = [COLUMNS] + [(r.measure, r.aula, r.reference, r.ratio, r.sql, r.target, r.verdict) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = []
    for index, row in enumerate(cells):
        lines.append("| " + " | ".join(text.ljust(width) for text, width in zip(row, widths)) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)
