from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

product_courses = sa.Table(
    "product_courses",
    db.metadata,
    sa.Column("product_id", sa.ForeignKey("products.id"), primary_key=True),
    sa.Column("course_id", sa.ForeignKey("courses.id"), primary_key=True),
)


class Course(db.Model):
    __tablename__ = "courses"
    __table_args__ = (
        sa.CheckConstraint("value_per_enrolment >= 0", name="value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Credits a partner pays per enrolment unless it has a custom value.
    value_per_enrolment: Mapped[int] = mapped_column(sa.Integer, default=0)
    assign_to_all_partners: Mapped[bool] = mapped_column(default=False)
    # Set for a whitelabel partner's own course: visible only to that partner.
    owner_partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lessons = relationship(
        "Lesson", order_by="Lesson.position", back_populates="course", cascade="all, delete-orphan"
    )
    partner_prices = relationship(
        "CoursePartner", back_populates="course", cascade="all, delete-orphan"
    )


class CoursePartner(db.Model):
    """A course shared with one chosen partner, optionally at a custom value."""

    __tablename__ = "course_partners"
    __table_args__ = (
        sa.CheckConstraint("custom_value IS NULL OR custom_value >= 0", name="custom_not_negative"),
    )

    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), primary_key=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partners.id"), primary_key=True)
    custom_value: Mapped[int | None] = mapped_column(sa.Integer)

    course = relationship("Course", back_populates="partner_prices")
    partner = relationship("Partner")


class ReviewMethod(str, enum.Enum):
    """How a lesson's homework is reviewed under an offer."""

    AUTOMATIC = "automatic"  # accepted as soon as it is handed in
    TEACHER = "teacher"  # waits in the platform's review queue
    NONE = "none"  # no homework is asked


class ReleaseMode(str, enum.Enum):
    """How an offer's release schedule is read: days after the start date, or fixed dates."""

    DELAYS = "delays"
    DATES = "dates"


class ProductKind(str, enum.Enum):
    ACCESS = "access"
    ONE_OFF = "one_off"


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (sa.UniqueConstraint("course_id", "position", name="uq_lessons_course_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    has_homework: Mapped[bool] = mapped_column(default=False)
    is_checkpoint: Mapped[bool] = mapped_column(default=False)
    video_url: Mapped[str | None] = mapped_column(sa.String(500))

    course = relationship("Course", back_populates="lessons")


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (sa.CheckConstraint("kind IN ('access','one_off')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20), default="access")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    courses = relationship("Course", secondary=product_courses, order_by="Course.id")
    offers = relationship("Offer", back_populates="product", order_by="Offer.id")


class Offer(db.Model):
    """A plan of a product: price plus default access settings."""

    __tablename__ = "offers"
    __table_args__ = (
        sa.CheckConstraint("price_cents >= 0", name="price_not_negative"),
        sa.CheckConstraint(
            "review_method IN ('automatic','teacher','none')", name="review_method_known"
        ),
        sa.CheckConstraint("release_mode IN ('delays','dates')", name="release_mode_known"),
        sa.CheckConstraint("lessons_available IS NULL OR lessons_available >= 1", name="lessons_available_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    price_cents: Mapped[int] = mapped_column(sa.Integer, default=0)
    # None = all lessons available.
    lessons_available: Mapped[int | None] = mapped_column(sa.Integer)
    # Which list below the schedule reads (ReleaseMode).
    release_mode: Mapped[str] = mapped_column(sa.String(10), default="delays", server_default="delays")
    # Days after the start date at which each lesson opens, by position; empty = all at once.
    # A lesson past the end of the list opens with the last one listed.
    release_delays: Mapped[list] = mapped_column(sa.JSON, default=list)
    # ISO dates (platform time zone) at which each lesson opens, by position, in order.
    release_dates: Mapped[list] = mapped_column(sa.JSON, default=list, server_default="[]")
    review_method: Mapped[str] = mapped_column(sa.String(20), default="automatic")
    checkpoints_enabled: Mapped[bool] = mapped_column(default=False)

    product = relationship("Product", back_populates="offers")


# The CRM finds contacts by a product's name or a paid course's title anywhere in it (PostgreSQL's pg_trgm).
sa.Index("ix_products_name_trgm", sa.func.lower(Product.name).label("lower_name"), postgresql_using="gin",
         postgresql_ops={"lower_name": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
sa.Index("ix_courses_title_trgm", sa.func.lower(Course.title).label("lower_title"), postgresql_using="gin",
         postgresql_ops={"lower_title": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
