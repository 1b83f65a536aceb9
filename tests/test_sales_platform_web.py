"""The platform admin's resellers: list (balance, search, pages), create, edit, users, what each sells,
and the partners' recharge/deduction dialog and ledger on a reseller's wallet."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from app.models import Reseller, ResellerOffer, Role, User
from app.services.ledger import wallets
from tests.conftest import page_csrf


@pytest.fixture
def admin(client, factory, login_as):
    return login_as(user=factory.platform_admin())


def _post(client, url, data, htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url, data={"csrf_token": page_csrf(client, "/platform/"), **data}, headers=headers)


def test_the_list_shows_each_reseller_with_its_balance(client, admin, factory):
    reseller = factory.reseller(name="Balance Bros")
    wallets.recharge(wallets.wallet_of(reseller), 42, actor=admin)
    html = client.get("/platform/resellers?q=balance").get_data(as_text=True)
    assert "Balance Bros" in html
    assert re.search(rf'id="reseller-{reseller.id}-balance">42<', html)


def test_the_list_is_searchable_and_paginated(client, admin, factory, monkeypatch):
    from app.blueprints.platform import resellers as view

    for n in range(3):
        factory.reseller(name=f"Paged Reseller {n}")
    factory.reseller(name="Someone Else")
    monkeypatch.setattr(view, "PAGE_SIZE", 2)
    html = client.get("/platform/resellers?q=paged").get_data(as_text=True)
    assert len(re.findall(r'<tr id="reseller-\d+">', html)) == 2 and "Page 1 of 2" in html
    assert "Someone Else" not in html


def test_creating_a_reseller_gives_it_a_wallet(client, admin):
    response = _post(client, "/platform/resellers/new", {"name": "  New   Reseller "})
    assert response.status_code == 302
    reseller = _db.session.execute(sa.select(Reseller).where(Reseller.name == "New Reseller")).scalar_one()
    assert reseller.wallet is not None and reseller.wallet.balance == 0


def test_a_duplicate_name_is_refused_on_its_field(client, admin, factory):
    factory.reseller(name="Twin Shop")
    response = _post(client, "/platform/resellers/new", {"name": "twin shop"})
    assert response.status_code == 422 and "already has this name" in response.get_data(as_text=True)


def test_editing_renames_the_reseller(client, admin, factory):
    reseller = factory.reseller()
    _post(client, f"/platform/resellers/{reseller.id}/edit", {"name": "Renamed Reseller"})
    assert _db.session.get(Reseller, reseller.id).name == "Renamed Reseller"


def test_a_reseller_user_can_be_created_and_listed(client, admin, factory):
    reseller = factory.reseller()
    _post(client, f"/platform/resellers/{reseller.id}/users",
          {"email": "staff@example.com", "name": "Staff", "password": "long enough password"})
    user = _db.session.execute(sa.select(User).where(User.email == "staff@example.com")).scalar_one()
    assert user.role == Role.RESELLER and user.reseller_id == reseller.id
    assert "staff@example.com" in client.get(f"/platform/resellers/{reseller.id}").get_data(as_text=True)


def test_choosing_what_a_reseller_sells_with_a_credit_price(client, admin, factory):
    reseller = factory.reseller()
    _product, offer = factory.product()
    _other, not_sold = factory.product()
    response = _post(client, f"/platform/resellers/{reseller.id}/offers",
                     {f"sell_{offer.id}": "y", f"credits_{offer.id}": "25", f"credits_{not_sold.id}": ""})
    assert response.status_code == 302
    rows = _db.session.execute(sa.select(ResellerOffer).where(ResellerOffer.reseller_id == reseller.id)).scalars().all()
    assert [(row.offer_id, row.price_credits) for row in rows] == [(offer.id, 25)]


def test_a_credit_price_below_one_is_refused(client, admin, factory):
    reseller = factory.reseller()
    _product, offer = factory.product()
    response = _post(client, f"/platform/resellers/{reseller.id}/offers", {f"sell_{offer.id}": "y", f"credits_{offer.id}": "0"})
    assert response.status_code == 422


def test_a_credit_price_for_an_offer_not_ticked_is_refused_not_dropped(client, admin, factory):
    reseller = factory.reseller()
    _product, offer = factory.product()
    response = _post(client, f"/platform/resellers/{reseller.id}/offers", {f"credits_{offer.id}": "25"})
    assert response.status_code == 422 and "Tick the offer to sell it at this price" in response.get_data(as_text=True)
    assert not _db.session.scalar(sa.select(sa.func.count()).select_from(ResellerOffer))


def _key(client, url):
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="([a-z0-9-]+-idempotency_key)" type="hidden" value="([^"]+)"', html).groups()


def test_recharge_from_the_dialog_answers_the_row_with_the_new_balance(client, admin, factory):
    reseller = factory.reseller()
    factory.customer(reseller), factory.customer(reseller), factory.reseller_user(reseller)
    name, key = _key(client, f"/platform/resellers/{reseller.id}/recharge")
    prefix = name.removesuffix("-idempotency_key")
    response = _post(client, f"/platform/resellers/{reseller.id}/recharge",
                     {name: key, f"{prefix}-amount": "30", f"{prefix}-reason": "Top up"}, htmx=True)
    assert response.headers["HX-Retarget"] == f"#reseller-{reseller.id}"
    html = response.get_data(as_text=True)
    assert re.search(rf'id="reseller-{reseller.id}-balance">30<', html)
    # The row as the list shows it: its customers and staff still counted.
    assert re.search(r'aria-label="Customers of [^"]+">2<', html) and re.search(r'aria-label="Staff of [^"]+">1<', html)
    assert wallets.wallet_of(reseller).balance == 30


def test_deduct_beyond_the_balance_is_refused_in_the_dialog(client, admin, factory):
    reseller = factory.reseller()
    name, key = _key(client, f"/platform/resellers/{reseller.id}/deduct")
    prefix = name.removesuffix("-idempotency_key")
    response = _post(client, f"/platform/resellers/{reseller.id}/deduct",
                     {name: key, f"{prefix}-amount": "5", f"{prefix}-reason": "Oops"}, htmx=True)
    assert response.status_code == 422 and "Only 0 credits are available" in response.get_data(as_text=True)


def test_the_resellers_wallet_history_shows_the_recharge(client, admin, factory):
    reseller = factory.reseller()
    wallets.recharge(wallets.wallet_of(reseller), 9, actor=admin, note="Opening")
    html = client.get(f"/platform/resellers/{reseller.id}/wallet").get_data(as_text=True)
    assert "Opening" in html and "Recharge" in html


def test_an_unknown_reseller_is_a_404(client, admin):
    assert client.get("/platform/resellers/999999").status_code == 404
