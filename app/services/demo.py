"""The demo data of DESIGN.md §4. Idempotent: running it twice changes nothing."""

from __future__ import annotations

from app.extensions import db
from app.models import (
    Course, CoursePartner, Lesson, Offer, Partner, PartnerKind, Product, Reseller, Role, User,
)
from app.services import access
from app.services.billing.demo import seed_billing_demo
from app.services.ledger import wallets
from app.services.sales.demo import seed_sales_demo
from app.services.tenancy.settings import settings
from app.services.people.users import create_user, find_user_by_email

DEMO_PASSWORD = "demo-pass-2026"


def _get_or_create(model, defaults=None, **lookup):
    obj = db.session.execute(db.select(model).filter_by(**lookup)).scalar_one_or_none()
    if obj is None:
        obj = model(**lookup, **(defaults or {}))
        db.session.add(obj)
        db.session.flush()
    return obj


def _user(email, role, name, **tenant):
    user = find_user_by_email(email)
    if user is None:
        user = create_user(None, email=email, role=role, name=name, password=DEMO_PASSWORD, **tenant)
    return user


def seed_demo() -> None:
    settings()
    admin = _user("admin@example.com", Role.PLATFORM_ADMIN, "Platform Admin")

    demo_partner = _get_or_create(Partner, name="Demo Partner", defaults={"kind": PartnerKind.DEFAULT})
    academy = _get_or_create(
        Partner, name="Academy WL",
        defaults={"kind": PartnerKind.WHITELABEL, "domain": "academy.localhost", "brand_color": "#6f42c1"},
    )
    _user("partner@example.com", Role.PARTNER_ADMIN, "Paola Partner", partner=demo_partner)
    _user("wl@example.com", Role.PARTNER_ADMIN, "Walter Whitelabel", partner=academy)

    wallet = wallets.wallet_of(demo_partner)
    if wallet.balance == 0 and not _has_entries(wallet):
        wallets.recharge(wallet, 100, actor=admin, note="Demo opening balance",
                         idempotency_key="demo-opening-balance")
    wallets.wallet_of(academy)

    reseller = _get_or_create(Reseller, name="Demo Reseller")
    wallets.wallet_of(reseller)
    _user("reseller@example.com", Role.RESELLER, "Rita Reseller", reseller=reseller)
    customer = _user("customer@example.com", Role.CUSTOMER, "Carlo Customer", reseller=reseller)
    wallets.wallet_of(customer)

    student = _user("student@example.com", Role.STUDENT, "Sara Student", partner=demo_partner)

    courses = []
    for title, value, lessons in [
        ("Workplace Safety Basics", 10, ["Introduction", "Hazards", "Emergency procedures", "Final test"]),
        ("GDPR for Teams", 15, ["What is personal data", "Lawful bases", "Data subject rights"]),
        ("Excel Essentials", 8, ["Cells and formulas", "Tables", "Charts", "Pivot tables", "Checkpoint quiz"]),
    ]:
        course = _get_or_create(Course, title=title, defaults={
            "value_per_enrolment": value, "assign_to_all_partners": title != "GDPR for Teams",
            "description": f"{title}: a demo course."})
        if not course.lessons:
            for position, lesson_title in enumerate(lessons, start=1):
                db.session.add(Lesson(course_id=course.id, position=position, title=lesson_title,
                                      is_checkpoint=lesson_title.endswith(("test", "quiz"))))
        courses.append(course)
    gdpr = courses[1]
    _get_or_create(CoursePartner, course_id=gdpr.id, partner_id=demo_partner.id, defaults={"custom_value": 12})

    _get_or_create(Course, title="Academy Onboarding", defaults={
        "owner_partner_id": academy.id, "value_per_enrolment": 0, "description": "Academy WL's own course."})

    bundle = _get_or_create(Product, name="Office Bundle", defaults={"kind": "access"})
    if not bundle.courses:
        bundle.courses = [courses[0], courses[2]]
    safety = _get_or_create(Product, name="Workplace Safety", defaults={"kind": "access"})
    if not safety.courses:
        safety.courses = [courses[0]]
    _get_or_create(Offer, product_id=bundle.id, name="Full access", defaults={"price_cents": 19900})
    _get_or_create(Offer, product_id=bundle.id, name="Drip (one lesson a week)", defaults={
        "price_cents": 14900, "release_delays": [0, 7, 14, 21, 28]})
    _get_or_create(Offer, product_id=safety.id, name="Standard", defaults={"price_cents": 4900})

    _customer_care(admin, student)
    seed_sales_demo(admin, DEMO_PASSWORD)

    seed_billing_demo(admin, customer, DEMO_PASSWORD)
    db.session.flush()


CUSTOMER_CARE = [
    # title, delay in days under the guided offer, checkpoint, homework
    ("Welcome", 0, False, False),
    ("Tone of voice", 7, False, False),
    ("Active listening", 7, True, True),
    ("Handling complaints", 14, False, False),
    ("Wrap-up", 14, False, False),
]


def _customer_care(admin: User, student: User) -> None:
    """A product with two offers, the guided one granted to the demo student.

    Granted today, the student sees at once an open lesson, scheduled ones
    (in a week) and locked ones (after the checkpoint with homework).
    """
    course = _get_or_create(Course, title="Customer Care Essentials", defaults={
        "value_per_enrolment": 12, "assign_to_all_partners": True,
        "description": "Talk to customers with care: a demo course released week by week."})
    if not course.lessons:
        for position, (title, _delay, checkpoint, homework) in enumerate(CUSTOMER_CARE, start=1):
            db.session.add(Lesson(course_id=course.id, position=position, title=title, is_checkpoint=checkpoint,
                                  has_homework=homework, body=f"{title}: the lesson's text, as a student reads it."))
        db.session.flush()
    product = _get_or_create(Product, name="Customer Care", defaults={"kind": "access"})
    if not product.courses:
        product.courses = [course]
    guided = _get_or_create(Offer, product_id=product.id, name="Guided (weekly, with a checkpoint)", defaults={
        "price_cents": 9900, "release_delays": [delay for _t, delay, _c, _h in CUSTOMER_CARE],
        "checkpoints_enabled": True, "review_method": "teacher"})
    _get_or_create(Offer, product_id=product.id, name="Self-paced (everything open)", defaults={
        "price_cents": 12900, "release_delays": [], "checkpoints_enabled": False, "review_method": "automatic"})
    db.session.flush()
    access.grant_product(admin, student, product, guided, source=access.GrantSource.manual("demo:customer-care"))


def _has_entries(wallet) -> bool:
    from app.models import WalletEntry

    return db.session.execute(
        db.select(WalletEntry.id).where(WalletEntry.wallet_id == wallet.id).limit(1)
    ).first() is not None
