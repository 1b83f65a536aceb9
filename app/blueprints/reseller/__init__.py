from flask import Blueprint
from flask_login import current_user

from app.blueprints.guards import require_roles
from app.models import Role
from app.services.sales.orders import status_label
from app.services.sales.policies import method_label, wait_reason_label
from app.services.sales.to_activate import count_to_activate

bp = Blueprint("reseller", __name__)
require_roles(bp, Role.RESELLER)


@bp.context_processor
def _order_words_and_count():
    """How orders read (status, method, why one waits), and the count in the navigation bar of every
    reseller page (what an activation or a deletion updates out of band)."""
    words = {"status_label": status_label, "method_label": method_label, "wait_reason": wait_reason_label}
    if not current_user.is_authenticated or current_user.reseller is None:
        return words
    return {**words, "to_activate_count": count_to_activate(current_user.reseller)}


from app.blueprints.reseller import credit, customers, orders, routes, settings  # noqa: E402,F401
