"""Webhook egress against real local HTTP receivers: pinning, redirects, caps and timeouts."""

import asyncio
import datetime
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from services.tasks.webhooks.egress import (
    EgressFailed,
    EgressPolicy,
    EgressRefused,
    policy_from_networks,
    post,
)

LOOPBACK_ALLOWED = EgressPolicy(allow_networks=policy_from_networks("127.0.0.1/32"))


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    header_names: list[str] = field(default_factory=list)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1; each path answers as `routes` says."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    port: int = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from _serve(Receiver())


def _serve(state: Receiver, tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            names = [k.lower() for k in self.headers]
            state.received.append(Received(self.path, headers, body, names))
            status, extra_headers, payload = state.routes.get(self.path, (200, {}, b"ok"))
            self.send_response(status)
            for name, value in extra_headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


class FakeDns:
    """Answers one name from a script of lookups (one or more addresses each); others are real."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, name: str, answers: list[str | list[str]]
    ) -> None:
        self.name = name
        self.answers = answers
        self.lookups = 0
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        if host != self.name:
            return self._real(host, port, family, type, proto, flags)
        answer = self.answers[min(self.lookups, len(self.answers) - 1)]
        self.lookups += 1
        addresses = [answer] if isinstance(answer, str) else answer
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]


async def test_an_allow_listed_receiver_gets_the_post_with_body_and_headers_intact(receiver):
    body = b'{"type":"task.ready","id":"t1"}'
    headers = {
        "content-type": "application/json",
        "webhook-id": "msg_1",
        "webhook-signature": "v1,abc",
    }
    delivered = await post(receiver.url("/hook"), body, headers, LOOPBACK_ALLOWED)
    assert delivered.status_code == 200
    assert delivered.body_excerpt == "ok"
    assert delivered.latency_ms >= 0
    [request] = receiver.received
    assert request.path == "/hook"
    assert request.body == body
    assert {k: request.headers[k] for k in headers} == headers


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_loopback_receivers_are_refused_without_the_allow_list(receiver, host):
    with pytest.raises(EgressRefused, match="loopback"):
        await post(receiver.url("/hook", host), b"{}", {}, EgressPolicy())
    assert receiver.received == []


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "ftp://example.com/",
        "file:///etc/passwd",
        "http://user:pass@example.com/",
    ],
)
async def test_post_refuses_before_connecting(url):
    with pytest.raises(EgressRefused):
        await post(url, b"{}", {}, EgressPolicy())


async def test_a_redirect_is_a_status_code_and_is_not_followed_by_default(receiver):
    receiver.routes["/hook"] = (302, {"location": receiver.url("/elsewhere")}, b"")
    delivered = await post(receiver.url("/hook"), b"{}", {}, LOOPBACK_ALLOWED)
    assert delivered.status_code == 302
    assert [r.path for r in receiver.received] == ["/hook"]


async def test_when_redirects_are_followed_every_hop_is_checked_again(receiver):
    receiver.routes["/hook"] = (307, {"location": f"http://127.0.0.2:{receiver.port}/inside"}, b"")
    policy = EgressPolicy(allow_networks=LOOPBACK_ALLOWED.allow_networks, max_redirects=3)
    with pytest.raises(EgressRefused, match=re.escape("127.0.0.2 is a loopback address")):
        await post(receiver.url("/hook"), b"{}", {}, policy)
    assert [r.path for r in receiver.received] == ["/hook"]


async def test_a_name_redirect_to_loopback_is_refused_after_resolving_it(receiver, monkeypatch):
    dns = FakeDns(monkeypatch, "sneaky.example.com", ["127.0.0.2"])
    receiver.routes["/hook"] = (
        302,
        {"location": f"http://sneaky.example.com:{receiver.port}/x"},
        b"",
    )
    policy = EgressPolicy(allow_networks=LOOPBACK_ALLOWED.allow_networks, max_redirects=1)
    with pytest.raises(EgressRefused, match=re.escape("sneaky.example.com resolves to 127.0.0.2")):
        await post(receiver.url("/hook"), b"{}", {}, policy)
    assert dns.lookups == 1


async def test_allowed_redirects_are_followed_up_to_the_limit(receiver):
    receiver.routes["/a"] = (308, {"location": "/b"}, b"")
    receiver.routes["/b"] = (200, {}, b"arrived")
    policy = EgressPolicy(allow_networks=LOOPBACK_ALLOWED.allow_networks, max_redirects=1)
    delivered = await post(receiver.url("/a"), b"payload", {}, policy)
    assert (delivered.status_code, delivered.body_excerpt) == (200, "arrived")
    assert [(r.path, r.body) for r in receiver.received] == [("/a", b"payload"), ("/b", b"payload")]


async def test_a_response_over_the_cap_fails_the_delivery(receiver):
    receiver.routes["/big"] = (200, {}, b"x" * 5000)
    policy = EgressPolicy(allow_networks=LOOPBACK_ALLOWED.allow_networks, max_response_bytes=4096)
    with pytest.raises(EgressFailed, match="larger than the 4096 byte limit"):
        await post(receiver.url("/big"), b"{}", {}, policy)


async def test_a_response_under_the_cap_gives_a_one_kib_excerpt(receiver):
    receiver.routes["/long"] = (500, {}, "é".encode() * 2000)
    delivered = await post(receiver.url("/long"), b"{}", {}, LOOPBACK_ALLOWED)
    assert delivered.status_code == 500
    assert delivered.body_excerpt == "é" * 512


async def test_a_response_without_length_over_the_cap_is_cut_off(monkeypatch):
    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n")
        try:
            while True:  # no content-length: only the reader's cap stops this
                writer.write(b"y" * 65536)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(endless, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(EgressFailed, match="larger than the 1024 byte limit"):
            await post(f"http://127.0.0.1:{port}/", b"{}", {}, _loopback(max_response_bytes=1024))
    finally:
        server.close()


async def test_a_receiver_that_never_answers_fails_after_the_total_timeout():
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # never writes a byte back

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(EgressFailed):
            await post(f"http://127.0.0.1:{port}/", b"{}", {}, _loopback(total_timeout_s=0.5))
    finally:
        server.close()


async def test_a_receiver_that_is_down_fails_the_delivery():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(EgressFailed, match="ConnectError"):
        await post(f"http://127.0.0.1:{port}/", b"{}", {}, LOOPBACK_ALLOWED)


async def test_the_checked_public_address_is_the_one_connected_to_with_no_second_lookup(
    monkeypatch,
):
    dns = FakeDns(monkeypatch, "hooks.example.com", ["93.184.216.34", "127.0.0.1"])
    asked: list[tuple[str, int]] = []

    async def record_connect(
        self, host, port, timeout=None, local_address=None, socket_options=None
    ):
        asked.append((host, port))
        raise httpcore.ConnectError("test network: nothing leaves this machine")

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", record_connect)
    with pytest.raises(EgressFailed):
        await post("http://hooks.example.com:8080/hook", b"{}", {}, EgressPolicy())
    assert dns.lookups == 1
    assert asked == [("93.184.216.34", 8080)]


async def test_a_rebinding_name_reaches_the_checked_address_with_its_host_header(
    receiver, monkeypatch
):
    # The check sees 127.0.0.1 (allow-listed); a second lookup would say 10.0.0.1, which is refused.
    dns = FakeDns(monkeypatch, "rebind.example.com", ["127.0.0.1", "10.0.0.1"])
    delivered = await post(receiver.url("/hook", "rebind.example.com"), b"{}", {}, LOOPBACK_ALLOWED)
    assert delivered.status_code == 200
    assert dns.lookups == 1
    [request] = receiver.received
    assert request.headers["host"] == f"rebind.example.com:{receiver.port}"


async def test_environment_proxies_are_not_used(receiver, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:1")
    delivered = await post(receiver.url("/hook"), b"{}", {}, LOOPBACK_ALLOWED)
    assert delivered.status_code == 200


def _loopback(**values: float) -> EgressPolicy:
    return EgressPolicy(allow_networks=LOOPBACK_ALLOWED.allow_networks, **values)  # type: ignore[arg-type]


async def test_numeric_host_spellings_of_loopback_are_refused_after_resolving(receiver):
    for host in ("2130706433", "0x7f000001", "127.1"):
        with pytest.raises(EgressRefused, match="loopback"):
            await post(receiver.url("/hook", host), b"{}", {}, EgressPolicy())
    assert receiver.received == []


async def test_a_name_with_any_non_public_answer_is_refused(receiver, monkeypatch):
    FakeDns(monkeypatch, "mixed.example.com", [["93.184.216.34", "10.0.0.7"]])
    with pytest.raises(EgressRefused, match=re.escape("resolves to 10.0.0.7")):
        await post("http://mixed.example.com/hook", b"{}", {}, EgressPolicy())


async def test_checked_addresses_are_tried_in_order_and_only_those(receiver, monkeypatch):
    FakeDns(monkeypatch, "two.example.com", [["127.0.0.2", "127.0.0.1"], "10.0.0.9"])
    asked: list[str] = []
    real_connect = httpcore.AnyIOBackend.connect_tcp

    async def record_connect(self, host, port, *args, **kwargs):
        asked.append(host)
        return await real_connect(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", record_connect)
    policy = EgressPolicy(allow_networks=policy_from_networks("127.0.0.0/8"))
    delivered = await post(receiver.url("/hook", "two.example.com"), b"{}", {}, policy)
    assert delivered.status_code == 200
    assert asked == ["127.0.0.2", "127.0.0.1"]  # nothing listens on .2, so it falls back to .1


async def test_default_headers_ask_for_an_uncompressed_body_and_name_the_sender(receiver):
    await post(receiver.url("/hook"), b"{}", {"User-Agent": "custom/2"}, LOOPBACK_ALLOWED)
    await post(receiver.url("/hook"), b"{}", {}, LOOPBACK_ALLOWED)
    custom, default = receiver.received
    assert custom.headers["accept-encoding"] == "identity"
    assert custom.headers["user-agent"] == "custom/2"
    assert custom.header_names.count("user-agent") == 1
    assert default.headers["user-agent"].startswith("Inferlane-Webhooks/")


@dataclass
class Pki:
    ca_file: str
    server_context: ssl.SSLContext
    server_names: list[str | None]


@pytest.fixture
def pki(tmp_path) -> Pki:
    """A private CA and a server certificate for hooks.example.com, recording the SNI it sees."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Inferlane test CA")])
    now = datetime.datetime.now(datetime.UTC)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks.example.com")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hooks.example.com")]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain = tmp_path / "server.pem"
    chain.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + leaf.public_bytes(serialization.Encoding.PEM)
    )
    names: list[str | None] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain)
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    return Pki(str(ca_file), context, names)


@pytest.fixture
def tls_receiver(pki, monkeypatch) -> Iterator[Receiver]:
    monkeypatch.setenv("SSL_CERT_FILE", pki.ca_file)
    yield from _serve(Receiver(), pki.server_context)


async def test_https_to_a_pinned_address_keeps_sni_and_certificate_checks_for_the_name(
    tls_receiver, pki, monkeypatch
):
    dns = FakeDns(monkeypatch, "hooks.example.com", ["127.0.0.1", "10.0.0.1"])
    url = f"https://hooks.example.com:{tls_receiver.port}/hook"
    delivered = await post(url, b'{"ok":true}', {}, LOOPBACK_ALLOWED)
    assert delivered.status_code == 200
    assert dns.lookups == 1
    assert pki.server_names == ["hooks.example.com"]
    [request] = tls_receiver.received
    assert request.body == b'{"ok":true}'
    assert request.headers["host"] == f"hooks.example.com:{tls_receiver.port}"


async def test_https_fails_when_the_certificate_does_not_match_the_name(tls_receiver, monkeypatch):
    FakeDns(monkeypatch, "other.example.com", ["127.0.0.1"])
    url = f"https://other.example.com:{tls_receiver.port}/hook"
    with pytest.raises(EgressFailed, match="ConnectError"):
        await post(url, b"{}", {}, LOOPBACK_ALLOWED)
    assert tls_receiver.received == []


async def test_a_redirect_chain_longer_than_allowed_stops_at_the_last_permitted_hop(receiver):
    receiver.routes["/a"] = (302, {"location": "/b"}, b"")
    receiver.routes["/b"] = (302, {"location": "/c"}, b"")
    policy = EgressPolicy(allow_networks=LOOPBACK_ALLOWED.allow_networks, max_redirects=1)
    delivered = await post(receiver.url("/a"), b"{}", {}, policy)
    assert delivered.status_code == 302
    assert [r.path for r in receiver.received] == ["/a", "/b"]


async def test_a_receiver_that_trickles_bytes_still_fails_at_the_total_timeout():
    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n")
        try:
            while True:  # each byte arrives well within any read timeout
                writer.write(b"z")
                await writer.drain()
                await asyncio.sleep(0.05)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    policy = _loopback(total_timeout_s=0.5, max_response_bytes=200000)
    try:
        with pytest.raises(EgressFailed, match="no complete response"):
            await post(f"http://127.0.0.1:{port}/", b"{}", {}, policy)
    finally:
        server.close()
