"""The platform admin's partner screens: list with balances, create, edit, partner admins."""

import re

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Partner, Role, User
from tests.conftest import csrf_token, login
from tests.pages import page_link


@pytest.fixture
def admin(login_as):
    return login_as(Role.PLATFORM_ADMIN)


def partner_form(token, **values):
    data = {"csrf_token": token, "name": "", "kind": "default", "domain": "", "brand_color": "",
            "logo_url": "", "low_balance_threshold": ""}
    data.update(values)
    return data


def partner_named(db, name):
    return db.session.execute(sa.select(Partner).where(Partner.name == name)).scalar_one_or_none()


def field_error(html, field_id):
    """The error text shown under a form field, or None."""
    match = re.search(rf'id="{field_id}-errors"[^>]*>(.*?)</div>\s*</div>', html, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip() if match else None


# --- list -------------------------------------------------------------------------


def test_list_shows_each_partner_with_its_balance_and_the_total(client, factory, admin):
    factory.partner(name="Alpha Training", credits=120)
    factory.partner(name="Beta Academy", credits=30, kind="whitelabel", domain="beta.example.com")
    factory.partner(name="Gamma Empty")

    html = client.get("/platform/partners").get_data(as_text=True)

    for name, balance in [("Alpha Training", "120"), ("Beta Academy", "30"), ("Gamma Empty", "0")]:
        row = re.search(rf"<tr id=\"partner-\d+\">.*?{name}.*?</tr>", html, re.S).group(0)
        assert re.search(rf'class="num balance"[^>]*>{balance}</td>', row), row
    assert "beta.example.com" in html
    # The totals card adds up every partner's balance (each test starts from an empty database).
    assert re.search(r'id="partner-totals-credits">150<', html)
    assert re.search(r'<h2[^>]*>Partners</h2>\s*<p[^>]*>3<', html)


def test_each_row_loads_its_recharge_and_deduct_dialogs_on_demand(client, factory, admin):
    partner = factory.partner(name="Dialog Partner", credits=5)
    html = client.get("/platform/partners").get_data(as_text=True)
    for operation in ("recharge", "deduct"):
        url = f"/platform/partners/{partner.id}/{operation}"
        assert f'href="{url}" hx-get="{url}" hx-target="#dialog-host"' in html
    assert "<dialog" not in html and "idempotency_key" not in html
    assert "style=" not in html and "onclick" not in html


@pytest.mark.parametrize("operation", ["recharge", "deduct"])
def test_each_loaded_dialog_has_its_own_request_key(client, factory, admin, operation):
    partner = factory.partner(name="Dialog Partner", credits=5)
    url = f"/platform/partners/{partner.id}/{operation}"
    keys = []
    for _ in range(2):
        html = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
        assert html.lstrip().startswith(f'<dialog class="aula-dialog text-wrap" id="{operation}-{partner.id}-dialog"')
        assert "data-dialog-loaded" in html and f'hx-post="{url}"' in html and "<html" not in html
        keys += re.findall(rf'name="{operation}-{partner.id}-idempotency_key" type="hidden" value="([^"]+)"', html)
    assert len(keys) == 2 and keys[0] != keys[1]


def test_the_list_is_searchable_by_name_or_domain(client, factory, admin):
    factory.partner(name="Alpha Training")
    factory.partner(name="Beta Academy", kind="whitelabel", domain="beta.example.com")
    by_name = client.get("/platform/partners?q=ALPHA").get_data(as_text=True)
    by_domain = client.get("/platform/partners?q=beta.example", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Alpha Training" in by_name and "Beta Academy" not in by_name
    assert by_domain.lstrip().startswith('<div id="partner-rows">')
    assert "Beta Academy" in by_domain and "Alpha Training" not in by_domain
    assert "No partner matches this search." in client.get("/platform/partners?q=zzz").get_data(as_text=True)


def test_the_list_pages_by_name_fifty_at_a_time(client, factory, admin):
    for n in range(52):
        factory.partner(name=f"Partner {n:03d}")
    first = client.get("/platform/partners").get_data(as_text=True)
    second = client.get(page_link(first, "next")).get_data(as_text=True)
    assert "Partner 049" in first and "Partner 050" not in first
    assert "Partner 050" in second and "Partner 051" in second and "Partner 049" not in second
    # The totals count every partner, not the page.
    assert re.search(r'<h2[^>]*>Partners</h2>\s*<p[^>]*>52<', second)


# --- create ----------------------------------------------------------------------


def test_create_default_partner_with_wallet_and_audit(client, db, admin):
    token = csrf_token(client, "/platform/partners/new")
    response = client.post("/platform/partners/new", data=partner_form(
        token, name="  New Co  ", low_balance_threshold="25"))
    assert response.status_code == 302
    partner = partner_named(db, "New Co")
    assert response.headers["Location"] == f"/platform/partners/{partner.id}"
    assert (partner.kind, partner.domain, partner.low_balance_threshold) == ("default", None, 25)
    assert partner.wallet is not None and partner.wallet.balance == 0
    event = db.session.execute(sa.select(AuditEvent).where(
        AuditEvent.action == "partner.created", AuditEvent.object_id == partner.id)).scalar_one()
    assert event.actor_id == admin.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Partner New Co created." in page


def test_create_whitelabel_partner_normalises_domain_and_colour(client, db, admin):
    token = csrf_token(client, "/platform/partners/new")
    response = client.post("/platform/partners/new", data=partner_form(
        token, name="WL Co", kind="whitelabel", domain="Learn.WL-Co.example.", brand_color="#1A6FB0",
        logo_url="https://cdn.example.com/logo.png"))
    assert response.status_code == 302
    partner = partner_named(db, "WL Co")
    assert (partner.domain, partner.brand_color, partner.logo_url) == (
        "learn.wl-co.example", "#1a6fb0", "https://cdn.example.com/logo.png")
    assert partner.low_balance_threshold is None  # blank = the platform default


@pytest.mark.parametrize("values, field, message", [
    ({"name": "Taken Name"}, "name", "Another partner already has this name."),
    ({"name": "taken name"}, "name", "Another partner already has this name."),
    ({"name": "X", "kind": "whitelabel"}, "domain", "A whitelabel partner needs its own domain."),
    ({"name": "X", "kind": "whitelabel", "domain": "TAKEN.example.com"}, "domain",
     "Another partner already uses this domain."),
    ({"name": "X", "domain": "x.example.com"}, "domain", "leave the domain empty"),
    ({"name": "X", "kind": "whitelabel", "domain": "not a domain"}, "domain", "Enter a domain name"),
    ({"name": "X", "brand_color": "blue"}, "brand_color", "six hex digits"),
    ({"name": "X", "brand_color": "#12345"}, "brand_color", "six hex digits"),
    ({"name": "X", "low_balance_threshold": "-1"}, "low_balance_threshold", "0 or more"),
    ({"name": "X", "low_balance_threshold": "ten"}, "low_balance_threshold", "whole number"),
    ({"name": "X", "logo_url": "javascript:alert(1)"}, "logo_url", "https://"),
    ({"name": "X", "kind": "reseller"}, "kind", "Not a valid choice"),
    ({"name": ""}, "name", "This field is required."),
])
def test_create_refuses_bad_input_with_a_field_error_and_creates_nothing(client, db, factory, admin,
                                                                         values, field, message):
    factory.partner(name="Taken Name", kind="whitelabel", domain="taken.example.com")
    before = db.session.scalar(sa.select(sa.func.count(Partner.id)))
    token = csrf_token(client, "/platform/partners/new")

    response = client.post("/platform/partners/new", data=partner_form(token, **values))

    assert response.status_code == 422
    error = field_error(response.get_data(as_text=True), field)
    assert error and message in error, error
    assert db.session.scalar(sa.select(sa.func.count(Partner.id))) == before


# --- edit -------------------------------------------------------------------------


def test_edit_changes_details_and_records_what_changed(client, db, factory, admin):
    partner = factory.partner(name="Old Name")
    path = f"/platform/partners/{partner.id}/edit"
    page = client.get(path).get_data(as_text=True)
    assert 'value="Old Name"' in page

    response = client.post(path, data=partner_form(
        csrf_token(client, path), name="New Name", kind="whitelabel", domain="new.example.com",
        brand_color="#00aa00", low_balance_threshold="5"))

    assert response.status_code == 302
    db.session.refresh(partner)
    assert (partner.name, partner.kind, partner.domain, partner.brand_color, partner.low_balance_threshold) == (
        "New Name", "whitelabel", "new.example.com", "#00aa00", 5)
    event = db.session.execute(sa.select(AuditEvent).where(
        AuditEvent.action == "partner.updated", AuditEvent.object_id == partner.id)).scalar_one()
    assert event.details["changes"]["name"] == ["Old Name", "New Name"]


def test_edit_keeps_own_name_and_domain_but_refuses_anothers(client, db, factory, admin):
    factory.partner(name="Other", kind="whitelabel", domain="other.example.com")
    partner = factory.partner(name="Mine", kind="whitelabel", domain="mine.example.com")
    path = f"/platform/partners/{partner.id}/edit"
    token = csrf_token(client, path)

    same = client.post(path, data=partner_form(token, name="Mine", kind="whitelabel",
                                               domain="mine.example.com", brand_color="#111111"))
    assert same.status_code == 302

    clash = client.post(path, data=partner_form(token, name="Mine", kind="whitelabel",
                                                domain="other.example.com"))
    assert clash.status_code == 422
    assert "Another partner already uses this domain." in field_error(clash.get_data(as_text=True), "domain")
    db.session.refresh(partner)
    assert (partner.domain, partner.brand_color) == ("mine.example.com", "#111111")


def test_turning_a_whitelabel_into_default_needs_the_domain_cleared(client, db, factory, admin):
    partner = factory.partner(name="Switcher", kind="whitelabel", domain="switch.example.com")
    path = f"/platform/partners/{partner.id}/edit"
    token = csrf_token(client, path)
    refused = client.post(path, data=partner_form(token, name="Switcher", kind="default",
                                                  domain="switch.example.com"))
    assert refused.status_code == 422
    db.session.refresh(partner)
    assert partner.kind == "whitelabel"
    accepted = client.post(path, data=partner_form(token, name="Switcher", kind="default", domain=""))
    assert accepted.status_code == 302
    db.session.refresh(partner)
    assert (partner.kind, partner.domain) == ("default", None)


def test_unknown_partner_is_404(client, admin):
    for path in ("/platform/partners/999999", "/platform/partners/999999/edit",
                 "/platform/partners/999999/wallet", "/platform/partners/999999/recharge"):
        assert client.get(path).status_code == 404, path


# --- partner admins --------------------------------------------------------------


def test_new_partner_admin_can_sign_in_to_that_partner(client, db, factory, admin, app):
    partner = factory.partner(name="Staffed")
    path = f"/platform/partners/{partner.id}"
    response = client.post(f"{path}/admins", data={
        "csrf_token": csrf_token(client, path), "email": "Boss@Staffed.example.com", "name": "Boss",
        "password": "long-enough-pw"})
    assert response.status_code == 302
    assert response.headers["Location"] == path
    user = db.session.execute(sa.select(User).where(User.email == "boss@staffed.example.com")).scalar_one()
    assert (user.role, user.partner_id) == (Role.PARTNER_ADMIN.value, partner.id)
    assert "boss@staffed.example.com" in client.get(path).get_data(as_text=True)

    other = app.test_client()
    signed_in = login(other, "boss@staffed.example.com", "long-enough-pw")
    assert signed_in.headers["Location"] == "/partner/"


@pytest.mark.parametrize("values, field, message", [
    ({"email": "taken@example.com"}, "email", "A user with this email already exists."),
    ({"email": "TAKEN@example.com"}, "email", "A user with this email already exists."),
    ({"password": "short"}, "password", "At least 10 characters."),
    ({"password": "x" * 201}, "password", "At most 200 characters."),
    ({"email": "not-an-email"}, "email", "Invalid email address."),
])
def test_new_partner_admin_refused_creates_nobody(client, db, factory, admin, values, field, message):
    partner = factory.partner()
    factory.user(Role.STUDENT, email="taken@example.com")
    path = f"/platform/partners/{partner.id}"
    before = db.session.scalar(sa.select(sa.func.count(User.id)))
    data = {"csrf_token": csrf_token(client, path), "email": "fresh@example.com", "name": "",
            "password": "long-enough-pw", **values}
    response = client.post(f"{path}/admins", data=data)
    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), field)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == before


# --- access -----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.RESELLER, Role.STUDENT])
def test_other_roles_are_refused(client, factory, login_as, role):
    partner = factory.partner()
    login_as(role)
    for path in ["/platform/partners", "/platform/partners/new", f"/platform/partners/{partner.id}",
                 f"/platform/partners/{partner.id}/edit", f"/platform/partners/{partner.id}/wallet",
                 f"/platform/partners/{partner.id}/wallet.csv", f"/platform/partners/{partner.id}/recharge",
                 "/platform/courses", "/platform/settings"]:
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/")
    for path in ["/platform/partners/new", f"/platform/partners/{partner.id}/recharge",
                 f"/platform/partners/{partner.id}/admins", "/platform/settings"]:
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path
