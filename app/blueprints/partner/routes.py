from flask_login import current_user

from app.blueprints.partner import bp
from app.services.ledger.wallets import wallet_of
from app.web import render


@bp.route("/")
def home():
    partner = current_user.partner
    return render("partner/home.html", partner=partner, wallet=wallet_of(partner))
