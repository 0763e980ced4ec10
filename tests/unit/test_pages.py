"""Login, logout, the home page and the tenant switcher."""

import pytest
from django.urls import reverse

from workflow_platform.tenancy.middleware import SESSION_KEY
from workflow_platform.tenancy.services import add_member


def test_home_requires_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_login_page_renders(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_a_wrong_password_keeps_the_username_and_focuses_the_password(client, db):
    response = client.post(reverse("login"), {"username": "otto", "password": "wrong"})
    body = response.content.decode()
    assert "didn't match" in body
    assert 'value="otto"' in body
    password = body[body.index('id="id_password"') :].split(">", 1)[0]
    assert "autofocus" in password


def test_member_logs_in_and_sees_tenant_home(client, tenant_a, make_member):
    make_member(tenant_a, username="otto")
    response = client.post(
        reverse("login"), {"username": "otto", "password": "pw-for-tests"}, follow=True
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Tenant A" in body
    for link in ("/designer/", "/inbox/", "/operations/instances/"):
        assert link in body


def test_wrong_password_is_refused_with_a_message(client, tenant_a, make_member):
    make_member(tenant_a, username="otto")
    response = client.post(reverse("login"), {"username": "otto", "password": "nope"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode().replace("&#x27;", "'")


def test_logout_ends_the_session(client, tenant_a, make_member):
    user = make_member(tenant_a)
    client.force_login(user)
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_user_in_two_tenants_can_switch(client, tenant_a, tenant_b, make_member):
    user = make_member(tenant_a)
    add_member(tenant=tenant_b, user=user, role="viewer")
    client.force_login(user)
    assert 'id="tenant-switch"' in client.get(reverse("home")).content.decode()
    client.post(reverse("switch-tenant"), {"tenant_id": tenant_b.pk})
    assert client.session[SESSION_KEY] == tenant_b.pk
    home = client.get(reverse("home")).content.decode()
    assert "<h1>Tenant B</h1>" in home


def test_switch_to_a_foreign_tenant_is_refused(client, tenant_a, tenant_b, make_member):
    user = make_member(tenant_a)
    client.force_login(user)
    response = client.post(reverse("switch-tenant"), {"tenant_id": tenant_b.pk}, follow=True)
    assert SESSION_KEY not in client.session
    assert b"not a member" in response.content


@pytest.mark.parametrize("path", ["/designer/", "/inbox/", "/operations/instances/"])
def test_every_area_of_the_home_page_opens(client, tenant_a, make_member, path):
    client.force_login(make_member(tenant_a))
    assert client.get(path).status_code == 200


def test_liveness_answers_without_asking_any_backend(client):
    assert client.get("/livez").content == b"ok"


def test_health_names_each_backend_and_is_200_when_all_answer(client, db):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    body = answer.json()
    assert body["status"] == "ok" and body["down"] == []
    assert body["backends"]["database"]["ok"] is True
    assert body["backends"]["broker"]["ok"] is True  # the embedded SQLite broker
    assert body["backends"]["redis"] == {"ok": True, "used": False}
