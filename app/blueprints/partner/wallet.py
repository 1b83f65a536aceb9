"""The partner admin's own wallet: balance and history, read-only, with CSV."""

from __future__ import annotations

from flask_login import current_user

from app.blueprints import wallet_history
from app.blueprints.partner import bp

PAGE = "partner/wallet.html"


def _context() -> dict:
    # Only the signed-in admin's own partner: there is no id in the URL to tamper with.
    partner = current_user.partner
    wallet = partner.wallet
    return dict(partner=partner, wallet=wallet, balance=wallet.balance if wallet is not None else 0,
                page_endpoint="partner.wallet", csv_endpoint="partner.wallet_csv")


@bp.route("/wallet")
def wallet():
    return wallet_history.history_page(PAGE, **_context())


@bp.route("/wallet.csv")
def wallet_csv():
    context = _context()
    return wallet_history.history_csv(
        PAGE, filename=wallet_history.statement_filename(context["partner"].name), **context
    )
