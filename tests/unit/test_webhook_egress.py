"""Webhook egress: which URLs and addresses are refused before any connection is made."""

import ipaddress
import re

import pytest

from services.tasks.webhooks.egress import (
    EgressPolicy,
    EgressRefused,
    check_url,
    policy_from_networks,
    refusal_reason,
)

DEFAULT = EgressPolicy()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/hook", "127.0.0.1 is a loopback address"),
        ("http://10.0.0.1/hook", "10.0.0.1 is a private address"),
        ("http://172.16.0.1/hook", "172.16.0.1 is a private address"),
        ("http://192.168.1.1/hook", "192.168.1.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://100.64.0.1/", "100.64.0.1 is a shared (CGNAT) address"),
        ("http://0.0.0.0:8080/", "0.0.0.0 is an unspecified address"),
        ("http://0.1.2.3/", "0.1.2.3 is a 'this network' address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://240.0.0.1/", "240.0.0.1 is a private address"),
        ("http://[::1]:9000/", "::1 is a loopback address"),
        ("http://[::]/", ":: is an unspecified address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://[fd00::1]/", "fd00::1 is a private address"),
        ("http://[fec0::1]/", "fec0::1 is a site-local address"),
        ("http://[ff02::1]/", "ff02::1 is a multicast address"),
    ],
)
def test_non_public_literal_addresses_are_refused_with_the_reason(url, reason):
    with pytest.raises(EgressRefused) as refused:
        check_url(url, DEFAULT)
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    ("url", "embedded"),
    [
        ("http://[::ffff:127.0.0.1]/", "127.0.0.1"),
        ("http://[::ffff:169.254.169.254]/", "169.254.169.254"),
        ("http://[2002:7f00:1::]/", "127.0.0.1"),  # 6to4
        ("http://[2002:a00:1::]/", "10.0.0.1"),  # 6to4
        ("http://[64:ff9b::a9fe:a9fe]/", "169.254.169.254"),  # NAT64
        ("http://[64:ff9b::c0a8:101]/", "192.168.1.1"),  # NAT64
        ("http://[::127.0.0.1]/", "127.0.0.1"),  # IPv4-compatible
    ],
)
def test_ipv6_forms_of_non_public_ipv4_addresses_are_refused(url, embedded):
    with pytest.raises(EgressRefused) as refused:
        check_url(url, DEFAULT)
    assert embedded in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/inferlane",
        "http://93.184.216.34:8080/x",
        "http://[2606:2800:220:1:248:1893:25c8:1946]/",
        "http://[64:ff9b::5db8:d822]/",  # NAT64 of a public address
    ],
)
def test_public_targets_and_names_pass_the_static_check(url):
    check_url(url, DEFAULT)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://example.com/hook", "scheme 'ftp'"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("gopher://example.com/", "scheme 'gopher'"),
        ("example.com/hook", "scheme"),
        ("http:///path-only", "no host"),
        ("http://user:pass@example.com/hook", "credentials"),
        ("https://token@example.com/hook", "credentials"),
    ],
)
def test_schemes_missing_hosts_and_credentials_are_refused(url, fragment):
    with pytest.raises(EgressRefused) as refused:
        check_url(url, DEFAULT)
    assert fragment in str(refused.value)


def test_the_allow_list_admits_private_targets_including_their_ipv6_mapped_form():
    policy = EgressPolicy(allow_networks=policy_from_networks("10.0.0.0/8, 127.0.0.1/32"))
    check_url("http://10.1.2.3/hook", policy)
    check_url("http://127.0.0.1:8080/hook", policy)
    check_url("http://[::ffff:127.0.0.1]/hook", policy)
    with pytest.raises(EgressRefused, match=re.escape("127.0.0.2 is a loopback address")):
        check_url("http://127.0.0.2/hook", policy)
    with pytest.raises(EgressRefused, match="::1 is a loopback address"):
        check_url("http://[::1]/hook", policy)


def test_policy_from_networks_parses_lists_and_rejects_bad_input_clearly():
    assert policy_from_networks("") == ()
    assert policy_from_networks(" 10.0.0.0/8 , 127.0.0.1/32,fd00::/8 ") == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("fd00::/8"),
    )
    assert policy_from_networks("192.168.1.5") == (ipaddress.ip_network("192.168.1.5/32"),)
    with pytest.raises(ValueError, match=re.escape("invalid network '10.0.0.1/8'")):
        policy_from_networks("10.0.0.1/8")  # host bits set: almost certainly a typo
    with pytest.raises(ValueError, match="invalid network 'intranet'"):
        policy_from_networks("10.0.0.0/8, intranet")


def test_refusal_reason_is_none_only_for_public_unicast_addresses():
    assert refusal_reason(ipaddress.ip_address("8.8.8.8")) is None
    assert refusal_reason(ipaddress.ip_address("2001:4860:4860::8888")) is None
    assert refusal_reason(ipaddress.ip_address("192.0.2.1")) is not None  # documentation range
    assert refusal_reason(ipaddress.ip_address("255.255.255.255")) is not None


def test_refusals_of_embedded_forms_name_both_addresses():
    with pytest.raises(EgressRefused) as refused:
        check_url("http://[::ffff:169.254.169.254]/", DEFAULT)
    assert str(refused.value) == (
        "::ffff:a9fe:a9fe is the IPv4-mapped form of 169.254.169.254, which is a link-local address"
    )
