"""A fake OpenAI-compatible chat server on loopback, with latency and fault injection.

Used by tests and benchmarks, never by a real run. Each answer is a schema-valid draft whose
quotes are spans cut from the request's own ``<source>`` block, so grounding passes, unless the
server is told to misbehave: 429 with ``Retry-After``, 5xx, dropped connections, a non-JSON body,
an answer that is not valid JSON, or an answer quoting words the source never had.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from pydantic import BaseModel

from briefgen.repair import repair
from briefgen.review import with_unquoted_speakers
from briefgen.schema import (
    MAX_POSITIONS,
    Draft,
    DraftEvent,
    DraftPosition,
    DraftQuestion,
    DraftSource,
)

MODEL = "fake-model"
UNGROUNDED_QUOTE = "These words were never written in the source at all."
_SOURCE = re.compile(r"<source>\n(.*)\n</source>", re.DOTALL)
_SENTENCE = re.compile(r"[^.!?\n]{20,}[.!?]")
_NAME = re.compile(r"\b[A-Z][a-z]{2,30}\b")
_NUMBERED = re.compile(r"^\d+\. ", re.MULTILINE)


@dataclass(frozen=True)
class Faults:
    """How often (0..1 each, drawn per request) the server misbehaves, and how.

    Attributes:
        rate_limit: answer 429 with ``Retry-After: retry_after``.
        server_error: answer 503.
        drop: close the connection without answering.
        garbled: answer 200 with an HTML body instead of JSON.
        invalid_json: answer 200 whose message content is cut-off JSON (a re-ask fixes it).
        ungrounded: answer 200 with a quote the source does not contain (a re-ask fixes it).
        retry_after: seconds the 429s ask the client to wait.
    """

    rate_limit: float = 0.0
    server_error: float = 0.0
    drop: float = 0.0
    garbled: float = 0.0
    invalid_json: float = 0.0
    ungrounded: float = 0.0
    retry_after: float = 0.1

    @classmethod
    def transient(cls, rate: float, *, retry_after: float = 0.1) -> Faults:
        """``rate`` of requests fail at the transport level, split evenly over 429/503/drop."""
        third = rate / 3
        return cls(rate_limit=third, server_error=third, drop=third, retry_after=retry_after)


def source_of(body: dict[str, Any]) -> str:
    """The text inside the first ``<source>`` block of the request's messages."""
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str) and (found := _SOURCE.search(content)):
            return found.group(1)
    return ""


@cache
def _max_len(model: type[BaseModel], name: str) -> int:
    """The schema's ``maxLength`` for a field, so answers stay valid when the limits change."""
    prop = model.model_json_schema()["properties"][name]
    options = prop.get("anyOf", [prop])
    return min(int(o.get("maxLength", 10_000)) for o in options if o.get("type") == "string")


def _spans(source: str) -> list[str]:
    # Fenced <source> tags (angle quotes in the prompt copy) differ from the text: avoid them.
    longest = min(_max_len(m, "quote") for m in (DraftEvent, DraftPosition, DraftQuestion))
    return [
        s.strip()
        for s in _SENTENCE.findall(source)
        if "\u2039" not in s and "\u203a" not in s and len(s.strip()) <= longest
    ]


def draft_for(source: str, *, grounded: bool = True) -> dict[str, Any]:
    """A schema-valid draft built from ``source``; with ``grounded=False`` one quote is invented."""
    spans = _spans(source) or [source.strip()[:60] or "nothing"]
    first_line = next((line.strip() for line in source.splitlines() if line.strip()), "Untitled")
    names = _NAME.findall(source)
    name = names[0] if names else source.split()[0][:60] if source.split() else "Nobody"

    def pick(i: int) -> str:
        return spans[i % len(spans)]

    title = first_line[: _max_len(Draft, "title")]
    draft: dict[str, Any] = {
        "title": title,
        "summary": pick(0)[: _max_len(Draft, "summary")],
        "source": {
            "title": first_line[: _max_len(DraftSource, "title")],
            "author": None,
            "date": None,
            "genre": "other",
        },
        "actors": [{"name": name, "kind": "other", "role": "named in the source", "aliases": []}],
        "key_events": [
            {
                "quote": pick(0) if grounded else UNGROUNDED_QUOTE,
                "date_text": None,
                "date": None,
                "description": "The source reports this.",
                "actors": [name],
            }
        ],
        "positions": [{"actor": name, "quote": pick(1), "stance": "They said this."}],
        "open_questions": [{"question": "What happens next?", "quote": pick(2)}],
    }
    # Like a good model, a position for each speaker the text quotes by name: those review
    # would add to this draft, with their stances written (as many as the schema holds).
    repaired, _, _ = repair(Draft.model_validate(draft), source)
    grown, _ = with_unquoted_speakers(repaired, source)
    added = grown.positions[len(repaired.positions) :][: MAX_POSITIONS - len(draft["positions"])]
    new = {p.actor for p in added} - {a["name"] for a in draft["actors"]}
    draft["actors"] += [a.model_dump() for a in grown.actors if a.name in new]
    draft["positions"] += [{**p.model_dump(), "stance": "They said this."} for p in added]
    return draft


def completion(body: dict[str, Any], content: str) -> dict[str, Any]:
    """A chat-completion response carrying ``content`` (as a tool call when tools were asked)."""
    prompt_chars = len(json.dumps(body.get("messages", []), ensure_ascii=False))
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if body.get("tools"):
        name = body["tools"][0]["function"]["name"]
        message["content"] = None
        message["tool_calls"] = [
            {"id": "call_1", "type": "function", "function": {"name": name, "arguments": content}}
        ]
    prompt, done = prompt_chars // 4, len(content) // 4
    usage = {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model") or MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": usage,
    }


def fixes_for(body: dict[str, Any], *, grounded: bool = True) -> dict[str, Any]:
    """Fixes for a re-ask about single items: one per numbered problem, each a real sentence."""
    asked = body["messages"][-1].get("content") or ""
    count = max(1, len(_NUMBERED.findall(asked)))
    spans = _spans(source_of(body)) or ["nothing"]
    quote = spans[0] if grounded else UNGROUNDED_QUOTE
    fix = {"drop": False, "quote": quote, "actor": None, "stance": None}
    return {"fixes": [fix] * count}


def answer(body: dict[str, Any], *, grounded: bool = True, valid: bool = True) -> dict[str, Any]:
    """The response a well-behaved server gives to a chat request (used by the Batch API mock):
    a draft, or fixes when the request's json_schema asks for them."""
    wanted = ((body.get("response_format") or {}).get("json_schema") or {}).get("name")
    if wanted == "DraftFixes":
        data = fixes_for(body, grounded=grounded)
    else:
        data = draft_for(source_of(body), grounded=grounded)
    content = json.dumps(data, ensure_ascii=False)
    return completion(body, content if valid else content[: len(content) // 2])


class FakeServer:
    """Serve fake chat completions on ``127.0.0.1`` from a background thread.

    Args:
        latency: seconds every answer takes.
        faults: what share of requests misbehave, and how.
        seed: seeds the fault draws so runs are repeatable.
        port: 0 for any free port.

    Example:
        >>> with FakeServer(latency=0.01) as server:  # doctest: +SKIP
        ...     settings = Settings(base_url=server.base_url, model="fake-model")
    """

    def __init__(
        self, *, latency: float = 0.0, faults: Faults | None = None, seed: int = 0, port: int = 0
    ) -> None:
        self.latency = latency
        self.faults = faults or Faults()
        self.stats: Counter[str] = Counter()
        self.bodies: list[dict[str, Any]] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", port), _handler(self))
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The ``/v1`` URL to hand an OpenAI client."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def chat_requests(self) -> int:
        """Chat-completion requests received, failed ones included."""
        return self.stats["requests"]

    def __enter__(self) -> FakeServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start serving in a daemon thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._thread is not None:  # shutdown() waits for a loop that must be running
            self._httpd.shutdown()
            self._thread = None
        self._httpd.server_close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until the process ends (for manual experiments)."""
        self._httpd.serve_forever()

    def outcome(self) -> str:
        """Draw what happens to the next request."""
        f = self.faults
        with self._lock:
            roll = self._random.random()
        for name, share in (
            ("rate_limit", f.rate_limit),
            ("server_error", f.server_error),
            ("drop", f.drop),
            ("garbled", f.garbled),
            ("invalid_json", f.invalid_json),
            ("ungrounded", f.ungrounded),
        ):
            if roll < share:
                return name
            roll -= share
        return "ok"

    def record(self, body: dict[str, Any], outcome: str) -> None:
        with self._lock:
            self.stats["requests"] += 1
            self.stats[outcome] += 1
            self.bodies.append(body)


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # a batch opens many connections at once
    daemon_threads = True


def _handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real server
        # Headers and body go out in two writes; with Nagle on, each answer waits ~40 ms for
        # the client's delayed ACK, which would swamp the latency being simulated.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests and benchmarks read ``stats`` instead."""

        def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                data = {"object": "list", "data": [{"id": MODEL, "object": "model"}]}
                self._send(200, json.dumps(data).encode())
            else:
                self._send(404, b'{"error": {"message": "not found"}}')

        def do_POST(self) -> None:
            # The latency runs from the request's arrival: the answer is built while it runs,
            # so concurrent requests are not also queued behind each other's CPU (one GIL).
            arrived = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, b'{"error": {"message": "not found"}}')
                return
            outcome = server.outcome()
            server.record(body, outcome)
            if outcome == "drop":
                self.close_connection = True
                self.connection.shutdown(2)  # the client sees a reset, not an answer
                return
            headers: dict[str, str] = {}
            if outcome == "rate_limit":
                error = {"error": {"message": "rate limited", "type": "rate_limit"}}
                headers = {"Retry-After": f"{server.faults.retry_after:g}"}
                status, payload = 429, json.dumps(error).encode()
            elif outcome == "server_error":
                status, payload = 503, b'{"error": {"message": "overloaded"}}'
            elif outcome == "garbled":
                status, payload = 200, b"<html>Bad gateway</html>"
            else:
                reply = answer(
                    body, grounded=outcome != "ungrounded", valid=outcome != "invalid_json"
                )
                status, payload = 200, json.dumps(reply, ensure_ascii=False).encode("utf-8")
            time.sleep(max(0.0, server.latency - (time.monotonic() - arrived)))
            self._send(status, payload, headers)

    return Handler
