"""Action secrets: encrypted at rest, revealed only to actions, never shown or returned."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet

from workflow_platform.actions.base import NonRetryableActionError
from workflow_platform.actions.models import Secret
from workflow_platform.actions.selectors import secret_names_for
from workflow_platform.actions.services import (
    delete_secret,
    reveal_secret,
    set_secret,
)
from workflow_platform.errors import InvalidInput, NotFound
from workflow_platform.runtime.demo import _tenant_admins_group

VALUE = "sk_live_do-not-leak-4242"


def test_secret_is_stored_encrypted_and_revealed_to_actions(tenant_a):
    secret = set_secret(tenant=tenant_a, name="payments_key", value=VALUE)
    stored = Secret.objects.for_tenant(tenant_a).get(pk=secret.pk)
    assert VALUE not in stored.ciphertext
    assert reveal_secret(tenant_id=tenant_a.pk, name="payments_key") == VALUE


def test_secret_value_never_appears_in_str_or_repr(tenant_a):
    secret = set_secret(tenant=tenant_a, name="payments_key", value=VALUE)
    assert VALUE not in str(secret)
    assert VALUE not in repr(secret)


def test_setting_a_secret_again_replaces_its_value(tenant_a):
    set_secret(tenant=tenant_a, name="token", value="first")
    set_secret(tenant=tenant_a, name="token", value="second")
    assert reveal_secret(tenant_id=tenant_a.pk, name="token") == "second"
    assert secret_names_for(tenant_a) == ["token"]


def test_another_tenant_cannot_reveal_the_secret(tenant_a, tenant_b):
    set_secret(tenant=tenant_a, name="token", value=VALUE)
    with pytest.raises(NonRetryableActionError) as error:
        reveal_secret(tenant_id=tenant_b.pk, name="token")
    assert error.value.code == "secret_not_found"


@pytest.mark.parametrize("name", ["", "has space", "9starts_with_digit", "dash-ed", "x" * 101])
def test_name_that_templates_cannot_use_is_refused(tenant_a, name):
    with pytest.raises(InvalidInput) as error:
        set_secret(tenant=tenant_a, name=name, value="v")
    assert error.value.code == "bad_secret_name"
    assert secret_names_for(tenant_a) == []


def test_empty_value_is_refused(tenant_a):
    with pytest.raises(InvalidInput):
        set_secret(tenant=tenant_a, name="token", value="")


def test_deleting_a_secret_and_deleting_a_missing_one(tenant_a):
    set_secret(tenant=tenant_a, name="token", value=VALUE)
    delete_secret(tenant=tenant_a, name="token")
    assert secret_names_for(tenant_a) == []
    with pytest.raises(NotFound):
        delete_secret(tenant=tenant_a, name="token")


def test_rotated_key_still_decrypts_old_values(tenant_a, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.WORKFLOW_SECRETS_KEY = old
    set_secret(tenant=tenant_a, name="token", value=VALUE)
    settings.WORKFLOW_SECRETS_KEY = f"{new},{old}"
    assert reveal_secret(tenant_id=tenant_a.pk, name="token") == VALUE
    settings.WORKFLOW_SECRETS_KEY = new
    with pytest.raises(NonRetryableActionError) as error:
        reveal_secret(tenant_id=tenant_a.pk, name="token")
    assert error.value.code == "secret_unreadable"


@pytest.fixture
def tenant_admin(tenant_a, make_member):
    user = make_member(tenant_a, role="admin", username="ada", is_staff=True)
    user.groups.add(_tenant_admins_group())
    return user


def test_admin_creates_a_secret_and_never_shows_its_value(client, tenant_a, tenant_admin):
    client.force_login(tenant_admin)
    response = client.post(
        "/admin/actions/secret/add/", {"name": "crm_token", "description": "", "value": VALUE}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    secret = Secret.objects.for_tenant(tenant_a).get(name="crm_token")
    page = client.get(f"/admin/actions/secret/{secret.pk}/change/").content.decode()
    assert VALUE not in page
    assert secret.ciphertext not in page
    assert VALUE not in client.get("/admin/actions/secret/").content.decode()


def test_admin_change_with_empty_value_keeps_the_secret(client, tenant_a, tenant_admin):
    secret = set_secret(tenant=tenant_a, name="crm_token", value=VALUE)
    client.force_login(tenant_admin)
    response = client.post(
        f"/admin/actions/secret/{secret.pk}/change/",
        {"name": "crm_token", "description": "CRM", "value": ""},
    )
    assert response.status_code == 302
    assert reveal_secret(tenant_id=tenant_a.pk, name="crm_token") == VALUE


def test_admin_refuses_a_duplicate_name_with_a_form_error(client, tenant_a, tenant_admin):
    set_secret(tenant=tenant_a, name="crm_token", value=VALUE)
    client.force_login(tenant_admin)
    response = client.post(
        "/admin/actions/secret/add/", {"name": "crm_token", "description": "", "value": "x"}
    )
    assert response.status_code == 200
    assert "already has a secret named" in response.content.decode()


def test_reencrypting_finishes_a_key_rotation(tenant_a, settings):
    from django.core.management import call_command

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.WORKFLOW_SECRETS_KEY = old
    set_secret(tenant=tenant_a, name="token", value=VALUE)
    settings.WORKFLOW_SECRETS_KEY = f"{new},{old}"
    out = io.StringIO()
    call_command("reencrypt_secrets", stdout=out)
    assert "Re-encrypted 1 secret(s)" in out.getvalue()
    settings.WORKFLOW_SECRETS_KEY = new  # the old key is gone
    assert reveal_secret(tenant_id=tenant_a.pk, name="token") == VALUE


def test_reencrypting_changes_nothing_when_a_secret_is_unreadable(tenant_a, settings):
    from django.core.management import CommandError, call_command

    settings.WORKFLOW_SECRETS_KEY = Fernet.generate_key().decode()
    set_secret(tenant=tenant_a, name="token", value=VALUE)
    before = Secret.objects.for_tenant(tenant_a).get(name="token").ciphertext
    settings.WORKFLOW_SECRETS_KEY = Fernet.generate_key().decode()
    with pytest.raises(CommandError):
        call_command("reencrypt_secrets")
    assert Secret.objects.for_tenant(tenant_a).get(name="token").ciphertext == before
