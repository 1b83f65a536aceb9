from flask import Blueprint

from app.blueprints.guards import require_roles
from app.models import Role

bp = Blueprint("member", __name__)
require_roles(bp, Role.CUSTOMER, Role.STUDENT)

from app.blueprints.member import invoices, routes, shop  # noqa: E402,F401
