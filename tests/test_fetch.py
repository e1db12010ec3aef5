"""Fetching URLs: the SSRF guard (addresses, DNS, redirects), caps, content types, timeouts."""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
import time
from typing import ClassVar

import httpx
import pytest

from briefgen import fetch as fetch_module
from briefgen.errors import SourceError
from briefgen.fetch import fetch, is_public
from briefgen.sources import load_source

PAGE = (
    b"<html><head><title>Harbour vote</title>"
    b'<meta property="article:published_time" content="2024-12-10"></head><body><article>'
    b"<p>The council approved the harbour plan on December 9 after a debate that lasted well "
    b"into the night, officials said.</p></article></body></html>"
)

DNS = {
    "news.example": ["93.184.216.34"],
    "cdn.example": ["151.101.1.1"],
    "intranet.example": ["10.1.2.3"],
    "sneaky.example": ["93.184.216.35", "192.168.0.10"],  # one public, one private answer
    "mapped.example": ["::ffff:127.0.0.1"],
}


def resolver(host: str, port: int) -> list[str]:
    return DNS[host]


def never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request may be sent, got {request.url}")


def serve(routes: dict[str, httpx.Response]):
    """A transport answering by (Host header, path), recording every request."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return routes[f"{request.headers['host']}{request.url.path}"]

    return httpx.MockTransport(handler), seen


def html(body: bytes = PAGE, **headers: str) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "text/html", **headers})


def test_public_page_is_fetched_from_the_address_that_was_checked():
    transport, seen = serve({"news.example/story": html()})
    got = fetch("https://news.example/story", transport=transport, resolver=resolver)
    assert got.kind == "html" and got.data == PAGE
    assert got.url == "https://news.example/story"
    (request,) = seen
    assert request.url.host == "93.184.216.34"  # pinned: no second DNS lookup can differ
    assert request.headers["host"] == "news.example"
    assert request.extensions["sni_hostname"] == "news.example"  # TLS still checks the name


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/admin",
        "http://[::1]:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://intranet.example/wiki",
        "http://sneaky.example/",
        "http://mapped.example/",
    ],
)
def test_non_public_addresses_are_refused_before_any_request(url):
    with pytest.raises(SourceError, match=r"non-public address .*--allow-private-urls"):
        fetch(url, transport=httpx.MockTransport(never), resolver=resolver)


def test_redirect_to_a_private_address_is_refused():
    transport, seen = serve(
        {
            "news.example/story": httpx.Response(
                302, headers={"location": "http://169.254.169.254/latest/meta-data/"}
            )
        }
    )
    with pytest.raises(SourceError, match=r"169\.254\.169\.254"):
        fetch("http://news.example/story", transport=transport, resolver=resolver)
    assert len(seen) == 1


def test_redirects_are_followed_and_each_hop_checked():
    transport, seen = serve(
        {
            "news.example/old": httpx.Response(301, headers={"location": "/new"}),
            "news.example/new": httpx.Response(
                302, headers={"location": "https://cdn.example/final"}
            ),
            "cdn.example/final": html(),
        }
    )
    got = fetch("http://news.example/old", transport=transport, resolver=resolver)
    assert got.url == "https://cdn.example/final"
    assert [r.url.host for r in seen] == ["93.184.216.34", "93.184.216.34", "151.101.1.1"]


def test_redirect_loop_stops():
    transport, _ = serve({"news.example/a": httpx.Response(302, headers={"location": "/a"})})
    with pytest.raises(SourceError, match="redirects more than 5 times"):
        fetch("http://news.example/a", transport=transport, resolver=resolver)


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("text/html; charset=utf-8", "html"),
        ("application/xhtml+xml", "html"),
        ("text/plain", "text"),
        ("application/pdf", "pdf"),
    ],
)
def test_accepted_content_types(content_type, kind):
    transport, _ = serve(
        {
            "news.example/x": httpx.Response(
                200, content=b"x", headers={"content-type": content_type}
            )
        }
    )
    assert fetch("http://news.example/x", transport=transport, resolver=resolver).kind == kind


def test_other_content_types_are_refused():
    transport, _ = serve(
        {
            "news.example/x.zip": httpx.Response(
                200, content=b"PK", headers={"content-type": "application/zip"}
            )
        }
    )
    with pytest.raises(SourceError, match="is application/zip, not HTML, text or PDF"):
        fetch("http://news.example/x.zip", transport=transport, resolver=resolver)


def test_missing_content_type_is_sniffed():
    transport, _ = serve({"news.example/x": httpx.Response(200, content=b"<!DOCTYPE html><p>hi")})
    assert fetch("http://news.example/x", transport=transport, resolver=resolver).kind == "html"


def test_declared_size_over_the_cap_is_refused_unread():
    transport, _ = serve({"news.example/big": html(b"x" * 10, **{"content-length": "99999999"})})
    with pytest.raises(SourceError, match="over the 1 KB download limit"):
        fetch("http://news.example/big", transport=transport, resolver=resolver, max_bytes=1024)


def test_streamed_body_over_the_cap_is_cut_off():
    pulled = []

    async def body():
        for _ in range(1000):
            pulled.append(1)
            yield b"y" * 512

    transport, _ = serve(
        {
            "news.example/s": httpx.Response(
                200, content=body(), headers={"content-type": "text/html"}
            )
        }
    )
    with pytest.raises(SourceError, match="over the 1 KB download limit"):
        fetch("http://news.example/s", transport=transport, resolver=resolver, max_bytes=1024)
    assert len(pulled) < 10  # stopped early, not after downloading everything


def test_http_errors_and_timeouts_are_one_line():
    transport, _ = serve({"news.example/gone": httpx.Response(404)})
    with pytest.raises(SourceError, match="answered HTTP 404"):
        fetch("http://news.example/gone", transport=transport, resolver=resolver)

    def slow(request):
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(SourceError, match="did not answer within 3 s"):
        fetch(
            "http://news.example/",
            transport=httpx.MockTransport(slow),
            resolver=resolver,
            timeout=3,
        )

    def refused(request):
        raise httpx.ConnectError("Connection refused", request=request)

    with pytest.raises(SourceError, match=r"cannot fetch .*Connection refused"):
        fetch("http://news.example/", transport=httpx.MockTransport(refused), resolver=resolver)


def test_only_http_schemes():
    with pytest.raises(SourceError, match="only http:// and https://"):
        fetch(
            "ftp://news.example/file.txt", transport=httpx.MockTransport(never), resolver=resolver
        )


def test_unresolvable_host(monkeypatch):
    def gaierror(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", gaierror)  # no real DNS query in tests
    with pytest.raises(SourceError, match="cannot resolve host"):
        fetch("http://no-such-host.invalid/", transport=httpx.MockTransport(never))


def test_is_public():
    assert is_public("93.184.216.34") and is_public("2606:2800:220:1::1")
    for address in (
        "127.0.0.1",
        "::1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "fe80::1%eth0",
        "fd00::1",
        "224.0.0.1",
        "::ffff:10.0.0.1",
        "100.64.0.1",
    ):
        assert not is_public(address), address


# --- a real local server: only reachable with --allow-private-urls ---------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[str, bytes]]] = {
        "/story.html": ("text/html; charset=utf-8", PAGE),
        "/wire.txt": (
            "text/plain; charset=windows-1251",
            "Совет одобрил план гавани.".encode("cp1251"),
        ),
        "/photo.jpg": ("image/jpeg", b"\xff\xd8\xff"),
    }

    def do_GET(self):
        content_type, body = self.routes.get(self.path, ("text/plain", b""))
        self.send_response(200 if self.path in self.routes else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_local_server_needs_allow_private_urls(local_server):
    with pytest.raises(SourceError, match="--allow-private-urls"):
        load_source(f"{local_server}/story.html")
    source = load_source(f"{local_server}/story.html", allow_private_urls=True)
    assert source.kind == "html"
    assert "approved the harbour plan on December 9" in source.text
    assert source.info.title == "Harbour vote"
    assert source.info.date == "2024-12-10"
    assert source.origin == f"{local_server}/story.html"


def test_declared_charset_is_used(local_server):
    source = load_source(f"{local_server}/wire.txt", allow_private_urls=True)
    assert source.text == "Совет одобрил план гавани."


def test_local_errors(local_server):
    with pytest.raises(SourceError, match="HTTP 404"):
        load_source(f"{local_server}/missing", allow_private_urls=True)
    with pytest.raises(SourceError, match="image/jpeg"):
        load_source(f"{local_server}/photo.jpg", allow_private_urls=True)


def test_localhost_name_is_refused_via_real_resolution():
    with pytest.raises(SourceError, match="non-public address"):
        fetch_module.fetch("http://localhost:9/", transport=httpx.MockTransport(never))


# --- one deadline for the whole exchange --------------------------------------------------------


@contextlib.contextmanager
def dripping_server(at_once: bytes, dripped: bytes, *, every: float = 0.05):
    """A loopback server that answers ``at_once``, then ``dripped`` a byte every ``every`` s."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(at_once)
                for byte in dripped:
                    if done.wait(every):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:  # the client gave up and closed the connection
                return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/story.html"
    finally:
        done.set()
        listener.close()
        thread.join(5)


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(PAGE)


@pytest.mark.parametrize(
    ("at_once", "dripped"),
    [(b"", HEAD + PAGE), (HEAD, PAGE)],
    ids=["headers dripped", "body dripped"],
)
def test_one_deadline_bounds_the_whole_exchange(at_once, dripped):
    # Every byte comes well within the read timeout, so only the deadline can stop it.
    with dripping_server(at_once, dripped) as url:
        started = time.monotonic()
        with pytest.raises(SourceError, match=r"took over 0.5 s to download: try again"):
            fetch(url, allow_private=True, timeout=2, deadline=0.5)
        assert time.monotonic() - started < 1.5


async def test_fetch_works_from_inside_a_running_event_loop(local_server):
    got = fetch(f"{local_server}/story.html", allow_private=True)
    assert got.kind == "html" and got.data == PAGE
