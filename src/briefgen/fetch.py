"""Fetch a source from an ``http(s)://`` URL without letting the URL reach into your network.

Every hop (the first request and each redirect) resolves the host name once, refuses it when any
address it resolves to is loopback, private, link-local or otherwise not public (unless the caller
allows private URLs), then connects to that checked address: a DNS answer that changes between
the check and the connection cannot redirect the request. The body is streamed with a byte cap,
and only HTML, plain text and PDF responses are accepted. One deadline bounds the whole exchange:
connections, headers and bodies of every hop. httpx's timeouts only bound each read, so a server
that drips a byte a second would never trip them; the exchange therefore runs on an event loop of
its own, under ``asyncio.timeout``, which cancels it wherever it waits.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from briefgen.errors import SourceError
from briefgen.readers import Kind, sniff

#: Largest response body read; a bigger page is refused, not truncated.
MAX_FETCH_BYTES = 10 * 1024 * 1024
#: Seconds allowed to connect, and between two reads of the body.
FETCH_TIMEOUT = 20.0
#: Seconds the whole exchange may take (connect, headers, body, redirects), so a server that
#: drips bytes cannot hold us forever.
FETCH_DEADLINE = 60.0
MAX_REDIRECTS = 5
_MEDIA_KINDS: dict[str, Kind] = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
    "text/markdown": "text",
    "application/pdf": "pdf",
}
_ACCEPT = "text/html,application/xhtml+xml,text/plain;q=0.8,application/pdf;q=0.7"

Resolver = Callable[[str, int], list[str]]
T = TypeVar("T")


@dataclass(frozen=True)
class Fetched:
    """A downloaded source: its final URL, body, kind and the charset the server declared."""

    url: str
    data: bytes
    kind: Kind
    charset: str | None = None


def resolve(host: str, port: int) -> list[str]:
    """Every IP address ``host`` resolves to (IPv4 first), via the system resolver."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise SourceError(f"cannot resolve host {host!r}: check the URL") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    return sorted(addresses, key=lambda a: ":" in a)


def is_public(address: str) -> bool:
    """True when ``address`` is a public unicast IP (not loopback, private, link-local, ...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _checked_request(
    client: httpx.AsyncClient, url: httpx.URL, allow_private: bool, resolver: Resolver
) -> httpx.Request:
    if url.scheme not in ("http", "https"):
        raise SourceError(f"{url}: only http:// and https:// URLs can be fetched")
    if not url.host:
        raise SourceError(f"{url} has no host name: check the URL")
    if allow_private:
        return client.build_request("GET", url)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        addresses = [str(ipaddress.ip_address(url.host))]  # an IP literal needs no lookup
        verb = "is"
    except ValueError:
        addresses = resolver(url.host, port)
        verb = "resolves to"
    if not addresses:
        raise SourceError(f"cannot resolve host {url.host!r}: check the URL")
    for address in addresses:
        if not is_public(address):
            raise SourceError(
                f"{url.host} {verb} the non-public address {address}: refused to protect "
                "your network; pass --allow-private-urls if you trust this URL"
            )
    # Connect to the address just checked; Host header and TLS name stay the real host name.
    pinned = url.copy_with(host=addresses[0])
    host_header = url.netloc.decode("ascii").rsplit("@", 1)[-1]
    return client.build_request(
        "GET",
        pinned,
        headers={"Host": host_header},
        extensions={"sni_hostname": url.host},
    )


def _media(response: httpx.Response, where: str) -> Kind | None:
    header = response.headers.get("content-type", "")
    media = header.split(";", 1)[0].strip().lower()
    if not media:
        return None
    if media not in _MEDIA_KINDS:
        raise SourceError(f"{where} is {media}, not HTML, text or PDF: pass another URL")
    return _MEDIA_KINDS[media]


async def _body(response: httpx.Response, where: str, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise SourceError(
            f"{where} is {int(declared) // 1024} KB, over the {max_bytes // 1024} KB download "
            "limit: save it and pass the file"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise SourceError(
                f"{where} is over the {max_bytes // 1024} KB download limit: save it and pass "
                "the file"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def fetch(
    url: str,
    *,
    allow_private: bool = False,
    max_bytes: int = MAX_FETCH_BYTES,
    timeout: float = FETCH_TIMEOUT,
    deadline: float = FETCH_DEADLINE,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver | None = None,
) -> Fetched:
    """Download ``url``, following up to five redirects, each checked like the first request.

    Args:
        url: an ``http://`` or ``https://`` address.
        allow_private: allow loopback, private and link-local addresses (a local test server).
        max_bytes: refuse a body larger than this.
        timeout: seconds to connect and between reads.
        deadline: seconds the whole exchange may take, redirects included.
        transport: an ``httpx`` transport to use instead of the network (tests).
        resolver: host name to IP addresses; :func:`resolve` (the system resolver) by default.

    Raises:
        SourceError: refused address, bad status, wrong content type, too large, timeout, past
            the deadline, or any network failure.
    """
    exchange = _fetch(url, allow_private, max_bytes, timeout, transport, resolver or resolve)
    try:
        return _run(_within(deadline, exchange))
    except TimeoutError as exc:
        raise SourceError(f"{url} took over {deadline:g} s to download: try again") from exc


async def _within(seconds: float, work: Coroutine[Any, Any, T]) -> T:
    async with asyncio.timeout(seconds):
        return await work


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` on an event loop of its own, also when the caller is inside one."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with ThreadPoolExecutor(1) as pool:  # asyncio.run refuses to nest (a notebook, async code)
        return pool.submit(asyncio.run, work).result()


async def _fetch(
    url: str,
    allow_private: bool,
    max_bytes: int,
    timeout: float,
    transport: httpx.AsyncBaseTransport | None,
    resolver: Resolver,
) -> Fetched:
    current = httpx.URL(url)
    headers = {"User-Agent": "briefgen (+https://pypi.org/project/briefgen/)", "Accept": _ACCEPT}
    try:
        async with httpx.AsyncClient(
            transport=transport, timeout=timeout, headers=headers, trust_env=False
        ) as client:
            for _ in range(MAX_REDIRECTS + 1):
                request = _checked_request(client, current, allow_private, resolver)
                response = await client.send(request, stream=True, follow_redirects=False)
                try:
                    if response.is_redirect and "location" in response.headers:
                        current = current.join(response.headers["location"])
                        continue
                    if response.status_code >= 400:
                        raise SourceError(
                            f"{url} answered HTTP {response.status_code}: check the address"
                        )
                    kind = _media(response, url)
                    data = await _body(response, url, max_bytes)
                    kind = kind or sniff(data)
                    if kind is None:
                        raise SourceError(f"{url} sent no content type briefgen recognises")
                    return Fetched(str(current), data, kind, response.charset_encoding)
                finally:
                    await response.aclose()
    except httpx.TimeoutException as exc:
        raise SourceError(
            f"{url} did not answer within {timeout:.0f} s: try again, or save the page and pass "
            "the file"
        ) from exc
    except httpx.HTTPError as exc:
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise SourceError(
            f"cannot fetch {url} ({reason}): check the URL and your connection"
        ) from exc
    raise SourceError(f"{url} redirects more than {MAX_REDIRECTS} times: pass the final URL")
