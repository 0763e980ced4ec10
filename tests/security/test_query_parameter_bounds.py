"""Hostile query parameters on every GET of the API are 4xx problems, never a 500: NUL
characters, numbers of 10**30, values of 100,000 characters, unknown or malformed
orderings, page sizes beyond the range, made-up cursors.

The operations and their parameters come from the live OpenAPI schema, so a new endpoint
or parameter is covered without an entry here.
"""

from __future__ import annotations

import pytest

from tests.security.test_api_tenant_isolation import OBJECTS, operations, tenant_a_world  # noqa: F401
from tests.unit.api.conftest import (  # noqa: F401 - fixtures
    api_as,
    fast_passwords,
    published,
    quiet_dispatch,
    run_worker,
)
from workflow_platform.api.filters import MAX_QUERY_VALUE_CHARS
from workflow_platform.api.schema import PlatformSchemaGenerator as SchemaGenerator
from workflow_platform.tenancy.scoping import tenant_scope

HOSTILE = {
    "nul": "a\x00b",
    "nul alone": "\x00",
    "huge number": str(10**30),
    "negative huge": str(-(10**30)),
    "over-long": "x" * 100_000,
    "long digits": "9" * 5_000,
    "not a number": "1e400",
    "superscript": "²",
    "odd unicode": "\ud7ff\ufffe",
    "comma soup": ",,,-,--,",
}


def query_parameters() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(public=True)
    found = []
    for path, item in schema["paths"].items():
        get = item.get("get")
        if get is None:
            continue
        names = {p["name"] for p in get.get("parameters", []) if p["in"] == "query"}
        if path.endswith("/"):  # lists and objects: what pagination and ordering read too
            names |= {"ordering", "limit", "cursor"}
        found.extend((path, name) for name in sorted(names))
    return found


@pytest.fixture
def admin(tenant_a_world, api_as):  # noqa: F811
    """Tenant A's admin, also a platform superuser: every GET of the schema is open to it."""
    client = api_as(tenant_a_world, "admin")
    client.user.is_superuser = True
    client.user.save()
    with tenant_scope(tenant_a_world):
        client.ids = {prefix: find() for prefix, find in OBJECTS.items()}
    client.slug = tenant_a_world.slug
    return client


def url_of(path: str, client) -> str:
    path = path.replace("{slug}", client.slug).replace("{username}", "reviewer-of-a")
    if "{id}" not in path:
        return path
    prefix = path.split("{id}")[0]
    return path.replace("{id}", str(client.ids[prefix]))


def test_hostile_values_in_every_query_parameter_are_never_a_500(admin):
    checked = 0
    for path, name in query_parameters():
        url = url_of(path, admin)
        for label, value in HOSTILE.items():
            response = admin.get(url, {name: value})
            assert response.status_code < 500, (url, name, label, response.content[:300])
            if response.status_code >= 400:
                assert response["Content-Type"] == "application/problem+json", (url, name)
            checked += 1
    assert checked > 100


@pytest.mark.parametrize("label", ["nul", "nul alone", "over-long"])
def test_nul_and_over_long_values_are_a_400_naming_the_parameter(admin, label):
    reached = 0
    for path, name in query_parameters():
        url = url_of(path, admin)
        if admin.get(url).status_code >= 400:
            continue  # not open to this client at all: its parameters are never read
        response = admin.get(url, {name: HOSTILE[label]})
        assert response.status_code == 400, (url, name, response.status_code)
        assert name in response.json()["errors"], (url, name)
        reached += 1
    assert reached > 50


def test_a_value_at_the_length_limit_is_read(admin):
    response = admin.get("/api/instances/", {"business_key": "k" * MAX_QUERY_VALUE_CHARS})
    assert response.status_code == 200 and response.json()["results"] == []
    longer = admin.get("/api/instances/", {"business_key": "k" * (MAX_QUERY_VALUE_CHARS + 1)})
    assert longer.status_code == 400


@pytest.mark.parametrize("limit", [str(10**30), "0", "-1", "201", "1.5", "٣", "", "\x00"])
def test_page_sizes_outside_1_to_200_are_a_400(admin, limit):
    response = admin.get("/api/instances/", {"limit": limit})
    assert response.status_code == 400, limit
    assert "limit" in response.json()["errors"]


@pytest.mark.parametrize(
    "ordering",
    ["nope", "-nope", "--id", "id,nope", "data__secret", "tenant__name", "?", "id," * 500],
)
def test_orderings_not_offered_are_a_400_listing_the_valid_ones(admin, ordering):
    response = admin.get("/api/instances/", {"ordering": ordering})
    assert response.status_code == 400, ordering
    assert "created_at" in response.json()["errors"]["ordering"][0]


def test_an_ordering_with_a_nul_is_a_400(admin):
    response = admin.get("/api/instances/", {"ordering": "created_at\x00"})
    assert response.status_code == 400
    assert response.json()["errors"]["ordering"] == ["A NUL character is not allowed here."]


# The third is a well-formed cursor at id 10**23, beyond any 64-bit column.
@pytest.mark.parametrize(
    "cursor", ["garbage", "\x00", "cD0xMDAwMDAwMDAwMDAwMDAwMDAwMDAwMA==", "x" * 5000]
)
def test_made_up_cursors_are_a_4xx(admin, cursor):
    response = admin.get("/api/instances/", {"cursor": cursor})
    assert response.status_code in (400, 404), (cursor, response.status_code)


def test_repeated_and_many_parameters_are_bounded(admin):
    many = "&".join(f"p{i}=1" for i in range(2_000))
    response = admin.get(f"/api/instances/?{many}")
    assert response.status_code == 400
    repeated = "&".join(["state=a"] * 200)
    assert admin.get(f"/api/instances/?{repeated}").status_code < 500
