from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Role(str, enum.Enum):
    PLATFORM_ADMIN = "platform_admin"
    PARTNER_ADMIN = "partner_admin"
    RESELLER = "reseller"
    CUSTOMER = "customer"
    STUDENT = "student"


ROLE_HOME = {
    Role.PLATFORM_ADMIN: "platform.home",
    Role.PARTNER_ADMIN: "partner.home",
    Role.RESELLER: "reseller.home",
    Role.CUSTOMER: "member.home",
    Role.STUDENT: "member.home",
}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('platform_admin','partner_admin','reseller','customer','student')",
            name="role_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20), index=True)
    is_active_account: Mapped[bool] = mapped_column("is_active", default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    # Tenancy: a partner admin or a partner's student belongs to a partner;
    # a reseller user or a customer belongs to a reseller.
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    reseller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("resellers.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session's user id (``get_id``): raising it ends every
    # session signed in before (logout, a new password).
    session_version: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")

    partner = relationship("Partner", foreign_keys=[partner_id])
    reseller = relationship("Reseller", foreign_keys=[reseller_id])
    company = relationship("Company", foreign_keys=[company_id])

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def get_id(self) -> str:  # Flask-Login: what the session cookie holds
        return f"{self.id}:{self.session_version or 0}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account

    def has_role(self, *roles: Role) -> bool:
        return self.role in {r.value for r in roles}

    @property
    def home_endpoint(self) -> str:
        return ROLE_HOME[Role(self.role)]

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class StudentImport(db.Model):
    """A partner's CSV import of students, as it ended: every row of the file and what became of it.

    Kept so the result page is a page of its own (reloadable, bookmarkable) rather than the answer
    to the confirming POST.
    """

    __tablename__ = "student_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    # One {"line", "email", "name", "company", "outcome"} per data row of the file, in order.
    rows: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The CRM's contact list is sorted by name (then id); its search matches names and emails
# anywhere in the text, which only a trigram index serves (PostgreSQL's pg_trgm; SQLite scans).
sa.Index("ix_users_lower_name_id", sa.func.lower(User.name), User.id)
sa.Index("ix_users_name_trgm", sa.func.lower(User.name).label("lower_name"), postgresql_using="gin",
         postgresql_ops={"lower_name": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
sa.Index("ix_users_email_trgm", sa.func.lower(User.email).label("lower_email"), postgresql_using="gin",
         postgresql_ops={"lower_email": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
# A partner's students in name order (the student list, the picker, their keyset pages).
sa.Index("ix_users_partner_lower_name", User.partner_id, sa.func.lower(User.name), User.email, User.id)
