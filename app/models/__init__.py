"""All models, imported here so Alembic and the app see one metadata."""

from app.models.audit import AuditEvent
from app.models.billing import Invoice, InvoiceLine
from app.models.catalog import Course, CoursePartner, Lesson, Offer, Product, product_courses
from app.models.email import EmailMessage
from app.models.enrolments import Enrolment
from app.models.progress import BulkEnrolment, Certificate, LessonProgress
from app.models.tenancy import Company, Partner, PlatformSettings, Reseller
from app.models.users import Role, User
from app.models.wallets import EntryKind, Wallet, WalletEntry

__all__ = [
    "AuditEvent",
    "BulkEnrolment",
    "Certificate",
    "Company",
    "Course",
    "CoursePartner",
    "EmailMessage",
    "Enrolment",
    "EntryKind",
    "Invoice",
    "InvoiceLine",
    "Lesson",
    "LessonProgress",
    "Offer",
    "Partner",
    "PlatformSettings",
    "Product",
    "Reseller",
    "Role",
    "User",
    "Wallet",
    "WalletEntry",
    "product_courses",
]
