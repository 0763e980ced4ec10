"""Pieces of the http action that need no server: Retry-After and URL placeholders."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workflow_platform.actions.base import NonRetryableActionError
from workflow_platform.actions.http_client import parse_retry_after
from workflow_platform.actions.registry import run_action
from workflow_platform.actions.templating import render_url

NOW = datetime(2026, 11, 23, 19, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Mon, 23 Nov 2026 19:00:30 GMT", 30.0),
        ("Mon, 23 Nov 2026 18:59:00 GMT", 0.0),  # already past: retry now
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


def test_url_placeholders_are_percent_encoded_so_data_cannot_change_the_path():
    names = {"data": {"id": "../admin?x=1"}}
    assert render_url("https://api.example.com/orders/{{ data.id }}", names) == (
        "https://api.example.com/orders/..%2Fadmin%3Fx%3D1"
    )


def test_a_leading_placeholder_may_supply_the_whole_base_url():
    names = {"data": {"callback": "https://hooks.example.com/x"}}
    assert render_url("{{ data.callback }}/done", names) == "https://hooks.example.com/x/done"


def test_a_url_grown_past_the_limit_by_its_data_is_refused():
    names = {"data": {"part": "x" * 3000}}
    template = "https://api.example.com/" + "/".join(["{{ data.part }}"] * 3)
    with pytest.raises(NonRetryableActionError, match="at most 8,192") as caught:
        render_url(template, names)
    assert caught.value.code == "bad_params"


def test_a_query_that_grows_the_url_past_the_limit_is_refused(call_of):
    call = call_of(
        "http",
        {"url": "https://api.example.com/search", "query": {"q": "{{ data.q }}"}},
        data={"q": "y" * 9000},
    )
    with pytest.raises(NonRetryableActionError, match=r"params\.url with params\.query") as caught:
        run_action(call)
    assert caught.value.code == "bad_params"


def test_private_destination_is_refused_before_any_connection(call_of):
    call = call_of("http", {"url": "http://169.254.169.254/latest/meta-data/"})
    with pytest.raises(NonRetryableActionError) as error:
        run_action(call)
    assert error.value.code == "address_refused"


@pytest.mark.parametrize(
    "params",
    [
        {"url": "ftp://example.com/file"},
        {"url": "http://user:pw@example.com/"},
        {"url": ""},
        {"url": "https://example.com/", "method": "BREW"},
        {"url": "https://example.com/{{ data.missing + 1 }}"},
    ],
)
def test_bad_http_params_fail_for_good(call_of, params):
    with pytest.raises(NonRetryableActionError):
        run_action(call_of("http", params))


def test_data_cannot_inject_a_header_line(call_of):
    call = call_of(
        "http",
        {"url": "http://127.0.0.1:9/", "headers": {"X-Order": "{{ data.id }}"}},
        data={"id": "1\r\nX-Admin: yes"},
        allow_private_network=True,
    )
    with pytest.raises(NonRetryableActionError) as error:
        run_action(call)
    assert error.value.code == "bad_header"


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "gopher://127.0.0.1:70/_x", "ftp://files.example/a", "x"]
)
@pytest.mark.parametrize(
    ("action_type", "params"),
    [
        ("http", {"url": "{{ data.target }}", "headers": {"X-Key": "{{ secrets.never }}"}}),
        ("notify", {"channel": "webhook", "url": "{{ data.target }}"}),
    ],
)
def test_a_url_whose_scheme_comes_from_the_data_must_be_http_when_filled(
    call_of, action_type, params, target
):
    # Validation cannot see this scheme; the action refuses it before any secret is
    # revealed (no secret 'never' exists) and before any connection.
    call = call_of(action_type, params, data={"target": target})
    with pytest.raises(NonRetryableActionError, match="only http:// and https://") as caught:
        run_action(call)
    assert caught.value.code == "bad_url"
