"""The reseller's customers: list with search, create (welcome email), the customer's card, Add products."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.reseller import bp
from app.blueprints.reseller.forms import (
    AddCreditForm, AddProductsForm, ConfirmForm, CustomerForm, CustomerSearchForm, RecoverCreditForm,
)
from app.models import User
from app.services import DomainError
from app.services.sales import catalog, customers, orders
from app.web import apply_refusal, paginate, refuse, render

PAGE_SIZE = 25
ORDERS_ON_CARD = 10


def customer_or_404(customer_id: int) -> User:
    """The reseller's own customer; another reseller's (or no) customer is a 404."""
    customer = customers.find_customer(current_user.reseller, customer_id)
    if customer is None:
        abort(404)
    return customer


@bp.route("/customers")
def customers_list():
    form = CustomerSearchForm(formdata=request.args)
    text = (form.q.data or "")[:200]
    page = paginate(customers.customers_query(current_user.reseller, text), per_page=PAGE_SIZE)
    return render("reseller/customers/list.html", "reseller/customers/_rows.html", page=page, form=form,
                  searching=bool(text))


@bp.route("/customers/new", methods=["GET", "POST"])
def customer_new():
    form = CustomerForm()
    if form.validate_on_submit():
        try:
            customer = customers.create_customer(current_user, current_user.reseller, email=form.email.data,
                                                 name=form.name.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Customer %(email)s created. A welcome email with a link to set the password is on its way.",
                    email=customer.email), "success")
            return redirect(url_for("reseller.customer_card", customer_id=customer.id))
    page = refuse if form.is_submitted() else render
    return page("reseller/customers/form.html", form=form)


@bp.route("/customers/<int:customer_id>")
def customer_card(customer_id):
    """Details, credit (add, recover, history), and their orders: each waiting one activated or deleted in place."""
    customer = customer_or_404(customer_id)
    reseller = current_user.reseller
    page = paginate(orders.reseller_orders_query(reseller, customer=customer), per_page=ORDERS_ON_CARD)
    credit = customers.credit_of(customer)
    return render("reseller/customers/card.html", customer=customer, page=page, credit=credit,
                  waiting=orders.waiting_count(customer), confirm=ConfirmForm(formdata=None),
                  credit_form=AddCreditForm.blank(),
                  recover_form=RecoverCreditForm(formdata=None, balance=credit.balance, up_to=credit.up_to))


@bp.route("/customers/<int:customer_id>/add-products", methods=["GET", "POST"])
def add_products(customer_id):
    """An order created by hand for the customer, optionally activated at once."""
    customer = customer_or_404(customer_id)
    reseller = current_user.reseller
    form = AddProductsForm().with_offers(catalog.offers_for_sale(reseller))
    if form.validate_on_submit():
        try:
            order = orders.add_products(current_user, reseller, customer, form.offer.data,
                                        activate_now=form.activate_now.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Order %(number)s added for %(name)s (%(status)s).", number=order.number,
                    name=customer.display_name, status=orders.status_label(order.status)), "success")
            return redirect(url_for("reseller.customer_card", customer_id=customer.id))
    page = refuse if form.is_submitted() else render
    return page("reseller/customers/add_products.html", form=form, customer=customer)
