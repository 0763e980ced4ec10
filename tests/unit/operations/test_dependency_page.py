"""Members see their tenant's dependencies, the limits set on each and their state now."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from workflow_platform.definitions.models import Dependency
from workflow_platform.engine import limits
from workflow_platform.engine.limits import DependencyLimits
from workflow_platform.tenancy.scoping import tenant_scope

URL = reverse("operations:dependencies")


@pytest.fixture(autouse=True)
def database_backend(settings):
    settings.WORKFLOW_LIMITS_BACKEND = "database"


def dependency(tenant, name, **fields) -> DependencyLimits:
    with tenant_scope(tenant):
        row = Dependency.objects.create(tenant=tenant, name=name, **fields)
    return DependencyLimits.from_model(row)


def fail(tenant, dep, times, *, now=None):
    for _ in range(times):
        limits.admit(tenant_id=tenant.pk, dependency=dep, now=now)
        limits.record_result(tenant_id=tenant.pk, dependency=dep, ok=False, now=now)
        limits.release(tenant_id=tenant.pk, dependency=dep, now=now)


def row_of(body: str, name: str) -> str:
    start = body.index(f'data-dependency="{name}"')
    return body[start : body.index("</tr>", start)]


def test_a_viewer_sees_limits_tokens_calls_in_flight_and_an_open_breaker(
    client, tenant_a, make_member
):
    client.force_login(make_member(tenant_a, role="viewer"))
    bank = dependency(
        tenant_a, "bank", rate_limit_tps=0.01, rate_limit_burst=3, breaker_failure_threshold=2,
        breaker_recovery_seconds=30, concurrency_limit=4,
    )  # fmt: skip
    dependency(tenant_a, "mail")
    fail(tenant_a, bank, 2)
    limits.admit(tenant_id=tenant_a.pk, dependency=bank)  # turned away: the breaker is open
    response = client.get(URL)

    assert response.status_code == 200
    row = row_of(response.content.decode(), "bank")
    for text in ("0.01/s, burst 3", "1.0 of 3", "opens after 2 failures, for 30 s",
                 ">open</span>", "2 of 2 failures", "open until", "0 of 4"):  # fmt: skip
        assert text in row
    mail = row_of(response.content.decode(), "mail")
    assert "none" in mail and "no limit" in mail


def test_the_breaker_shows_half_open_once_its_recovery_time_has_passed_then_closed(
    client, tenant_a, make_member
):
    client.force_login(make_member(tenant_a, role="operator"))
    bank = dependency(tenant_a, "bank", breaker_failure_threshold=1, breaker_recovery_seconds=5)
    fail(tenant_a, bank, 1, now=timezone.now() - timedelta(seconds=10))
    assert ">half-open</span>" in row_of(client.get(URL).content.decode(), "bank")
    limits.admit(tenant_id=tenant_a.pk, dependency=bank)  # the probe
    assert "probe in flight" in row_of(client.get(URL).content.decode(), "bank")
    limits.record_result(tenant_id=tenant_a.pk, dependency=bank, ok=True)
    row = row_of(client.get(URL).content.decode(), "bank")
    assert ">closed</span>" in row and "0 of 1 failures" in row


def test_a_retry_after_deferral_shows_until_when_calls_are_held(client, tenant_a, make_member):
    client.force_login(make_member(tenant_a, role="viewer"))
    bank = dependency(tenant_a, "bank", rate_limit_tps=5)
    until = timezone.now() + timedelta(minutes=2)
    limits.defer(tenant_id=tenant_a.pk, dependency=bank, until=until)
    row = row_of(client.get(URL).content.decode(), "bank")
    assert f"calls held until {until:%H:%M:%S} UTC" in row


def test_another_tenants_dependencies_are_never_shown(client, tenant_a, tenant_b, make_member):
    dependency(tenant_a, "bank-of-a", breaker_failure_threshold=1)
    theirs = dependency(tenant_b, "bank-of-b", breaker_failure_threshold=1)
    fail(tenant_b, theirs, 1)
    client.force_login(make_member(tenant_a, role="admin"))
    body = client.get(URL).content.decode()
    assert "bank-of-a" in body and "bank-of-b" not in body and ">open</span>" not in body


def test_a_member_of_two_tenants_sees_only_the_current_ones(
    client, tenant_a, tenant_b, make_member
):
    dependency(tenant_a, "bank-of-a")
    dependency(tenant_b, "bank-of-b")
    user = make_member(tenant_a, role="viewer")
    from workflow_platform.tenancy.services import add_member

    add_member(tenant=tenant_b, user=user, role="viewer")
    client.force_login(user)
    client.post(reverse("switch-tenant"), {"tenant_id": tenant_b.pk})
    body = client.get(URL).content.decode()
    assert "bank-of-b" in body and "bank-of-a" not in body


def test_no_tenant_no_page_and_strangers_log_in_first(client, make_member, django_user_model):
    assert client.get(URL).status_code == 302
    client.force_login(django_user_model.objects.create_user(username="loner", password="x"))
    assert client.get(URL).status_code == 404


def test_the_page_is_in_the_nav_and_says_when_there_are_none(client, tenant_a, make_member):
    client.force_login(make_member(tenant_a, role="viewer"))
    assert f'href="{URL}"' in client.get(reverse("operations:instances")).content.decode()
    body = client.get(URL).content.decode()
    assert "No dependencies yet." in body and f'href="{URL}" aria-current="page"' in body


def test_without_redis_the_configured_limits_still_show(client, tenant_a, make_member, settings):
    settings.WORKFLOW_LIMITS_BACKEND = "redis"
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # discard port: nothing listens
    dependency(tenant_a, "bank", rate_limit_tps=5, rate_limit_burst=2, concurrency_limit=3)
    client.force_login(make_member(tenant_a, role="viewer"))
    body = client.get(URL).content.decode()
    assert "The live state cannot be read now" in body
    row = row_of(body, "bank")
    assert "5/s, burst 2" in row and row.count("unknown") == 2
