"""The layout fixes a phone-width audit asked for, pinned on the server's HTML.

Not a visual test: it checks the markup that makes the pages work at 390 px (secondary columns
hidden below `sm`, badges that may wrap), the current page in the navigation, and what the cancel
dialog tells the partner about the credits.
"""

import re

import pytest

from app.models import Role
from app.services.enrolment import enrol as svc
from app.services.tenancy import settings as platform_settings
from tests.conftest import csrf_token

PHONE_HIDDEN = "d-none d-sm-table-cell"


@pytest.fixture
def partner(factory):
    return factory.partner(name="Layout Partner", credits=50)


@pytest.fixture
def partner_admin(login_as, partner):
    return login_as(Role.PARTNER_ADMIN, partner=partner)


def enrol(factory, partner, value=12):
    admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    student = factory.student(partner, email=f"student-{factory.n()}@example.com")
    return svc.enrol_student(admin, partner, student, factory.course(value=value))


def nav_links(html):
    nav = re.search(r'id="nav-main">(.*?)id="account-menu"', html, re.S).group(1)  # menus included
    return re.findall(r"<a [^>]*>[^<]*</a>", nav)


def current_links(html):
    return [link for link in nav_links(html) if 'aria-current="page"' in link]


# --- the cancel dialog (loaded on demand) says whether the credits come back ----------------


def cancel_question(client, enrolment, htmx=True):
    """The cancel question: the dialog htmx loads on demand, or (without JavaScript) its own page."""
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(f"/partner/enrolments/{enrolment.id}/cancel", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("path, headers", [
    ("/partner/enrolments", {}),
    ("/partner/enrolments/rows", {"HX-Request": "true"}),
])
def test_the_list_loads_the_cancel_dialog_on_demand_instead_of_one_per_row(
    db, client, factory, partner, partner_admin, path, headers,
):
    enrolment = enrol(factory, partner)
    html = client.get(path, headers=headers).get_data(as_text=True)
    url = f"/partner/enrolments/{enrolment.id}/cancel"
    assert "<dialog" not in html
    assert f'href="{url}" hx-get="{url}" hx-target="#dialog-host"' in html


@pytest.mark.parametrize("htmx", [True, False], ids=["dialog", "page"])
def test_the_cancel_question_says_the_credits_are_refunded(db, client, factory, partner, partner_admin, htmx):
    platform_settings.settings().refund_on_cancel = True
    question = cancel_question(client, enrol(factory, partner, value=12), htmx)
    assert "The 12 credits will be refunded." in question
    assert "will not be refunded" not in question
    assert question.lstrip().startswith("<dialog") == htmx


@pytest.mark.parametrize("htmx", [True, False], ids=["dialog", "page"])
def test_the_cancel_question_says_the_credits_are_not_refunded(db, client, factory, partner, partner_admin, htmx):
    platform_settings.settings().refund_on_cancel = False
    question = cancel_question(client, enrol(factory, partner, value=12), htmx)
    assert "The credits will not be refunded." in question
    assert "will be refunded." not in question.replace("will not be refunded.", "")


def test_another_partners_cancel_question_is_not_found(db, client, factory, partner, partner_admin):
    theirs = enrol(factory, factory.partner(credits=50))
    assert client.get(f"/partner/enrolments/{theirs.id}/cancel").status_code == 404


def test_cancelling_with_htmx_answers_with_the_row_and_closes_the_dialog(db, client, factory, partner, partner_admin):
    enrolment = enrol(factory, partner)
    token = csrf_token(client, "/partner/enrolments")
    response = client.post(f"/partner/enrolments/{enrolment.id}/cancel", data={"csrf_token": token},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="enrolment-{enrolment.id}">') and "Cancelled" in html
    assert response.headers["HX-Trigger"] == "aula:close-dialog"


# --- the navigation marks the current section ------------------------------------------------


@pytest.mark.parametrize("path, label", [
    ("/partner/", "Home"),
    ("/partner/students", "Students"),
    ("/partner/students/new", "Students"),
    ("/partner/students/import", "Students"),
    ("/partner/enrolments", "Enrolments"),
    ("/partner/enrolments/bulk", "Enrolments"),
    ("/partner/wallet", "Wallet"),
    ("/partner/reports", "Reports"),
])
def test_the_partner_nav_marks_the_current_section(client, partner_admin, path, label):
    current = current_links(client.get(path).get_data(as_text=True))
    assert len(current) == 1, current
    assert 'class="nav-link active"' in current[0] and current[0].endswith(f">{label}</a>")


def test_the_platform_nav_marks_partners_on_a_partner_page(client, factory, login_as):
    login_as(Role.PLATFORM_ADMIN)
    partner = factory.partner(name="Some Partner")
    for path in ("/platform/partners", f"/platform/partners/{partner.id}", f"/platform/partners/{partner.id}/wallet"):
        current = current_links(client.get(path).get_data(as_text=True))
        assert len(current) == 1 and current[0].endswith(">Partners</a>"), (path, current)
    current = current_links(client.get("/platform/audit").get_data(as_text=True))
    assert len(current) == 1 and current[0].endswith(">Audit</a>")


# --- phone layout: secondary columns hidden below sm -------------------------------------


def test_the_partners_row_hides_kind_and_domain_on_a_phone(client, factory, login_as):
    login_as(Role.PLATFORM_ADMIN)
    partner = factory.partner(name="Wide Partner", kind="whitelabel", domain="wide.example.com")
    html = client.get("/platform/partners").get_data(as_text=True)
    row = re.search(rf'<tr id="partner-{partner.id}">.*?</tr>', html, re.S).group(0)
    assert re.search(rf'<td class="[^"]*{PHONE_HIDDEN}">\s*<span class="badge[^"]*">Whitelabel', row)
    assert re.search(rf'<td class="text-break {PHONE_HIDDEN}">wide.example.com</td>', row)
    assert html.count(f'<th scope="col" class="{PHONE_HIDDEN}">') == 2  # Kind and Domain
    # The actions (the page's point) stay visible, and the tested balance cell is unchanged.
    assert re.search(r'class="num balance" id="partner-\d+-balance">0</td>', row)
    assert f'hx-get="/platform/partners/{partner.id}/recharge"' in row


def test_the_enrolments_table_hides_start_and_credits_on_a_phone(client, factory, partner, partner_admin):
    enrolment = enrol(factory, partner)
    html = client.get("/partner/enrolments").get_data(as_text=True)
    row = re.search(rf'<tr id="enrolment-{enrolment.id}">.*?</tr>', html, re.S).group(0)
    assert f'<td class="text-nowrap {PHONE_HIDDEN}">' in row  # the start date
    assert f'<td class="num {PHONE_HIDDEN}">' in row  # the credits


def test_the_import_preview_keeps_the_outcome_visible_on_a_phone(client, partner_admin):
    import io

    token = csrf_token(client, "/partner/students/import")
    data = {"csrf_token": token,
            "file": (io.BytesIO(b"email,name\nlong.name.of.someone@example.com,Some One\n"), "s.csv")}
    html = client.post("/partner/students/import", data=data, content_type="multipart/form-data").get_data(
        as_text=True)
    assert "long.name.of.someone@example.com" in html
    assert re.search(r'<span class="badge badge-wrap-xs [^"]*" data-outcome="create">', html)
    assert f'<th scope="col" class="{PHONE_HIDDEN}">Company</th>' in html
