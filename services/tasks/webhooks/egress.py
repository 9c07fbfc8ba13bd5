"""SSRF-safe outbound HTTP POST for webhook deliveries.

Threat model: a user chooses the URL, so a webhook is a way to make the platform send
requests from inside its own network. Without care that reaches the cloud metadata service
(169.254.169.254), databases and admin ports on loopback or the private network, or other
services' internal APIs. So a delivery:

- only speaks http(s), with no credentials in the URL;
- resolves the host once, refuses if ANY resolved address is not public (loopback, private,
  link-local, CGNAT, multicast, reserved, and the IPv6 forms that embed such an IPv4 address)
  unless the deployment allow-lists it, and then connects to exactly the address it checked,
  so a DNS answer that changes between check and connect (DNS rebinding) cannot redirect it;
  Host header, TLS SNI and certificate checks still use the original hostname;
- follows no redirects by default (a 3xx is just a status code); when max_redirects allows,
  every hop is checked and pinned the same way, and the same POST body is sent again;
- never uses the environment's proxies (only SSL_CERT_FILE / SSL_CERT_DIR are honoured, to
  trust a deployment's private CA), and bounds connect time, total time and the bytes it
  reads. A response body over max_response_bytes fails the delivery (EgressFailed) rather
  than being truncated: the reader stops at the cap and the connection is dropped.

EgressRefused: the policy forbids the target as written or as it resolves now (retrying soon
will not help); EgressFailed: this attempt failed (network, name not found, timeout,
oversized reply) and a later retry may succeed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

import httpcore
import httpx

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

EXCERPT_BYTES = 1024
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# identity: the size cap applies to what is on the wire, and a compressed body could expand.
_DEFAULT_HEADERS = {"user-agent": "Inferlane-Webhooks/1", "accept-encoding": "identity"}

# Named here for precise refusal reasons (ipaddress only calls them private / not global),
# and for the IPv6 forms that carry an IPv4 address.
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")
_NAT64_NETWORKS = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


@dataclass(frozen=True)
class EgressPolicy:
    allow_networks: tuple[IPNetwork, ...] = ()
    connect_timeout_s: float = 5.0
    total_timeout_s: float = 10.0
    max_response_bytes: int = 65536
    max_redirects: int = 0


@dataclass(frozen=True)
class Delivered:
    status_code: int
    latency_ms: float
    body_excerpt: str  # first 1 KiB, decoded with replacement


class EgressRefused(Exception):
    """The target is not allowed (scheme, credentials, or a non-public address)."""


class EgressFailed(Exception):
    """The target was allowed but delivery failed: network error, timeout, response too big."""


def policy_from_networks(text: str) -> tuple[IPNetwork, ...]:
    """Parse an allow-list setting such as "10.0.0.0/8, 127.0.0.1/32" (empty means none)."""
    networks: list[IPNetwork] = []
    for part in text.replace(";", ",").split(","):
        item = part.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=True))
        except ValueError as error:
            raise ValueError(f"invalid network {item!r} in egress allow-list: {error}") from None
    return tuple(networks)


def check_url(url: str, policy: EgressPolicy) -> None:
    """Refuse URLs that can never be delivered to; literal IPs are checked, names not resolved."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as error:
        raise EgressRefused(f"invalid URL: {error}") from None
    if parsed.scheme not in ("http", "https"):
        raise EgressRefused(
            f"scheme {parsed.scheme or '(none)'!r} is not allowed; use http or https"
        )
    if not parsed.host:
        raise EgressRefused("URL has no host")
    if parsed.userinfo:
        raise EgressRefused("URL must not contain credentials (user:password@)")
    literal = _literal_ip(parsed.host)
    if literal is not None:
        _check_address(literal, policy)


def refusal_reason(address: IPAddress) -> str | None:
    """Why an address is not a public unicast one, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        for kind, embedded in _embedded_ipv4(address):
            inner = _own_reason(embedded)
            if inner is not None:
                return f"{address} is {kind} of {embedded}, which {inner.split(' ', 1)[1]}"
        if _translated_ipv4(address) is not None:
            return None  # reaches the (public) IPv4 address it embeds, so that one decides
    return _own_reason(address)


async def post(
    url: str, body: bytes, headers: Mapping[str, str], policy: EgressPolicy
) -> Delivered:
    """POST body to url under policy: EgressRefused, EgressFailed, or what came back."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(policy.total_timeout_s):
            status, excerpt = await _post_following(url, body, headers, policy)
    except TimeoutError:
        raise EgressFailed(f"no complete response within {policy.total_timeout_s:g} s") from None
    latency_ms = (time.monotonic() - started) * 1000.0
    return Delivered(status_code=status, latency_ms=latency_ms, body_excerpt=excerpt)


async def _post_following(
    url: str, body: bytes, headers: Mapping[str, str], policy: EgressPolicy
) -> tuple[int, str]:
    hops = 0
    while True:
        check_url(url, policy)
        status, excerpt, location = await _post_once(url, body, headers, policy)
        if location is None or hops >= policy.max_redirects:
            return status, excerpt
        hops += 1
        url = urljoin(url, location)


async def _post_once(
    url: str, body: bytes, headers: Mapping[str, str], policy: EgressPolicy
) -> tuple[int, str, str | None]:
    target = httpx.URL(url)
    port = target.port or (443 if target.scheme == "https" else 80)
    addresses = await _resolve_checked(target.raw_host.decode("ascii"), port, policy)
    timeout = httpx.Timeout(policy.total_timeout_s, connect=policy.connect_timeout_s)
    transport = _PinnedTransport(addresses)
    async with httpx.AsyncClient(
        transport=transport, timeout=timeout, trust_env=False, follow_redirects=False
    ) as client:
        try:
            request_headers = httpx.Headers(_DEFAULT_HEADERS)
            request_headers.update(headers)  # case-insensitive: the caller's names win
            async with client.stream(
                "POST", target, content=body, headers=request_headers
            ) as response:
                content = await _read_capped(response, policy.max_response_bytes)
                location = response.headers.get("location")
                status = response.status_code
        except httpx.HTTPError as error:
            raise EgressFailed(f"{type(error).__name__}: {error or 'request failed'}") from None
    excerpt = content[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    redirect = location if status in _REDIRECT_CODES and location else None
    return status, excerpt, redirect


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise EgressFailed(f"response of {declared} bytes is larger than the {limit} byte limit")
    received = bytearray()
    async for chunk in response.aiter_raw():
        received += chunk
        if len(received) > limit:
            raise EgressFailed(f"response is larger than the {limit} byte limit")
    return bytes(received)


async def _resolve_checked(host: str, port: int, policy: EgressPolicy) -> list[IPAddress]:
    """Resolve once; every answer must pass, and only these answers are connected to, in order."""
    literal = _literal_ip(host)
    if literal is not None:
        _check_address(literal, policy)
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        answers = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise EgressFailed(f"cannot resolve {host}: {error}") from None
    addresses = _unique(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in answers)
    if not addresses:
        raise EgressFailed(f"{host} resolved to no addresses")
    for address in addresses:
        try:
            _check_address(address, policy)
        except EgressRefused as refused:
            raise EgressRefused(f"{host} resolves to {address}: {refused}") from None
    return addresses


def _check_address(address: IPAddress, policy: EgressPolicy) -> None:
    if _allowed(address, policy.allow_networks):
        return
    reason = refusal_reason(address)
    if reason is not None:
        raise EgressRefused(reason)


def _allowed(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        candidates += [embedded for _, embedded in _embedded_ipv4(address)]
    return any(
        candidate.version == network.version and candidate in network
        for candidate in candidates
        for network in networks
    )


def _own_reason(address: IPAddress) -> str | None:
    checks: list[tuple[bool, str]] = [
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (
            isinstance(address, ipaddress.IPv4Address) and address in _THIS_NETWORK,
            "a 'this network' address",
        ),
        (
            isinstance(address, ipaddress.IPv4Address) and address in _CGNAT,
            "a shared (CGNAT) address",
        ),
        (
            isinstance(address, ipaddress.IPv6Address) and address.is_site_local,
            "a site-local address",
        ),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a public address"),
    ]
    for failed, what in checks:
        if failed:
            return f"{address} is {what}"
    return None


def _translated_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address that an IPv4-mapped or NAT64 address is translated to on the way out."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if any(address in network for network in _NAT64_NETWORKS):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """IPv4 addresses that traffic to this IPv6 address may end up at."""
    found: list[tuple[str, ipaddress.IPv4Address]] = []
    if address.ipv4_mapped is not None:
        found.append(("the IPv4-mapped form", address.ipv4_mapped))
    elif (translated := _translated_ipv4(address)) is not None:
        found.append(("a NAT64 address", translated))
    if address.sixtofour is not None:
        found.append(("a 6to4 address", address.sixtofour))
    if address.teredo is not None:
        found.append(("a Teredo address", address.teredo[1]))
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        found.append(("the IPv4-compatible form", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)))
    return found


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _unique(addresses: Iterable[IPAddress]) -> list[IPAddress]:
    return list(dict.fromkeys(addresses))


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to the checked addresses, whatever host name httpcore asks for.

    httpcore still uses the URL's host name for the Host header and for TLS (SNI and
    certificate verification happen in start_tls with the original server_hostname).
    The addresses are tried in resolver order, like a normal client falling back from an
    unreachable IPv6 address to IPv4.
    """

    def __init__(self, addresses: list[IPAddress]) -> None:
        self._addresses = [str(address) for address in addresses]
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        options = list(socket_options or ())
        for address in self._addresses[:-1]:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                continue
        last = self._addresses[-1]
        return await self._inner.connect_tcp(last, port, timeout, local_address, options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for webhooks")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connection pool built on the pinned backend."""

    def __init__(self, addresses: list[IPAddress]) -> None:
        super().__init__(trust_env=False, retries=0)
        self._pool = httpcore.AsyncConnectionPool(
            # certifi's roots, or SSL_CERT_FILE / SSL_CERT_DIR for a deployment's private CA;
            # trust_env here only picks trust anchors, proxies stay off (see AsyncClient).
            ssl_context=httpx.create_ssl_context(trust_env=True),
            max_connections=1,
            http1=True,
            http2=False,
            retries=0,
            network_backend=_PinnedBackend(addresses),
        )
