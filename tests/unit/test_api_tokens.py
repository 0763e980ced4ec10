"""API tokens are stored hashed, expire, and can be revoked."""

from datetime import timedelta

import pytest
from django.utils import timezone

from workflow_platform.errors import InvalidInput
from workflow_platform.tenancy.models import ApiToken, hash_token
from workflow_platform.tenancy.services import (
    authenticate_api_token,
    issue_api_token,
    revoke_api_token,
)


def test_token_is_stored_only_as_its_hash(tenant_a, make_member):
    user = make_member(tenant_a)
    token, raw = issue_api_token(tenant=tenant_a, user=user, name="ci")
    stored = ApiToken.objects.for_tenant(tenant_a).get(pk=token.pk)
    assert stored.token_hash == hash_token(raw)
    assert raw not in {stored.token_hash, stored.prefix, stored.name}
    assert raw.startswith(stored.prefix)


def test_valid_token_authenticates_its_user_and_tenant(tenant_a, make_member):
    user = make_member(tenant_a)
    _, raw = issue_api_token(tenant=tenant_a, user=user, name="ci")
    token = authenticate_api_token(raw)
    assert token.user == user
    assert token.tenant == tenant_a
    assert ApiToken.objects.for_tenant(tenant_a).get(pk=token.pk).last_used_at is not None


def test_revoked_token_no_longer_authenticates(tenant_a, make_member):
    user = make_member(tenant_a)
    token, raw = issue_api_token(tenant=tenant_a, user=user, name="ci")
    revoke_api_token(tenant=tenant_a, token_id=token.pk)
    assert authenticate_api_token(raw) is None


def test_expired_token_no_longer_authenticates(tenant_a, make_member):
    user = make_member(tenant_a)
    token, raw = issue_api_token(tenant=tenant_a, user=user, name="ci")
    ApiToken.objects.for_tenant(tenant_a).filter(pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert authenticate_api_token(raw) is None


def test_garbage_tokens_do_not_authenticate(db):
    assert authenticate_api_token("") is None
    assert authenticate_api_token("wi_not-a-real-token") is None
    assert authenticate_api_token("Bearer something") is None


def test_token_for_a_non_member_is_refused(tenant_a, tenant_b, make_member):
    outsider = make_member(tenant_b)
    with pytest.raises(InvalidInput):
        issue_api_token(tenant=tenant_a, user=outsider, name="nope")


def test_token_revocation_is_scoped_to_its_tenant(tenant_a, tenant_b, make_member):
    user = make_member(tenant_a)
    token, raw = issue_api_token(tenant=tenant_a, user=user, name="ci")
    with pytest.raises(Exception, match="No such token"):
        revoke_api_token(tenant=tenant_b, token_id=token.pk)
    assert authenticate_api_token(raw) is not None
