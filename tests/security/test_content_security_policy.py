"""The Content-Security-Policy header on every kind of answer (the browser's side is in
tests/browser/test_content_security_policy.py): strict everywhere, a nonce only where a
page uses one, the page's own host for websockets."""

from __future__ import annotations

import re

import pytest
from django.test import Client

POLICY = "Content-Security-Policy"


def directives(response) -> dict[str, list[str]]:
    parts = (p.strip().split() for p in response[POLICY].split(";") if p.strip())
    return {name: sources for name, *sources in parts}


@pytest.fixture
def signed_in(tenant_a, make_member):
    user = make_member(tenant_a, "admin", username="ada", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "path",
    ["/", "/designer/", "/inbox/", "/operations/instances/", "/admin/", "/api/schema/",
     "/api/instances/", "/livez", "/no/such/page/", "/accounts/login/"],
)  # fmt: skip
def test_every_answer_has_the_strict_policy(signed_in, path):
    response = signed_in.get(path)
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no nonce where none is used
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in response[POLICY] and "'unsafe-eval'" not in response[POLICY]
    assert policy["connect-src"] == ["'self'", "ws://testserver", "wss://testserver"]


def test_the_swagger_page_alone_has_a_nonce_and_its_inline_blocks_carry_it(signed_in):
    response = signed_in.get("/api/docs/")
    assert response.status_code == 200
    policy = directives(response)
    (nonce_source,) = [s for s in policy["script-src"] if s.startswith("'nonce-")]
    nonce = nonce_source.removeprefix("'nonce-").removesuffix("'")
    assert policy["style-src"] == ["'self'", nonce_source]
    html = response.content.decode()
    inline = re.findall(r"<(script|style)(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline and all(f'nonce="{nonce}"' in attributes for _, attributes in inline)
    # A new nonce per response: an attacker cannot learn one from an earlier page.
    assert nonce not in signed_in.get("/api/docs/")[POLICY]


def test_the_host_in_connect_src_is_the_checked_host(signed_in, settings):
    settings.ALLOWED_HOSTS = ["workflows.example.com"]
    response = signed_in.get("/livez", HTTP_HOST="workflows.example.com")
    assert directives(response)["connect-src"][1:] == [
        "ws://workflows.example.com",
        "wss://workflows.example.com",
    ]
    refused = signed_in.get("/livez", HTTP_HOST="evil.example.net")
    assert refused.status_code == 400
    assert "evil" not in refused.get(POLICY, "")


def test_the_templates_have_no_inline_script_handler_or_style():
    """The policy would ignore them: behaviour and looks belong in static/ (ADR 0014)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    templates = [p for p in root.glob("**/templates/**/*.html") if ".venv" not in p.parts]
    assert templates
    for template in templates:
        text = template.read_text()
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert not re.search(r"\sstyle\s*=", text), template
        for attributes in re.findall(r"<script([^>]*)>", text):
            assert "src=" in attributes or "nonce=" in attributes, template
        for attributes in re.findall(r"<style([^>]*)>", text):
            assert "nonce=" in attributes, template
