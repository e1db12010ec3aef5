"""A fake OpenAI-compatible chat server on loopback, with latency and fault injection.

A test double, used by tests and benchmarks, never by a real run. It answers from the request's
own text by simple rules of its own, and from the schema (the contract), never from the code that
checks answers: a double built on the code under test would share its bugs and hide them. Each
answer is a schema-valid draft citing sentences of the request's numbered ``<source>`` block,
unless the server is told to misbehave: 429 with ``Retry-After``, 5xx, dropped connections, a
non-JSON body, an answer that is not valid JSON, or an answer citing a sentence the source does
not have.

What a draft holds, read off the prompt:

- title and source title: the first sentence; summary: the second;
- actors: the first capitalised word of the text, then each person the prompt lists as quoted;
- positions: one per listed person, citing the sentence listed beside them;
- key_events: the sentences the prompt lists as dated (not the headline, at most three), else
  the first sentence; only their numbers, as the schema asks;
- open_questions: one, citing the third sentence.
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

from briefgen.schema import MAX_ACTORS, MAX_POSITIONS, Draft, DraftSource

MODEL = "fake-model"
_SOURCE = re.compile(r"<source>\n(.*)\n</source>", re.DOTALL)
_LINE = re.compile(r"^\[(\d+)\] (.*)$", re.MULTILINE)
_QUOTED = re.compile(r"^People the text quotes\b.*(?:\n- .*)*", re.MULTILINE)
_QUOTED_PERSON = re.compile(r"^- (.+?) \[(\d+)\]:", re.MULTILINE)
_DATED = re.compile(r"^Sentences that give a date: .*$", re.MULTILINE)
_NUMBER = re.compile(r"\[(\d+)\]")
_NAME = re.compile(r"\b[A-Z][a-z]{2,30}\b")
_NUMBERED = re.compile(r"^\d+\. ", re.MULTILINE)
#: Events most drafts list: enough to exercise the checks, few enough to read in a failure.
_EVENTS = 3


@dataclass(frozen=True)
class Faults:
    """How often (0..1 each, drawn per request) the server misbehaves, and how.

    Attributes:
        rate_limit: answer 429 with ``Retry-After: retry_after``.
        server_error: answer 503.
        drop: close the connection without answering.
        garbled: answer 200 with an HTML body instead of JSON.
        invalid_json: answer 200 whose message content is cut-off JSON (a re-ask fixes it).
        ungrounded: answer 200 citing a sentence the source does not have (the check drops it).
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


def _found(body: dict[str, Any], pattern: re.Pattern[str], group: int) -> str:
    """``group`` of ``pattern``'s first match in the request's messages, or ""."""
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str) and (found := pattern.search(content)):
            return found.group(group)
    return ""


def source_of(body: dict[str, Any]) -> str:
    """The text inside the first ``<source>`` block of the request's messages."""
    return _found(body, _SOURCE, 1)


def quoted_of(body: dict[str, Any]) -> str:
    """The prompt's lines naming the people the text quotes, or ""."""
    return _found(body, _QUOTED, 0)


def dated_of(body: dict[str, Any]) -> str:
    """The prompt's line listing the sentences that give a date, or ""."""
    return _found(body, _DATED, 0)


@dataclass(frozen=True)
class Line:
    """One numbered sentence of the prompt: its number, span in the joined text, paragraph."""

    number: int
    start: int
    end: int
    paragraph: int

    def of(self, text: str) -> str:
        return text[self.start : self.end]


@dataclass(frozen=True)
class Numbered:
    """The prompt's numbered sentences joined back into a text, numbers kept."""

    text: str
    sentences: tuple[Line, ...]

    def words(self, number: int) -> str:
        return next((s.of(self.text) for s in self.sentences if s.number == number), "")


def numbered_of(source: str) -> Numbered:
    """The prompt's numbered sentences, read back with their numbers and paragraphs.

    Sentences of one paragraph are joined by a space, paragraphs by a blank line, as the source
    has them.
    """
    text, found, paragraph = "", [], 0
    for block in source.split("\n\n"):
        lines = _LINE.findall(block)
        if not lines:
            continue
        if text:
            text += "\n\n"
        for i, (number, words) in enumerate(lines):
            if i:
                text += " "
            found.append(Line(int(number), len(text), len(text) + len(words), paragraph))
            text += words
        paragraph += 1
    return Numbered(text, tuple(found))


@cache
def _max_len(model: type[BaseModel], name: str) -> int:
    """The schema's ``maxLength`` for a field, so answers stay valid when the limits change."""
    prop = model.model_json_schema()["properties"][name]
    options = prop.get("anyOf", [prop])
    return min(int(o.get("maxLength", 10_000)) for o in options if o.get("type") == "string")


def draft_for(
    source: str, *, grounded: bool = True, quoted: str = "", dated: str = ""
) -> dict[str, Any]:
    """A schema-valid draft of the numbered ``source`` (a prompt's ``<source>`` block).

    Like a good model, it gives a position to each person the prompt's ``quoted`` lines name
    ("- Maria Lopez [3]: ..." under "People the text quotes"), citing the sentence named there,
    and lists as events the sentences the prompt's ``dated`` line names ('[2] "March 4"; ...').
    With ``grounded=False`` its first event cites a sentence number the source does not have.
    """
    doc = numbered_of(source)
    numbers = [s.number for s in doc.sentences] or [1]
    text = doc.text
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "Untitled")
    names = _NAME.findall(text)
    name = names[0] if names else text.split()[0][:60] if text.split() else "Nobody"
    people = [(who, int(n)) for who, n in _QUOTED_PERSON.findall(quoted)][:MAX_POSITIONS]
    dates = {int(n) for n in _NUMBER.findall(dated)}

    def pick(i: int) -> int:
        return numbers[i % len(numbers)]

    events = [n for n in numbers if n != 1 and n in dates][:_EVENTS] or numbers[:1]
    actors: list[dict[str, Any]] = [
        {"name": name, "kind": "other", "role": "named in the source", "aliases": []}
    ]
    actors += [
        {"name": who, "kind": "person", "role": "quoted", "aliases": []}
        for who, _ in people
        if who != name
    ]
    draft: dict[str, Any] = {
        "title": first_line[: _max_len(Draft, "title")],
        "summary": (doc.words(pick(1)) or "Nothing.")[: _max_len(Draft, "summary")],
        "source": {
            "title": first_line[: _max_len(DraftSource, "title")],
            "author": None,
            "date": None,
            "genre": "other",
        },
        "actors": actors[:MAX_ACTORS],
        "positions": [
            {"actor": who, "sentence": n, "stance": f"{who} says this."} for who, n in people
        ],
        # The schema asks only for each event's sentence: code reads its date and words.
        "key_events": [{"sentence": n} for n in events],
        "open_questions": [{"question": "What happens next?", "sentence": pick(2)}],
    }
    if not grounded:
        draft["key_events"][0]["sentence"] = numbers[-1] + 1000
    return draft


def stances_for(body: dict[str, Any]) -> dict[str, Any]:
    """The stances a stances request asks for: one sentence per listed person."""
    asked = body["messages"][-1].get("content") or ""
    return {"stances": ["They said this."] * max(1, len(_NUMBERED.findall(asked)))}


def merge_for(body: dict[str, Any]) -> dict[str, Any]:
    """A digest's merge answer (``DraftMerge``): every listed pair the same event, a line for
    every listed event, and the first two sentences shown cited for the summary. The ids come
    from the request's schema, which pins them."""
    schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema") or {}
    props = schema.get("properties", {})

    def ids(field: str, key: str) -> list[str]:
        items = props.get(field, {}).get("prefixItems", [])
        return [item["properties"][key]["const"] for item in items]

    shown = props.get("cites", {}).get("items", {}).get("enum", [])
    return {
        "pairs": [{"pair": p, "same": True} for p in ids("pairs", "pair")],
        "events": [
            {"event": e, "description": f"What the outlets report as {e}."}
            for e in ids("events", "event")
        ],
        "framing": "Each outlet leads with an angle of its own.",
        "differences": [],
        "summary": "The outlets tell one story.",
        "cites": shown[:2],
        "title": "One story, several outlets",
    }


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


def answer(body: dict[str, Any], *, grounded: bool = True, valid: bool = True) -> dict[str, Any]:
    """The response a well-behaved server gives to a chat request (used by the Batch API mock):
    a draft, or stances or a digest's merge when the request's json_schema asks for them."""
    wanted = ((body.get("response_format") or {}).get("json_schema") or {}).get("name")
    if wanted == "DraftStances":
        data = stances_for(body)
    elif wanted == "DraftMerge":
        data = merge_for(body)
    else:
        data = draft_for(
            source_of(body), grounded=grounded, quoted=quoted_of(body), dated=dated_of(body)
        )
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
