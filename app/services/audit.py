"""The audit trail: recording who did what to which object, and saying it in the reader's language.

Events store codes (``enrolment.created``) and JSON details; ``describe`` and ``detail_items``
turn them into sentences and labelled values when the trail is read, so each reader sees
them in their own language. A new action needs a line in ``ACTIONS`` and a label for each
new detail key in ``FIELDS``: ``tests/test_i18n_catalog.py`` fails until it has them.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import format_date, format_decimal, get_translations, gettext
from flask_babel import lazy_gettext as _l, lazy_pgettext

from app.extensions import db
from app.i18n import N_, format_money
from app.models import AuditEvent, GrantSourceKind, HomeworkStatus, ReleaseMode, ReviewMethod, User


def record(actor: User | None, action: str, obj=None, *, partner_id: int | None = None, **details) -> AuditEvent:
    """Record that ``actor`` did ``action`` to ``obj`` (in the caller's transaction)."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        partner_id=partner_id,
        details={k: v for k, v in details.items() if v is not None},
    )
    db.session.add(event)
    return event


def events_query(action: str | None = None):
    """The trail, newest first, optionally of one action."""
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    return query


# --- reading the trail ---------------------------------------------------------------------

# What each action means; placeholders are detail keys. Marked with N_ and translated when read.
ACTIONS = {
    "auth.login": N_("Signed in"),
    "user.created": N_("Created the account %(email)s"),
    "user.password_set": N_("Chose a password"),
    "partner.created": N_("Created the partner %(name)s"),
    "partner.updated": N_("Changed the partner's details"),
    "wallet.recharged": N_("Recharged the wallet"),
    "wallet.deducted": N_("Deducted credits from the wallet"),
    "settings.updated": N_("Changed the platform settings"),
    "company.created": N_("Created the client company %(name)s"),
    "company.updated": N_("Changed a client company"),
    "report.downloaded": N_("Downloaded a report"),
    "email.resent": N_("Queued the email to %(recipient)s again"),
    "enrolment.created": N_("Enrolled %(student)s in %(course)s"),
    "enrolment.cancelled": N_("Cancelled an enrolment"),
    "enrolment.completed": N_("Completed a course"),
    "bulk_enrolment.requested": N_("Asked for a bulk enrolment in %(course)s"),
    "bulk_enrolment.refused": N_("A bulk enrolment in %(course)s was refused"),
    "bulk_enrolment.done": N_("A bulk enrolment in %(course)s is done"),
    "bulk_enrolment.failed": N_("A bulk enrolment stopped on an error"),
    "students.imported": N_("Imported students from a file"),
    "student.created": N_("Created the student %(email)s"),
    "student.updated": N_("Changed a student's details"),
    "student.deactivated": N_("Deactivated the student %(email)s"),
    "student.reactivated": N_("Reactivated the student %(email)s"),
    "student.welcome_resent": N_("Sent the set-password link again to %(email)s"),
    "course.pricing_changed": N_("Changed a course's pricing"),
    "own_course.created": N_("Created the course %(title)s"),
    "own_course.updated": N_("Changed the course %(title)s"),
    "lesson.added": N_("Added the lesson %(title)s"),
    "lesson.updated": N_("Changed the lesson %(title)s"),
    "lesson.moved": N_("Moved the lesson %(title)s"),
    "lesson.deleted": N_("Deleted the lesson %(title)s"),
    "course.created": N_("Created the course %(title)s"),
    "course.updated": N_("Changed the course %(title)s"),
    "product.created": N_("Created the product %(name)s"),
    "product.updated": N_("Changed the product %(name)s"),
    "offer.created": N_("Created the offer %(name)s of %(product)s"),
    "offer.updated": N_("Changed the offer %(name)s of %(product)s"),
    "grant.created": N_("Gave %(user)s access to %(product)s with the offer %(offer)s"),
    "grant.revoked": N_("Removed the access of %(user)s to %(product)s"),
    "grant.settings_overridden": N_("Changed a participant's access settings"),
    "homework.submitted": N_("Handed in the homework of the lesson %(lesson)s"),
    "homework.accepted": N_("Accepted the homework of %(student)s for the lesson %(lesson)s"),
    "homework.returned": N_("Sent back the homework of %(student)s for the lesson %(lesson)s"),
}

# Names of the recorded objects (the model's class name).
OBJECTS = {
    "User": _l("User"),
    "Partner": _l("Partner"),
    "Company": _l("Client company"),
    "Course": _l("Course"),
    "Lesson": _l("Lesson"),
    "Enrolment": _l("Enrolment"),
    "BulkEnrolment": _l("Bulk enrolment"),
    "WalletEntry": _l("Wallet entry"),
    "EmailMessage": _l("Email"),
    "PlatformSettings": _l("Platform settings"),
    "Product": _l("Product"),
    "Offer": _l("Offer"),
    "Grant": _l("Access"),
    "HomeworkSubmission": _l("Homework"),
}

# Labels of detail keys, and of the fields named in "changes" and "changed".
FIELDS = {
    "after": _l("After"),
    "amount": _l("Amount"),
    "assign_to_all": _l("Assign to all partners"),
    "available": _l("Available"),
    "balance_after": _l("Balance after"),
    "before": _l("Before"),
    "body": _l("Text"),
    "brand_color": _l("Brand colour"),
    "certificate": _l("Certificate"),
    "changed": _l("Changed"),
    "changes": _l("Changes"),
    "checkpoints": _l("Checkpoints"),
    "checkpoints_enabled": _l("Checkpoints"),
    "company_id": _l("Company"),
    "confirmed_price": _l("Confirmed price"),
    "contact": _l("Contact"),
    "course": _l("Course"),
    "course_id": _l("Course"),
    "courses": _l("Courses"),
    "created": _l("Created"),
    "credits": _l("Credits"),
    "date": _l("Date"),
    "date_from": _l("From"),
    "date_to": _l("To"),
    "delay": _l("Delay (days)"),
    "default_locale": _l("Default language"),
    "description": _l("Description"),
    "domain": _l("Domain"),
    "email": _l("Email"),
    "enrolled": _l("Enrolled"),
    "enrolments": _l("Enrolments"),
    "ended": _l("Enrolments ended"),
    "error": _l("Error"),
    "fields": _l("Settings"),
    "filename": _l("File"),
    "format": _l("Format"),
    "has_homework": _l("Homework"),
    "is_checkpoint": _l("Checkpoint"),
    "kind": _l("Kind"),
    "lesson": _l("Lesson"),
    "lessons_available": _l("Lessons available"),
    "logo_url": _l("Logo URL"),
    "low_balance_threshold": _l("Low-balance threshold"),
    "name": _l("Name"),
    "needed": _l("Needed"),
    "offer": _l("Offer"),
    "partners": _l("Partners"),
    "position": _l("Position"),
    "price": _l("Price"),
    "price_cents": _l("Price"),
    "product": _l("Product"),
    "reason": _l("Reason"),
    "recipient": _l("Recipient"),
    "refund_on_cancel": _l("Refund on cancellation"),
    "refunded": _l("Refunded"),
    "release_dates": _l("Release dates"),
    "release_delays": _l("Delays (days)"),
    "release_mode": _l("Release schedule"),
    "release_schedule": _l("Release schedule"),
    "remove_delays": _l("Remove all delays"),
    "report": _l("Report"),
    "review_method": _l("Homework review"),
    "role": _l("Role"),
    "rows": _l("Rows"),
    "skipped": _l("Skipped"),
    "source": _l("Source"),
    "start_date": _l("Start date"),
    "status": _l("Status"),
    "student": _l("Student"),
    "title": _l("Title"),
    "to_enrol": _l("To enrol"),
    "total_cost": _l("Total cost"),
    "user": _l("User"),
    "user_id": _l("User"),
    "value": _l("Value per enrolment"),
    "vat_number": _l("VAT number"),
    "via": _l("How"),
}

# Coded values of some detail keys.
VALUES = {
    "role": {"platform_admin": _l("Platform admin"), "partner_admin": _l("Partner admin"),
             "reseller": _l("Reseller"), "customer": _l("Customer"), "student": _l("Student")},
    "kind": {"default": _l("Default"), "whitelabel": _l("Whitelabel")},
    "report": {"enrolments": _l("Enrolments"), "wallet": _l("Wallet statement")},
    "reason": {"course_not_shared": _l("The course is no longer shared with the partner"),
               "price_changed": _l("The price changed since the confirmation")},
    "via": {"link": _l("The emailed link")},
    "error": {"unexpected": _l("An unexpected error")},
    # Adjectives agree with their noun in Italian and Portuguese: a context each.
    "status": {HomeworkStatus.PENDING.value: _l("Waiting for review"),
               HomeworkStatus.ACCEPTED.value: lazy_pgettext("homework status", "Accepted"),
               HomeworkStatus.RETURNED.value: lazy_pgettext("homework status", "Sent back")},
    "review_method": {ReviewMethod.AUTOMATIC.value: lazy_pgettext("homework review", "Automatic"),
                      ReviewMethod.TEACHER.value: _l("By a teacher"),
                      ReviewMethod.NONE.value: _l("No homework")},
    "source": {GrantSourceKind.ORDER_LINE.value: _l("Order line"),
               GrantSourceKind.INVOICE_SEAT.value: _l("Invoice seat"),
               GrantSourceKind.MANUAL.value: _l("Added by hand"),
               GrantSourceKind.PARTNER_ENROLMENT.value: _l("Partner enrolment")},
    "release_mode": {ReleaseMode.DELAYS.value: _l("Delays after the start date"),
                     ReleaseMode.DATES.value: _l("Fixed dates")},
}
# Codes shown as they are (file formats).
UPPERCASE_VALUES = {"format"}
# Integer cents, shown as money in the platform's currency.
MONEY_VALUES = {"price_cents"}
# ISO dates, shown as the reader writes dates.
DATE_VALUES = {"start_date", "date"}
# An access setting's override back to the offer's value is stored as this code
# (app.services.access.settings); one lesson's release is the setting "lesson_release:<position>".
INHERITED = "inherit"
LESSON_RELEASE = "lesson_release:"


def describe(event: AuditEvent) -> str:
    """The action as a sentence in the reader's language."""
    message = ACTIONS.get(event.action)
    if message is None:
        return event.action
    sentence = get_translations().ugettext(message)
    details = _Dashes({key: _plain(value) for key, value in (event.details or {}).items()})
    try:
        return sentence % details  # an older event without a detail the sentence names gets a dash
    except (ValueError, TypeError):
        return sentence.split("%(")[0].strip(" :") or event.action


def object_label(event: AuditEvent) -> str:
    if not event.object_type:
        return ""
    name = OBJECTS.get(event.object_type)
    label = str(name) if name is not None else event.object_type
    return f"{label} {event.object_id}" if event.object_id is not None else label


def detail_items(event: AuditEvent) -> list[tuple[str, str]]:
    """Each detail as (label, value) in the reader's language; changes as "before → after"."""
    items = []
    for key, value in (event.details or {}).items():
        if key == "changes" and isinstance(value, dict):
            for field, change in value.items():
                old, new = change if isinstance(change, (list, tuple)) and len(change) == 2 else (None, change)
                items.append((_label(field), f"{_value(field, old)} → {_value(field, new)}"))
        else:
            items.append((_label(key), _value(key, value)))
    return items


def _label(key: str) -> str:
    label = FIELDS.get(key)
    if label is None and key.startswith(LESSON_RELEASE) and key[len(LESSON_RELEASE):].isdigit():
        return gettext("Release of lesson %(n)s", n=format_decimal(int(key[len(LESSON_RELEASE):])))
    return str(label) if label is not None else key.replace("_", " ")


def _value(key: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, int):
        return format_money(value) if key in MONEY_VALUES else format_decimal(value)
    if value == INHERITED:
        return gettext("The offer's value")
    if key == "release_schedule" and isinstance(value, dict) and "mode" in value:
        return f"{_value('release_mode', value['mode'])}: {_value(key, value.get('values') or [])}"
    if key == "source" and isinstance(value, str) and ":" in value:
        kind, _sep, source_id = value.partition(":")
        coded = VALUES["source"].get(kind)
        return f"{coded} {source_id}" if coded is not None else value
    if key in DATE_VALUES and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {_value(k, v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_label(item) if isinstance(item, str) and item in FIELDS else _value(key, item)
                         for item in value)
    text = str(value)
    if key in UPPERCASE_VALUES:
        return text.upper()
    coded = VALUES.get(key, {}).get(text)
    return str(coded) if coded is not None else text


class _Dashes(dict):
    """Details that answer a dash for a key they lack."""

    def __missing__(self, key):
        return "—"


def _plain(value):
    """A detail as it goes into a sentence: numbers formatted, anything else as text."""
    if isinstance(value, bool) or not isinstance(value, int):
        return value if isinstance(value, str) else str(value)
    return format_decimal(value)
