"""All models, imported here so Alembic and the app see one metadata."""

from app.models.access import Grant, GrantOverride, GrantSourceKind, GrantStatus, grant_enrolments
from app.models.audit import AuditEvent
from app.models.billing import (
    ISSUED, LIVE_SEAT_STATES, Invoice, InvoiceLine, InvoiceNumberSequence, InvoiceStatus, Payment, PaymentKind,
    PaymentMethod, Seat, SeatReleaseMode, SeatsOnReversal, SeatState, TaxIdKind,
)
from app.models.catalog import (
    Course, CoursePartner, Lesson, Offer, Product, ProductKind, ReleaseMode, ReviewMethod, product_courses,
)
from app.models.email import EmailMessage, EmailStatus
from app.models.enrolments import PARTICIPATING, Enrolment, EnrolmentStatus
from app.models.progress import (
    FINISHED_BULK, BulkEnrolment, BulkStatus, Certificate, HomeworkStatus, HomeworkSubmission, LessonProgress,
)
from app.models.tenancy import Company, Partner, PartnerKind, PlatformSettings, Reseller
from app.models.users import Role, User
from app.models.wallets import EntryKind, Wallet, WalletEntry

__all__ = [
    "FINISHED_BULK",
    "ISSUED",
    "LIVE_SEAT_STATES",
    "PARTICIPATING",
    "AuditEvent",
    "BulkEnrolment",
    "BulkStatus",
    "Certificate",
    "Company",
    "Course",
    "CoursePartner",
    "EmailMessage",
    "EmailStatus",
    "Enrolment",
    "EnrolmentStatus",
    "EntryKind",
    "Grant",
    "GrantOverride",
    "GrantSourceKind",
    "GrantStatus",
    "HomeworkStatus",
    "HomeworkSubmission",
    "Invoice",
    "InvoiceLine",
    "InvoiceNumberSequence",
    "InvoiceStatus",
    "Lesson",
    "LessonProgress",
    "Offer",
    "Partner",
    "PartnerKind",
    "Payment",
    "PaymentKind",
    "PaymentMethod",
    "PlatformSettings",
    "Product",
    "ProductKind",
    "ReleaseMode",
    "Reseller",
    "ReviewMethod",
    "Role",
    "Seat",
    "SeatReleaseMode",
    "SeatState",
    "SeatsOnReversal",
    "TaxIdKind",
    "User",
    "Wallet",
    "WalletEntry",
    "grant_enrolments",
    "product_courses",
]
