"""The benchmark dataset: a real platform's size on PostgreSQL, built by SQL in seconds.

The schema comes from the migrations (``flask db upgrade``); the rows from
``INSERT … SELECT … FROM generate_series``, with explicit ids, in one transaction:

- 1 platform admin, ``partners`` partners (the platform list), each with an admin and a wallet;
- ``students`` students over the first ``active_partners`` partners, a few of them large
  (50%, 20%, 10% of the students), and ``companies`` client companies;
- ``enrolments`` enrolments, all of the largest partner (each of its students in up to two
  courses; one in ten completed, with its lessons done and a certificate);
- the largest partner's wallet holds ``big_wallet_entries`` entries (recharges, deductions
  and one debit per enrolment); every other wallet a short history.

The ledger is consistent by construction: ``balance_after`` is the running sum of
the wallet's amounts (a window function) and each balance is the sum of its entries,
so ``flask audit-ledger`` passes. A marker table (``bench_dataset``) records the spec
the data was built with: the next run reuses it unless the spec changed or
``--rebuild`` is asked.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

import sqlalchemy as sa

MARKER_TABLE = "bench_dataset"
PASSWORD = "bench-pass-2026"
PLATFORM_ADMIN_EMAIL = "admin@bench.example"
BIG_PARTNER_ADMIN_EMAIL = "partner@bench.example"
# Shares of the students that the three large partners hold; the rest is spread evenly.
LARGE_SHARES = (0.5, 0.2, 0.1)

FIRST_NAMES = [
    "Giulia", "Marco", "Francesca", "Luca", "Chiara", "Alessandro", "Sara", "Matteo", "Martina", "Andrea",
    "Valentina", "Davide", "Elena", "Simone", "Federica", "Lorenzo", "Alessia", "Riccardo", "Silvia", "Stefano",
    "Paola", "Giorgio", "Anna", "Tommaso", "Laura", "Pietro", "Ilaria", "Nicola", "Roberta", "Gabriele",
]
LAST_NAMES = [
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
    "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti",
    "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone",
]


@dataclass(frozen=True)
class Spec:
    partners: int = 100
    active_partners: int = 20
    students: int = 100_000
    companies: int = 20
    courses: int = 10
    enrolments: int = 100_000
    big_wallet_entries: int = 1_000_000
    other_wallet_entries: int = 10
    # The wallet the reference "minimal debit" app charges (a reseller's: not in the partner list).
    reference_wallet_credits: int = 1_000_000_000

    def __post_init__(self):
        if self.active_partners < 4 or self.partners < self.active_partners:
            raise ValueError("at least 4 active partners, and no more than the partners")
        if self.enrolments > 2 * self.big_partner_students:
            raise ValueError("the largest partner's students can hold at most two enrolments each")
        if self.big_wallet_entries < 2 * self.enrolments:
            raise ValueError("the largest wallet needs at least two entries per enrolment")

    @property
    def big_partner_students(self) -> int:
        return int(self.students * LARGE_SHARES[0])

    @property
    def debit_stride(self) -> int:
        """Every ``debit_stride``-th entry of the largest wallet is an enrolment debit."""
        return self.big_wallet_entries // self.enrolments if self.enrolments else self.big_wallet_entries + 1

    @property
    def opening_credits(self) -> int:
        """The first recharge: enough that the running balance never goes below zero."""
        return 1_000_000 + 4 * self.enrolments

    def student_id(self, s: int) -> int:
        return 1 + self.partners + s

    @property
    def reference_wallet_id(self) -> int:
        return self.partners + 1

    def as_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class Built:
    seconds: float
    counts: dict


def _names_array(names: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + name.replace("'", "''") + "'" for name in names) + "]"


def _statements(spec: Spec, password_hash: str) -> list[tuple[str, dict]]:
    """The SQL that fills an empty, migrated schema, in order."""
    p = dict(
        P=spec.partners, A=spec.active_partners, S=spec.students, C=spec.courses, CO=spec.companies,
        E=spec.enrolments, N=spec.big_wallet_entries, M=spec.other_wallet_entries,
        S1=spec.big_partner_students, S2=int(spec.students * sum(LARGE_SHARES[:2])),
        S3=int(spec.students * sum(LARGE_SHARES)), stride=spec.debit_stride, opening=spec.opening_credits,
        pw=password_hash, admin_email=PLATFORM_ADMIN_EMAIL, big_admin_email=BIG_PARTNER_ADMIN_EMAIL,
        ref_wallet=spec.reference_wallet_id, ref_credits=spec.reference_wallet_credits,
    )
    first, last = _names_array(FIRST_NAMES), _names_array(LAST_NAMES)
    # Three years of history, oldest first.
    base = "(now() - interval '3 years')"
    return [
        ("INSERT INTO platform_settings (id, low_balance_threshold, refund_on_cancel) VALUES (1, 10, true)", p),
        (f"""INSERT INTO partners (id, name, kind, domain, created_at)
             SELECT i,
                    CASE i WHEN 1 THEN 'Grande Formazione SpA' WHEN 2 THEN 'Accademia Nord Srl'
                           WHEN 3 THEN 'Sicurezza Lavoro Italia' ELSE 'Partner ' || lpad(i::text, 3, '0') END,
                    CASE WHEN i % 25 = 5 THEN 'whitelabel' ELSE 'default' END,
                    CASE WHEN i % 25 = 5 THEN 'p' || i || '.bench.localhost' END,
                    {base} + i * interval '1 day'
             FROM generate_series(1, :P) AS i""", p),
        ("INSERT INTO resellers (id, name, created_at) VALUES (1, 'Bench reference reseller', now())", p),
        # Users: 1 = platform admin, 2..P+1 = each partner's admin, then the students.
        (f"""INSERT INTO users (id, email, name, password_hash, role, is_active, partner_id, created_at)
             SELECT 1, :admin_email, 'Bench Admin', :pw, 'platform_admin', true, NULL, {base}
             UNION ALL
             SELECT 1 + i, CASE WHEN i = 1 THEN :big_admin_email ELSE 'admin' || i || '@bench.example' END,
                    'Admin ' || i, :pw, 'partner_admin', true, i, {base} + i * interval '1 day'
             FROM generate_series(1, :P) AS i""", p),
        ("""INSERT INTO companies (id, partner_id, name, vat_number, contact, created_at)
            SELECT i, CASE WHEN i <= :CO / 2 THEN 1 WHEN i <= 3 * :CO / 4 THEN 2 ELSE 3 END,
                   'Azienda Cliente ' || lpad(i::text, 2, '0') || ' Srl', lpad((10000000000 + i)::text, 11, '0'),
                   'Referente ' || i, now()
            FROM generate_series(1, :CO) AS i""", p),
        (f"""INSERT INTO users (id, email, name, role, is_active, partner_id, company_id, created_at)
             SELECT 1 + :P + s, 'student' || s || '@bench.example',
                    ({first})[1 + s % {len(FIRST_NAMES)}] || ' ' || ({last})[1 + (s / {len(FIRST_NAMES)}) % {len(LAST_NAMES)}],
                    'student', s % 200 <> 7, partner_id,
                    CASE partner_id
                        WHEN 1 THEN NULLIF(s % (:CO / 2 + 1), 0)
                        WHEN 2 THEN :CO / 2 + 1 + s % (3 * :CO / 4 - :CO / 2)
                        WHEN 3 THEN 3 * :CO / 4 + 1 + s % (:CO - 3 * :CO / 4)
                    END,
                    {base} + s * (interval '3 years' / :S)
             FROM (SELECT s, CASE WHEN s <= :S1 THEN 1 WHEN s <= :S2 THEN 2 WHEN s <= :S3 THEN 3
                                  ELSE 4 + s % (:A - 3) END AS partner_id
                   FROM generate_series(1, :S) AS s) AS students""", p),
        ("""INSERT INTO courses (id, title, description, value_per_enrolment, assign_to_all_partners, created_at)
            SELECT c, 'Corso ' || lpad(c::text, 2, '0') || ' — ' ||
                      (ARRAY['Sicurezza sul lavoro', 'Primo soccorso', 'Antincendio', 'Privacy e GDPR',
                             'HACCP', 'Excel avanzato', 'Inglese commerciale', 'Leadership'])[1 + c % 8],
                   'Corso di prova del benchmark.', 1 + c % 4, true, now() - interval '4 years'
            FROM generate_series(1, :C) AS c""", p),
        ("""INSERT INTO lessons (id, course_id, position, title, body, has_homework, is_checkpoint)
            SELECT (c - 1) * 10 + pos, c, pos, 'Lezione ' || pos, '', pos = 2, pos = 3
            FROM generate_series(1, :C) AS c, generate_series(1, 3 + c % 4) AS pos""", p),
        # The largest partner's students (the first S1), each in one course, then in a second one.
        (f"""INSERT INTO enrolments (id, user_id, course_id, partner_id, status, start_date, credits_charged,
                                     enrolled_by_id, created_at, completed_at)
             SELECT e, 1 + :P + s, course_id, 1, CASE WHEN e % 10 = 0 THEN 'completed' ELSE 'active' END,
                    ({base} + e * :stride * (interval '3 years' / :N))::date, 1 + course_id % 4, 2,
                    {base} + e * :stride * (interval '3 years' / :N),
                    CASE WHEN e % 10 = 0 THEN {base} + e * :stride * (interval '3 years' / :N) + interval '30 days' END
             FROM (SELECT e, 1 + (e - 1) % :S1 AS s,
                          1 + (CASE WHEN e <= :S1 THEN (1 + (e - 1) % :S1) ELSE (2 + (e - 1) % :S1) END) % :C AS course_id
                   FROM generate_series(1, :E) AS e) AS rows""", p),
        ("""INSERT INTO lesson_progress (enrolment_id, lesson_id, done_at)
            SELECT e.id, l.id, e.created_at + l.position * interval '1 day'
            FROM enrolments e JOIN lessons l ON l.course_id = e.course_id
            WHERE e.status = 'completed' OR (e.id % 3 = 0 AND l.position = 1)""", p),
        ("""INSERT INTO certificates (enrolment_id, code, student_name, course_title, issuer_name, issued_at)
            SELECT e.id,
                   substr(code, 1, 4) || '-' || substr(code, 5, 4) || '-' || substr(code, 9, 4),
                   u.name, c.title, p.name, e.completed_at
            FROM enrolments e
            JOIN users u ON u.id = e.user_id JOIN courses c ON c.id = e.course_id JOIN partners p ON p.id = e.partner_id,
                 LATERAL (SELECT translate(upper(md5('bench' || e.id)), '01', 'XY') AS code) AS codes
            WHERE e.status = 'completed'""", p),
        ("""INSERT INTO wallets (id, partner_id, reseller_id, balance, created_at)
            SELECT i, i, NULL, 0, now() - interval '3 years' FROM generate_series(1, :P) AS i
            UNION ALL SELECT :ref_wallet, NULL, 1, 0, now() - interval '3 years'""", p),
        # The largest wallet: an opening recharge, one debit per enrolment every `stride` entries,
        # recharges and deductions in between; balance_after is the running sum.
        (f"""INSERT INTO wallet_entries (id, wallet_id, amount, balance_after, kind, actor_id, note,
                                         enrolment_id, idempotency_key, created_at)
             SELECT k, 1, amount, sum(amount) OVER (ORDER BY k ROWS UNBOUNDED PRECEDING), kind, actor_id, note,
                    enrolment_id, CASE WHEN enrolment_id IS NOT NULL THEN 'enrolment\\:' || enrolment_id || '\\:debit' END,
                    {base} + k * (interval '3 years' / :N)
             FROM (
                 SELECT k,
                        CASE WHEN k = 1 THEN :opening WHEN e.id IS NOT NULL THEN -e.credits_charged
                             WHEN k % 4 IN (1, 2) THEN 2 WHEN k % 4 = 3 THEN -1 ELSE 1 END AS amount,
                        CASE WHEN k = 1 THEN 'recharge' WHEN e.id IS NOT NULL THEN 'enrolment_debit'
                             WHEN k % 4 = 3 THEN 'deduction' ELSE 'recharge' END AS kind,
                        CASE WHEN e.id IS NOT NULL THEN 2 ELSE 1 END AS actor_id,
                        CASE WHEN k = 1 THEN 'Opening balance' WHEN e.id IS NOT NULL THEN u.email || ' — ' || c.title
                             WHEN k % 4 = 3 THEN 'Correction' ELSE 'Monthly top-up' END AS note,
                        e.id AS enrolment_id
                 FROM generate_series(1, :N) AS k
                 LEFT JOIN enrolments e ON k % :stride = 0 AND e.id = k / :stride
                 LEFT JOIN users u ON u.id = e.user_id
                 LEFT JOIN courses c ON c.id = e.course_id
             ) AS rows""", p),
        # Every other partner's wallet: a short history (recharge 100, deduction 10, …).
        (f"""INSERT INTO wallet_entries (id, wallet_id, amount, balance_after, kind, actor_id, note, created_at)
             SELECT :N + (w - 2) * :M + j, w, CASE WHEN j % 2 = 1 THEN 100 ELSE -10 END,
                    90 * (j / 2) + CASE WHEN j % 2 = 1 THEN 100 ELSE 0 END,
                    CASE WHEN j % 2 = 1 THEN 'recharge' ELSE 'deduction' END, 1,
                    CASE WHEN j % 2 = 1 THEN 'Recharge' ELSE 'Correction' END,
                    {base} + j * interval '1 day'
             FROM generate_series(2, :P) AS w, generate_series(1, :M) AS j""", p),
        ("""INSERT INTO wallet_entries (id, wallet_id, amount, balance_after, kind, actor_id, note, created_at)
            VALUES (:N + (:P - 1) * :M + 1, :ref_wallet, :ref_credits, :ref_credits, 'recharge', 1,
                    'Reference debit app opening balance', now())""", p),
        ("""UPDATE wallets w SET balance = t.total
            FROM (SELECT wallet_id, sum(amount) AS total FROM wallet_entries GROUP BY wallet_id) AS t
            WHERE w.id = t.wallet_id""", p),
    ]


SEQUENCED_TABLES = (
    "platform_settings", "partners", "resellers", "users", "companies", "courses", "lessons", "enrolments",
    "lesson_progress", "certificates", "wallets", "wallet_entries",
)


def marker_spec(engine: sa.Engine) -> str | None:
    """The spec the database's dataset was built with, or None (no dataset, or a half-built one)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(MARKER_TABLE):
            return None
        return conn.execute(sa.text(f"SELECT value FROM {MARKER_TABLE} WHERE key = 'spec'")).scalar()


def reset_schema(engine: sa.Engine) -> None:
    """Drop everything in the bench database (the migrations then build it again)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))


def build(engine: sa.Engine, spec: Spec, password_hash: str) -> Built:
    """Fill the (migrated, empty) schema in one transaction, then VACUUM ANALYZE it."""
    started = time.perf_counter()
    with engine.begin() as conn:
        for sql, params in _statements(spec, password_hash):
            used = {k: v for k, v in params.items() if f":{k}" in sql}
            conn.execute(sa.text(sql), used)
        for table in SEQUENCED_TABLES:
            conn.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            ))
        conn.execute(sa.text(f"CREATE TABLE {MARKER_TABLE} (key text PRIMARY KEY, value text NOT NULL)"))
        conn.execute(sa.text(f"INSERT INTO {MARKER_TABLE} VALUES ('spec', :spec), ('built_at', now()::text)"),
                     {"spec": spec.as_json()})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    return Built(seconds=time.perf_counter() - started, counts=counts(engine))


def counts(engine: sa.Engine) -> dict:
    tables = ("partners", "companies", "users", "enrolments", "wallet_entries", "certificates", "lesson_progress")
    with engine.connect() as conn:
        found = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}
        found["students"] = conn.execute(sa.text("SELECT count(*) FROM users WHERE role = 'student'")).scalar()
        found["big wallet entries"] = conn.execute(
            sa.text("SELECT count(*) FROM wallet_entries WHERE wallet_id = 1")).scalar()
    return found
