"""The customer's shop and orders: offers of its reseller, an order paid by bank transfer, card, PayPal or
credit; my orders with their status and, once active, the courses they gave; paying (live or test mode).

Only a customer (a reseller's sub-account) shops; another customer's order is a 404.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.member import bp
from app.blueprints.member.shop_forms import OrderForm, ReturnForm, TestPaymentForm
from app.models import Order, Role, User
from app.services import DomainError
from app.services.sales import catalog, orders, payments, policies
from app.web import apply_refusal, go_to, paginate, refuse, render

PAGE_SIZE = 20
SHOP, OFFER = "member/shop/index.html", "member/shop/_offer.html"


@bp.context_processor
def _order_words():
    return {"status_label": orders.customer_status_label, "method_label": policies.method_label}


def customer_only() -> User:
    if current_user.role != Role.CUSTOMER.value or current_user.reseller is None:
        abort(404)
    return current_user


def own_order(order_id: int) -> Order:
    order = orders.find_customer_order(customer_only(), order_id)
    if order is None:
        abort(404)
    return order


@bp.route("/shop")
def shop():
    items = catalog.offers_for_sale(customer_only().reseller)
    return render(SHOP, items=items, forms={item.offer.id: OrderForm.for_offer(item) for item in items},
                  credit=current_user.wallet.balance if current_user.wallet else 0)


def _offer_or_404(customer: User, offer_id: int):
    try:
        return catalog.offer_for_sale(customer.reseller, offer_id)
    except catalog.OfferNotForSale:
        abort(404)


@bp.route("/shop/<int:offer_id>/order", methods=["POST"])
def place_order(offer_id):
    """Order one offer; a refusal (credit short, no method) comes back in place, nothing changed."""
    customer = customer_only()
    item = _offer_or_404(customer, offer_id)
    form = OrderForm.for_offer(item, formdata=request.form)
    if form.validate_on_submit():
        try:
            order = orders.place_order(customer, item.offer.id, form.method.data)
        except DomainError as error:
            apply_refusal(form, error, default_field="method")
        else:
            flash(_("Order %(number)s placed.", number=order.number), "success")
            return go_to(url_for("member.order_page", order_id=order.id))
    items = catalog.offers_for_sale(customer.reseller)
    forms = {other.offer.id: OrderForm.for_offer(other) for other in items} | {item.offer.id: form}
    return refuse(SHOP, OFFER, items=items, forms=forms, item=item, form=form,
                  credit=customer.wallet.balance if customer.wallet else 0)


@bp.route("/orders")
def my_orders():
    page = paginate(orders.customer_orders_query(customer_only()), per_page=PAGE_SIZE)
    return render("member/shop/orders.html", page=page, courses=orders.courses_given(page.items))


@bp.route("/orders/<int:order_id>")
def order_page(order_id):
    """The order's status; how to pay it while it waits for a payment; its courses once active."""
    order = own_order(order_id)
    return render("member/shop/order.html", order=order, courses=orders.courses_given([order]).get(order.id, []),
                  instructions=policies.payment_settings(order.reseller).bank_instructions,
                  test_mode=payments.test_mode_available(order.payment_method), test_form=TestPaymentForm())


@bp.route("/orders/<int:order_id>/pay")
def pay(order_id):
    """Live: off to the provider's checkout (Stripe Checkout, PayPal approval)."""
    order = own_order(order_id)
    back = url_for("member.payment_return", order_id=order.id, _external=True)
    try:
        target = payments.checkout_url(order, success_url=back, cancel_url=url_for(
            "member.order_page", order_id=order.id, _external=True))
    except DomainError as error:
        flash(error.message, "warning")
        target = None
    return redirect(target or url_for("member.order_page", order_id=order.id))


@bp.route("/orders/<int:order_id>/test-payment", methods=["POST"])
def test_payment(order_id):
    """TEST MODE: the provider's signed events for this order, through the same webhook handler."""
    order = own_order(order_id)
    if not TestPaymentForm().validate_on_submit():
        abort(400)
    try:
        payments.pay_in_test_mode(order)
    except DomainError as error:
        flash(error.message, "warning")
        return redirect(url_for("member.order_page", order_id=order.id))
    return redirect(url_for("member.payment_return", order_id=order.id))


@bp.route("/orders/<int:order_id>/return", methods=["GET", "POST"])
def payment_return(order_id):
    """Back from the checkout. The GET changes nothing: its page posts (htmx on load, or a button) what the
    provider put in the address, and that POST asks the provider and confirms a payment it reports."""
    order = own_order(order_id)
    if request.method == "POST":
        form = ReturnForm()
        if not form.validate_on_submit():
            abort(400)
        payments.confirm_return(order, session_id=form.session_id.data, paypal_token=form.token.data)
    else:
        form = ReturnForm(formdata=None, session_id=request.args.get("session_id", "")[:200],
                          token=request.args.get("token", "")[:100])
    return render("member/shop/return.html", "member/shop/_return_status.html", order=order, form=form,
                  checked=request.method == "POST", courses=orders.courses_given([order]).get(order.id, []))
