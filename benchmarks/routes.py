"""What `make bench` drives, and the targets it holds Aula to (issue 9).

Add a page by adding a ``Route``: a list page is driven by wrk against the hello app,
counted in-process at 10 and 100 rows, and held to the list targets; an action (a POST)
is driven against the minimal debit app. ``{name}`` in a path or body is filled from
the run's context (see ``benchmarks.run.Context``); ``{id}`` in a body takes the next id
of the run's pool, so each request acts on a different row.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.dataset import BIG_PARTNER_ADMIN_EMAIL, PLATFORM_ADMIN_EMAIL

# Targets on this 2-core machine (server, database and load generator share it).
LIST_MIN_RATIO = 0.2  # × hello rps
LIST_MAX_P95_MS = 100
ACTION_MIN_RATIO = 0.5  # × the minimal debit's rps
BULK_MAX_SECONDS = 5.0  # 1,000 students
AUDIT_MAX_RSS_MB = 100
WALLET_CSV_MAX_SECONDS = 30.0  # 1,000,000 rows

# Who signs in for each role (the dataset creates them, password dataset.PASSWORD).
ACCOUNTS = {
    "partner": BIG_PARTNER_ADMIN_EMAIL,
    "platform": PLATFORM_ADMIN_EMAIL,
}


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str
    role: str
    kind: str = "list"  # "list" (vs hello) or "action" (vs the minimal debit)
    htmx: bool = False
    body: str = ""

    @property
    def is_list(self) -> bool:
        return self.kind == "list"


ROUTES = [
    Route("partner students", "GET", "/partner/students", "partner"),
    Route("partner enrolments (page with the enrol form)", "GET", "/partner/enrolments", "partner"),
    Route("partner enrolment rows (HTMX)", "GET", "/partner/enrolments/rows", "partner", htmx=True),
    Route("partner participants", "GET", "/partner/participants", "partner"),
    Route("partner wallet history", "GET", "/partner/wallet", "partner"),
    Route("platform partners", "GET", "/platform/partners", "platform"),
    Route("enrolment POST (HTMX)", "POST", "/partner/enrolments", "partner", kind="action", htmx=True,
          body="student_id={id}&course_id={course_id}"),
]


@dataclass(frozen=True)
class Export:
    name: str
    path: str
    role: str
    rows: str  # what the file holds, as the table says it
    max_seconds: float | None = None


EXPORTS = [
    Export("enrolments CSV", "/partner/reports/enrolments.csv", "partner", "100k rows"),
    Export("enrolments XLSX", "/partner/reports/enrolments.xlsx", "partner", "100k rows"),
    Export("wallet CSV", "/partner/wallet.csv", "partner", "1M rows", max_seconds=WALLET_CSV_MAX_SECONDS),
]
