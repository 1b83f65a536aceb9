"""The reseller area through the web: the to-activate list (why each order waits, search, constant
queries per page), activating and deleting in place, customers, credit, orders and their CSV,
payment settings; another reseller's customer or order is a 404."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.extensions import db as _db
from app.models import AuditEvent, EmailMessage, Grant, Order, OrderStatus, Role, User, WalletEntry
from app.services import access
from app.services.ledger import wallets
from app.services.sales import activation, policies
from tests.conftest import page_csrf


@pytest.fixture
def shop(db, factory):
    reseller, product, offer = factory.shop(price_credits=20)
    return reseller, product, offer


@pytest.fixture
def staff(shop, factory, login_as):
    reseller = shop[0]
    return login_as(user=factory.reseller_user(reseller))


def _post(client, url, data=None, htmx=False, page="/reseller/"):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url, data={"csrf_token": page_csrf(client, page), **(data or {})}, headers=headers)


# --- the to-activate list ------------------------------------------------------------------------


def test_home_shows_how_many_orders_wait_and_links_the_user_list(client, shop, staff, factory):
    reseller, _product, offer = shop
    factory.order(factory.customer(reseller), offer)
    html = client.get("/reseller/").get_data(as_text=True)
    assert re.search(r'id="home-to-activate">1<', html)
    assert "See user list" in html


def test_each_waiting_order_says_why_it_waits(client, shop, staff, factory):
    reseller, _product, offer = shop
    factory.policy(reseller, card="returning_customers", paypal="by_hand")
    factory.order(factory.customer(reseller), offer, "bank_transfer")
    activation.confirm_payment(factory.order(factory.customer(reseller), offer, "paypal"))
    activation.confirm_payment(factory.order(factory.customer(reseller), offer, "card"))
    html = client.get("/reseller/to-activate").get_data(as_text=True)
    for reason in ("Waits: bank transfer", "Waits: PayPal: by hand", "Waits: card: first order of this customer"):
        assert reason in html


def test_orders_waiting_for_a_payment_are_not_on_the_list(client, shop, staff, factory):
    reseller, _product, offer = shop
    customer = factory.customer(reseller, name="Unpaid Uma")
    factory.order(customer, offer, "card")
    assert "Unpaid Uma" not in client.get("/reseller/to-activate").get_data(as_text=True)


@pytest.mark.parametrize("query", ["name", "email", "number", "day"])
def test_the_list_is_searchable_by_name_email_order_number_and_date(client, shop, staff, factory, query):
    reseller, _product, offer = shop
    wanted = factory.customer(reseller, email="wanted-woman@example.com")
    other = factory.customer(reseller, email="other-person@example.com")
    order = factory.order(wanted, offer)
    factory.order(other, offer)
    if query == "day":
        _db.session.execute(sa.update(Order).where(Order.customer_id == other.id)
                            .values(created_at=sa.func.datetime("2020-01-01") if _db.engine.dialect.name == "sqlite"
                                    else sa.text("TIMESTAMPTZ '2020-01-01 10:00:00+00'")))
    term = {"name": "wanted-woman", "email": "wanted-woman@example", "number": order.number,
            "day": access.today().isoformat()}[query]  # the platform's day (Europe/Rome), not the machine's
    key = "day" if query == "day" else "q"
    html = client.get("/reseller/to-activate", query_string={key: term}).get_data(as_text=True)
    assert "wanted-woman@example.com" in html
    assert "other-person@example.com" not in html


def test_a_bad_date_is_refused_with_a_message_not_a_500(client, shop, staff):
    response = client.get("/reseller/to-activate?day=31-31-2020")
    assert response.status_code == 422
    assert "is not a date" in response.get_data(as_text=True)


def _count_queries():
    counter = {"n": 0}

    def _count(*_args, **_kwargs):
        counter["n"] += 1

    return counter, _count


def test_a_page_of_the_list_costs_the_same_queries_whatever_its_size(client, shop, staff, factory, monkeypatch):
    from app.blueprints.reseller import routes

    reseller, _product, offer = shop
    for _ in range(12):
        customer = factory.customer(reseller)
        factory.order(customer, offer)
        factory.order(customer, offer, "bank_transfer")
    counts = []
    for size in (3, 12):
        monkeypatch.setattr(routes, "PAGE_SIZE", size)
        client.get("/reseller/to-activate")  # warm up: the login's own queries are not the list's
        counter, listener = _count_queries()
        event.listen(_db.engine, "after_cursor_execute", listener)
        try:
            html = client.get("/reseller/to-activate").get_data(as_text=True)
        finally:
            event.remove(_db.engine, "after_cursor_execute", listener)
        assert html.count('class="card mb-3 waiting-customer"') == size
        counts.append(counter["n"])
    assert counts[0] == counts[1]


# --- activate and delete in place ---------------------------------------------------------------


def test_activating_in_place_answers_the_row_and_the_new_count_out_of_band(client, shop, staff, factory):
    reseller, _product, offer = shop
    customer = factory.customer(reseller)
    order = factory.order(customer, offer)
    factory.order(customer, offer)
    response = _post(client, f"/reseller/orders/{order.id}/activate", {"on": "card"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "aula:close-dialog"
    assert f'id="order-{order.id}"' in html and "Active" in html
    assert re.search(r'id="to-activate-count"[^>]*hx-swap-oob="true">1<', html)
    assert re.search(r'id="customer-waiting-count" hx-swap-oob="true">1<', html)
    assert _db.session.scalar(sa.select(sa.func.count(Grant.id)).where(Grant.user_id == customer.id)) == 1


def test_activating_twice_from_two_tabs_grants_once_and_says_so(client, shop, staff, factory):
    reseller, _product, offer = shop
    customer = factory.customer(reseller)
    order = factory.order(customer, offer)
    _post(client, f"/reseller/orders/{order.id}/activate")
    second = _post(client, f"/reseller/orders/{order.id}/activate", htmx=True)
    assert second.status_code == 200 and "already active" in second.get_data(as_text=True)
    assert _db.session.scalar(sa.select(sa.func.count(Grant.id)).where(Grant.user_id == customer.id)) == 1


def test_activating_without_javascript_confirms_on_a_page_then_goes_back(client, shop, staff, factory):
    reseller, _product, offer = shop
    order = factory.order(factory.customer(reseller), offer)
    page = client.get(f"/reseller/orders/{order.id}/activate?next=/reseller/to-activate")
    assert page.status_code == 200 and f"Activate order {order.number}?" in page.get_data(as_text=True)
    response = _post(client, f"/reseller/orders/{order.id}/activate", {"next": "/reseller/to-activate"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/reseller/to-activate")


def test_the_list_carries_no_dialog_per_order_each_loads_when_asked(client, shop, staff, factory):
    reseller, _product, offer = shop
    order = factory.order(factory.customer(reseller), offer)
    factory.order(factory.customer(reseller), offer)
    html = client.get("/reseller/to-activate").get_data(as_text=True)
    assert "<dialog" not in html and html.count('hx-target="#dialog-host"') == 4  # activate and delete, twice
    asked = client.get(f"/reseller/orders/{order.id}/delete?on=waiting", headers={"HX-Request": "true"})
    dialog = asked.get_data(as_text=True)
    assert asked.status_code == 200 and dialog.lstrip().startswith("<dialog") and "data-dialog-loaded" in dialog
    assert f"Delete order {order.number}?" in dialog and 'name="csrf_token"' in dialog
    assert f'hx-target="#order-{order.id}"' in dialog and 'name="on" value="waiting"' in dialog


def test_an_order_handled_in_another_tab_asks_nothing_in_its_dialog(client, shop, staff, factory):
    reseller, _product, offer = shop
    order = factory.order(factory.customer(reseller), offer)
    _post(client, f"/reseller/orders/{order.id}/activate")
    dialog = client.get(f"/reseller/orders/{order.id}/delete", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<form" not in dialog and "Active" in dialog and "Close" in dialog


def test_deleting_in_place_leaves_an_order_that_cannot_be_activated(client, shop, staff, factory):
    reseller, _product, offer = shop
    order = factory.order(factory.customer(reseller), offer)
    assert _post(client, f"/reseller/orders/{order.id}/delete", htmx=True).status_code == 200
    refused = _post(client, f"/reseller/orders/{order.id}/activate", htmx=True)
    assert refused.status_code == 422 and "can no longer be activated" in refused.get_data(as_text=True)
    assert _db.session.get(Order, order.id).status == OrderStatus.DELETED


def test_deleting_an_order_deleted_in_another_tab_says_nothing_changed(client, shop, staff, factory):
    reseller, _product, offer = shop
    order = factory.order(factory.customer(reseller), offer)
    _post(client, f"/reseller/orders/{order.id}/delete")
    again = _post(client, f"/reseller/orders/{order.id}/delete", htmx=True).get_data(as_text=True)
    assert "already deleted: nothing changed" in again
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "order.deleted")) == 1


@pytest.mark.parametrize("offer_id", ["99999999999999999999", "abc", "-1", "２"])
def test_add_products_refuses_what_is_not_an_offer_on_sale_in_words(client, shop, staff, factory, offer_id):
    customer = factory.customer(shop[0])
    url = f"/reseller/customers/{customer.id}/add-products"
    response = _post(client, url, {"offer": offer_id}, page=url)
    assert response.status_code == 422 and "Choose one of the offers on sale." in response.get_data(as_text=True)
    assert not _db.session.scalar(sa.select(sa.func.count(Order.id)).where(Order.customer_id == customer.id))


def test_the_activate_question_says_when_no_payment_has_arrived(client, shop, staff, factory):
    reseller, _product, offer = shop
    unpaid_card = factory.order(factory.customer(reseller), offer, "card")
    transfer = factory.order(factory.customer(reseller), offer)
    asked = client.get(f"/reseller/orders/{unpaid_card.id}/activate", headers={"HX-Request": "true"})
    assert "No payment has arrived for this order (Card)" in asked.get_data(as_text=True)
    asked = client.get(f"/reseller/orders/{transfer.id}/activate", headers={"HX-Request": "true"})
    assert "Activate only once the payment has arrived." in asked.get_data(as_text=True)


def test_another_resellers_order_is_a_404(client, shop, staff, factory):
    other, _p, offer = factory.shop()
    order = factory.order(factory.customer(other), offer)
    assert client.get(f"/reseller/orders/{order.id}/activate").status_code == 404
    assert _post(client, f"/reseller/orders/{order.id}/activate").status_code == 404
    assert _db.session.get(Order, order.id).status == OrderStatus.AWAITING_ACTIVATION


def test_another_resellers_customer_is_a_404_everywhere(client, shop, staff, factory):
    other, _p, _o = factory.shop()
    customer = factory.customer(other, credits=10)
    for path in ("", "/add-products", "/credit", "/credit/add", "/credit/recover"):
        assert client.get(f"/reseller/customers/{customer.id}{path}").status_code == 404
    assert _post(client, f"/reseller/customers/{customer.id}/credit/recover",
                 {"balance": 10, "up_to": 999}).status_code == 404


# --- customers -------------------------------------------------------------------------------------


def test_creating_a_customer_sends_a_welcome_email_with_a_set_password_link(client, shop, staff):
    response = _post(client, "/reseller/customers/new", {"email": "New.Customer@Example.com", "name": "New C"})
    assert response.status_code == 302
    customer = _db.session.execute(sa.select(User).where(User.email == "new.customer@example.com")).scalar_one()
    assert customer.role == Role.CUSTOMER and customer.reseller_id == shop[0].id
    mail = _db.session.execute(sa.select(EmailMessage).where(EmailMessage.recipient == customer.email)).scalar_one()
    assert "/auth/set-password/" in mail.body_text


def test_a_taken_email_is_refused_on_its_field(client, shop, staff, factory):
    taken = factory.customer(shop[0])
    response = _post(client, "/reseller/customers/new", {"email": taken.email, "name": "Twin"})
    assert response.status_code == 422 and "already exists" in response.get_data(as_text=True)


def test_the_customer_list_searches_and_shows_each_credit(client, shop, staff, factory):
    factory.customer(shop[0], credits=7, email="findme@example.com")
    factory.customer(shop[0], email="hidden@example.com")
    html = client.get("/reseller/customers?q=findme").get_data(as_text=True)
    assert "findme@example.com" in html and "hidden@example.com" not in html
    assert re.search(r'class="num balance">7<', html)


def test_add_products_creates_an_order_activated_at_once_when_asked(client, shop, staff, factory):
    reseller, _product, offer = shop
    customer = factory.customer(reseller)
    response = _post(client, f"/reseller/customers/{customer.id}/add-products",
                     {"offer": offer.id, "activate_now": "y"})
    assert response.status_code == 302
    order = _db.session.execute(sa.select(Order).where(Order.customer_id == customer.id)).scalar_one()
    assert order.status == OrderStatus.ACTIVE and order.payment_method == "by_reseller"


def test_add_products_refuses_an_offer_not_on_sale(client, shop, staff, factory):
    _other_product, other_offer = factory.product()
    customer = factory.customer(shop[0])
    response = _post(client, f"/reseller/customers/{customer.id}/add-products", {"offer": other_offer.id})
    assert response.status_code == 422 and "Choose one of the offers on sale" in response.get_data(as_text=True)


# --- credit ------------------------------------------------------------------------------------------


def test_add_credit_moves_credits_from_the_reseller_to_the_customer(client, shop, staff, factory):
    reseller = shop[0]
    wallets.recharge(wallets.wallet_of(reseller), 50, actor=factory.platform_admin())
    customer = factory.customer(reseller)
    form = client.get(f"/reseller/customers/{customer.id}/credit/add").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', form).group(1)
    for _ in range(2):  # a double submit applies once
        _post(client, f"/reseller/customers/{customer.id}/credit/add", {"amount": 30, "idempotency_key": key})
    assert wallets.wallet_of(customer).balance == 30 and wallets.wallet_of(reseller).balance == 20


def test_add_credit_beyond_the_resellers_balance_is_refused_in_place(client, shop, staff, factory):
    customer = factory.customer(shop[0])
    form = client.get(f"/reseller/customers/{customer.id}/credit/add").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', form).group(1)
    response = _post(client, f"/reseller/customers/{customer.id}/credit/add", {"amount": 5, "idempotency_key": key})
    assert response.status_code == 422 and "Your wallet holds 0 credits" in response.get_data(as_text=True)
    assert wallets.wallet_of(customer).balance == 0


def _recover_form(client, customer):
    html = client.get(f"/reseller/customers/{customer.id}/credit/recover").get_data(as_text=True)
    balance = re.search(r'name="balance" type="hidden" value="([^"]*)"', html).group(1)
    up_to = re.search(r'name="up_to" type="hidden" value="([^"]*)"', html).group(1)
    return html, {"balance": balance, "up_to": up_to}


def test_recover_credit_moves_exactly_the_balance_shown_as_two_linked_entries(client, shop, staff, factory):
    reseller = shop[0]
    customer = factory.customer(reseller, credits=25)
    html, fields = _recover_form(client, customer)
    assert "25 credits move" in html
    assert _post(client, f"/reseller/customers/{customer.id}/credit/recover", fields).status_code == 302
    assert wallets.wallet_of(customer).balance == 0 and wallets.wallet_of(reseller).balance == 25
    out_entry, in_entry = _db.session.execute(sa.select(WalletEntry).where(WalletEntry.kind.in_(
        ["recovery_out", "recovery_in"])).order_by(WalletEntry.id)).scalars().all()
    assert (out_entry.amount, in_entry.amount) == (-25, 25) and in_entry.reverses_entry_id == out_entry.id


def test_recover_credit_is_refused_when_the_balance_changed_since_the_dialog(client, shop, staff, factory):
    reseller = shop[0]
    customer = factory.customer(reseller, credits=25)
    _html, fields = _recover_form(client, customer)
    wallets.recharge(wallets.wallet_of(customer), 5, actor=factory.platform_admin())
    response = _post(client, f"/reseller/customers/{customer.id}/credit/recover", fields)
    assert response.status_code == 422 and "The balance changed" in response.get_data(as_text=True)
    assert wallets.wallet_of(customer).balance == 30 and wallets.wallet_of(reseller).balance == 0


def test_recover_credit_of_a_zero_balance_says_so_and_writes_nothing(client, shop, staff, factory):
    customer = factory.customer(shop[0])
    html, fields = _recover_form(client, customer)
    assert "nothing to recover" in html
    before = _db.session.scalar(sa.select(sa.func.count(WalletEntry.id)))
    response = _post(client, f"/reseller/customers/{customer.id}/credit/recover", fields)
    assert response.status_code == 422 and "no credit to recover" in response.get_data(as_text=True)
    assert _db.session.scalar(sa.select(sa.func.count(WalletEntry.id))) == before


def test_the_same_recover_confirmation_twice_moves_once(client, shop, staff, factory):
    reseller = shop[0]
    customer = factory.customer(reseller, credits=25)
    _html, fields = _recover_form(client, customer)
    _post(client, f"/reseller/customers/{customer.id}/credit/recover", fields)
    again = _post(client, f"/reseller/customers/{customer.id}/credit/recover", fields)
    assert again.status_code == 302
    assert wallets.wallet_of(reseller).balance == 25


def test_both_histories_show_the_recovered_credit(client, shop, staff, factory):
    customer = factory.customer(shop[0], credits=25)
    _html, fields = _recover_form(client, customer)
    _post(client, f"/reseller/customers/{customer.id}/credit/recover", fields)
    assert "Credit recovered by the reseller" in client.get(f"/reseller/customers/{customer.id}/credit").get_data(as_text=True)


# --- orders, settings --------------------------------------------------------------------------------


def test_the_orders_list_filters_by_status_and_method(client, shop, staff, factory):
    reseller, _product, offer = shop
    customer = factory.customer(reseller)
    bank = factory.order(customer, offer, "bank_transfer")
    card = factory.order(customer, offer, "card")
    html = client.get("/reseller/orders?method=card").get_data(as_text=True)
    assert card.number in html and bank.number not in html
    html = client.get("/reseller/orders?status=awaiting_activation").get_data(as_text=True)
    assert bank.number in html and card.number not in html


def test_the_orders_csv_lists_the_filtered_orders(client, shop, staff, factory):
    reseller, _product, offer = shop
    customer = factory.customer(reseller, email="csv-customer@example.com")
    order = factory.order(customer, offer)
    other = factory.order(customer, offer, "card")
    response = client.get("/reseller/orders.csv?method=bank_transfer")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert order.number in text and other.number not in text
    assert "csv-customer@example.com" in text and "bank transfer" in text
    assert f",{offer.price_cents // 100}.{offer.price_cents % 100:02d},EUR," in text  # a total always with its cents


@pytest.mark.parametrize("language, separator, total", [("it", ";", "{euros},{cents:02d}"),
                                                      ("pt-BR", ";", "{euros},{cents:02d}"),
                                                      ("en", ",", "{euros}.{cents:02d}")])
def test_the_orders_csv_opens_in_columns_in_the_readers_spreadsheet(client, shop, staff, factory,
                                                                    language, separator, total):
    """Excel in Italian or Portuguese splits a CSV at ";" and reads "12,50" as a number: a comma-separated
    file opened there is one column of text."""
    reseller, _product, offer = shop
    factory.order(factory.customer(reseller, email="columns@example.com"), offer)
    text = client.get("/reseller/orders.csv", headers={"Accept-Language": language}).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=separator))
    header, row = rows[0], next(r for r in rows[1:] if "columns@example.com" in r)
    assert len(row) == len(header) == 13
    assert row[8] == total.format(euros=offer.price_cents // 100, cents=offer.price_cents % 100)  # the total


def test_an_orders_filter_ending_before_it_starts_is_refused_in_place(client, shop, staff):
    response = client.get("/reseller/orders?date_from=2026-05-02&date_to=2026-05-01")
    assert response.status_code == 422 and "The end date is before the start date." in response.get_data(as_text=True)


def test_payment_settings_are_saved_per_method(client, shop, staff):
    response = _post(client, "/reseller/settings/payments",
                     {"card": "automatic", "paypal": "by_hand", "bank_instructions": "IBAN IT00"})
    assert response.status_code == 302
    settings = policies.payment_settings(shop[0])
    assert (settings.card, settings.paypal, settings.bank_instructions) == ("automatic", "by_hand", "IBAN IT00")


def test_an_unknown_policy_is_refused(client, shop, staff):
    response = _post(client, "/reseller/settings/payments", {"card": "whenever", "paypal": "by_hand"})
    assert response.status_code == 422


def test_a_customer_cannot_open_the_reseller_area(client, shop, factory, login_as):
    login_as(user=factory.customer(shop[0]))
    assert client.get("/reseller/to-activate").status_code == 403
