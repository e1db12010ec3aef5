"""The OpenAI SDK wire every shipped backend speaks: requests, replies, faults, clients.

OpenAI, any OpenAI-compatible server and the embedded llama.cpp server all take chat-completion
requests, so :class:`SDKBackend` holds what they share and each backend module says only how it
differs (its capabilities, its output-token key, its way of asking for a schema). With
:mod:`briefgen.backends.openai`, the only modules that import ``openai``.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import openai
from pydantic import BaseModel

from briefgen.backends.base import (
    Capabilities,
    Fault,
    Messages,
    Opened,
    Reply,
    StructuredMode,
    without,
)
from briefgen.errors import ConfigError, ExtractionError, LLMError
from briefgen.schema import Usage

if TYPE_CHECKING:
    from briefgen.events import OnEvent
    from briefgen.settings import Settings

log = logging.getLogger(__name__)
#: The async client type, for modules that take one without importing openai themselves.
AsyncClient = openai.AsyncOpenAI
SDKClient = openai.OpenAI | openai.AsyncOpenAI

_TRANSIENT_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
_UNSUPPORTED_HINTS = ("response_format", "json_schema", "schema", "not supported")
#: A 400 about the prompt not fitting ("exceeds the context size", "maximum context length",
#: llama.cpp's exceed_context_size_error) — not OpenAI's "Invalid schema ... In context=(...)".
_CONTEXT_OVERFLOW = re.compile(
    r"context[ _](?:size|length|window)|maximum context|exceed_context", re.IGNORECASE
)
#: Where chat requests go. They are sent with the client's generic ``post`` (its auth, base URL,
#: timeout and error types), not ``chat.completions.parse``: the typed resource methods walk the
#: request node by node (~10 ms a request for this schema), which serializes a batch's
#: concurrent requests on one core, and the raw body is all briefgen reads.
PATH = "/chat/completions"
#: The function a ``tools``-mode request forces the model to call.
TOOL_NAME = "submit_briefing"


class NotJSONError(openai.OpenAIError):
    """A 200 whose body is not a JSON object (a proxy's HTML page): transient, retried."""


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


def summary(exc: BaseException) -> str:
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


def _rejects_schema(exc: BaseException) -> bool:
    if not isinstance(exc, openai.BadRequestError):
        return False
    text = str(exc).lower()
    return any(hint in text for hint in _UNSUPPORTED_HINTS) and not _CONTEXT_OVERFLOW.search(text)


@lru_cache(maxsize=64)
def response_format(schema: type[BaseModel], without_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """The strict ``json_schema`` response format for ``schema``, as ``parse`` would build it.

    Derived with the SDK's public ``pydantic_function_tool`` (the same strict schema) and cached.
    ``without_keys`` leaves out keywords a server's strict mode does not accept; answers are
    still validated against them (an over-long string is re-asked).
    """
    parameters = openai.pydantic_function_tool(schema)["function"]["parameters"]
    if without_keys:
        parameters = without(parameters, without_keys)
    return {
        "type": "json_schema",
        "json_schema": {"schema": parameters, "name": schema.__name__, "strict": True},
    }


def _schema_prompt(model: type[BaseModel]) -> str:
    return json.dumps(model.model_json_schema(), ensure_ascii=False)


def _body(text: str) -> dict[str, Any]:
    """The JSON object of a response body."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise NotJSONError(f"the response body is not JSON: {one_line(text, 80)}") from exc
    if not isinstance(data, dict):
        raise NotJSONError("the response body is not a JSON object")
    return data


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def make_client(asynchronous: bool, base_url: str | None, api_key: str) -> SDKClient:
    """A new SDK client without retries of its own (briefgen's core retries)."""
    cls = openai.AsyncOpenAI if asynchronous else openai.OpenAI
    return cls(base_url=base_url, api_key=api_key, max_retries=0)


def close(client: SDKClient) -> None:
    """Close a sync client (an async one is closed with ``await client.close()``)."""
    if isinstance(client, openai.OpenAI):
        client.close()


class SDKBackend:
    """A backend over the OpenAI SDK; subclasses set ``name``, ``capabilities`` and the shape."""

    name: str = "openai-compatible"
    capabilities: Capabilities = Capabilities()
    path: str = PATH
    #: The body key capping an answer's tokens.
    limit_key: str = "max_tokens"

    # -- request shape -----------------------------------------------------------------------

    def request_body(
        self,
        messages: Messages,
        schema: type[BaseModel],
        *,
        model: str,
        mode: StructuredMode,
        settings: Settings,
    ) -> dict[str, Any]:
        """The JSON body of the request: exactly what goes on the wire, and what cache keys
        and Batch API lines are made of."""
        body: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "temperature": settings.temperature,
            "stream": False,
            self.limit_key: settings.max_output_tokens,
            **self.sampling(settings),
        }
        if mode == "json_schema":
            return {**body, **self.schema_format(schema)}
        if mode == "tools":
            tool: Any = openai.pydantic_function_tool(schema, name=TOOL_NAME)
            if unsupported := self.capabilities.strict_unsupported:  # strict tools: same subset
                tool = without(tool, unsupported)
            return {
                **body,
                "tools": [tool],
                "tool_choice": {"type": "function", "function": {"name": TOOL_NAME}},
            }
        # json_object: the server only promises JSON, so the schema travels in the prompt.
        hint = {"role": "system", "content": "Answer with JSON matching this JSON schema:\n"}
        hint["content"] += _schema_prompt(schema)
        return {**body, "messages": [*messages, hint], "response_format": {"type": "json_object"}}

    def sampling(self, settings: Settings) -> dict[str, Any]:
        """Sampling fields this server takes beyond the temperature."""
        return {}

    def schema_format(self, schema: type[BaseModel]) -> dict[str, Any]:
        """The body fields asking for an answer in ``schema`` in json_schema mode."""
        fmt = response_format(schema, self.capabilities.strict_unsupported)
        return {"response_format": fmt}

    def parse(self, data: dict[str, Any], *, mode: StructuredMode, model: str) -> Reply:
        """Read a chat-completion response body (from the server, the cache or a batch file)."""
        choice = (data.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        content = message.get("content")
        if mode == "tools" and message.get("tool_calls"):
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
            model=data.get("model") or model,
            mode=mode,
            raw=data,
        )

    def cache_scope(self, base_url: str) -> str:
        """Answers are keyed by the server they came from."""
        return base_url

    # -- faults ------------------------------------------------------------------------------

    def fault(self, exc: BaseException) -> Fault | None:
        """What an SDK error means for the retry loop; None for any other exception."""
        if not isinstance(exc, openai.OpenAIError):
            return None
        return Fault(
            summary=summary(exc),
            transient=is_transient(exc),
            rate_limited=isinstance(exc, openai.RateLimitError),
            retry_after=retry_after(exc),
            rejects_schema=_rejects_schema(exc),
        )

    def error(self, exc: BaseException, *, where: str, model: str, settings: Settings) -> Exception:
        """The error to raise for an SDK error, saying what to do next."""
        if isinstance(exc, openai.APITimeoutError):
            return LLMError(
                f"no answer from {where} within {settings.request_timeout:.0f} s: "
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
                f"model {model!r} not found at {where}: pass --model with one the server lists"
            )
        if isinstance(exc, openai.RateLimitError):
            return LLMError(
                f"{where} kept answering 429 (rate limited) after "
                f"{settings.transport_retries} retries: lower --jobs/--rpm or try later"
            )
        if isinstance(exc, openai.APIStatusError):
            detail = one_line(exc.message)
            if exc.status_code == 400 and _CONTEXT_OVERFLOW.search(detail):
                return ExtractionError(
                    f"the prompt does not fit the model's context ({detail}): "
                    "raise --n-ctx or use a model with a longer context"
                )
            if exc.status_code >= 500:
                return LLMError(
                    f"{where} kept failing ({exc.status_code}) after "
                    f"{settings.transport_retries} retries: check the server and try again"
                )
            return LLMError(f"{where} rejected the request ({exc.status_code}): {detail}")
        return LLMError(f"LLM request failed: {one_line(str(exc))}")

    # -- wire --------------------------------------------------------------------------------

    def configure(self, client: SDKClient, settings: Settings) -> SDKClient:
        """``client`` without SDK retries (they would multiply with briefgen's own)."""
        return client.with_options(max_retries=0, timeout=settings.request_timeout)

    def post(self, client: SDKClient, body: dict[str, Any]) -> dict[str, Any]:
        """Send ``body`` with a sync client."""
        if not isinstance(client, openai.OpenAI):
            raise TypeError("complete() needs a sync openai.OpenAI client; use acomplete()")
        return _body(client.post(PATH, cast_to=str, body=body))

    async def apost(self, client: SDKClient, body: dict[str, Any]) -> dict[str, Any]:
        """Send ``body`` with an async client."""
        if not isinstance(client, openai.AsyncOpenAI):
            raise TypeError("acomplete() needs an openai.AsyncOpenAI client; use complete()")
        return _body(await client.post(PATH, cast_to=str, body=body))

    def model_for(self, client: SDKClient, settings: Settings) -> str:
        """The named model, the backend's default, or the first one the server lists."""
        if settings.model:
            return settings.model
        if self.capabilities.default_model:
            return self.capabilities.default_model
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
    def open(
        self, settings: Settings, *, asynchronous: bool, on_event: OnEvent | None
    ) -> Iterator[Opened]:
        """A client for the server ``settings`` name, closed (if sync) on leaving."""
        api_key = settings.api_key or "not-needed"  # a local server that asks for no key gets none
        made = make_client(asynchronous, settings.base_url, api_key)
        try:
            yield Opened(made, self.model_for(made, settings))
        finally:
            close(made)

    async def aclose(self, client: SDKClient) -> None:
        """Close an async client :meth:`open` made."""
        if isinstance(client, openai.AsyncOpenAI):
            await client.close()
