"""The SSRF guard: HTTP actions reach public addresses only, unless the tenant allows more."""

from __future__ import annotations

import ipaddress

import pytest

from workflow_platform.actions.base import NonRetryableActionError
from workflow_platform.actions.network_guard import resolve_public, why_forbidden


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.0.0.1",
        "10.255.255.254",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata service
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "ff02::1",
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "100.64.0.1",  # carrier-grade NAT: not globally routable
        "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 wrapping 10.0.0.1
    ],
)
def test_non_public_address_is_refused(address):
    assert why_forbidden(ipaddress.ip_address(address)) is not None
    with pytest.raises(NonRetryableActionError) as refused:
        resolve_public(address, 80, allow_private_network=False)
    assert refused.value.code == "address_refused"
    assert refused.value.retryable is False


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_address_is_allowed(address):
    assert why_forbidden(ipaddress.ip_address(address)) is None
    assert resolve_public(address, 443, allow_private_network=False) == [
        ipaddress.ip_address(address)
    ]


def test_bracketed_ipv6_literal_is_checked():
    with pytest.raises(NonRetryableActionError):
        resolve_public("[::1]", 80, allow_private_network=False)


def test_dns_name_resolving_to_loopback_is_refused():
    with pytest.raises(NonRetryableActionError) as refused:
        resolve_public("localhost", 80, allow_private_network=False)
    assert "localhost" in str(refused.value)
    assert "loopback" in str(refused.value)


def test_tenant_that_allows_the_private_network_may_call_loopback():
    addresses = resolve_public("localhost", 80, allow_private_network=True)
    assert all(address.is_loopback for address in addresses)


def test_refusal_names_the_address_and_the_reason():
    with pytest.raises(NonRetryableActionError) as refused:
        resolve_public("169.254.169.254", 80, allow_private_network=False)
    assert "169.254.169.254" in str(refused.value)
    assert "link-local" in str(refused.value)
