from flask import Blueprint

from app.blueprints.guards import require_roles
from app.models import Role

bp = Blueprint("platform", __name__)
require_roles(bp, Role.PLATFORM_ADMIN)

from app.blueprints.platform import routes  # noqa: E402,F401
from app.blueprints.platform import catalog, courses, crm, partners, products, reviews, settings  # noqa: E402,F401
