"""The only module that talks to an LLM: the OpenAI SDK, structured-output modes, transport retries.

Transport faults (429 honouring ``Retry-After``, 5xx, timeouts, dropped connections) are retried
here with bounded exponential backoff, jitter and an overall deadline, without touching the prompt.
The SDK's own retries are switched off (``max_retries=0``) so the two never multiply. Validation
re-asks live one level up, in :mod:`briefgen.extract`.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import openai
from pydantic import BaseModel
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from briefgen.cache import ResponseCache, request_key
from briefgen.errors import ConfigError, ExtractionError, LLMError
from briefgen.events import ModelLoading, ModelReady, OnEvent, TransportRetry, emit
from briefgen.limits import RunLimiter
from briefgen.redaction import redact, redact_error
from briefgen.schema import Usage
from briefgen.settings import DEFAULT_OPENAI_MODEL, Mode, Settings

#: How transport retries wait (sync and async); module-level so tests can replace them.
SLEEP: Callable[[float], Any] = time.sleep
ASYNC_SLEEP: Callable[[float], Awaitable[Any]] = asyncio.sleep
#: Longest wait a server's Retry-After may impose before we retry anyway.
MAX_RETRY_AFTER = 120.0
_BACKOFF = wait_exponential_jitter(initial=1.0, max=30.0, jitter=1.0)
_TRANSIENT_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
_UNSUPPORTED_HINTS = ("response_format", "json_schema", "schema", "not supported")
#: A 400 about the prompt not fitting ("exceeds the context size", "maximum context length",
#: llama.cpp's exceed_context_size_error) — not OpenAI's "Invalid schema ... In context=(...)".
_CONTEXT_OVERFLOW = re.compile(
    r"context[ _](?:size|length|window)|maximum context|exceed_context", re.IGNORECASE
)
#: llama.cpp's repeat penalty for the embedded model (1.0: off, nothing sent). 1.1 was measured
#: (bench/RESULTS.md): it stopped repeated actors but made the model paraphrase its quotes.
EMBEDDED_REPEAT_PENALTY = 1.0

log = logging.getLogger(__name__)
Messages = list[dict[str, Any]]
T = TypeVar("T")
#: The async client type, for modules that take one without importing openai themselves.
AsyncClient = openai.AsyncOpenAI


@dataclass
class Tally:
    """What the calls made inside one :func:`tally` block cost: requests and tokens spent."""

    requests: int = 0
    spent: Usage = field(default_factory=Usage)


_TALLY: ContextVar[Tally | None] = ContextVar("briefgen_tally", default=None)


@contextmanager
def tally() -> Iterator[Tally]:
    """Count the HTTP requests and tokens of every LLM call in this block (per asyncio task).

    A batch wraps each source in one, so concurrent sources over one client are counted apart;
    answers served from the response cache spend nothing.
    """
    current = Tally()
    token = _TALLY.set(current)
    try:
        yield current
    finally:
        _TALLY.reset(token)


@dataclass(frozen=True)
class Reply:
    """One answer from the model, before any validation."""

    content: str | None
    finish_reason: str | None
    refusal: str | None
    usage: Usage
    model: str
    mode: Mode
    #: HTTP requests this answer took (transport retries included); 0 when served from cache.
    calls: int = 1
    #: Where :meth:`LLM.keep` stores this answer once it is accepted; None when it needs no
    #: storing (no cache, or served from it).
    cache_key: str | None = None
    #: The response body as received, what the cache stores.
    raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (``Retry-After`` / ``retry-after-ms``), if it did."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    if value := headers.get("retry-after-ms"):
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


def is_transient(exc: BaseException) -> bool:
    """True for faults worth retrying unchanged: timeouts, dropped connections, 429, 5xx."""
    if isinstance(
        exc, (openai.APIConnectionError, openai.APIResponseValidationError, NotJSONError)
    ):
        return True  # timeouts, dropped connections, a 200 whose body is not JSON
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _TRANSIENT_STATUS or exc.status_code >= 500
    return False


def fault(exc: BaseException | None) -> str:
    """A transport fault in a few words, without the response body (it may echo the key)."""
    if isinstance(exc, openai.APITimeoutError):
        return "no answer in time"
    if isinstance(exc, openai.APIConnectionError):
        return "connection failed"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, (openai.APIResponseValidationError, NotJSONError)):
        return "a response that is not JSON"
    return type(exc).__name__


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    asked = retry_after(exc) if exc else None
    if asked is not None:
        return min(asked, MAX_RETRY_AFTER)
    return float(_BACKOFF(state))


#: String keywords OpenAI's strict mode rejects with a 400 ("'maxLength' is not permitted");
#: llama.cpp and vLLM turn them into the grammar, which keeps a small model's answers bounded.
#: ``prefixItems`` (a draft's pinned positions, :func:`briefgen.schema.pinned`) is not in
#: OpenAI's subset either: without it the prompt's list of speakers guides the model.
_OPENAI_UNSUPPORTED = ("maxLength", "minLength", "minimum", "maximum", "prefixItems")


def _without(node: Any, keys: tuple[str, ...]) -> Any:
    if isinstance(node, dict):
        return {k: _without(v, keys) for k, v in node.items() if k not in keys}
    if isinstance(node, list):
        return [_without(v, keys) for v in node]
    return node


@lru_cache(maxsize=64)
def response_format(schema: type[BaseModel], *, for_openai: bool = False) -> dict[str, Any]:
    """The strict ``json_schema`` response format for ``schema``, as ``parse`` would build it.

    Derived with the SDK's public ``pydantic_function_tool`` (the same strict schema) and cached.
    ``for_openai`` leaves out the string bounds OpenAI does not accept; answers are still
    validated against them (an over-long string is re-asked).
    """
    parameters = openai.pydantic_function_tool(schema)["function"]["parameters"]
    if for_openai:
        parameters = _without(parameters, _OPENAI_UNSUPPORTED)
    return {
        "type": "json_schema",
        "json_schema": {"schema": parameters, "name": schema.__name__, "strict": True},
    }


@lru_cache(maxsize=64)  # one schema a source when its positions are pinned
def compact_grammar(schema: type[BaseModel]) -> str:
    """The embedded llama.cpp server's grammar for ``schema``: the same JSON schema, no
    whitespace between tokens.

    Given the schema as a response format, llama.cpp lets the 1.5B model indent every field,
    and each indent is a token it writes (~65 ms each on two cores): on the same answer, 448
    tokens against 259 (bench/RESULTS.md, v18). llguidance's ``whitespace_flexible: false``
    forbids it; llama.cpp honours it only in a grammar of its own, sent as ``grammar``.
    """
    parameters = response_format(schema)["json_schema"]["schema"]
    compact = {"x-guidance": {"whitespace_flexible": False}, **parameters}
    return "%llguidance {}\nstart: %json " + json.dumps(compact, ensure_ascii=False)


#: Where chat requests go. They are sent with the client's generic ``post`` (its auth, base URL,
#: timeout and error types), not ``chat.completions.parse``: the typed resource methods walk the
#: request node by node (~10 ms a request for this schema), which serializes a batch's
#: concurrent requests on one core, and the raw body is all briefgen reads.
_PATH = "/chat/completions"


def _schema_prompt(model: type[BaseModel]) -> str:
    return json.dumps(model.model_json_schema(), ensure_ascii=False)


@dataclass
class LLM:
    """A structured-output caller over one OpenAI(-compatible) client, sync or async.

    Args:
        client: an ``openai.OpenAI`` or ``openai.AsyncOpenAI``; its own retries are disabled.
        model: the model name sent with every request.
        settings: timeouts, retry budget, mode, sampling.
        backend: a label for the brief's metadata.
        sleep: how retries wait (tests pass a fake clock).
        cache: answer repeated requests from disk instead of the server.
        limiter: run-wide rate limits and 429 back-off shared with other concurrent calls.
        on_event: told of every transport retry (see :mod:`briefgen.events`).
    """

    client: openai.OpenAI | openai.AsyncOpenAI
    model: str
    settings: Settings
    backend: str = "openai-compatible"
    sleep: Callable[[float], Any] | None = None
    cache: ResponseCache | None = None
    limiter: RunLimiter | None = None
    on_event: OnEvent | None = None
    mode: Mode = field(init=False)
    calls: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.client = self.client.with_options(max_retries=0, timeout=self.settings.request_timeout)
        self.mode = self.settings.mode

    # -- request shape -----------------------------------------------------------------------

    def request_body(self, messages: Messages, schema: type[BaseModel]) -> dict[str, Any]:
        """The JSON body of the request for ``messages``: exactly what goes on the wire, and
        what cache keys and Batch API lines are made of."""
        mode = "json_schema" if self.mode == "auto" else self.mode
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.settings.temperature,
            "stream": False,
        }
        limit_key = "max_completion_tokens" if self.backend == "openai" else "max_tokens"
        body[limit_key] = self.settings.max_output_tokens
        if self.backend == "embedded" and EMBEDDED_REPEAT_PENALTY != 1.0:
            body["repeat_penalty"] = EMBEDDED_REPEAT_PENALTY
        if mode == "json_schema":
            # The strict schema parse() would send, derived from the Pydantic model once.
            if self.backend == "embedded":
                return {**body, "grammar": compact_grammar(schema)}
            fmt = response_format(schema, for_openai=self.backend == "openai")
            return {**body, "response_format": fmt}
        if mode == "tools":
            tool: Any = openai.pydantic_function_tool(schema, name="submit_briefing")
            if self.backend == "openai":  # strict tools take the same schema subset
                tool = _without(tool, _OPENAI_UNSUPPORTED)
            return {
                **body,
                "tools": [tool],
                "tool_choice": {"type": "function", "function": {"name": "submit_briefing"}},
            }
        # json_object: the server only promises JSON, so the schema travels in the prompt.
        hint = {"role": "system", "content": "Answer with JSON matching this JSON schema:\n"}
        hint["content"] += _schema_prompt(schema)
        return {**body, "messages": [*messages, hint], "response_format": {"type": "json_object"}}

    def request_id(self, messages: Messages, schema: type[BaseModel]) -> str:
        """A stable key of the request for ``messages``: its body and the server it goes to."""
        # The embedded server listens on a fresh port each run: key its answers by model alone.
        where = "embedded" if self.backend == "embedded" else str(self.client.base_url)
        return request_key(self.request_body(messages, schema), where)

    def cache_key(self, messages: Messages, schema: type[BaseModel]) -> str | None:
        """The response-cache key of the request for ``messages``; None without a cache."""
        if self.cache is None:
            return None
        return self.request_id(messages, schema)

    def reply(self, data: dict[str, Any], *, calls: int = 1, cache_key: str | None = None) -> Reply:
        """Read a chat-completion response body (from the server, the cache or a batch file).

        Args:
            data: the response body.
            calls: HTTP requests it took.
            cache_key: where :meth:`keep` stores it if the caller accepts it.
        """
        return self._reply(data, calls, cache_key)

    def _reply(self, data: dict[str, Any], calls: int = 1, cache_key: str | None = None) -> Reply:
        choice = (data.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        content = message.get("content")
        if self.mode == "tools" and message.get("tool_calls"):
            content = message["tool_calls"][0]["function"]["arguments"]
        raw_usage = data.get("usage") or {}
        usage = Usage(
            prompt_tokens=raw_usage.get("prompt_tokens") or 0,
            completion_tokens=raw_usage.get("completion_tokens") or 0,
            total_tokens=raw_usage.get("total_tokens") or 0,
        )
        return Reply(
            content=content,
            finish_reason=choice.get("finish_reason"),
            refusal=message.get("refusal"),
            usage=usage,
            model=data.get("model") or self.model,
            mode="json_schema" if self.mode == "auto" else self.mode,
            calls=calls,
            cache_key=cache_key if self.cache is not None else None,
            raw=data,
        )

    def _fallback(self, exc: Exception) -> bool:
        """In auto mode, drop to json_object once when the server rejects json_schema."""
        if self.mode != "auto" or not isinstance(exc, openai.BadRequestError):
            return False
        text = str(exc).lower()
        if any(hint in text for hint in _UNSUPPORTED_HINTS) and not _CONTEXT_OVERFLOW.search(text):
            log.info(
                "%s rejected a json_schema request: asking with json_object", self._safe_where()
            )
            self.mode = "json_object"
            return True
        return False

    # -- calls -------------------------------------------------------------------------------

    def _retrying_kwargs(self, *, asynchronous: bool = False) -> dict[str, Any]:
        # Looked up at call time so tests can swap in a fake clock for every LLM at once.
        default_sleep = ASYNC_SLEEP if asynchronous else SLEEP
        return {
            "retry": retry_if_exception(is_transient),
            "wait": _wait,
            "stop": stop_after_attempt(self.settings.transport_retries + 1)
            | stop_after_delay(self.settings.deadline),
            "reraise": True,
            "sleep": self.sleep or default_sleep,
            "before_sleep": self._retrying,
        }

    def _retrying(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.upcoming_sleep
        retries = self.settings.transport_retries
        emit(log, self.on_event, TransportRetry(fault(exc), wait, state.attempt_number, retries))

    def _sending(self, body: dict[str, Any], schema: type[BaseModel]) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "POST %s%s: model %s, %s, %d messages, %d characters",
                self._safe_where(),
                _PATH,
                self.model,
                schema.__name__,
                len(body["messages"]),
                sum(len(str(m.get("content") or "")) for m in body["messages"]),
            )

    def complete(self, messages: Messages, schema: type[BaseModel]) -> Reply:
        """Ask once (with transport retries) and return the raw structured answer."""
        if not isinstance(self.client, openai.OpenAI):
            raise TypeError("complete() needs a sync openai.OpenAI client; use acomplete()")
        client = self.client
        while True:
            body = self.request_body(messages, schema)
            key = self.cache_key(messages, schema)
            if key and self.cache and (hit := self.cache.get(key)) is not None:
                log.debug("answer %s… from the response cache", key[:12])
                return self._reply(hit, calls=0)
            self._sending(body, schema)
            calls = 0
            try:
                for attempt in Retrying(**self._retrying_kwargs()):
                    with attempt:
                        self.calls += 1
                        calls += 1
                        if (counter := _TALLY.get()) is not None:
                            counter.requests += 1
                        data = _body(client.post(_PATH, cast_to=str, body=body))
                return self._received(key, data, calls)
            except openai.OpenAIError as exc:
                if self._fallback(exc):
                    continue
                raise self._error(exc) from exc

    async def aretry(self, call: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run another async SDK call (Batch API upload, poll, download) under the same
        transport-retry policy and error messages as the chat requests."""
        try:
            async for attempt in AsyncRetrying(**self._retrying_kwargs(asynchronous=True)):
                with attempt:
                    return await call(*args, **kwargs)
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def acomplete(self, messages: Messages, schema: type[BaseModel]) -> Reply:
        """Async twin of :meth:`complete`."""
        if not isinstance(self.client, openai.AsyncOpenAI):
            raise TypeError("acomplete() needs an openai.AsyncOpenAI client; use complete()")
        client = self.client
        while True:
            body = self.request_body(messages, schema)
            key = self.cache_key(messages, schema)
            if key and self.cache and (hit := self.cache.get(key)) is not None:
                log.debug("answer %s… from the response cache", key[:12])
                return self._reply(hit, calls=0)
            self._sending(body, schema)
            calls = 0
            try:
                async for attempt in AsyncRetrying(**self._retrying_kwargs(asynchronous=True)):
                    with attempt:
                        if self.limiter is not None:
                            await self.limiter.acquire(body)
                        self.calls += 1
                        calls += 1
                        if (counter := _TALLY.get()) is not None:
                            counter.requests += 1
                        try:
                            data = _body(await client.post(_PATH, cast_to=str, body=body))
                        except openai.RateLimitError as exc:
                            if self.limiter is not None:  # hold back every worker, not just us
                                self.limiter.back_off(retry_after(exc))
                            raise
                return self._received(key, data, calls)
            except openai.OpenAIError as exc:
                if self._fallback(exc):
                    continue
                raise self._error(exc) from exc

    def _received(self, key: str | None, data: dict[str, Any], calls: int) -> Reply:
        reply = self._reply(data, calls, key)
        if (counter := _TALLY.get()) is not None:
            counter.spent = counter.spent + reply.usage
        return reply

    def keep(self, replies: Iterable[Reply]) -> None:
        """Store answers the caller used in a brief in the response cache.

        Answers are not cached when they arrive: a refusal, a cut-off answer or one that does
        not parse would then be replayed on every rerun, which could never succeed without
        ``--no-cache``. The briefer calls this once a brief (or one part of it) is made.
        """
        if self.cache is None:
            return
        for reply in replies:
            if reply.cache_key and reply.raw is not None:
                self.cache.put(reply.cache_key, reply.raw)
                log.debug("answer %s… stored in the response cache", reply.cache_key[:12])

    # -- errors ------------------------------------------------------------------------------

    def _where(self) -> str:
        return str(self.client.base_url).rstrip("/")

    def _safe_where(self) -> str:
        """The server's URL for a log line: a password in it masked."""
        return redact(self._where(), [self.settings.api_key, self.client.api_key])

    def _error(self, exc: openai.OpenAIError) -> Exception:
        # A server may echo the key in its error body, a base URL may hold a password.
        return redact_error(self._describe(exc), [self.settings.api_key, self.client.api_key])

    def _describe(self, exc: openai.OpenAIError) -> Exception:
        where = self._where()
        if isinstance(exc, openai.APITimeoutError):
            return LLMError(
                f"no answer from {where} within {self.settings.request_timeout:.0f} s: "
                "raise BRIEFGEN_REQUEST_TIMEOUT or check the server"
            )
        if isinstance(exc, openai.APIResponseValidationError):
            return LLMError(
                f"{where} kept answering with a body that is not JSON: check --base-url "
                "points at an OpenAI-compatible API"
            )
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(
                f"cannot reach the LLM server at {where}: is it running? check --base-url"
            )
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return ConfigError(
                f"{where} rejected the API key ({exc.status_code}): check OPENAI_API_KEY"
            )
        if isinstance(exc, openai.NotFoundError):
            return ConfigError(
                f"model {self.model!r} not found at {where}: pass --model with one the server lists"
            )
        if isinstance(exc, openai.RateLimitError):
            return LLMError(
                f"{where} kept answering 429 (rate limited) after "
                f"{self.settings.transport_retries} retries: lower --jobs/--rpm or try later"
            )
        if isinstance(exc, openai.APIStatusError):
            detail = _one_line(exc.message)
            if exc.status_code == 400 and _CONTEXT_OVERFLOW.search(detail):
                return ExtractionError(
                    f"the prompt does not fit the model's context ({detail}): "
                    "raise --n-ctx or use a model with a longer context"
                )
            if exc.status_code >= 500:
                return LLMError(
                    f"{where} kept failing ({exc.status_code}) after "
                    f"{self.settings.transport_retries} retries: check the server and try again"
                )
            return LLMError(f"{where} rejected the request ({exc.status_code}): {detail}")
        return LLMError(f"LLM request failed: {_one_line(str(exc))}")


class NotJSONError(openai.OpenAIError):
    """A 200 whose body is not a JSON object (a proxy's HTML page): transient, retried."""


def _body(text: str) -> dict[str, Any]:
    """The JSON object of a response body."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise NotJSONError(f"the response body is not JSON: {_one_line(text, 80)}") from exc
    if not isinstance(data, dict):
        raise NotJSONError("the response body is not a JSON object")
    return data


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Connection:
    """A ready LLM plus what the brief's metadata says about it."""

    llm: LLM
    backend: str
    model: str
    owned: bool = False

    async def aclose(self) -> None:
        """Close an async client this module created (sync ones close on leaving ``connect``)."""
        if self.owned and isinstance(self.llm.client, openai.AsyncOpenAI):
            await self.llm.client.close()


def _default_model(client: openai.OpenAI | openai.AsyncOpenAI, settings: Settings) -> str:
    if settings.model:
        return settings.model
    if settings.backend == "openai":
        return DEFAULT_OPENAI_MODEL
    # An OpenAI-compatible server usually serves one model: ask it which.
    sync = openai.OpenAI(
        base_url=str(client.base_url), api_key=client.api_key, max_retries=2, timeout=30
    )
    try:
        models = sync.models.list().data
    except openai.OpenAIError as exc:
        raise ConfigError(
            f"could not list models at {client.base_url}: pass --model (BRIEFGEN_MODEL)"
        ) from exc
    finally:
        sync.close()
    if not models:
        raise ConfigError(f"{client.base_url} lists no models: pass --model (BRIEFGEN_MODEL)")
    return models[0].id


@contextmanager
def connect(
    settings: Settings,
    *,
    client: openai.OpenAI | openai.AsyncOpenAI | None = None,
    asynchronous: bool = False,
    on_event: OnEvent | None = None,
) -> Iterator[Connection]:
    """Open the LLM the settings describe, starting the embedded server if that is the backend.

    Args:
        settings: which backend, model and limits.
        client: a caller's own configured OpenAI client; used as given (retries aside).
        asynchronous: build an ``AsyncOpenAI`` client instead of a sync one.
        on_event: told when the embedded model loads and of every transport retry.
    """
    if client is not None:
        backend = "openai" if "api.openai.com" in str(client.base_url) else "openai-compatible"
        model = _default_model(client, settings)
        yield Connection(LLM(client, model, settings, backend, on_event=on_event), backend, model)
        return
    if settings.backend == "embedded":
        from briefgen.backends.embedded import EmbeddedServer, ServerOptions, default_model_path

        started = time.monotonic()
        emit(log, on_event, ModelLoading(settings.model_path))
        path = Path(settings.model_path) if settings.model_path else default_model_path()
        options = ServerOptions(model_path=path, n_ctx=settings.n_ctx, threads=settings.threads)
        with EmbeddedServer(options) as server:
            emit(log, on_event, ModelReady(time.monotonic() - started))
            made = _make_client(asynchronous, server.base_url, "embedded")
            model = settings.model or server.model_name
            try:
                llm = LLM(made, model, settings, "embedded", on_event=on_event)
                yield Connection(llm, "embedded", model, owned=True)
            finally:
                _close(made)
        return
    api_key = settings.api_key or "not-needed"  # a local server that asks for no key gets none
    made = _make_client(asynchronous, settings.base_url, api_key)
    try:
        model = _default_model(made, settings)
        llm = LLM(made, model, settings, settings.backend, on_event=on_event)
        yield Connection(llm, settings.backend, model, owned=True)
    finally:
        _close(made)


def _make_client(
    asynchronous: bool, base_url: str | None, api_key: str
) -> openai.OpenAI | openai.AsyncOpenAI:
    cls = openai.AsyncOpenAI if asynchronous else openai.OpenAI
    return cls(base_url=base_url, api_key=api_key, max_retries=0)


def _close(client: openai.OpenAI | openai.AsyncOpenAI) -> None:
    if isinstance(client, openai.OpenAI):
        client.close()
