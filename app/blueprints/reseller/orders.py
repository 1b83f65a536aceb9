"""The reseller's orders: the list with filters and its CSV, and activating or deleting one order in place."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.reseller import bp
from app.blueprints.reseller.forms import ConfirmForm, OrderFilterForm
from app.models import Order
from app.services import DomainError
from app.services.exports.writers import write_csv
from app.services.sales import activation, orders
from app.web import is_htmx, is_safe_next, paginate, refuse, render

PAGE_SIZE = 25
LIST_PAGE, LIST_FRAGMENT = "reseller/orders/list.html", "reseller/orders/_table.html"


def order_or_404(order_id: int) -> Order:
    order = orders.find_order(current_user.reseller, order_id)
    if order is None:
        abort(404)
    return order


@bp.route("/orders")
def orders_list():
    form = OrderFilterForm(formdata=request.args)
    context = dict(form=form, confirm=ConfirmForm(formdata=None), filtered=any(request.args.get(k) for k in form.data))
    if not form.validate():
        return refuse(LIST_PAGE, LIST_FRAGMENT, page=None, **context)
    page = paginate(orders.reseller_orders_query(current_user.reseller, form.filters()), per_page=PAGE_SIZE)
    args = {key: value for key, value in request.args.items() if key in form.data and value}
    return render(LIST_PAGE, LIST_FRAGMENT, page=page, csv_url=url_for("reseller.orders_csv", **args), **context)


@bp.route("/orders.csv")
def orders_csv():
    form = OrderFilterForm(formdata=request.args)
    if not form.validate():
        return orders_list()
    query = orders.reseller_orders_query(current_user.reseller, form.filters())
    lines = write_csv(orders.order_rows(query), orders.order_csv_header())
    return Response(stream_with_context(lines), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="orders.csv"', "Cache-Control": "no-store"})


# --- activate and delete, in place ----------------------------------------------------------


def _back(order: Order) -> str:
    back = request.values.get("next")
    return back if is_safe_next(back) else url_for("reseller.customer_card", customer_id=order.customer_id)


@bp.route("/orders/<int:order_id>/<any(activate, delete):action>", methods=["GET", "POST"])
def order_action(order_id, action):
    """Activate or delete: a dialog loaded on demand asks first; without JavaScript the same link
    leads to a confirmation page."""
    order = order_or_404(order_id)
    context = dict(order=order, action=action, back=_back(order), on=request.values.get("on", ""))
    if request.method == "GET":
        return render("reseller/orders/confirm.html", "reseller/orders/_action_dialog.html", form=ConfirmForm(),
                      **context)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        message = _apply(order, action)
    except DomainError as error:
        if is_htmx():  # the row comes back as it is now, and the reason as a toast
            flash(error.message, "warning")
        return refuse("reseller/orders/confirm.html", "reseller/orders/_row_changed.html", form=ConfirmForm(),
                      error=error.message, customer_waiting=orders.waiting_count(order.customer), **context)
    flash(message, "success")
    if not is_htmx():
        return redirect(context["back"])
    html, status = render("reseller/orders/confirm.html", "reseller/orders/_row_changed.html",
                          customer_waiting=orders.waiting_count(order.customer), **context)
    return html, status, {"HX-Trigger": "aula:close-dialog"}


def _apply(order: Order, action: str) -> str:
    if action == "delete":
        if not orders.delete_order(current_user, order):
            return _("Order %(number)s was already deleted: nothing changed.", number=order.number)
        return _("Order %(number)s deleted: it can no longer be paid or activated.", number=order.number)
    result = activation.activate_order(current_user, order, mark_paid=True)
    if not result.activated:
        return _("Order %(number)s was already active: nothing changed.", number=order.number)
    return _("Order %(number)s activated: %(name)s has the courses now.", number=order.number,
             name=order.customer.display_name)
