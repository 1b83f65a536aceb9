"""All models, imported here so Alembic and the app see one metadata."""

from app.models.access import Grant, GrantOverride, GrantSourceKind, GrantStatus, grant_enrolments
from app.models.audit import AuditEvent
from app.models.billing import (
    ISSUED, LIVE_SEAT_STATES, Invoice, InvoiceLine, InvoiceNumberSequence, InvoicePaymentMethod, InvoiceStatus, Payment,
    PaymentKind, Seat, SeatReleaseMode, SeatsOnReversal, SeatState, TaxIdKind,
)
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
    "FINISHED_BULK",
    "ISSUED",
    "LIVE_SEAT_STATES",
    "PARTICIPATING",
    "WAITING",
    "ActivationPolicy",
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
    "InvoicePaymentMethod",
    "InvoiceStatus",
    "Lesson",
    "LessonProgress",
    "Offer",
    "Order",
    "OrderLine",
    "OrderNumberCounter",
    "OrderStatus",
    "Partner",
    "PartnerKind",
    "PartnerLogo",
    "Payment",
    "PaymentEvent",
    "PaymentKind",
    "PaymentMethod",
    "PaymentPolicy",
    "PaymentProvider",
    "PlatformSettings",
    "Product",
    "ProductKind",
    "ReleaseMode",
    "Reseller",
    "ResellerOffer",
    "ReviewMethod",
    "Role",
    "Seat",
    "SeatReleaseMode",
    "SeatState",
    "SeatsOnReversal",
    "StudentImport",
    "TaxIdKind",
    "User",
    "WaitReason",
    "Wallet",
    "WalletEntry",
    "grant_enrolments",
    "product_courses",
]
