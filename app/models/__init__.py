"""All models, imported here so Alembic and the app see one metadata."""

from app.models.access import Grant, GrantOverride, GrantSourceKind, GrantStatus, grant_enrolments
from app.models.audit import AuditEvent
from app.models.billing import Invoice, InvoiceLine, InvoiceStatus
from app.models.catalog import (
    Course, CoursePartner, Lesson, Offer, Product, ProductKind, ReleaseMode, ReviewMethod, product_courses,
)
from app.models.email import EmailMessage, EmailStatus
from app.models.enrolments import PARTICIPATING, Enrolment, EnrolmentStatus
from app.models.sales import (
    WAITING, ActivationPolicy, Order, OrderLine, OrderNumberCounter, OrderStatus, PaymentEvent, PaymentMethod,
    PaymentPolicy, PaymentProvider, ResellerOffer, WaitReason,
)
from app.models.progress import (
    FINISHED_BULK, BulkEnrolment, BulkStatus, Certificate, HomeworkStatus, HomeworkSubmission, LessonProgress,
)
from app.models.tenancy import Company, Partner, PartnerKind, PartnerLogo, PlatformSettings, Reseller
from app.models.users import Role, StudentImport, User
from app.models.wallets import EntryKind, Wallet, WalletEntry

__all__ = [
    "WAITING",
    "ActivationPolicy",
    "Order",
    "OrderLine",
    "OrderNumberCounter",
    "OrderStatus",
    "PaymentEvent",
    "PaymentMethod",
    "PaymentPolicy",
    "PaymentProvider",
    "ResellerOffer",
    "WaitReason",
    "FINISHED_BULK",
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
    "InvoiceStatus",
    "Lesson",
    "LessonProgress",
    "Offer",
    "Partner",
    "PartnerKind",
    "PartnerLogo",
    "PlatformSettings",
    "Product",
    "ProductKind",
    "ReleaseMode",
    "Reseller",
    "ReviewMethod",
    "Role",
    "StudentImport",
    "User",
    "Wallet",
    "WalletEntry",
    "grant_enrolments",
    "product_courses",
]
