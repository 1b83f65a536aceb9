"""The customer's shop and orders: bank transfer shows the instructions, credit short is refused in
place with nothing changed, the test-mode payment goes through the webhook handler, my orders show
the courses; another customer's order is a 404."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from app.models import Order, OrderStatus, PaymentEvent
from app.services.ledger import wallets
from app.services.sales import activation
from app.services.sales.policies import wait_reason_label
from tests.conftest import page_csrf


@pytest.fixture
def shop(db, factory):
    reseller, product, offer = factory.shop(price_credits=30, price_cents=4900)
    factory.policy(reseller, card="automatic", paypal="by_hand", instructions="Pay to IBAN IT60 X054")
    return reseller, product, offer


@pytest.fixture
def customer(shop, factory, login_as):
    return login_as(user=factory.customer(shop[0], credits=40))


def _order(client, offer, method, htmx=False):
    data = {"csrf_token": page_csrf(client, "/member/shop"), f"offer-{offer.id}-offer": offer.id,
            f"offer-{offer.id}-method": method}
    return client.post(f"/member/shop/{offer.id}/order", data=data, headers={"HX-Request": "true"} if htmx else {})


def _the_order(customer):
    return _db.session.execute(sa.select(Order).where(Order.customer_id == customer.id).order_by(Order.id.desc())).scalars().first()


def test_the_shop_lists_what_the_reseller_sells_with_both_prices(client, shop, customer):
    _reseller, product, offer = shop
    html = client.get("/member/shop").get_data(as_text=True)
    assert product.name in html and offer.name in html and "or 30 credits" in html


def test_the_shop_hides_what_another_reseller_sells(client, shop, customer, factory):
    _other, other_product, _o = factory.shop()
    assert other_product.name not in client.get("/member/shop").get_data(as_text=True)


def test_ordering_by_bank_transfer_shows_the_resellers_instructions(client, shop, customer):
    response = _order(client, shop[2], "bank_transfer")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pay to IBAN IT60 X054" in html and _the_order(customer).number in html


def test_paying_with_credit_activates_and_shows_the_course(client, shop, customer):
    response = _order(client, shop[2], "credit")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert _the_order(customer).status == OrderStatus.ACTIVE
    assert shop[1].courses[0].title in html
    assert wallets.wallet_of(customer).balance == 10


def test_credit_short_is_refused_in_place_and_nothing_changes(client, shop, customer):
    _order(client, shop[2], "credit")  # 40 - 30 = 10 left
    response = _order(client, shop[2], "credit", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="offer-{shop[2].id}"' in html and "Not enough credits: 30 needed, 10 available" in html
    assert _db.session.scalar(sa.select(sa.func.count(Order.id)).where(Order.customer_id == customer.id)) == 1
    assert wallets.wallet_of(customer).balance == 10


def test_an_offer_not_on_sale_is_a_404(client, shop, customer, factory):
    _p, other_offer = factory.product()
    assert _order(client, other_offer, "bank_transfer").status_code == 404


def test_a_test_mode_card_payment_goes_through_the_webhook_and_activates(client, shop, customer):
    order_page = _order(client, shop[2], "card").headers["Location"]
    html = client.get(order_page).get_data(as_text=True)
    assert "TEST MODE" in html
    order = _the_order(customer)
    response = client.post(f"/member/orders/{order.id}/test-payment",
                           data={"csrf_token": page_csrf(client, order_page)})
    assert response.status_code == 302 and "/return" in response.headers["Location"]
    assert _db.session.get(Order, order.id).status == OrderStatus.ACTIVE
    types = _db.session.execute(sa.select(PaymentEvent.event_type).order_by(PaymentEvent.id)).scalars().all()
    assert types == ["payment_intent.succeeded", "checkout.session.completed"]


def test_a_test_mode_paypal_payment_under_by_hand_waits_for_the_reseller(client, shop, customer):
    order_page = _order(client, shop[2], "paypal").headers["Location"]
    order = _the_order(customer)
    client.post(f"/member/orders/{order.id}/test-payment", data={"csrf_token": page_csrf(client, order_page)})
    assert _db.session.get(Order, order.id).status == OrderStatus.AWAITING_ACTIVATION
    assert wait_reason_label(_db.session.get(Order, order.id)) == "PayPal: by hand"


def test_test_mode_is_off_where_it_is_switched_off(client, app, shop, customer, monkeypatch):
    order_page = _order(client, shop[2], "card").headers["Location"]
    order = _the_order(customer)
    monkeypatch.setitem(app.config, "PAYMENTS_TEST_MODE", False)
    assert "TEST MODE" not in client.get(order_page).get_data(as_text=True)
    client.post(f"/member/orders/{order.id}/test-payment", data={"csrf_token": page_csrf(client, order_page)})
    assert _db.session.get(Order, order.id).status == OrderStatus.AWAITING_PAYMENT


def test_the_return_page_changes_nothing_until_it_posts_its_check(client, shop, customer):
    _order(client, shop[2], "card")
    order = _the_order(customer)
    page = client.get(f"/member/orders/{order.id}/return?session_id=cs_test_1")
    assert page.status_code == 200 and 'hx-trigger="load, submit"' in page.get_data(as_text=True)
    assert 'value="cs_test_1"' in page.get_data(as_text=True)


def test_the_return_page_confirms_a_payment_the_provider_reports(client, app, shop, customer, monkeypatch):
    from app.services.sales import gateways

    _order(client, shop[2], "card")
    order = _the_order(customer)
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_live_path")
    monkeypatch.setattr(gateways, "stripe_checkout_payment", lambda session_id: gateways.ProviderPayment(
        order.number, True, "pi_from_return", order.total_cents, "eur"))
    page = f"/member/orders/{order.id}/return?session_id=cs_1"
    response = client.post(f"/member/orders/{order.id}/return", headers={"HX-Request": "true"},
                           data={"csrf_token": page_csrf(client, page), "session_id": "cs_1"})
    assert response.status_code == 200 and "your order is active" in response.get_data(as_text=True)
    assert _db.session.get(Order, order.id).payment_reference == "pi_from_return"


def test_an_order_no_longer_waiting_for_its_payment_is_never_sent_to_the_checkout(client, app, shop, customer,
                                                                                  monkeypatch):
    from app.services.sales import gateways

    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_live_path")
    checkouts = []
    monkeypatch.setattr(gateways, "stripe_checkout_url", lambda *a, **k: checkouts.append(a) or "https://pay.example/")
    _order(client, shop[2], "card")
    waiting = _the_order(customer)
    assert client.get(f"/member/orders/{waiting.id}/pay").headers["Location"] == "https://pay.example/"
    activation.activate_order(None, waiting)
    _order(client, shop[2], "card")
    deleted = _the_order(customer)
    from app.services.sales.orders import delete_order

    delete_order(None, deleted)
    for order in (waiting, deleted):
        response = client.get(f"/member/orders/{order.id}/pay", follow_redirects=True)
        assert "This order is not waiting for a payment." in response.get_data(as_text=True)
    assert len(checkouts) == 1


def test_my_orders_show_status_and_once_active_the_courses(client, shop, customer):
    _order(client, shop[2], "bank_transfer")
    order = _the_order(customer)
    html = client.get("/member/orders").get_data(as_text=True)
    # In the customer's words: activating is the reseller's job ("To activate" is what the reseller reads).
    assert order.number in html and "Waiting for activation" in html and "To activate" not in html
    activation.activate_order(None, order)
    html = client.get("/member/orders").get_data(as_text=True)
    assert "Active" in html and shop[1].courses[0].title in html


def test_an_order_paid_with_credit_says_the_credits_it_cost(client, shop, customer):
    _order(client, shop[2], "credit")
    html = client.get("/member/orders").get_data(as_text=True)
    assert "30 credits" in html  # the offer's price in credits, what the customer actually paid


def test_another_customers_order_is_a_404(client, shop, customer, factory):
    other = factory.customer(shop[0])
    order = factory.order(other, shop[2], "card")
    assert client.get(f"/member/orders/{order.id}").status_code == 404
    response = client.post(f"/member/orders/{order.id}/test-payment",
                           data={"csrf_token": page_csrf(client, "/member/shop")})
    assert response.status_code == 404
    assert _db.session.get(Order, order.id).status == OrderStatus.AWAITING_PAYMENT


def test_a_student_has_no_shop(client, factory, login_as):
    login_as(user=factory.student(factory.partner()))
    assert client.get("/member/shop").status_code == 404
    assert client.get("/member/orders").status_code == 404


def test_the_navigation_of_a_customer_leads_to_the_shop_and_the_orders(client, shop, customer):
    html = client.get("/member/").get_data(as_text=True)
    assert re.search(r'href="/member/shop"', html) and re.search(r'href="/member/orders"', html)
