from app.models import Role
from tests.conftest import login


def test_each_role_lands_on_its_home(client, factory):
    for role, home in [
        (Role.PLATFORM_ADMIN, "/platform/"),
        (Role.PARTNER_ADMIN, "/partner/"),
        (Role.RESELLER, "/reseller/"),
        (Role.CUSTOMER, "/member/"),
        (Role.STUDENT, "/member/"),
    ]:
        user = factory.user(role)
        response = login(client, user.email)
        assert response.status_code == 302
        assert response.headers["Location"] == home
        page = client.get(home)
        assert page.status_code == 200, page.get_data(as_text=True)
        client.post("/auth/logout", data={"csrf_token": __import__("tests.conftest", fromlist=["x"]).csrf_token(client, home)})
