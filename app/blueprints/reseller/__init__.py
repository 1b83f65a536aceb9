from flask import Blueprint

from app.blueprints.guards import require_roles
from app.models import Role

bp = Blueprint("reseller", __name__)
require_roles(bp, Role.RESELLER)

from app.blueprints.reseller import routes  # noqa: E402,F401
