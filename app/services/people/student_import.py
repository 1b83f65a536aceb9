"""Import a partner's students from a CSV file: preview first, then confirm.

The file has a header row with the columns ``email``, ``name`` and
(optionally) ``company``, the company matched by name among the partner's
own companies. UTF-8 with or without a BOM; comma or semicolon delimiter
(Italian Excel exports use semicolons).

Nothing is saved by the preview. The uploaded text travels to the confirm
step signed (itsdangerous) and bound to the partner, and is parsed and
checked again there against the database as it is then: rows created in
between are reported as existing, never created twice. The import's outcome is
kept (``StudentImport``) so its result is a page of its own, read back with
``import_result``, for the partner that imported only.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import format_decimal, gettext as _

from app.extensions import db
from app.models import Company, Partner, StudentImport, User
from app.services import audit
from app.services.people import tokens
from app.services.tenancy.companies import companies_of
from app.services.people.names import has_bidi_controls
from app.services.people.students import create_student
from app.services.people.users import EmailTaken, is_valid_email, normalise_email
from app.services.exports.csv_upload import MAX_BYTES, UploadError, decode_upload, header_key, read_rows


MAX_ROWS = 5000
MAX_NAME = 200
PAYLOAD_SALT = "aula.student-import"
PAYLOAD_MAX_AGE = timedelta(hours=2)

# Header names, compared lower-cased and trimmed (English, Italian, Portuguese).
COLUMN_ALIASES = {
    "email": {"email", "e-mail", "mail", "indirizzo email", "endereço de email"},
    "name": {"name", "full name", "nome", "nome completo", "nome e cognome"},
    "company": {"company", "azienda", "empresa", "società", "societa"},
}


# The file as a whole cannot be read: the shared reader's refusal, under this domain's name.
ImportFileError = UploadError


class Outcome(str, enum.Enum):
    CREATE = "create"  # preview: will be created
    CREATED = "created"  # confirm: was created
    DUPLICATE_IN_FILE = "duplicate_in_file"
    EXISTS = "exists"
    INVALID_EMAIL = "invalid_email"
    NAME_TOO_LONG = "name_too_long"
    INVALID_NAME = "invalid_name"
    UNKNOWN_COMPANY = "unknown_company"
    MISSING = "missing"


@dataclass
class CsvRow:
    line: int
    email: str
    name: str
    company: str
    missing: bool = False


@dataclass
class CheckedRow:
    line: int
    email: str
    name: str
    company_name: str
    outcome: Outcome
    company: Company | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.CREATE, Outcome.CREATED)


@dataclass
class ImportPlan:
    rows: list[CheckedRow]
    filename: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    # The stored import, once confirmed.
    record: StudentImport | None = None

    @property
    def counts(self) -> Counter:
        return Counter(row.outcome for row in self.rows)

    @property
    def to_create(self) -> list[CheckedRow]:
        return [row for row in self.rows if row.outcome == Outcome.CREATE]

    @property
    def created(self) -> list[CheckedRow]:
        return [row for row in self.rows if row.outcome == Outcome.CREATED]

    @property
    def not_created(self) -> list[CheckedRow]:
        return [row for row in self.rows if not row.ok]


# --- reading the file ----------------------------------------------------------------


def read_upload(data: bytes) -> str:
    """The file's text, or ``ImportFileError`` (too big, not UTF-8, empty)."""
    text = decode_upload(data, max_bytes=MAX_BYTES)
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    return text


def _column_of(header: list[str]) -> tuple[dict[str, int], list[str]]:
    positions: dict[str, int] = {}
    ignored = []
    for index, cell in enumerate(header):
        key = header_key(cell)
        for column, aliases in COLUMN_ALIASES.items():
            if key in aliases:
                positions.setdefault(column, index)
                break
        else:
            if key:
                ignored.append(cell.strip())
    return positions, ignored


def parse_csv(text: str) -> tuple[list[CsvRow], list[str]]:
    """The data rows and the ignored header columns, or ``ImportFileError``."""
    rows: list[CsvRow] = []
    header: list[str] | None = None
    for line, cells in read_rows(text):
        if header is None:
            header = cells
            positions, ignored = _column_of(header)
            missing = [c for c in ("email", "name") if c not in positions]
            if missing:
                if any("@" in cell for cell in cells):
                    raise ImportFileError(
                        _("The first row must be the header with the column names: email, name, company.")
                    )
                raise ImportFileError(
                    _(
                        "Columns not recognised. The header must name the columns email and name "
                        "(company is optional); found: %(found)s.",
                        found=", ".join(c for c in cells if c) or "-",
                    )
                )
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(max)s rows. Split it into smaller files.", max=format_decimal(MAX_ROWS))
            )
        rows.append(_row(line, cells, positions))
    if header is None:
        raise ImportFileError(_("The file is empty."))
    if not rows:
        raise ImportFileError(_("The file has a header but no students."))
    return rows, ignored


def _row(line: int, cells: list[str], positions: dict[str, int]) -> CsvRow:
    def cell(column: str) -> str | None:
        index = positions.get(column)
        if index is None or index >= len(cells):
            return None
        return " ".join(cells[index].split())

    email, name, company = cell("email"), cell("name"), cell("company")
    return CsvRow(
        line=line,
        email=email or "",
        name=name or "",
        company=company or "",
        missing=not email or not name,
    )


# --- checking against the database ---------------------------------------------------


def _existing_emails(emails: set[str]) -> set[str]:
    found: set[str] = set()
    batch = sorted(emails)
    for start in range(0, len(batch), 500):
        chunk = batch[start : start + 500]
        found.update(db.session.execute(sa.select(User.email).where(User.email.in_(chunk))).scalars())
    return found


def check_rows(partner: Partner, rows: list[CsvRow]) -> list[CheckedRow]:
    """Each row's outcome if it were imported now (nothing is saved)."""
    companies: dict[str, Company] = {}
    for company in companies_of(partner):
        companies.setdefault(" ".join(company.name.split()).lower(), company)

    candidates = {normalise_email(row.email) for row in rows if not row.missing}
    existing = _existing_emails({e for e in candidates if is_valid_email(e)})

    seen: set[str] = set()
    checked = []
    for row in rows:
        email = normalise_email(row.email)
        company = companies.get(row.company.lower()) if row.company else None
        if row.missing:
            outcome = Outcome.MISSING
        elif not is_valid_email(email):
            outcome = Outcome.INVALID_EMAIL
        elif len(row.name) > MAX_NAME:
            outcome = Outcome.NAME_TOO_LONG
        elif has_bidi_controls(row.name):
            outcome = Outcome.INVALID_NAME
        elif email in seen:
            outcome = Outcome.DUPLICATE_IN_FILE
        elif email in existing:
            outcome = Outcome.EXISTS
        elif row.company and company is None:
            outcome = Outcome.UNKNOWN_COMPANY
        else:
            outcome = Outcome.CREATE
        if email and outcome not in (Outcome.MISSING, Outcome.INVALID_EMAIL):
            seen.add(email)
        checked.append(
            CheckedRow(
                line=row.line,
                email=email or row.email,
                name=row.name,
                company_name=row.company,
                outcome=outcome,
                company=company,
            )
        )
    return checked


def preview(partner: Partner, text: str, filename: str = "") -> ImportPlan:
    rows, ignored = parse_csv(text)
    return ImportPlan(rows=check_rows(partner, rows), filename=filename, ignored_columns=ignored)


# --- carrying the file from preview to confirm ----------------------------------------


def sign_upload(partner: Partner, text: str, filename: str = "") -> str:
    return tokens.sign({"p": partner.id, "f": filename[:200], "t": text}, PAYLOAD_SALT)


def load_signed_upload(partner: Partner, payload: str) -> tuple[str, str]:
    """The text and file name signed at preview, for this partner only."""
    try:
        data = tokens.unsign(payload, PAYLOAD_SALT, PAYLOAD_MAX_AGE)
    except tokens.TokenExpired:
        raise ImportFileError(_("This preview has expired. Upload the file again.")) from None
    except tokens.TokenInvalid:
        raise ImportFileError(_("This preview is not valid. Upload the file again.")) from None
    if not isinstance(data, dict) or data.get("p") != partner.id or not isinstance(data.get("t"), str):
        raise ImportFileError(_("This preview is not valid. Upload the file again."))
    return data["t"], str(data.get("f") or "")


# --- the import ----------------------------------------------------------------------------


def import_students(actor: User | None, partner: Partner, text: str, filename: str = "") -> ImportPlan:
    """Check every row again, create the valid ones (+ welcome emails) and keep the outcome
    (``plan.record``), in the caller's transaction."""
    plan = preview(partner, text, filename)
    for row in plan.to_create:
        try:
            create_student(actor, partner, row.email, row.name, row.company)
        except EmailTaken:
            row.outcome = Outcome.EXISTS
        else:
            row.outcome = Outcome.CREATED
    counts = plan.counts
    plan.record = StudentImport(
        partner_id=partner.id, actor_id=actor.id if actor is not None else None, filename=filename[:200],
        created_count=counts[Outcome.CREATED],
        rows=[{"line": row.line, "email": row.email, "name": row.name, "company": row.company_name,
               "outcome": row.outcome.value} for row in plan.rows],
    )
    db.session.add(plan.record)
    db.session.flush()
    audit.record(
        actor,
        "students.imported",
        plan.record,
        partner_id=partner.id,
        filename=filename or None,
        rows=len(plan.rows),
        created=counts[Outcome.CREATED],
    )
    return plan


def import_result(partner: Partner, import_id: int) -> ImportPlan | None:
    """A finished import of ``partner``'s, as it ended; another partner's (or none) is None."""
    record = db.session.get(StudentImport, import_id)
    if record is None or record.partner_id != partner.id:
        return None
    rows = [CheckedRow(line=row["line"], email=row["email"], name=row["name"], company_name=row["company"],
                       outcome=Outcome(row["outcome"])) for row in record.rows]
    return ImportPlan(rows=rows, filename=record.filename, record=record)
