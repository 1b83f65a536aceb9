from flask_login import current_user

from app.blueprints.reseller import bp
from app.web import render


@bp.route("/")
def home():
    reseller = current_user.reseller
    return render("reseller/home.html", reseller=reseller, wallet=reseller.wallet)
