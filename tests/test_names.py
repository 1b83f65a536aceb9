"""Names of people and organisations never carry invisible text-direction (bidi) control characters.

U+202E (right-to-left override) and its kin make "Mario<U+202E>exe.pdf" read as
"Mariofdp.exe" on screen, in emails and on certificates.
"""

import pytest
import sqlalchemy as sa

from app.models import Company, Partner, Role, User
from app.services.people import student_import
from app.services.people.names import BIDI_CONTROLS, InvalidName, check_name
from app.services.people.student_import import Outcome
from app.services.people.students import create_student
from app.services.people.users import create_user
from app.services.tenancy.companies import create_company
from app.services.tenancy.partners import create_partner
from tests.conftest import csrf_token

MESSAGE = "A name cannot contain invisible text-direction characters"
SPOOFED = "Mario\u202eexe.pdf"


@pytest.mark.parametrize("char", sorted(BIDI_CONTROLS))
def test_every_bidi_control_character_is_refused_in_a_name(char):
    with pytest.raises(InvalidName) as refused:
        check_name(f"Ada{char}Lovelace", field="contact")
    assert refused.value.field == "contact"
    assert MESSAGE in str(refused.value.message)


def test_the_bidi_set_covers_the_embeddings_isolates_and_marks():
    expected = {*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u200e", "\u200f", "\u061c"}
    assert expected <= BIDI_CONTROLS


@pytest.mark.parametrize("name", ["Ada Lovelace", "محمد علي", "שרה כהן", "Zoë Ñúñez", "Ми\u200cра", ""])
def test_names_in_any_script_are_accepted(name):
    check_name(name)


# --- every service that takes a name ------------------------------------------------------


def test_a_student_with_such_a_name_is_not_created(db, factory):
    partner = factory.partner()
    with pytest.raises(InvalidName):
        create_student(None, partner, "spoof@example.com", SPOOFED)
    assert db.session.scalar(sa.select(User.id).where(User.email == "spoof@example.com")) is None


def test_a_user_with_such_a_name_is_not_created(db, factory):
    with pytest.raises(InvalidName):
        create_user(None, email="spoof@example.com", role=Role.PLATFORM_ADMIN, name=SPOOFED)


def test_a_partner_with_such_a_name_is_not_created(db, factory):
    with pytest.raises(InvalidName):
        create_partner(factory.platform_admin(), name=SPOOFED)
    assert db.session.scalar(sa.select(Partner.id).where(Partner.name == SPOOFED)) is None


@pytest.mark.parametrize("field", ["name", "contact"])
def test_a_company_with_such_a_name_or_contact_is_not_created(db, factory, field):
    values = {"name": "Acme", "contact": "Ada", field: SPOOFED}
    with pytest.raises(InvalidName) as refused:
        create_company(None, factory.partner(), values["name"], contact=values["contact"])
    assert refused.value.field == field
    assert db.session.scalar(sa.select(Company.id)) is None


def test_an_imported_row_with_such_a_name_is_marked_and_not_created(db, factory):
    partner = factory.partner()
    text = f"email,name\nok@example.com,Ok Student\nspoof@example.com,{SPOOFED}\n"
    plan = student_import.preview(partner, text)
    assert [row.outcome for row in plan.rows] == [Outcome.CREATE, Outcome.INVALID_NAME]
    student_import.import_students(None, partner, text)
    assert db.session.scalar(sa.select(User.id).where(User.email == "spoof@example.com")) is None
    assert db.session.scalar(sa.select(User.id).where(User.email == "ok@example.com")) is not None


# --- every form where a name is typed ------------------------------------------------------


def test_the_partner_admins_forms_refuse_it_on_the_field(client, db, factory, login_as):
    admin = login_as(Role.PARTNER_ADMIN)
    student = factory.student(admin.partner, email="kept@example.com")
    company = create_company(None, admin.partner, "Kept Co")
    forms = [
        ("/partner/students/new", {"email": "spoof@example.com", "name": SPOOFED, "company": ""}),
        (f"/partner/students/{student.id}/edit", {"email": "kept@example.com", "name": SPOOFED, "company": ""}),
        ("/partner/companies/new", {"name": SPOOFED, "vat_number": "", "contact": ""}),
        ("/partner/companies/new", {"name": "Acme", "vat_number": "", "contact": SPOOFED}),
        (f"/partner/companies/{company.id}/edit", {"name": SPOOFED, "vat_number": "", "contact": ""}),
    ]
    for path, data in forms:
        response = client.post(path, data={"csrf_token": csrf_token(client, path), **data})
        assert response.status_code == 422, path
        assert MESSAGE in response.get_data(as_text=True), path
    db.session.expire_all()
    assert (student.name, company.name) == ("kept", "Kept Co")
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.email == "spoof@example.com")) == 0


def test_the_platform_admins_forms_refuse_it_on_the_field(client, db, factory, login_as):
    login_as(Role.PLATFORM_ADMIN)
    partner = factory.partner(name="Kept Partner")
    partner_form = {"kind": "default", "domain": "", "brand_color": "", "logo_url": "", "low_balance_threshold": ""}
    forms = [
        ("/platform/partners/new", "/platform/partners/new", {"name": SPOOFED, **partner_form}),
        (f"/platform/partners/{partner.id}/edit", f"/platform/partners/{partner.id}/edit",
         {"name": SPOOFED, **partner_form}),
        (f"/platform/partners/{partner.id}/admins", f"/platform/partners/{partner.id}",
         {"email": "spoof@example.com", "name": SPOOFED, "password": "long enough password"}),
    ]
    for path, page, data in forms:
        response = client.post(path, data={"csrf_token": csrf_token(client, page), **data})
        assert response.status_code == 422, path
        assert MESSAGE in response.get_data(as_text=True), path
    db.session.expire_all()
    assert partner.name == "Kept Partner"
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.email == "spoof@example.com")) == 0
