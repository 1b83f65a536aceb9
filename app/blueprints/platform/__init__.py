from flask import Blueprint

from app.blueprints.guards import require_roles
from app.models import Role

bp = Blueprint("platform", __name__)
require_roles(bp, Role.PLATFORM_ADMIN)

from app.blueprints.platform import routes  # noqa: E402,F401
from app.blueprints.platform import (  # noqa: E402,F401
    audit, catalog, courses, crm, invoice_actions, invoices, partners, people, products, resellers, reviews, settings,
)
