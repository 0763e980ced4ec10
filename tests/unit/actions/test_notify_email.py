"""The notify action sends templated email through Django's mail framework."""

from __future__ import annotations

import pytest
from django.core import mail

from workflow_platform.actions.base import NonRetryableActionError
from workflow_platform.actions.registry import run_action
from workflow_platform.actions.types.notify_action import signature


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []


def test_email_is_rendered_from_the_data_and_carries_a_stable_message_id(call_of):
    call = call_of(
        "notify",
        {
            "channel": "email",
            "to": "{{ data.customer.email }}",
            "subject": "Order {{ data.id }} shipped",
            "body": "Hello {{ data.customer.name }}, {{ data.count }} parcels are on the way.",
        },
        data={"id": "A-7", "count": 2, "customer": {"email": "ada@example.com", "name": "Ada"}},
    )
    result = run_action(call)
    [sent] = mail.outbox
    assert sent.to == ["ada@example.com"]
    assert sent.subject == "Order A-7 shipped"
    assert sent.body == "Hello Ada, 2 parcels are on the way."
    assert sent.extra_headers["Message-ID"] == "<wi-7-3@workflow-island>"
    assert result.output["sent"] == 1


def test_email_to_a_malformed_address_is_not_retryable(call_of):
    with pytest.raises(NonRetryableActionError) as error:
        run_action(call_of("notify", {"channel": "email", "to": ["not-an-address"]}))
    assert error.value.code == "bad_recipient"
    assert mail.outbox == []


def test_unknown_channel_is_refused(call_of):
    with pytest.raises(NonRetryableActionError):
        run_action(call_of("notify", {"channel": "carrier-pigeon"}))


def test_webhook_signature_is_hmac_sha256_of_the_body():
    # Known vector: HMAC-SHA256(key="key", "The quick brown fox jumps over the lazy dog").
    assert signature("key", b"The quick brown fox jumps over the lazy dog") == (
        "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    )
