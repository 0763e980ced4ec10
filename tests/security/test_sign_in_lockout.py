"""Sign-in lockout (django-axes): WORKFLOW_SIGNIN_FAILURE_LIMIT wrong passwords for one
username from one address lock that pair out, the right password included, until the
cool-off ends or an administrator resets it; every failure and the lockout are recorded;
the lockout is a clear 429 page, never a 500; API tokens keep working.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import PASSWORD, api_client

LOGIN = "/accounts/login/"
LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Each attempt hashes a password; PBKDF2's deliberate slowness is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def operator(tenant_a, make_member):
    return make_member(tenant_a, "operator", username="olivia")


def sign_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def fail_until_locked(client: Client, username: str):
    answers = [sign_in(client, username, "wrong-password") for _ in range(LIMIT)]
    # Every failure before the limit is the login page again; the last one locks.
    assert [a.status_code for a in answers[:-1]] == [200] * (LIMIT - 1)
    assert all("didn't match" in a.content.decode() for a in answers[:-1])
    return answers[-1]


def test_limit_failures_lock_out_with_a_clear_page(operator):
    client = Client(REMOTE_ADDR="203.0.113.7")
    locked = fail_until_locked(client, "olivia")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    page = locked.content.decode()
    assert "Sign-in locked for now" in page and "olivia" in page
    assert f"({LIMIT} in a row)" in page

    # The right password is refused too, until the cool-off: the same page, no session.
    refused = sign_in(client, "olivia", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/inbox/").status_code == 302  # still signed out


def test_failures_and_the_lockout_are_recorded(operator):
    fail_until_locked(Client(REMOTE_ADDR="203.0.113.8"), "olivia")
    attempt = AccessAttempt.objects.get(username="olivia", ip_address="203.0.113.8")
    assert attempt.failures_since_start == LIMIT
    failures = AccessFailureLog.objects.filter(username="olivia", ip_address="203.0.113.8")
    assert failures.count() == LIMIT
    assert failures.filter(locked_out=True).count() == 1
    assert "wrong-password" not in str(list(failures.values()))  # passwords never kept


def test_superusers_read_the_audit_in_the_admin(operator, tenant_a, make_member):
    fail_until_locked(Client(REMOTE_ADDR="203.0.113.15"), "olivia")
    root = make_member(tenant_a, "admin", username="root", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(root)
    page = admin.get("/admin/axes/accessfailurelog/")
    assert page.status_code == 200
    assert "203.0.113.15" in page.content.decode()


def test_the_lock_is_per_username_and_address(operator, tenant_a, make_member):
    make_member(tenant_a, "operator", username="oscar")
    fail_until_locked(Client(REMOTE_ADDR="203.0.113.9"), "olivia")
    # The same user from another address, and another user from the same one, sign in.
    elsewhere = Client(REMOTE_ADDR="198.51.100.4")
    assert sign_in(elsewhere, "olivia", PASSWORD).status_code == 302
    neighbour = Client(REMOTE_ADDR="203.0.113.9")
    assert sign_in(neighbour, "oscar", PASSWORD).status_code == 302


def test_forwarded_for_does_not_choose_the_address(operator):
    """No proxy is trusted by default: X-Forwarded-For cannot dodge the lock."""
    client = Client(REMOTE_ADDR="203.0.113.10")
    fail_until_locked(client, "olivia")
    spoofed = client.post(
        LOGIN,
        {"username": "olivia", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="192.0.2.55",
    )
    assert spoofed.status_code == 429


def test_behind_trusted_proxies_the_client_is_counted_not_the_proxy(operator, settings):
    settings.WORKFLOW_SIGNIN_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")  # the one proxy; the client is in the header

    def via_proxy(forwarded: str, password: str):
        return proxy.post(
            LOGIN, {"username": "olivia", "password": password}, HTTP_X_FORWARDED_FOR=forwarded
        )

    for _ in range(LIMIT):
        # The client prepends a made-up address; the proxy appended the real one.
        via_proxy("192.0.2.200, 203.0.113.20", "wrong-password")
    assert via_proxy("198.51.100.9, 203.0.113.20", PASSWORD).status_code == 429
    # Another client behind the same proxy is not locked out.
    assert via_proxy("203.0.113.21", PASSWORD).status_code == 302
    assert AccessAttempt.objects.filter(ip_address="203.0.113.20").exists()
    assert not AccessAttempt.objects.filter(ip_address="10.0.0.2").exists()


def test_the_lock_lifts_after_the_cool_off(operator):
    client = Client(REMOTE_ADDR="203.0.113.11")
    fail_until_locked(client, "olivia")
    # Let the cool-off pass: the attempt's last failure moves back beyond it.
    AccessAttempt.objects.filter(username="olivia").update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    assert sign_in(client, "olivia", PASSWORD).status_code == 302
    assert AccessLog.objects.filter(username="olivia", ip_address="203.0.113.11").exists()


def test_an_administrator_resets_the_lock_with_the_management_command(operator):
    client = Client(REMOTE_ADDR="203.0.113.12")
    fail_until_locked(client, "olivia")
    call_command("axes_reset_username", "olivia")
    assert sign_in(client, "olivia", PASSWORD).status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(operator):
    client = Client(REMOTE_ADDR="203.0.113.13")
    for _ in range(LIMIT - 1):
        sign_in(client, "olivia", "wrong-password")
    assert sign_in(client, "olivia", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(LIMIT - 1):
        assert sign_in(client, "olivia", "wrong-password").status_code == 200
    assert sign_in(client, "olivia", PASSWORD).status_code == 302


def test_the_admin_sign_in_is_locked_the_same_way(tenant_a, make_member):
    make_member(tenant_a, "admin", username="ada", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR="203.0.113.14")
    for _ in range(LIMIT - 1):
        assert (
            client.post("/admin/login/", {"username": "ada", "password": "nope"}).status_code == 200
        )
    assert client.post("/admin/login/", {"username": "ada", "password": "nope"}).status_code == 429
    assert (
        client.post("/admin/login/", {"username": "ada", "password": PASSWORD}).status_code == 429
    )


def test_api_tokens_keep_working_for_a_locked_out_user(operator, tenant_a):
    fail_until_locked(Client(REMOTE_ADDR="127.0.0.1"), "olivia")
    api = api_client(tenant_a, operator)
    assert api.get("/api/tasks/").status_code == 200
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert stranger.get("/api/tasks/").status_code == 401


def test_the_test_clients_login_still_works(operator):
    """authenticate() without a request (test client, shell) is not an HTTP sign-in."""
    client = Client()
    assert client.login(username="olivia", password="wrong-password") is False
    assert client.login(username="olivia", password=PASSWORD) is True
    assert client.get("/inbox/").status_code == 200
