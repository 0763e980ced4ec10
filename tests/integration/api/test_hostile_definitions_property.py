"""Generated hostile definition documents at the definition endpoints: never a 5xx, and
nothing half-stored.

Hypothesis builds documents from a valid one by putting a hostile value at a random
place (every field of the document is a candidate), or by replacing the whole of it:
nesting hundreds or thousands deep, whole numbers far beyond 2⁵³, the JSON numbers
1e309 and -1e309 and the tokens NaN and Infinity, NUL characters and lone surrogates,
long texts, a value of the wrong type, a megabyte body. Each example sends one to one
endpoint through the DRF test client, on PostgreSQL:

- create  ``POST /api/definitions/`` (the document, or the key, name or description);
- validate ``POST /api/versions/{id}/validate/`` with the document in the body;
- save and publish ``PUT /api/versions/{id}/`` then ``POST /api/versions/{id}/publish/``;
- import ``POST /api/definitions/import/`` as JSON or YAML text.

Every answer is below 500 and a problem document when it is a 4xx; after a refusal the
rows of definitions, versions, their states, transitions, actions, task specs and
dependencies are as they were, and a publish refused leaves the draft a draft with its
document unchanged. A success stores exactly what it says (one definition and one
version for a create).

``./test`` runs a bounded number of examples (``WI_HOSTILE_EXAMPLES``, default 60, well
under a minute); ``WI_HOSTILE_EXAMPLES=2000`` is the longer mode.
"""

from __future__ import annotations

import copy
import json
import os
import re
from itertools import count

import pytest
from django.db import transaction
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, event, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests import factories
from tests.unit.api.conftest import APPROVAL
from tests.unit.definitions.conftest import ORDER_DOCUMENT
from workflow_platform.definitions.models import (
    Action,
    Definition,
    Dependency,
    HumanTaskSpec,
    State,
    Transition,
    Version,
)
from workflow_platform.definitions.services import create_definition

EXAMPLES = int(os.environ.get("WI_HOSTILE_EXAMPLES", "60"))
PROBLEM = "application/problem+json"
MODELS = (Definition, Version, State, Transition, Action, HumanTaskSpec, Dependency)
BASES = [
    {"format": "workflow-island/v1", "name": "Approval", **APPROVAL},
    ORDER_DOCUMENT,
]
# JSON numbers Python cannot hold as a float, and the tokens JSON does not have: written
# into the body's text where these markers stand (json.dumps cannot write them).
RAW_NUMBERS = {
    "\x01big\x01": "1e309",
    "\x01small\x01": "-1e309",
    "\x01nan\x01": "NaN",
    "\x01inf\x01": "Infinity",
    "\x01digits\x01": "9" * 5000,
}
BASE_KEYS = {base["key"] for base in BASES}
HUGE_POWER = copy.deepcopy(BASES[0])
HUGE_POWER["transitions"][0]["when"] = "10**10**10 > 1"
_keys = count()


def _nested(depth: int, kind: str) -> str:
    """A marker for a value nested ``depth`` deep, written out by ``_body`` (json.dumps
    itself stops at Python's recursion limit, and a client need not)."""
    return f"\x01nested:{kind}:{depth}\x01"


_NESTED = re.compile(r'"\\u0001nested:(list|dict):(\d+)\\u0001"')


def _nested_text(match: re.Match) -> str:
    kind, depth = match.group(1), int(match.group(2))
    if kind == "list":
        return "[" * depth + '"leaf"' + "]" * depth
    return '{"x": ' * depth + '"leaf"' + "}" * depth


_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("a\x00\ud800\udfff\U0001f600\u202e\n'\"{}"), max_size=30),
    st.integers(300, 300_000).map(lambda n: "x" * n),
    st.sampled_from(["", " ", "{{ data.__class__ }}", "{{ 10**10**10 }}", "file:///etc/passwd"]),
)
HOSTILE = st.one_of(
    st.tuples(st.integers(60, 3000), st.sampled_from(["list", "dict"])).map(lambda t: _nested(*t)),
    st.one_of(
        st.integers(min_value=2**53, max_value=10**400),
        st.integers(max_value=-(2**53), min_value=-(10**400)),
    ),
    st.sampled_from(list(RAW_NUMBERS)),
    st.floats(allow_nan=False, allow_infinity=False),
    _text,
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.sampled_from([["\x00"], {"\x00": 1}, {"\ud800": "x"}, [[[[]]]], {"": None}]),
)


def _places(value: object, path: tuple = ()) -> list[tuple]:
    """Every place in a document: each key and index, inner and leaf."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_places(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_places(item, (*path, index)))
    return found


class Hostile:
    """A generated document with a short description: Hypothesis prints its examples,
    and a repr of a value nested 3000 deep or a megabyte long is neither possible nor
    useful."""

    def __init__(self, value: object, how: str) -> None:
        self.value, self.how = value, how

    def __repr__(self) -> str:
        return f"Hostile({self.how}, {len(_body(self.value)):,} bytes as JSON)"


def _short(value: object) -> str:
    text = repr(value) if not isinstance(value, list | dict) else type(value).__name__
    return text if len(text) < 60 else f"{text[:40]}... ({len(text):,} characters)"


@st.composite
def documents(draw) -> Hostile:
    base = copy.deepcopy(draw(st.sampled_from(BASES)))
    how = draw(st.sampled_from(["replace", "replace", "replace", "add", "whole", "megabyte"]))
    if how == "whole":
        value = draw(HOSTILE)
        return Hostile(value, f"whole document {_short(value)}")
    if how == "megabyte":
        base["description"] = "m" * draw(st.integers(1_000_000, 1_200_000))
        return Hostile(base, "megabyte description")
    path = draw(st.sampled_from(_places(base)[1:]))
    holder = base
    for step in path[:-1]:
        holder = holder[step]
    value = draw(HOSTILE)
    if how == "add" and isinstance(holder[path[-1]], dict):
        holder[path[-1]][draw(_text)] = value
    else:
        holder[path[-1]] = value
    return Hostile(base, f"{how} at {list(path)} with {_short(value)}")


def _body(value: object) -> str:
    text = json.dumps(value)  # lone surrogates travel as \\udXXX escapes, as JSON allows
    for marker, raw in RAW_NUMBERS.items():
        text = text.replace(json.dumps(marker), raw)
    return _NESTED.sub(_nested_text, text)


def _counts() -> dict[str, int]:
    with scopes_disabled():
        return {model.__name__: model.objects.count() for model in MODELS}


def _version(pk: int) -> Version:
    with scopes_disabled():
        return Version.objects.get(pk=pk)


def _answer_ok(response) -> bool:
    assert response.status_code < 500, (response.status_code, response.content[:2000])
    code = response.json().get("code", "") if response.status_code >= 400 else ""
    event(f"{response.wsgi_request.method} {response.status_code} {code}".strip())
    if response.status_code >= 400:
        assert response["Content-Type"] == PROBLEM, response.content[:500]
        assert response.json().get("code"), response.content[:500]
        return False
    return True


def _send(client, method: str, url: str, body: str, **headers):
    return getattr(client, method)(url, body, content_type="application/json", **headers)


def _keyed(document, key: str):
    """The document under the key it is sent for, unless the key is what was changed."""
    if isinstance(document, dict) and document.get("key") in tuple(BASE_KEYS):
        return {**document, "key": key}
    return document


def _create(client, document, field: str):
    key = f"hostile-{next(_keys)}"
    request = {"key": key, "name": "Hostile", "document": _keyed(document, key)}
    if field != "document":
        request = {"key": key, "name": "Hostile", field: document}
    before = _counts()
    response = _send(client, "post", "/api/definitions/", _body(request))
    after = _counts()
    if _answer_ok(response):
        assert after["Definition"] == before["Definition"] + 1
        assert after["Version"] == before["Version"] + 1
    else:
        assert after == before


def _validate(client, draft, document):
    before = _counts()
    response = _send(
        client, "post", f"/api/versions/{draft.pk}/validate/", _body({"document": document})
    )
    if _answer_ok(response):
        body = response.json()
        assert body["valid"] is (not body["problems"])
        for problem in body["problems"]:
            assert {"path", "code", "message", "element", "field"} <= set(problem)
    assert _counts() == before


def _save_and_publish(client, draft, document):
    before = _counts()
    stored = _version(draft.pk).document
    document = _keyed(document, draft.definition.key)
    response = _send(
        client,
        "put",
        f"/api/versions/{draft.pk}/",
        _body({"document": document}),
        HTTP_IF_MATCH="*",
    )
    if not _answer_ok(response):
        assert _counts() == before
        assert _version(draft.pk).document == stored
        return
    saved = _version(draft.pk).document
    before = _counts()
    response = client.post(f"/api/versions/{draft.pk}/publish/")
    version = _version(draft.pk)
    if _answer_ok(response):
        assert version.status == "published"
        with scopes_disabled():  # the published version's rows are its whole document
            assert State.objects.filter(version=version).count() == len(saved["states"])
            transitions = Transition.objects.filter(version=version).count()
        assert transitions == len(saved["transitions"])
    else:
        assert response.status_code == 422, response.content[:500]
        assert _counts() == before
        assert (version.status, version.document) == ("draft", saved)


def _import(client, document, fmt: str):
    before = _counts()
    body = {"format": fmt, "text": _body(document)}
    response = client.post("/api/definitions/import/", body, format="json")
    after = _counts()
    if _answer_ok(response):
        assert after["Version"] == before["Version"] + 1
    else:
        assert after == before


# The document endpoints twice as often as the create request's other fields.
ENDPOINTS = st.sampled_from(
    ["create", "create", "create:name", "create:description", "create:key", "validate",
     "validate", "publish", "publish", "publish", "import:json", "import:json", "import:yaml"]
)  # fmt: skip


@pytest.mark.django_db
def test_hostile_documents_never_get_a_5xx_and_nothing_is_half_stored(tenant_a, settings):
    settings.WORKFLOW_API_RATE = "100000/min"  # throttling is not what is under test
    designer = factories.make_member(tenant_a, "designer")
    client = factories.api_client(tenant_a, designer)
    client.raise_request_exception = True  # a server error fails the example, with its trace

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(hostile=documents(), endpoint=ENDPOINTS)
    # Always run: a document that publishes, and the guard whose cost only validation sees.
    @example(hostile=Hostile(BASES[0], "valid"), endpoint="publish")
    @example(hostile=Hostile(HUGE_POWER, "guard 10**10**10 > 1"), endpoint="publish")
    def check(hostile, endpoint):
        document = hostile.value
        with transaction.atomic():  # each example on the same rows: undone after it
            draft = create_definition(
                tenant=tenant_a, key=f"draft-{next(_keys)}", name="Draft", user=designer
            )
            kind, _, option = endpoint.partition(":")
            if kind == "create":
                _create(client, document, option or "document")
            elif kind == "validate":
                _validate(client, draft, document)
            elif kind == "publish":
                _save_and_publish(client, draft, document)
            else:
                _import(client, document, option)
            transaction.set_rollback(True)

    check()


def _publish_problems(client, document) -> list[dict]:
    created = client.post(
        "/api/definitions/",
        {"key": document["key"], "name": "Hostile", "document": document},
        format="json",
    )
    assert created.status_code == 201, created.content
    response = client.post(f"/api/versions/{created.json()['id']}/publish/")
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == PROBLEM
    with scopes_disabled():
        assert not Version.objects.filter(status="published").exists()
    return response.json()["details"]


@pytest.mark.django_db
def test_publish_refuses_a_guard_whose_cost_only_validation_can_see_at_its_place(tenant_a):
    client = factories.api_client(tenant_a, factories.make_member(tenant_a, "designer"))
    (problem,) = _publish_problems(client, HUGE_POWER)
    assert (problem["path"], problem["code"]) == ("transitions[0].when", "invalid_guard")
    assert problem["element"] == "transition review -> approved on 'approve'"
    assert "exponent 10000000000" in problem["message"]
    assert "whatever the data" in problem["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://127.0.0.1:70/_x", "ftp://f/x"])
def test_publish_refuses_an_http_action_to_another_scheme_naming_the_action(tenant_a, url):
    client = factories.api_client(tenant_a, factories.make_member(tenant_a, "designer"))
    document = copy.deepcopy(BASES[0])
    document["actions"] = {"fetch": {"type": "http", "params": {"url": url}}}
    document["transitions"][0]["action"] = "fetch"
    (problem,) = _publish_problems(client, document)
    assert (problem["path"], problem["code"]) == ("actions.fetch.params.url", "bad_url")
    assert problem["element"] == "action 'fetch'"
    assert "action 'fetch' calls a" in problem["message"]
    assert "only http:// and https://" in problem["message"]


@pytest.mark.django_db
def test_the_base_document_with_an_https_action_publishes(tenant_a):
    # The control for the refusals above and for the property test's explicit example.
    client = factories.api_client(tenant_a, factories.make_member(tenant_a, "designer"))
    document = copy.deepcopy(BASES[0])
    document["actions"] = {"fetch": {"type": "http", "params": {"url": "https://x.example/"}}}
    document["transitions"][0]["action"] = "fetch"
    created = client.post(
        "/api/definitions/",
        {"key": "approval", "name": "Fine", "document": document},
        format="json",
    )
    response = client.post(f"/api/versions/{created.json()['id']}/publish/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"
