"""Factories, one module per domain (as Warehouse's tests/common/db/<domain>.py).

Each builds domain objects through the services, as the app does. The
``factory`` fixture is one object that offers every domain's builders; a new
domain adds a module here with its mixin and lists it in ``Factory``.
"""

from __future__ import annotations

import itertools

from tests.factories.access import AccessFactory
from tests.factories.billing import BillingFactory
from tests.factories.catalog import CatalogFactory
from tests.factories.people import PASSWORD, PeopleFactory
from tests.factories.sales import SalesFactory
from tests.factories.tenancy import TenancyFactory

__all__ = ["PASSWORD", "Factory"]

_seq = itertools.count(1)


class Factory(TenancyFactory, PeopleFactory, CatalogFactory, AccessFactory, SalesFactory, BillingFactory):
    def __init__(self, db):
        self.db = db
        self._admin = None

    def n(self) -> int:
        """A number never used before in this test run (unique names and emails)."""
        return next(_seq)
