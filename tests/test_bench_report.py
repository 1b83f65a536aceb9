"""`make bench`'s own arithmetic: reading wrk's result, holding rows to their targets, the table."""

import json

import pytest

from benchmarks import report, routes
from benchmarks.dataset import Spec
from benchmarks.load import LoadError, WrkResult, parse_wrk_output


def wrk_line(**overrides) -> str:
    data = {"duration_us": 10_000_000, "requests": 1000, "bytes": 5_000_000, "connect_errors": 0,
            "read_errors": 0, "write_errors": 0, "timeouts": 0, "s2xx": 1000, "s3xx": 0, "s4xx": 0, "s5xx": 0,
            "p50_us": 20_000, "p95_us": 80_000, "p99_us": 120_000, "max_us": 200_000}
    return "Running 10s test\nBENCH_RESULT " + json.dumps({**data, **overrides}) + "\n"


def result(rps: float, p95_ms: float = 50, not_ok: int = 0) -> WrkResult:
    return WrkResult(duration_s=10, requests=int(rps * 10) + not_ok, ok=int(rps * 10), not_ok=not_ok,
                     socket_errors=0, p50_ms=p95_ms / 2, p95_ms=p95_ms, p99_ms=p95_ms * 2)


HELLO = result(2000)
DEBIT = result(300)


def test_wrk_output_gives_successful_requests_per_second_and_latencies_in_ms():
    parsed = parse_wrk_output(wrk_line(s2xx=900, s4xx=100))
    assert (parsed.rps, parsed.not_ok, parsed.p50_ms, parsed.p95_ms, parsed.p99_ms) == (90, 100, 20, 80, 120)
    assert parsed.statuses == "4xx: 100"


def test_a_run_where_nothing_answered_has_no_latencies():
    parsed = parse_wrk_output(wrk_line(requests=0, s2xx=0, timeouts=16, p50_us=0, p95_us=0, p99_us=0))
    assert (parsed.rps, parsed.p95_ms, parsed.socket_errors) == (0, None, 16)


def test_wrk_output_without_the_result_line_is_an_error():
    with pytest.raises(LoadError):
        parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_a_list_page_at_a_fifth_of_hello_within_100_ms_with_constant_sql_meets_its_target():
    row = report.list_row("students", result(400, p95_ms=100), HELLO, queries_constant=True)
    assert (row.ratio, row.verdict) == ("0.200", report.PASS)


@pytest.mark.parametrize("page, constant", [
    (result(399, p95_ms=50), True),  # too few requests per second
    (result(1000, p95_ms=101), True),  # p95 too slow
    (result(1000, p95_ms=50, not_ok=1), True),  # an answer that is not 200
    (result(1000, p95_ms=50), False),  # more SQL at 100 rows than at 10, or not paginated
])
def test_a_list_page_misses_its_target_on_any_one_criterion(page, constant):
    assert report.list_row("students", page, HELLO, queries_constant=constant).missed


def test_the_enrolment_post_is_held_to_half_the_minimal_debit():
    assert report.action_row("enrol", result(150), DEBIT).verdict == report.PASS
    assert report.action_row("enrol", result(149), DEBIT).missed


def test_bulk_audit_and_wallet_csv_targets_are_strict_bounds():
    assert report.bulk_row(4.9, 1000, 3000, 0.7, 3001, 1000).verdict == report.PASS
    assert report.bulk_row(5.0, 1000, 3000, 0.7, 3001, 1000).missed
    assert report.bulk_row(1.0, 999, 3000, 0.7, 3001, 1000).missed  # a row not enrolled
    assert report.audit_row(5, 99, True, 60).verdict == report.PASS
    assert report.audit_row(5, 99, False, 60).missed  # the ledger audit itself failed
    assert report.audit_row(5, 100, True, 60).missed
    limit = routes.WALLET_CSV_MAX_SECONDS
    assert report.export_row("wallet CSV", "1M rows", limit - 1, 80, 90, limit, True).verdict == report.PASS
    assert report.export_row("wallet CSV", "1M rows", limit - 1, 80, 90, limit, False).missed  # stopped
    assert report.export_row("XLSX", "100k rows", 99, 80, 5, None, True).verdict == report.INFO


def test_the_table_is_markdown_with_one_line_per_row():
    rows = [report.reference_row("hello", HELLO), report.list_row("students", result(10), HELLO, sql="7 → 7")]
    lines = report.table(rows).splitlines()
    assert len(lines) == 4 and lines[1].startswith("|---")
    assert all(line.count("|") == len(report.COLUMNS) + 1 for line in lines)
    assert "7 → 7" in lines[3] and report.FAIL in lines[3]


def test_the_dataset_spec_refuses_sizes_it_cannot_build_consistently():
    with pytest.raises(ValueError):
        Spec(students=100, enrolments=101)  # the largest partner holds 50 students: 100 enrolments at most
    with pytest.raises(ValueError):
        Spec(enrolments=100_000, big_wallet_entries=150_000)  # two entries per enrolment at least


def test_a_row_shows_the_workers_cpu_time_per_request_when_measured():
    assert "CPU 0.28 ms/req" in report.reference_row("hello", HELLO, cpu_ms=0.28).aula
    assert "CPU 11.5 ms/req" in report.list_row("rows", result(50), HELLO, cpu_ms=11.46).aula
    assert "CPU" not in report.list_row("rows", result(50), HELLO).aula


def test_the_signed_in_page_reference_shows_its_ratio_to_hello_and_is_held_to_nothing():
    row = report.floor_row("signed-in page of 50 rows (reference)", result(500, p95_ms=400), HELLO, cpu_ms=3.2)
    assert (row.reference, row.ratio, row.verdict, row.missed) == ("hello 2000 rps", "0.250", report.INFO, False)
    assert "CPU 3.2 ms/req" in row.aula


def test_a_post_row_shows_how_many_workers_waited_on_a_lock_when_sampled():
    debit = result(600)
    row = report.action_row("enrolment POST (HTMX)", result(70), debit, cpu_ms=19.2, lock_waits=2.27)
    assert "CPU 19.2 ms/req; 2.3 of 4 waiting on a lock" in row.aula and row.missed
    reference = report.floor_row("enrolment statements alone (reference)", result(250), debit, lock_waits=0.4,
                                 reference_name="minimal debit")
    assert "0.4 of 4 waiting on a lock" in reference.aula and reference.ratio == "0.417"
    assert "waiting" not in report.reference_row("minimal debit (reference)", debit).aula
