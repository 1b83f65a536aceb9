from flask import Blueprint

from app.blueprints.guards import require_roles
from app.models import Role

bp = Blueprint("partner", __name__)
require_roles(bp, Role.PARTNER_ADMIN)

from app.blueprints.partner import participants  # noqa: E402,F401
from app.blueprints.partner import enrolments, routes  # noqa: E402,F401
from app.blueprints.partner import bulk  # noqa: E402,F401
from app.blueprints.partner import wallet  # noqa: E402,F401
from app.blueprints.partner import reports  # noqa: E402,F401
from app.blueprints.partner import companies, students  # noqa: E402,F401
from app.blueprints.partner import look, own_courses  # noqa: E402,F401
