"""Whole numbers typed into a form: every admin number field refuses what is not one, never with a 500."""

import uuid

import pytest
from werkzeug.datastructures import MultiDict

from app.blueprints.fields import SelectField, WholeNumberField
from app.models import Role
from app.services.ledger.wallets import MAX_AMOUNT
from flask_wtf import FlaskForm
from tests.conftest import csrf_token

HUGE = "9" * 400


class _Form(FlaskForm):
    class Meta:
        csrf = False

    amount = WholeNumberField("Amount", minimum=1, maximum=MAX_AMOUNT)


def _validate(app, value):
    with app.test_request_context():
        form = _Form(formdata=MultiDict({"amount": value}))
        valid = form.validate()
        return valid, form.amount.data, [str(error) for error in form.amount.errors]


def test_a_number_longer_than_the_maximum_is_refused_as_at_most(app):
    assert _validate(app, HUGE) == (False, None, ["Enter a whole number, at most 1,000,000,000."])


def test_one_more_than_the_maximum_is_refused_as_at_most(app):
    valid, _data, errors = _validate(app, str(MAX_AMOUNT + 1))
    assert not valid and errors == ["Enter a whole number, at most 1,000,000,000."]


def test_the_maximum_itself_is_accepted(app):
    assert _validate(app, f" {MAX_AMOUNT} ") == (True, MAX_AMOUNT, [])


def test_below_the_minimum_is_refused_with_the_minimum(app):
    assert _validate(app, "0") == (False, None, ["Enter a whole number, 1 or more."])


@pytest.mark.parametrize("value", ["２０", "٢٠", "2０", "²"])
def test_digits_other_than_0_to_9_are_refused_not_read_as_a_number(app, value):
    valid, data, errors = _validate(app, value)
    assert (valid, data) == (False, None)
    assert errors == ["Type the number with the digits 0 to 9."]


@pytest.mark.parametrize("value", ["ten", "1.5", "1e3", "0x10", "1_000", "--1"])
def test_what_is_not_a_whole_number_is_refused_once(app, value):
    assert _validate(app, value) == (False, None, ["Enter a whole number, e.g. 25."])


# --- every admin number field, through the web ----------------------------------------


@pytest.fixture
def admin(login_as):
    return login_as(Role.PLATFORM_ADMIN)


def _post_credits(client, partner, operation, amount):
    prefix = f"{operation}-{partner.id}"
    token = csrf_token(client, "/platform/partners")
    return client.post(f"/platform/partners/{partner.id}/{operation}", data={
        f"{prefix}-csrf_token": token, f"{prefix}-amount": amount, f"{prefix}-reason": "fuzz",
        f"{prefix}-idempotency_key": str(uuid.uuid4())}, headers={"HX-Request": "true", "X-CSRFToken": token})


def _post_partner(client, path, threshold):
    return client.post(path, data={
        "csrf_token": csrf_token(client, path), "name": "Huge Co", "kind": "default", "domain": "",
        "brand_color": "", "logo_url": "", "low_balance_threshold": threshold})


def _post_settings(client, threshold):
    return client.post("/platform/settings", data={
        "csrf_token": csrf_token(client, "/platform/settings"), "low_balance_threshold": threshold})


def _post_pricing(client, course, partner, value, custom):
    path = f"/platform/courses/{course.id}/pricing"
    return client.post(path, data={"csrf_token": csrf_token(client, path), "value_per_enrolment": value,
                                   f"share_{partner.id}": "y", f"custom_{partner.id}": custom})


@pytest.mark.parametrize("value, message", [
    (HUGE, "Enter a whole number, at most 1,000,000,000."),
    ("２０", "Type the number with the digits 0 to 9."),
])
@pytest.mark.parametrize("where", [
    "recharge", "deduct", "new partner", "edit partner", "settings", "course value", "custom value"])
def test_every_admin_number_field_refuses_it_with_a_message(client, db, factory, admin, where, value, message):
    partner = factory.partner(credits=10, low_balance_threshold=5)
    course = factory.course(value=10, assign_to_all=False)
    if where in ("recharge", "deduct"):
        response = _post_credits(client, partner, where, value)
    elif where == "new partner":
        response = _post_partner(client, "/platform/partners/new", value)
    elif where == "edit partner":
        response = _post_partner(client, f"/platform/partners/{partner.id}/edit", value)
    elif where == "settings":
        response = _post_settings(client, value)
    elif where == "course value":
        response = _post_pricing(client, course, partner, value, "")
    else:
        response = _post_pricing(client, course, partner, "10", value)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert (partner.wallet.balance, partner.low_balance_threshold, course.value_per_enrolment) == (10, 5, 10)


# --- the select every form uses: WTForms' output, written quicker ---------------------------------


class _Choices(FlaskForm):
    class Meta:
        csrf = False

    plain = SelectField("Plain", choices=[("", "All"), ("1", 'Acme & "Sons" <Ltd>'), ("2", "Beta")])
    numbers = SelectField("Numbers", coerce=int, choices=[(0, "Zero"), (7, "Seven")])
    flags = SelectField("Flags", choices=[(True, "Yes"), (False, "No")], coerce=lambda v: v in (True, "True"))
    unlabelled = SelectField("Unlabelled", choices=[("x", ""), ("y", None)])
    with_attrs = SelectField("With attributes", choices=[("a", "A", {"disabled": True}), ("b", "B")])
    grouped = SelectField("Grouped", choices={"North": [("n1", "Oslo")], "South": [("s1", "Rome")]})


@pytest.mark.parametrize("data", [{}, {"plain": "1", "numbers": "7", "flags": "True", "unlabelled": "y",
                                       "with_attrs": "b", "grouped": "s1"}])
def test_the_select_writes_exactly_what_wtforms_writes(app, data):
    """Every option of every kind (chosen or not, escaped labels, numbers, booleans, empty labels, an
    option with its own attributes, groups) comes out to the byte as WTForms' own widget writes it."""
    from wtforms.widgets import Select

    with app.test_request_context():
        form = _Choices(formdata=MultiDict(data))
        for field in form:
            ours = str(field(class_="form-select", aria_describedby="help"))
            theirs = str(Select()(field, class_="form-select", aria_describedby="help"))
            assert ours == theirs, field.name
        chosen = '<option selected value="1">Acme &amp; &#34;Sons&#34; &lt;Ltd&gt;</option>'
        assert (chosen in str(form.plain())) == bool(data)
