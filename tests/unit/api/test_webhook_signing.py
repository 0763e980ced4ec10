"""Webhook signatures follow Standard Webhooks v1 exactly, and docs/api.md's verifier works."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from workflow_platform.webhooks.signing import new_secret, signature, signed_headers, verify

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"
BODY = b'{"id": "7c0e", "type": "instance.completed"}'
NOW = 1_700_000_000


def test_the_signature_matches_the_standard_webhooks_reference_vector():
    # The known answer of the Standard Webhooks reference library's own test suite.
    assert (
        signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_a_new_secret_is_whsec_and_the_base64_of_32_random_bytes():
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert new_secret() != secret


def test_deliveries_carry_the_three_standard_headers():
    headers = signed_headers(secret=new_secret(), event_id="7c0e", body=BODY, now=NOW)
    assert headers["webhook-id"] == "7c0e"
    assert headers["webhook-timestamp"] == str(NOW)
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", headers["webhook-signature"])


def test_the_event_id_is_signed_so_a_capture_cannot_pose_as_another_event():
    secret = new_secret()
    headers = signed_headers(secret=secret, event_id="7c0e", body=BODY, now=NOW)
    assert verify(secret=secret, headers=headers, body=BODY, now=NOW)
    assert not verify(secret=secret, headers={**headers, "webhook-id": "8d1f"}, body=BODY, now=NOW)
    assert not verify(secret=secret, headers=headers, body=BODY + b" ", now=NOW)
    assert not verify(secret=new_secret(), headers=headers, body=BODY, now=NOW)


def test_verification_reads_headers_in_any_case_and_any_of_several_signatures():
    secret = new_secret()
    headers = signed_headers(secret=secret, event_id="7c0e", body=BODY, now=NOW)
    rotated = {
        "Webhook-Id": headers["webhook-id"],
        "Webhook-Timestamp": headers["webhook-timestamp"],
        "Webhook-Signature": f"v1,b2xkIGtleQ== v1a,c2lnbmVk {headers['webhook-signature']}",
    }
    assert verify(secret=secret, headers=rotated, body=BODY, now=NOW)


@pytest.mark.parametrize("skew", [-301, 301])
def test_timestamps_more_than_five_minutes_away_are_refused(skew):
    secret = new_secret()
    headers = signed_headers(secret=secret, event_id="7c0e", body=BODY, now=NOW + skew)
    assert not verify(secret=secret, headers=headers, body=BODY, now=NOW)


@pytest.mark.parametrize(
    "broken", [{"webhook-id": ""}, {"webhook-timestamp": "²"}, {"webhook-signature": ""}]
)
def test_missing_or_malformed_headers_do_not_verify(broken):
    secret = new_secret()
    headers = signed_headers(secret=secret, event_id="7c0e", body=BODY, now=NOW)
    assert not verify(secret=secret, headers={**headers, **broken}, body=BODY, now=NOW)


def test_secrets_issued_before_standard_webhooks_still_sign_verifiably():
    legacy = "whsec_Xq-3_kP0vH9tWm2rYb8LcZ1nF4sD7gJ6aE5uR0iO_Tw"  # token_urlsafe(32)
    headers = signed_headers(secret=legacy, event_id="7c0e", body=BODY, now=NOW)
    assert verify(secret=legacy, headers=headers, body=BODY, now=NOW)


def docs_verifier():
    section = DOC.read_text().split("## Webhooks", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # our own documentation, run as written
    return namespace["verify"]


def test_the_verifier_in_docs_api_md_accepts_our_deliveries_and_refuses_forgeries():
    doc_verify = docs_verifier()
    secret = new_secret()
    headers = signed_headers(secret=secret, event_id="7c0e", body=BODY)
    assert doc_verify(secret, headers, BODY)
    assert not doc_verify(secret, {**headers, "webhook-id": "8d1f"}, BODY)
    assert not doc_verify(secret, headers, BODY + b" ")
