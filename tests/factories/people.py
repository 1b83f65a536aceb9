"""Users of every role, created through the people service with one known password."""

from __future__ import annotations

from app.models import Partner, Role, User
from app.services.people.users import create_user

PASSWORD = "correct horse battery"


class PeopleFactory:
    def user(self, role: Role, email=None, **tenant) -> User:
        role_slug = role.value.replace("_", "-")
        email = email or f"{role_slug}-{self.n()}@example.com"
        if role in (Role.PARTNER_ADMIN, Role.STUDENT) and "partner" not in tenant:
            tenant["partner"] = self.partner()
        if role in (Role.RESELLER, Role.CUSTOMER) and "reseller" not in tenant:
            tenant["reseller"] = self.reseller()
        return create_user(None, email=email, role=role, password=PASSWORD, name=email.split("@")[0], **tenant)

    def platform_admin(self) -> User:
        """The test's platform admin (one per test, created the first time it is asked for)."""
        if self._admin is None:
            self._admin = self.user(Role.PLATFORM_ADMIN)
        return self._admin

    def student(self, partner: Partner, **kwargs) -> User:
        return self.user(Role.STUDENT, partner=partner, **kwargs)
