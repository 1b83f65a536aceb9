from flask_login import current_user

from app.blueprints.member import bp
from app.services.enrolments import enrolments_of
from app.web import render


@bp.route("/")
def home():
    return render(
        "member/home.html",
        enrolments=enrolments_of(current_user),
        wallet=current_user.wallet,
    )
