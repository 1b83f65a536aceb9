"""Reading the audit trail: filter it, page it, and say each event as a sentence a person reads.

Events store codes (``wallet.recharged``) and JSON details (``audit.record``). Here every action
is worded once, through gettext, as a whole sentence that names who did it, to what and for whom:
"Anna Rossi (platform admin) recharged Demo Partner's wallet by 50 credits." ``SENTENCES`` is
the one place those words live; ``tests/test_audit_trail.py`` fails when an action recorded by
the code has no sentence. What the sentences of a page name (people, partners, companies,
courses, enrolments) is loaded in a fixed number of queries, whatever the page's length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import format_date, format_decimal, gettext, lazy_gettext as _l, lazy_pgettext, ngettext
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.i18n import autonym, credits_text, format_money
from app.models import AuditEvent, Company, Course, Enrolment, Invoice, Partner, Reseller, Role, User
from app.services import reworded
from app.services.ledger.statements import start_of_day
from app.services.people.users import role_label
from app.services.sales.policies import method_label

# Each action's sentence. Placeholders: %(actor)s (who, with their role), %(partner)s (the partner
# the event concerns), %(object)s (the named object), and the event's own details.
SENTENCES = {
    "auth.login": _l("%(actor)s signed in."),
    "user.created": _l("%(actor)s created the account %(email)s (%(role)s)."),
    "user.password_set": _l("%(actor)s chose a password with the emailed link."),
    "partner.created": _l("%(actor)s created the partner %(partner)s."),
    "partner.updated": _l("%(actor)s changed the details of %(partner)s."),
    "partner.logo_changed": _l("%(actor)s uploaded a new logo for %(partner)s."),
    "partner.logo_removed": _l("%(actor)s removed the logo of %(partner)s."),
    "wallet.recharged": _l("%(actor)s recharged %(partner)s's wallet by %(amount)s."),
    "wallet.deducted": _l("%(actor)s deducted %(amount)s from %(partner)s's wallet."),
    "settings.updated": _l("%(actor)s changed the platform settings."),
    "company.created": _l("%(actor)s added the client company %(object)s to %(partner)s."),
    "company.updated": _l("%(actor)s changed the client company %(object)s of %(partner)s."),
    "report.downloaded": _l("%(actor)s downloaded the %(report)s of %(partner)s as %(format)s."),
    "email.resent": _l("%(actor)s queued the email to %(recipient)s again."),
    "enrolment.created": _l("%(actor)s enrolled %(student)s in %(course)s for %(credits)s."),
    "enrolment.cancelled": _l("%(actor)s cancelled the enrolment of %(student)s in %(course)s (refund: %(refunded)s)."),
    "enrolment.completed": _l("%(actor)s completed %(course)s (certificate %(certificate)s)."),
    "bulk_enrolment.requested": _l("%(actor)s asked for a bulk enrolment of %(partner)s in %(course)s "
                                   "(students to enrol: %(to_enrol)s; cost: %(total_cost)s)."),
    "bulk_enrolment.refused": _l("The bulk enrolment of %(partner)s in %(course)s was refused: %(why)s."),
    "bulk_enrolment.done": _l("The bulk enrolment of %(partner)s in %(course)s is done (enrolled: %(enrolled)s; "
                              "skipped: %(skipped)s; charged: %(credits)s)."),
    "bulk_enrolment.failed": _l("The bulk enrolment of %(partner)s stopped on an error; nothing was charged."),
    "students.imported": _l("%(actor)s imported students of %(partner)s from %(filename)s (rows: %(rows)s; "
                            "students created: %(created)s)."),
    "student.created": _l("%(actor)s created the student %(object)s of %(partner)s."),
    "student.updated": _l("%(actor)s changed the student %(object)s of %(partner)s."),
    "student.deactivated": _l("%(actor)s deactivated the student %(object)s of %(partner)s."),
    "student.reactivated": _l("%(actor)s reactivated the student %(object)s of %(partner)s."),
    "student.welcome_resent": _l("%(actor)s sent %(object)s a new link to set the password."),
    "course.pricing_changed": _l("%(actor)s changed the pricing of %(object)s."),
    "own_course.created": _l("%(actor)s created the course %(title)s of %(partner)s."),
    "own_course.updated": _l("%(actor)s changed the course %(title)s of %(partner)s."),
    "lesson.added": _l("%(actor)s added the lesson %(title)s to %(course)s."),
    "lesson.updated": _l("%(actor)s changed the lesson %(title)s of %(course)s."),
    "lesson.moved": _l("%(actor)s moved the lesson %(title)s of %(course)s from position %(before)s "
                       "to %(after)s."),
    "lesson.deleted": _l("%(actor)s deleted the lesson %(title)s of %(course)s."),
    "course.created": _l("%(actor)s created the course %(title)s."),
    "course.updated": _l("%(actor)s changed the course %(title)s."),
    "product.created": _l("%(actor)s created the product %(name)s."),
    "product.updated": _l("%(actor)s changed the product %(name)s."),
    "offer.created": _l("%(actor)s created the offer %(name)s of %(product)s."),
    "offer.updated": _l("%(actor)s changed the offer %(name)s of %(product)s."),
    "grant.created": _l("%(actor)s gave %(user)s the product %(product)s with the offer %(offer)s."),
    "grant.revoked": _l("%(actor)s removed the access of %(user)s to %(product)s."),
    "grant.settings_overridden": _l("%(actor)s changed one participant's access settings: %(reason)s."),
    "grant.offer_changed": _l("%(actor)s moved an access to %(product)s from the offer %(previous_offer)s to "
                              "%(offer)s: %(reason)s."),
    "homework.submitted": _l("%(actor)s handed in the homework of the lesson %(lesson)s."),
    "homework.accepted": _l("%(actor)s accepted the homework of %(student)s for the lesson %(lesson)s."),
    "homework.returned": _l("%(actor)s sent back the homework of %(student)s for the lesson %(lesson)s."),
    "reseller.created": _l("%(actor)s created the reseller %(reseller)s."),
    "reseller.updated": _l("%(actor)s changed the details of the reseller %(reseller)s."),
    "reseller.offers_set": _l("%(actor)s chose the offers %(reseller)s may sell."),
    "reseller.payment_settings": _l("%(actor)s changed the payment settings of %(reseller)s."),
    "customer.created": _l("%(actor)s created the customer %(object)s of %(reseller)s."),
    "customer.credit_added": _l("%(actor)s gave %(amount)s to the customer %(object)s."),
    "customer.credit_recovered": _l("%(actor)s recovered %(amount)s from the customer %(object)s."),
    "order.placed": _l("%(actor)s placed the order %(number)s (%(method)s)."),
    "order.paid": _l("The order %(number)s was paid (%(method)s)."),
    "order.paid_after_deletion": _l("A payment (%(method)s) arrived for the deleted order %(number)s: refund it with "
                                    "the payment provider."),
    "order.activated": _l("%(actor)s activated the order %(number)s."),
    "order.activation_refused": _l("The order %(number)s could not be activated: %(reason)s"),
    "order.deleted": _l("%(actor)s deleted the order %(number)s."),
    "invoice.created": _l("%(actor)s wrote a draft invoice for %(payer)s."),
    "invoice.updated": _l("%(actor)s changed the invoice %(invoice)s."),
    "invoice.discarded": _l("%(actor)s discarded a draft invoice for %(payer)s."),
    "invoice.issued": _l("%(actor)s issued the invoice %(number)s, %(total)s."),
    "invoice.cancelled": _l("%(actor)s cancelled the invoice %(number)s."),
    "invoice.line_added": _l("%(actor)s added %(quantity)s × %(description)s to the invoice %(invoice)s."),
    "invoice.line_removed": _l("%(actor)s removed %(description)s from the invoice %(invoice)s."),
    "invoice.payment_recorded": _l("%(actor)s recorded a payment of %(amount)s on the invoice %(invoice)s "
                                   "(reference %(reference)s)."),
    "invoice.payment_reversed": _l("%(actor)s reversed a payment of %(amount)s on the invoice %(invoice)s."),
    "seat.linked": _l("%(actor)s linked a seat of %(product)s on the invoice %(invoice)s to %(user)s."),
    "seat.unlinked": _l("%(actor)s freed the seat of %(user)s on the invoice %(invoice)s."),
    "seats.released": _l("Seats of the invoice %(invoice)s were released."),
    "seats.revoked": _l("%(actor)s revoked seats of the invoice %(invoice)s."),
}

# Details that count credits: each shown as a counted phrase ("1 credit", "12 credits") that agrees by itself.
CREDIT_COUNTS = {
    "wallet.recharged": "amount", "wallet.deducted": "amount", "customer.credit_added": "amount",
    "customer.credit_recovered": "amount", "enrolment.created": "credits", "enrolment.cancelled": "refunded",
    "bulk_enrolment.requested": "total_cost", "bulk_enrolment.done": "credits",
}

# Short names of the actions, for the filter.
ACTION_LABELS = {
    "auth.login": _l("Signed in"),
    "user.created": _l("Account created"),
    "user.password_set": _l("Password chosen"),
    "partner.created": _l("Partner created"),
    "partner.updated": _l("Partner changed"),
    "partner.logo_changed": _l("Logo uploaded"),
    "partner.logo_removed": _l("Logo removed"),
    "wallet.recharged": _l("Wallet recharged"),
    "wallet.deducted": _l("Credits deducted"),
    "settings.updated": _l("Platform settings changed"),
    "company.created": _l("Client company added"),
    "company.updated": _l("Client company changed"),
    "report.downloaded": _l("Report downloaded"),
    "email.resent": _l("Email queued again"),
    "enrolment.created": _l("Enrolled"),
    "enrolment.cancelled": _l("Enrolment cancelled"),
    "enrolment.completed": _l("Course completed"),
    "bulk_enrolment.requested": _l("Bulk enrolment asked"),
    "bulk_enrolment.refused": _l("Bulk enrolment refused"),
    "bulk_enrolment.done": _l("Bulk enrolment done"),
    "bulk_enrolment.failed": _l("Bulk enrolment failed"),
    "students.imported": _l("Students imported"),
    "student.created": _l("Student created"),
    "student.updated": _l("Student changed"),
    "student.deactivated": _l("Student deactivated"),
    "student.reactivated": _l("Student reactivated"),
    "student.welcome_resent": _l("Set-password link sent again"),
    "course.pricing_changed": _l("Course pricing changed"),
    "own_course.created": _l("Partner's course created"),
    "own_course.updated": _l("Partner's course changed"),
    "lesson.added": _l("Lesson added"),
    "lesson.updated": _l("Lesson changed"),
    "lesson.moved": _l("Lesson moved"),
    "lesson.deleted": _l("Lesson deleted"),
    "course.created": _l("Course created"),
    "course.updated": _l("Course changed"),
    "product.created": _l("Product created"),
    "product.updated": _l("Product changed"),
    "offer.created": _l("Offer created"),
    "offer.updated": _l("Offer changed"),
    "grant.created": _l("Access given"),
    "grant.revoked": _l("Access removed"),
    "grant.settings_overridden": _l("Access settings changed"),
    "grant.offer_changed": _l("Access moved to another offer"),
    "homework.submitted": _l("Homework handed in"),
    "homework.accepted": _l("Homework accepted"),
    "homework.returned": _l("Homework sent back"),
    "reseller.created": _l("Reseller created"),
    "reseller.updated": _l("Reseller changed"),
    "reseller.offers_set": _l("Reseller's offers chosen"),
    "reseller.payment_settings": _l("Payment settings changed"),
    "customer.created": _l("Customer created"),
    "customer.credit_added": _l("Credit added to a customer"),
    "customer.credit_recovered": _l("Customer credit recovered"),
    "order.placed": _l("Order placed"),
    "order.paid": _l("Order paid"),
    "order.paid_after_deletion": _l("Payment on a deleted order"),
    "order.activated": _l("Order activated"),
    "order.activation_refused": _l("Order activation refused"),
    "order.deleted": _l("Order deleted"),
    "invoice.created": _l("Draft invoice written"),
    "invoice.updated": _l("Invoice changed"),
    "invoice.discarded": _l("Draft invoice discarded"),
    "invoice.issued": _l("Invoice issued"),
    "invoice.cancelled": _l("Invoice cancelled"),
    "invoice.line_added": _l("Invoice line added"),
    "invoice.line_removed": _l("Invoice line removed"),
    "invoice.payment_recorded": _l("Payment recorded"),
    "invoice.payment_reversed": _l("Payment reversed"),
    "seat.linked": _l("Seat linked"),
    "seat.unlinked": _l("Seat freed"),
    "seats.released": _l("Seats released"),
    "seats.revoked": _l("Seats revoked"),
}

# What an event may be about (the recorded object's model), for the filter.
OBJECT_LABELS = {
    "Partner": _l("Partners"),
    "User": _l("People (accounts, students)"),
    "Company": _l("Client companies"),
    "Course": _l("Courses"),
    "Lesson": _l("Lessons"),
    "Enrolment": _l("Enrolments"),
    "BulkEnrolment": _l("Bulk enrolments"),
    "WalletEntry": _l("Wallets"),
    "StudentImport": _l("Student imports"),
    "EmailMessage": _l("Emails"),
    "PlatformSettings": _l("Platform settings"),
    "Product": _l("Products"),
    "Offer": _l("Offers"),
    "Grant": _l("Accesses"),
    "HomeworkSubmission": _l("Homework"),
    "Reseller": _l("Resellers"),
    "Order": _l("Orders"),
    "Invoice": _l("Invoices"),
}

# Labels of the fields named in "changes", "changed", "before" and "after".
FIELD_LABELS = {
    "name": _l("Name"),
    "kind": _l("Kind"),
    "domain": _l("Domain"),
    "brand_color": _l("Brand colour"),
    "logo_url": _l("Logo URL"),
    "logo": _l("Logo"),
    "low_balance_threshold": _l("Low-balance threshold"),
    "refund_on_cancel": _l("Refund on cancellation"),
    "email": _l("Email"),
    "company_id": _l("Company"),
    "vat_number": _l("VAT number"),
    "contact": _l("Contact"),
    "title": _l("Title"),
    "description": _l("Description"),
    "body": _l("Text"),
    "has_homework": _l("Homework"),
    "is_checkpoint": _l("Checkpoint"),
    "value": _l("Value per enrolment"),
    "assign_to_all": _l("Assign to all partners"),
    "partners": _l("Chosen partners"),
    "default_locale": _l("Default language"),
    "video_url": _l("Video"),
    "seats_on_reversal": _l("When a payment reversal leaves an invoice unpaid"),
    "courses": _l("Courses"),
    # an offer's defaults
    "price_cents": _l("Price"),
    "lessons_available": _l("Lessons available"),
    "release_mode": _l("Release schedule"),
    "release_delays": _l("Delays after the start date"),
    "release_dates": _l("Fixed dates"),
    "review_method": _l("Homework review"),
    "checkpoints_enabled": _l("Checkpoints"),
}

# Fields whose values are codes: each code in words.
_CODED_VALUES = {
    "kind": {"default": _l("Default"), "whitelabel": _l("Whitelabel")},  # a partner's kind
    "seats_on_reversal": {"keep": _l("Keep the seats its full payment released"),
                          "revoke": _l("Revoke the seats its full payment released")},
}

_REPORTS = {"enrolments": _l("enrolment report"), "wallet": _l("wallet statement")}
_REFUSALS = {"course_not_shared": _l("the course is no longer shared with the partner"),
             "price_changed": _l("the price changed since it was confirmed")}


@dataclass(frozen=True)
class TrailFilters:
    """What the reader asked for; days are whole days in the platform's time zone (inclusive)."""

    actor: str = ""  # part of a name or an email
    actor_id: int | None = None
    action: str | None = None
    object_type: str | None = None
    partner_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def trail_query(filters: TrailFilters = TrailFilters()):
    """The events matching ``filters``, newest first, with their actor (and the actor's partner) loaded."""
    query = sa.select(AuditEvent).options(joinedload(AuditEvent.actor).joinedload(User.partner))
    if filters.actor:
        pattern = "%" + filters.actor.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.join(User, User.id == AuditEvent.actor_id).where(sa.or_(
            sa.func.lower(User.name).like(pattern, escape="\\"), sa.func.lower(User.email).like(pattern, escape="\\")))
    if filters.actor_id is not None:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.partner_id is not None:
        query = query.where(AuditEvent.partner_id == filters.partner_id)
    if filters.date_from:
        query = query.where(AuditEvent.created_at >= start_of_day(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEvent.created_at < start_of_day(filters.date_to + timedelta(days=1)))
    return query.order_by(AuditEvent.id.desc())


@dataclass
class EventLine:
    """One event as the trail shows it."""

    event: AuditEvent
    sentence: str
    action_label: str
    notes: list[tuple[str, str]] = field(default_factory=list)  # (label, value): reason, changes, ...


def describe_events(events: list[AuditEvent]) -> list[EventLine]:
    """Each event as a sentence; what the sentences name is loaded at once (a few queries in all)."""
    names = _Names(events)
    return [_line(event, names) for event in events]


def recent_actions_of(user: User, limit: int = 10) -> list[EventLine]:
    """The last ``limit`` things ``user`` did, as sentences (a person's card shows them)."""
    events = list(db.session.scalars(trail_query(TrailFilters(actor_id=user.id)).limit(limit)).unique())
    return describe_events(events)


def actor_label(user: User | None) -> str:
    """Who did it, as a person reads it: "Anna Rossi (platform admin)", "Paola (admin of Demo Partner)"."""
    if user is None:
        return gettext("The system")
    name = user.name or user.email
    if user.partner is not None and user.role == Role.PARTNER_ADMIN.value:
        return gettext("%(name)s (admin of %(partner)s)", name=name, partner=user.partner.name)
    if user.partner is not None and user.role == Role.STUDENT.value:
        return gettext("%(name)s (student of %(partner)s)", name=name, partner=user.partner.name)
    return gettext("%(name)s (%(role)s)", name=name, role=role_label(user.role))


# --- wording one event ---------------------------------------------------------------------


class _Names:
    """The people, partners, companies, courses and enrolments a page of events names: one query per kind."""

    def __init__(self, events: list[AuditEvent]):
        def ids(object_type: str, extra=()) -> set[int]:
            return {e.object_id for e in events if e.object_type == object_type and e.object_id} | set(extra)

        partner_ids = {e.partner_id for e in events if e.partner_id} | ids("Partner") | {
            int(pid) for e in events if e.action == "course.pricing_changed"
            for side in ("before", "after") for pid in ((e.details or {}).get(side) or {}).get("partners", {})
            if str(pid).isdigit()}
        course_ids = ids("Course", (e.details.get("course_id") for e in events
                                    if isinstance((e.details or {}).get("course_id"), int)))
        reseller_ids = ids("Reseller", (e.details.get("reseller_id") for e in events
                                        if isinstance((e.details or {}).get("reseller_id"), int)))
        self.resellers = _by_id(Reseller, reseller_ids)
        self.invoices = _by_id(Invoice, ids("Invoice"))
        self.users = _by_id(User, ids("User"))
        self.partners = _by_id(Partner, partner_ids)
        self.companies = _by_id(Company, ids("Company"))
        self.courses = _by_id(Course, course_ids)
        self.enrolments = _by_id(Enrolment, ids("Enrolment"),
                                 joinedload(Enrolment.user), joinedload(Enrolment.course))


def _by_id(model, ids: set[int], *options) -> dict:
    if not ids:
        return {}
    query = sa.select(model).where(model.id.in_(sorted(ids)))
    if options:
        query = query.options(*options)
    return {row.id: row for row in db.session.execute(query).unique().scalars()}


class _Dashes(dict):
    """The sentence's values: a key an older event lacks reads as a dash, never a KeyError."""

    def __missing__(self, key):
        return "—"


def _line(event: AuditEvent, names: _Names) -> EventLine:
    details = event.details or {}
    values = _Dashes({key: _shown(value) for key, value in details.items() if not isinstance(value, (dict, list))})
    partner = names.partners.get(event.partner_id) if event.partner_id else None
    if event.object_type == "Partner":
        partner = names.partners.get(event.object_id) or partner
    reseller = names.resellers.get(event.object_id if event.object_type == "Reseller" else details.get("reseller_id"))
    values["actor"] = actor_label(event.actor)
    values["reseller"] = reseller.name if reseller is not None else details.get("name") or "—"
    values["partner"] = (partner.name if partner is not None
                         else reseller.name if reseller is not None else details.get("name") or "—")
    if "method" in details:
        values["method"] = method_label(details["method"])
    if event.object_type == "Invoice":
        invoice = names.invoices.get(event.object_id)
        values["invoice"] = (invoice.number or gettext("draft")) if invoice is not None else details.get("number") or "—"
    for cents, shown in (("amount_cents", "amount"), ("total_cents", "total")):
        if isinstance(details.get(cents), int):
            values[shown] = format_money(details[cents])
    counted = CREDIT_COUNTS.get(event.action)
    if counted and isinstance(details.get(counted), int):
        values[counted] = credits_text(details[counted])
    values["object"] = _object_name(event, names, details)
    values.update(_enrolment_values(event, names, details))
    if "role" in details:
        values["role"] = role_label(details["role"])
    if "report" in details:
        values["report"] = str(_REPORTS.get(details["report"], details["report"]))
    if "format" in details:
        values["format"] = str(details["format"]).upper()
    if event.action == "bulk_enrolment.refused":
        values["why"] = _refusal_reason(details)
    if event.action == "order.activation_refused" and "refusal" in details:
        values["reason"] = reworded(details)
    if event.action.startswith("lesson."):
        course = names.courses.get(details.get("course_id"))
        values["course"] = course.title if course is not None else "—"
    message = SENTENCES.get(event.action)
    if message is None:
        sentence = gettext("%(actor)s: %(action)s", actor=values["actor"], action=event.action)
    else:
        sentence = str(message) % values
    label = ACTION_LABELS.get(event.action)
    return EventLine(event, sentence, str(label) if label is not None else event.action,
                     _notes(event, details, names))


def _object_name(event: AuditEvent, names: _Names, details: dict) -> str:
    kind, object_id = event.object_type, event.object_id
    if kind == "User":
        user = names.users.get(object_id)
        return _person(user) if user is not None else details.get("email") or "—"
    if kind == "Company":
        company = names.companies.get(object_id)
        return company.name if company is not None else details.get("name") or "—"
    if kind == "Course":
        course = names.courses.get(object_id)
        return course.title if course is not None else details.get("title") or "—"
    return details.get("title") or details.get("name") or "—"


def _person(user: User) -> str:
    return f"{user.name} <{user.email}>" if user.name else user.email


def _enrolment_values(event: AuditEvent, names: _Names, details: dict) -> dict:
    """The student and course of an enrolment event, by name (the details of older events have only some)."""
    if event.object_type != "Enrolment":
        return {}
    enrolment = names.enrolments.get(event.object_id)
    if enrolment is None:
        return {}
    return {"student": _person(enrolment.user), "course": enrolment.course.title}


def _refusal_reason(details: dict) -> str:
    if details.get("reason") in _REFUSALS:
        return str(_REFUSALS[details["reason"]])
    if "needed" in details:
        return gettext("not enough credits (%(needed)s needed, %(available)s available)",
                       needed=_shown(details["needed"]), available=_shown(details.get("available")))
    return "—"


def _notes(event: AuditEvent, details: dict, names: _Names) -> list[tuple[str, str]]:
    """What the sentence leaves out: a reason, a balance after, each change as "before → after"."""
    notes = []
    if details.get("reason") and event.action.startswith("wallet."):
        notes.append((gettext("Reason"), str(details["reason"])))
    if "balance_after" in details:
        notes.append((gettext("Balance after"), credits_text(details["balance_after"])))
    changes = details.get("changes")
    if isinstance(changes, dict):
        for key, change in changes.items():
            old, new = change if isinstance(change, (list, tuple)) and len(change) == 2 else (None, change)
            notes.append((field_label(key), f"{_change_value(key, old, names)} → {_change_value(key, new, names)}"))
    if isinstance(details.get("changed"), list):
        notes.append((gettext("Changed"), ", ".join(field_label(key) for key in details["changed"])))
    before, after = details.get("before"), details.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        for key in after:
            if before.get(key) != after.get(key):
                notes.append((field_label(key), f"{_change_value(key, before.get(key), names)} → "
                                           f"{_change_value(key, after.get(key), names)}"))
    if isinstance(details.get("fields"), dict):  # an access settings change: each setting as it was set
        for key, value in details["fields"].items():
            notes.append((setting_label(key), setting_value(key, value)))
    if event.action == "bulk_enrolment.failed" and details.get("error"):
        notes.append((gettext("Error"), str(details["error"])))
    return notes


# One participant's access settings (app.services.access.settings): their names and coded values.
SETTING_LABELS = {
    "lessons_available": _l("Lessons available"),
    "release_schedule": _l("Release schedule"),
    "remove_delays": _l("Remove all delays"),
    "review_method": _l("Homework review"),
    "checkpoints": _l("Checkpoints"),
}
_REVIEW_METHODS = {"automatic": lazy_pgettext("homework review", "Automatic"), "teacher": _l("By a teacher"),
                   "none": _l("No homework")}
_RELEASE_MODES = {"delays": _l("Delays after the start date"), "dates": _l("Fixed dates")}
_LESSON_RELEASE = "lesson_release:"


def setting_label(key: str) -> str:
    """An access setting's name (a note of the trail, a line of the CRM timeline)."""
    if key.startswith(_LESSON_RELEASE):
        return gettext("Release of lesson %(n)s", n=key[len(_LESSON_RELEASE):])
    label = SETTING_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ")


def setting_value(key: str, value) -> str:
    """An access setting's value as an override stored it, in words."""
    if value == "inherit":
        return gettext("The offer's value")
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if key == "lessons_available" and value is None:
        return gettext("All lessons")
    if key == "review_method":
        return str(_REVIEW_METHODS.get(value, value))
    if key == "release_schedule" and isinstance(value, dict):
        mode = str(_RELEASE_MODES.get(value.get("mode"), value.get("mode")))
        return f"{mode}: {', '.join(str(v) for v in value.get('values') or [])}"
    if key.startswith(_LESSON_RELEASE) and isinstance(value, dict):  # {"delay": days} or {"date": "2026-05-04"}
        if isinstance(value.get("delay"), int):
            return ngettext("%(num)d day after the start", "%(num)d days after the start", value["delay"])
        if value.get("date"):
            return format_date(date.fromisoformat(value["date"]))
        return gettext("From the start date")
    return _shown(value) if not isinstance(value, (dict, list)) else ", ".join(map(str, value))


def field_label(key: str) -> str:
    """A recorded field's name in words (the audit trail's notes, the CRM timeline's "Changed")."""
    label = FIELD_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ")


def _change_value(key: str, value, names: _Names) -> str:
    if key in _CODED_VALUES and value in _CODED_VALUES[key]:
        return str(_CODED_VALUES[key][value])
    if key == "default_locale":
        return autonym(value) if value else gettext("Platform default")
    if key == "partners" and isinstance(value, dict):
        if not value:
            return gettext("none")
        parts = []
        for pid, custom in value.items():
            partner = names.partners.get(int(pid)) if str(pid).isdigit() else None
            name = partner.name if partner is not None else f"#{pid}"
            parts.append(f"{name} ({_shown(custom)})" if custom is not None else name)
        return ", ".join(parts)
    return _shown(value)


def _shown(value) -> str:
    """A detail as a sentence shows it: numbers grouped, yes/no, a dash for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, int):
        return format_decimal(value)
    return str(value)
