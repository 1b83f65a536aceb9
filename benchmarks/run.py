"""`make bench`: Aula at a real platform's size, measured side by side with two reference apps.

1. The dataset (benchmarks/dataset.py) on PostgreSQL (BENCH_DATABASE_URL, default
   postgresql://postgres@127.0.0.1:5432/bench): migrated with ``flask db upgrade``, filled
   by SQL once, reused by later runs (``--rebuild`` builds it again).
2. In this process: SQL statements per list page at 10 and 100 rows and per enrolment
   POST, bulk enrolment of 1,000 students; then ``flask audit-ledger`` as a child
   process (time, peak RSS).
3. Aula, a Flask "hello" app, a minimal Flask + SQLAlchemy debit app, a minimal
   signed-in page of 50 rows (and the same from a page cache), Aula's enrolment statements
   alone and the enrolment in the fewest statements (no target: what the stack and the SQL
   alone allow; see refapps), each under
   gunicorn with the same settings (4 sync workers), driven one path at a time by wrk
   (16 connections) from another process; then the exports, with the peak RSS of the
   gunicorn worker that serves them.
4. One table; exit status 1 when a target (benchmarks/routes.py) is missed.

Options: ``python -m benchmarks.run --help``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

import sqlalchemy as sa

from benchmarks import dataset, load, report, routes
from benchmarks.servers import ROOT, Server, cpu_ticks, reset_peak_rss, status_kib

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench"
BIN = Path(sys.executable).parent
BIG_PARTNER_ID = 1
BULK_SIZE = 1_000
BENCH_COURSE_PREFIX = "Bench POST course"
# Students kept free for the wrk POST runs (the four enrolment references', then Aula's): at
# most this many enrolments a second per run (the fastest reference has done under 300), for
# the run's duration; fewer left and the run opens a new course (and takes the last one out of
# every partner's catalog).
MAX_POST_RPS = 600
POST_RUNS = 5
# The enrolment references (refapps.enrol_app): Aula's twelve statements alone, in Aula's order
# and with the wallet locked last, and the same enrolment in the fewest statements.
ENROL_REFERENCES = {
    "enrolment statements alone": "/enrol",
    "enrolment statements alone, wallet locked last": "/enrol-late",
    "enrolment in the fewest statements": "/enrol-fewest",
}
# The fewest statements again, behind the page reference's sign-in and CSRF check, with a small answer.
SIGNED_IN_FEWEST = "enrolment in the fewest statements, signed in"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass
class Context:
    """What the routes' ``{placeholders}`` are filled from, and the ids each part of the run uses."""

    database_url: str
    course_id: int
    post_ids: list[int] = field(default_factory=list)
    bulk_ids: list[int] = field(default_factory=list)
    big_partner_id: int = BIG_PARTNER_ID

    def fill(self, template: str) -> str:
        values = {"course_id": self.course_id, "big_partner_id": self.big_partner_id, "id": "{id}"}
        return template.format_map(values)


# --- 1. the dataset -------------------------------------------------------------------


def flask_env(database_url: str) -> dict:
    # Production settings; the platform URL is the host wrk and the browsers ask for (trusted hosts).
    return {"DATABASE_URL": database_url, "FLASK_APP": "wsgi.py", "AULA_ENV": "production",
            "SECRET_KEY": os.environ["SECRET_KEY"], "AULA_PLATFORM_URL": os.environ["AULA_PLATFORM_URL"]}


def flask(args: list[str], database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env={**os.environ, **flask_env(database_url)},
                          capture_output=True, text=True)


def ensure_database(url: str) -> bool:
    """Create the bench's database on its server if it is not there (a new machine has only its defaults).

    A database that answers is left as it is, and only the bench's own database is asked
    (a server may not let its users into ``postgres``). Otherwise the server's ``postgres``
    database creates it, outside a transaction (CREATE DATABASE cannot run in one).
    Returns whether it was created.
    """
    target = sa.make_url(sqlalchemy_url(url))
    probe = sa.create_engine(target, poolclass=sa.pool.NullPool)
    try:
        with probe.connect():
            return False
    except sa.exc.OperationalError:
        pass  # missing, or the server is down: the maintenance database tells which
    finally:
        probe.dispose()
    server = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT",
                              poolclass=sa.pool.NullPool)
    try:
        with server.connect() as connection:
            if connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": target.database}):
                return False
            name = connection.dialect.identifier_preparer.quote(target.database)
            connection.execute(sa.text(f"CREATE DATABASE {name}"))
            return True
    finally:
        server.dispose()


def ensure_dataset(engine: sa.Engine, database_url: str, spec: dataset.Spec, rebuild: bool) -> str:
    found = None if rebuild else dataset.marker_spec(engine)
    if found == spec.as_json():
        upgrade(database_url)  # new migrations (indexes) reach the kept data
        return "reused"
    log("building the dataset (drop the schema, flask db upgrade, INSERT … SELECT generate_series)")
    dataset.reset_schema(engine)
    upgrade(database_url)
    from werkzeug.security import generate_password_hash

    built = dataset.build(engine, spec, generate_password_hash(dataset.PASSWORD))
    log(f"dataset built in {built.seconds:.0f} s: {built.counts}")
    return f"built in {built.seconds:.0f} s"


def upgrade(database_url: str) -> None:
    done = flask(["db", "upgrade"], database_url)
    if done.returncode != 0:
        raise SystemExit("flask db upgrade failed:\n" + done.stdout + done.stderr)


FREE_STUDENTS = sa.text("""
    SELECT u.id FROM users u
    WHERE u.partner_id = :partner AND u.role = 'student' AND u.is_active
      AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.user_id = u.id AND e.course_id = :course
                      AND e.status IN ('active', 'completed'))
    ORDER BY u.id""")


def free_students(engine: sa.Engine, course_id: int) -> list[int]:
    """The largest partner's active students not (yet) in the course."""
    with engine.connect() as conn:
        return list(conn.execute(FREE_STUDENTS, {"partner": BIG_PARTNER_ID, "course": course_id}).scalars())


def prepare_context(engine: sa.Engine, database_url: str, duration: float) -> Context:
    """The course the run enrols into, and the largest partner's students not yet in it.

    A new course is opened when too few are left for ``duration`` seconds of each POST run;
    the earlier ones leave the catalog, so the enrol form stays the same size from run to run.
    """
    pool = BULK_SIZE + int(POST_RUNS * MAX_POST_RPS * duration)
    with engine.begin() as conn:
        course_id = conn.execute(sa.text("SELECT max(id) FROM courses WHERE title LIKE :prefix"),
                                 {"prefix": BENCH_COURSE_PREFIX + " %"}).scalar()
        ids = conn.execute(FREE_STUDENTS, {"partner": BIG_PARTNER_ID, "course": course_id}).scalars().all() \
            if course_id else []
        if len(ids) < pool:
            number = conn.execute(sa.text("SELECT count(*) + 1 FROM courses WHERE title LIKE :prefix"),
                                  {"prefix": BENCH_COURSE_PREFIX + " %"}).scalar()
            course_id = conn.execute(sa.text(
                "INSERT INTO courses (title, description, value_per_enrolment, assign_to_all_partners, created_at)"
                " VALUES (:title, '', 1, true, now()) RETURNING id"), {"title": f"{BENCH_COURSE_PREFIX} {number}"}
            ).scalar_one()
            conn.execute(sa.text("UPDATE courses SET assign_to_all_partners = false WHERE title LIKE :prefix"
                                 " AND id <> :course"), {"prefix": BENCH_COURSE_PREFIX + " %", "course": course_id})
            conn.execute(sa.text("INSERT INTO lessons (course_id, position, title, body, has_homework, is_checkpoint)"
                                 " SELECT :course, p, 'Lezione ' || p, '', false, false"
                                 " FROM generate_series(1, 3) AS p"), {"course": course_id})
            ids = conn.execute(FREE_STUDENTS, {"partner": BIG_PARTNER_ID, "course": course_id}).scalars().all()
    return Context(database_url, course_id, post_ids=list(ids[BULK_SIZE:]), bulk_ids=list(ids[:BULK_SIZE]))


# --- 2. in this process -------------------------------------------------------------------


def measure_in_process(ctx: Context, results: dict, *, sql: bool = True, bulk: bool = True,
                       invoice: bool = True) -> None:
    from benchmarks import inprocess

    app = inprocess.make_app(sqlalchemy_url(ctx.database_url))
    clients = {role: inprocess.signed_in_client(app, email) for role, email in routes.ACCOUNTS.items()}
    for route in routes.ROUTES if sql else []:
        client = clients[route.role]
        if route.is_list:
            log(f"SQL statements of {route.name} at 10 and 100 rows")
            try:
                results["queries"][route.name] = asdict(
                    inprocess.page_queries(app, client, ctx.fill(route.path), htmx=route.htmx))
            except Exception as exc:  # noqa: BLE001 - one broken page must not hide the others
                results["errors"][f"{route.name} (SQL count)"] = repr(exc)
        elif route.method == "POST":
            log(f"SQL statements of one {route.name}")
            body = ctx.fill(route.body).replace("{id}", str(ctx.post_ids.pop(0)))
            status, count = inprocess.post_statements(app, client, ctx.fill(route.path),
                                                      dict(pair.split("=", 1) for pair in body.split("&")),
                                                      htmx=route.htmx)
            results["post_statements"][route.name] = {"status": status, "statements": count}
    if invoice:
        from benchmarks import invoice_release

        log(f"an invoice of {invoice_release.SEATS} seats released by its payment")
        try:
            results["invoice_seconds"] = invoice_release.release_seconds(app)
        except Exception as exc:  # noqa: BLE001 - reported as a failed row
            results["errors"]["invoice release"] = repr(exc)
    if bulk:
        log(f"bulk enrolment of {len(ctx.bulk_ids):,} students (and the plain-SQL reference)")
        results["bulk"] = asdict(inprocess.bulk_enrolment(
            app, admin_email=routes.ACCOUNTS["partner"], partner_id=BIG_PARTNER_ID,
            course_id=ctx.course_id, student_ids=ctx.bulk_ids))


def measure_audit(ctx: Context, results: dict) -> None:
    log("flask audit-ledger (and flask routes, the app loaded doing nothing, for its RSS)")
    seconds, rss_kib, code, output = run_measured(["audit-ledger"], ctx.database_url)
    _, baseline_kib, _, _ = run_measured(["routes"], ctx.database_url)
    results["audit"] = {"seconds": seconds, "rss_mb": rss_kib / 1024, "passed": code == 0,
                        "output": output[-500:], "baseline_mb": baseline_kib / 1024}


def run_measured(args: list[str], database_url: str) -> tuple[float, int, int, str]:
    """(seconds, peak RSS in KiB, exit status, output) of ``flask <args>``, through benchmarks.peak_rss."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.peak_rss", str(BIN / "flask"), *args], cwd=ROOT,
                          env={**os.environ, **flask_env(database_url)}, capture_output=True, text=True)
    output, _, last = done.stdout.rstrip().rpartition("\n")
    if not last.startswith("PEAK_RSS "):
        raise RuntimeError(f"flask {' '.join(args)}: no PEAK_RSS line:\n{done.stdout[-1000:]}{done.stderr[-1000:]}")
    measured = json.loads(last.split(" ", 1)[1])
    return measured["seconds"], measured["rss_kib"], measured["returncode"], output + done.stderr


# --- 3. over HTTP ------------------------------------------------------------------------


def reference_user_id(ctx: Context) -> int:
    """The largest partner's admin: whom the signed-in page reference serves."""
    engine = sa.create_engine(sqlalchemy_url(ctx.database_url))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT id FROM users WHERE email = :email"),
                                {"email": routes.ACCOUNTS["partner"]}).scalar_one()
    finally:
        engine.dispose()


def start_servers(ctx: Context, log_dir: Path) -> dict[str, Server]:
    db_env = {"DATABASE_URL": sqlalchemy_url(ctx.database_url)}
    user_id = str(reference_user_id(ctx))
    page_env = {**db_env, "SECRET_KEY": os.environ["SECRET_KEY"], "BENCH_REF_PARTNER_ID": str(BIG_PARTNER_ID),
                "BENCH_REF_USER_ID": user_id, "BENCH_REF_WALLET_ID": str(dataset.Spec().reference_wallet_id)}
    servers = {
        "aula": Server("aula", "wsgi:app", {**flask_env(ctx.database_url), "REDIS_URL": ""}),
        "hello": Server("hello", "benchmarks.refapps:hello_app()", {}),
        "debit": Server("debit", "benchmarks.refapps:debit_app()",
                        {**db_env, "BENCH_REF_WALLET_ID": str(dataset.Spec().reference_wallet_id)}),
        "page": Server("page", "benchmarks.refapps:page_app()", page_env),
        "page without ping": Server("page without ping", "benchmarks.refapps:page_app()",
                                    {**page_env, "BENCH_POOL_PRE_PING": "0"}),
        "enrol": Server("enrol", "benchmarks.refapps:enrol_app()",
                        {**db_env, "BENCH_REF_PARTNER_ID": str(BIG_PARTNER_ID),
                         "BENCH_REF_USER_ID": user_id}),
    }
    for server in servers.values():
        log(f"starting {server.name} (gunicorn, 4 workers) on {server.url}")
        server.start(log_dir)
    return servers


def wait_idle(server: Server, engine: sa.Engine, limit: float) -> bool:
    """Until the workers use no CPU and the database runs nothing for a second (at most ``limit`` s)."""
    active = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                     " AND state = 'active' AND pid <> pg_backend_pid()")
    deadline, quiet = time.monotonic() + limit, 0
    while time.monotonic() < deadline:
        before = cpu_ticks(server.worker_pids())
        time.sleep(0.5)
        with engine.connect() as conn:
            busy_db = conn.execute(active).scalar()
        quiet = quiet + 1 if cpu_ticks(server.worker_pids()) - before <= 1 and not busy_db else 0
        if quiet >= 2:
            return True
    return False


def settle(server: Server, engine: sa.Engine, log_dir: Path, limit: float) -> None:
    """Let the requests wrk left queued finish, or restart the server if they take longer than ``limit``."""
    if not wait_idle(server, engine, limit):
        log(f"{server.name} still busy {limit:.0f} s after the run: restarting it")
        server.restart(log_dir)


LOCK_WAITS = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                     " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")


class LockWaits:
    """How many of the database's sessions wait on a lock, sampled every 20 ms while the block runs.

    For the POSTs: every enrolment of a partner (and every reference debit) queues on one wallet
    row, so this says whether the workers spend the run waiting for it or working.
    """

    def __init__(self, engine: sa.Engine):
        self.engine, self.samples, self._stop = engine, [], threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        with self.engine.connect() as conn:
            while not self._stop.wait(0.02):
                self.samples.append(conn.execute(LOCK_WAITS).scalar())
                conn.rollback()

    @property
    def mean(self) -> float | None:
        return sum(self.samples) / len(self.samples) if self.samples else None

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def wrk_with_cpu(server: Server, results: dict, name: str, url: str, *, engine: sa.Engine | None = None,
                 **options) -> load.WrkResult:
    """wrk against ``url``, noting in ``results["cpu_ms"]`` the workers' CPU time per request meanwhile,
    and with ``engine``, in ``results["lock_waits"]`` how many of them waited on a lock (``LockWaits``)."""
    before = cpu_ticks(server.worker_pids())
    if engine is None:
        result = load.run_wrk(url, **options)
    else:
        with LockWaits(engine) as waits:
            result = load.run_wrk(url, **options)
        results["lock_waits"][name] = waits.mean
    spent = cpu_ticks(server.worker_pids()) - before
    results["cpu_ms"][name] = spent * 1000 / os.sysconf("SC_CLK_TCK") / max(result.requests, 1)
    return result


def measure_http(ctx: Context, servers: dict[str, Server], engine: sa.Engine, args, results: dict,
                 log_dir: Path) -> None:
    wrk = dict(duration=args.duration, connections=args.connections, threads=args.threads,
               timeout=args.duration + 5)
    log("hello (reference)")
    results["http"]["hello"] = asdict(wrk_with_cpu(servers["hello"], results, "hello",
                                                   servers["hello"].url + "/", **wrk))
    log("minimal debit (reference)")
    results["http"]["minimal debit"] = asdict(wrk_with_cpu(servers["debit"], results, "minimal debit",
                                                           servers["debit"].url + "/debit", method="POST",
                                                           body="x=1", engine=engine, **wrk))
    log("signed-in page (reference)")
    page = load.Browser(servers["page"].url)
    try:
        # Signed in, then one page: the session holds its CSRF token, as Aula's browsers' sessions do
        # (otherwise every answer would set a new cookie).
        answers = [page.request("GET", "/login").status, page.request("GET", "/page").status]
        page.csrf = load.csrf_of(page.request("GET", "/page").text)
    except (OSError, load.LoadError) as exc:
        answers = [repr(exc)]
    if answers == [200, 200] and page.csrf:
        measured = wrk_with_cpu(servers["page"], results, "signed-in page", servers["page"].url + "/page",
                                headers={"Cookie": page.cookie_header}, **wrk)
        results["http"]["signed-in page"] = asdict(measured)
        log("signed-in debit (reference)")
        measured = wrk_with_cpu(servers["page"], results, "signed-in debit", servers["page"].url + "/debit",
                                method="POST", body="x=1", headers={**page.headers(htmx=True)}, engine=engine,
                                **wrk)
        results["http"]["signed-in debit"] = asdict(measured)
        log("signed-in page from a cache, every request a hit (reference)")
        measured = wrk_with_cpu(servers["page"], results, "cached page", servers["page"].url + "/cached",
                                headers={"Cookie": page.cookie_header}, **wrk)
        results["http"]["cached page"] = asdict(measured)
        # The same cache without the pool's ping; the page app's sessions are signed with the same key.
        measured = wrk_with_cpu(servers["page without ping"], results, "cached page without ping",
                                servers["page without ping"].url + "/cached",
                                headers={"Cookie": page.cookie_header}, **wrk)
        results["http"]["cached page without ping"] = asdict(measured)
        measure_enrol_reference(ctx, servers, engine, SIGNED_IN_FEWEST, "/enrol-fewest", wrk, results,
                                log_dir, args.drain_limit, server_name="page", visitor=page)
    else:
        results["errors"]["signed-in page"] = f"the reference did not sign in and answer 200: {answers}"
    for name, path in ENROL_REFERENCES.items():
        measure_enrol_reference(ctx, servers, engine, name, path, wrk, results, log_dir, args.drain_limit)
    browsers = signed_in(servers["aula"].url)
    for route in routes.ROUTES:
        if args.routes and not any(part in route.name for part in args.routes):
            continue
        browser = browsers[route.role]
        path, headers = ctx.fill(route.path), browser.headers(htmx=route.htmx)
        ids = ctx.post_ids if "{id}" in route.body else None
        body = ctx.fill(route.body) if route.body else None
        log(f"{route.name}: two requests alone first (each must answer 200; the second is timed)")
        try:
            for _warm_then_timed in range(2):
                alone = time.perf_counter()
                first = browser.request(route.method, path,
                                        body.replace("{id}", str(ids.pop(0))) if ids else body,
                                        headers=headers, timeout=args.drain_limit + 60)
                if first.status != 200:
                    break
        except OSError as exc:
            results["errors"][route.name] = f"a request alone failed: {exc!r}"
            settle(servers["aula"], engine, log_dir, args.drain_limit)
            continue
        if first.status != 200:
            results["errors"][route.name] = f"a request alone answered {first.status}, not 200"
            continue
        results["alone_ms"][route.name] = (time.perf_counter() - alone) * 1000
        log(f"{route.name}: wrk {args.duration:g} s, {args.connections} connections")
        result = wrk_with_cpu(servers["aula"], results, route.name, servers["aula"].url + path,
                              method=route.method, headers=headers, body=body or "", ids=ids,
                              engine=engine if route.method == "POST" else None, **wrk)
        results["http"][route.name] = asdict(result)
        if ids:
            ctx.post_ids = free_students(engine, ctx.course_id)  # the ids wrk used are enrolled now
        settle(servers["aula"], engine, log_dir, args.drain_limit)


def measure_enrol_reference(ctx: Context, servers: dict[str, Server], engine: sa.Engine, name: str, path: str,
                            wrk: dict, results: dict, log_dir: Path, drain_limit: float, *,
                            server_name: str = "enrol", visitor: load.Browser | None = None) -> None:
    """One enrolment reference: two requests first (warm, each must answer 200), then wrk.

    ``visitor``: a signed-in browser of that server, whose cookie and CSRF token every request sends.
    """
    server = servers[server_name]
    body = f"student_id={{id}}&course_id={ctx.course_id}"
    log(f"{name} (reference)")
    try:
        visitor = visitor or load.Browser(server.url)
        headers = visitor.headers(htmx=True) if visitor.csrf else {}
        warm = [visitor.request("POST", path, body.replace("{id}", str(ctx.post_ids.pop(0))),
                                headers=headers).status for _ in range(2)]
        if warm != [200, 200]:
            results["errors"][f"{name} (reference)"] = f"the reference answered {warm}, not 200"
            return
        measured = wrk_with_cpu(server, results, name, server.url + path, method="POST", body=body,
                                ids=ctx.post_ids, headers=headers, engine=engine, **wrk)
        results["http"][name] = asdict(measured)
    except (OSError, load.LoadError) as exc:
        results["errors"][f"{name} (reference)"] = f"the reference did not run: {exc!r}"
    finally:
        settle(server, engine, log_dir, drain_limit)  # before the students still free are read again
        ctx.post_ids = free_students(engine, ctx.course_id)


def signed_in(base_url: str) -> dict[str, load.Browser]:
    landings = {"partner": "/partner/", "platform": "/platform/"}
    return {role: load.Browser(base_url).login(email, dataset.PASSWORD, landings.get(role, "/"))
            for role, email in routes.ACCOUNTS.items()}


def measure_exports(servers: dict[str, Server], args, results: dict, log_dir: Path) -> None:
    for export in routes.EXPORTS:
        aula = servers["aula"]
        aula.restart(log_dir)  # fresh workers: the peak is this download's, not an earlier page's
        browser = signed_in(aula.url)[export.role]
        log(f"{export.name} ({export.rows}): download, watching the workers' RSS")
        results["exports"][export.name] = download_watched(aula, browser, export.path, args.export_limit)


def download_watched(server: Server, browser: load.Browser, path: str, limit: float) -> dict:
    """Download ``path`` (discarding it) while watching the gunicorn workers' memory and CPU."""
    workers = server.worker_pids()
    at_rest = {pid: status_kib(pid, "VmRSS") for pid in workers}
    reset_ok = reset_peak_rss(workers)
    ticks = {pid: cpu_ticks([pid]) for pid in workers}
    polled = {pid: 0 for pid in workers}
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            for pid in workers:
                polled[pid] = max(polled[pid], status_kib(pid, "VmRSS"))
            stop.wait(0.05)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=limit)
    size = lines = 0
    complete = False
    started = time.perf_counter()
    try:
        conn.request("GET", path, headers={"Cookie": browser.cookie_header})
        response = conn.getresponse()
        status = response.status
        while chunk := response.read(65536):
            size += len(chunk)
            lines += chunk.count(b"\n")
            if time.perf_counter() - started > limit:
                break
        else:
            complete = status == 200
    except OSError:
        status = 0
    finally:
        seconds = time.perf_counter() - started
        conn.close()
        stop.set()
        watcher.join()
    # The worker that served it is the one that used the CPU.
    used = {pid: cpu_ticks([pid]) - ticks[pid] for pid in workers}
    serving = max(used, key=used.get)
    peak = status_kib(serving, "VmHWM") if reset_ok else polled[serving]
    return {"status": status, "seconds": seconds, "complete": complete, "bytes": size, "lines": lines,
            "rss_mb": max(peak, polled[serving]) / 1024, "at_rest_mb": at_rest[serving] / 1024}


# --- 4. the table ---------------------------------------------------------------------------


def rows_of(results: dict) -> list[report.Row]:
    rows: list[report.Row] = []
    http_results = {name: load.WrkResult(**value) for name, value in results["http"].items()}
    hello, debit = http_results.get("hello"), http_results.get("minimal debit")
    cpu, waits = results.get("cpu_ms", {}), results.get("lock_waits", {})
    if hello:
        rows.append(report.reference_row("hello (reference)", hello, cpu.get("hello")))
    if debit:
        rows.append(report.reference_row("minimal debit (reference)", debit, cpu.get("minimal debit"),
                                         waits.get("minimal debit")))
    if http_results.get("signed-in page") and hello:
        rows.append(report.floor_row("signed-in page of 50 rows (reference)", http_results["signed-in page"],
                                     hello, cpu.get("signed-in page")))
    if http_results.get("signed-in debit") and debit:
        rows.append(report.floor_row("signed-in HTMX debit (reference)", http_results["signed-in debit"],
                                     debit, cpu.get("signed-in debit"), reference_name="minimal debit",
                                     lock_waits=waits.get("signed-in debit")))
    if http_results.get("cached page") and hello:
        rows.append(report.floor_row("signed-in page from a cache, every request a hit (reference)",
                                     http_results["cached page"], hello, cpu.get("cached page")))
    if http_results.get("cached page without ping") and hello:
        rows.append(report.floor_row("the same, without the pool's ping (reference)",
                                     http_results["cached page without ping"], hello,
                                     cpu.get("cached page without ping")))
    for name in [*ENROL_REFERENCES, SIGNED_IN_FEWEST]:
        if http_results.get(name) and debit:
            rows.append(report.floor_row(f"{name} (reference)", http_results[name], debit, cpu.get(name),
                                         reference_name="minimal debit", lock_waits=waits.get(name)))
    for route in routes.ROUTES:
        queries = results["queries"].get(route.name)
        sql, constant = "", None
        if queries:
            paginated = bool(queries["shown_small"] or queries["shown_large"])
            sql = report.sql_cell(queries["small"], queries["large"], paginated)
            constant = paginated and queries["small"] == queries["large"]
        posted = results["post_statements"].get(route.name)
        if posted:
            sql = f"{posted['statements']} per request"
        if route.name in results["errors"]:
            rows.append(report.error_row(route.name, results["errors"][route.name]))
        elif route.name in http_results and route.is_list and hello:
            rows.append(report.list_row(route.name, http_results[route.name], hello, sql=sql,
                                        queries_constant=constant, alone_ms=results["alone_ms"].get(route.name),
                                        cpu_ms=cpu.get(route.name)))
        elif route.name in http_results and debit:
            rows.append(report.action_row(route.name, http_results[route.name], debit, sql=sql,
                                          alone_ms=results["alone_ms"].get(route.name), cpu_ms=cpu.get(route.name),
                                          lock_waits=waits.get(route.name)))
        elif sql:
            rows.append(report.Row(route.name, "not driven (--routes)", sql=sql))
    if results.get("bulk"):
        b = results["bulk"]
        rows.append(report.bulk_row(b["seconds"], b["enrolled"], b["statements"], b["reference_seconds"],
                                    b["reference_statements"], BULK_SIZE))
    if results.get("invoice_seconds") is not None:
        from benchmarks import invoice_release

        seconds = results["invoice_seconds"]
        ok = seconds < invoice_release.MAX_SECONDS
        rows.append(report.Row(f"invoice of {invoice_release.SEATS} seats (3 courses each) released by its payment",
                               f"{seconds:.1f} s, one transaction", target=f"< {invoice_release.MAX_SECONDS:g} s",
                               verdict=report.PASS if ok else report.FAIL))
    if results.get("audit"):
        a = results["audit"]
        rows.append(report.audit_row(a["seconds"], a["rss_mb"], a["passed"], a["baseline_mb"]))
    for export in routes.EXPORTS:
        e = results["exports"].get(export.name)
        if e:
            rows.append(report.export_row(export.name, export.rows, e["seconds"], e["rss_mb"], e["bytes"] / 2**20,
                                          export.max_seconds, e["complete"], e["at_rest_mb"],
                                          lines=e["lines"] if export.path.endswith(".csv") else None))
    for name, message in results["errors"].items():
        if not any(row.measure == name for row in rows):
            rows.append(report.error_row(name, message))
    return rows


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor())
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return f"{model}, {os.cpu_count()} cores, {mem / 2**20:.0f} GiB RAM, load {os.getloadavg()[0]:.1f}"


# --- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="build the dataset again even if it is there")
    parser.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_DURATION", 10)),
                        help="seconds of wrk per path (default 10, or BENCH_DURATION)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--routes", nargs="*", default=[],
                        help="only the routes whose name contains one of these words (references always run)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["sql", "bulk", "invoice", "audit", "http", "exports"],
                        help="parts not to run")
    parser.add_argument("--drain-limit", type=float, default=60,
                        help="seconds to let requests left queued finish before restarting Aula (default 60)")
    parser.add_argument("--export-limit", type=float, default=300,
                        help="seconds after which a download is stopped and reported as too slow (default 300)")
    parser.add_argument("--json", type=Path, help="also write every measure to this JSON file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load.require_wrk()
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
    os.environ["AULA_ENV"] = "production"
    os.environ.setdefault("AULA_PLATFORM_URL", "http://127.0.0.1")  # required in production; wrk asks this host
    os.environ["DATABASE_URL"] = database_url
    os.environ.pop("REDIS_URL", None)
    started = time.monotonic()
    log(f"machine: {machine()}")
    if ensure_database(database_url):
        log(f"created the database {sa.make_url(database_url).database!r}")
    engine = sa.create_engine(sqlalchemy_url(database_url))
    state = ensure_dataset(engine, database_url, dataset.Spec(), args.rebuild)
    ctx = prepare_context(engine, database_url, args.duration)
    counts = dataset.counts(engine)
    results: dict = {"queries": {}, "post_statements": {}, "http": {}, "alone_ms": {}, "cpu_ms": {},
                     "lock_waits": {}, "exports": {}, "errors": {}, "bulk": None, "audit": None}
    if {"sql", "bulk", "invoice"} - set(args.skip):
        measure_in_process(ctx, results, sql="sql" not in args.skip, bulk="bulk" not in args.skip,
                           invoice="invoice" not in args.skip)
    if "audit" not in args.skip:
        measure_audit(ctx, results)
    log_dir = Path(tempfile.mkdtemp(prefix="aula-bench-logs-"))
    servers: dict[str, Server] = {}
    try:
        if "http" not in args.skip or "exports" not in args.skip:
            servers = start_servers(ctx, log_dir)
        if "http" not in args.skip:
            measure_http(ctx, servers, engine, args, results, log_dir)
        if "exports" not in args.skip:
            measure_exports(servers, args, results, log_dir)
    finally:
        for server in servers.values():
            server.stop()
    rows = rows_of(results)
    print(f"\nAula `make bench` — {time.strftime('%Y-%m-%d %H:%M')} — {machine()} — PostgreSQL "
          f"{engine.dialect.server_version_info and '.'.join(map(str, engine.dialect.server_version_info))}")
    print(f"dataset ({state}): {counts['partners']} partners, {counts['companies']} companies, "
          f"{counts['students']:,} students, {counts['enrolments']:,} enrolments, "
          f"{counts['wallet_entries']:,} wallet entries ({counts['big wallet entries']:,} in the largest wallet); "
          f"wrk {args.duration:g} s per path, {args.connections} connections; gunicorn 4 sync workers each; "
          f"server logs in {log_dir}\n")
    print(report.table(rows))
    missed = [row.measure for row in rows if row.missed]
    print(f"\n{len(missed)} target(s) missed{': ' + '; '.join(missed) if missed else ''}. "
          f"({time.monotonic() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "dataset": counts, "results": results,
                                         "rows": [asdict(row) for row in rows]}, indent=2, default=str))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
