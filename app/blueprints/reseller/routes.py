"""The reseller's home (what waits for it) and the "to activate" list: customers with waiting orders."""

from flask import request
from flask_login import current_user

from app.blueprints.reseller import bp
from app.blueprints.reseller.forms import ConfirmForm, WaitingSearchForm
from app.services.sales import to_activate
from app.services.sales.to_activate import count_to_activate
from app.web import paginate, refuse, render

PAGE_SIZE = 20


@bp.route("/")
def home():
    reseller = current_user.reseller
    return render("reseller/home.html", reseller=reseller, wallet=reseller.wallet,
                  to_activate=count_to_activate(reseller))


@bp.route("/to-activate")
def to_activate_list():
    """Customers with orders waiting for the reseller, searchable, each order saying why it waits."""
    reseller = current_user.reseller
    form = WaitingSearchForm(formdata=request.args)
    context = dict(form=form, confirm=ConfirmForm(formdata=None), searching=bool(request.args.get("q") or
                                                                                 request.args.get("day")))
    if not form.validate():
        return refuse("reseller/to_activate.html", "reseller/_waiting_customers.html", page=None, **context)
    search = form.search()
    page = paginate(to_activate.customers_waiting_query(reseller, search), per_page=PAGE_SIZE)
    waiting = to_activate.waiting_orders_of(reseller, page.items, search)
    return render("reseller/to_activate.html", "reseller/_waiting_customers.html", page=page, waiting=waiting,
                  **context)
