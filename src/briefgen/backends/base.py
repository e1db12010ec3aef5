"""What every LLM backend declares and does: the :class:`Backend` protocol and its capabilities.

A backend knows one kind of server: how to shape a structured-output request for it, how to read
its answer, what its faults mean, and what it can do (:class:`Capabilities`). The rest of
briefgen asks a backend's capabilities instead of comparing its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from briefgen.schema import Usage

if TYPE_CHECKING:
    from pydantic import BaseModel

    from briefgen.events import OnEvent
    from briefgen.settings import Settings

#: How structured output is asked for on the wire (``auto`` resolves to one of these).
StructuredMode = Literal["json_schema", "json_object", "tools"]
Messages = list[dict[str, Any]]


@dataclass(frozen=True)
class Capabilities:
    """What a backend's server accepts, and how a run should use it.

    Attributes:
        modes: the structured-output modes the server serves.
        strict_unsupported: JSON-schema keywords its strict mode rejects; they are left out of
            the schema sent, and answers are still validated against them.
        batch_api: the server may offer OpenAI's Batch API (JSONL upload, answers within a
            day, half the price), so ``--via batch-api`` may try it.
        concurrency: requests the server answers at once; None leaves it to the run's jobs.
        own_context: the model runs here with ``Settings.n_ctx`` as its window, so a request's
            source gets what the prompt and the answer leave of it.
        free: its tokens cost nothing (the model runs on this machine).
        price_provider: the ``genai-prices`` provider its models are priced as; None looks
            the provider up by the server's URL.
        default_model: the model asked for when none is named; None asks the server.
    """

    modes: frozenset[StructuredMode] = frozenset({"json_schema", "json_object", "tools"})
    strict_unsupported: tuple[str, ...] = ()
    batch_api: bool = False
    concurrency: int | None = None
    own_context: bool = False
    free: bool = False
    price_provider: str | None = None
    default_model: str | None = None


@dataclass(frozen=True)
class Reply:
    """One answer from the model, before any validation."""

    content: str | None
    finish_reason: str | None
    refusal: str | None
    usage: Usage
    model: str
    mode: StructuredMode
    #: HTTP requests this answer took (transport retries included); 0 when served from cache.
    calls: int = 1
    #: Where :meth:`briefgen.llm.LLM.keep` stores this answer once it is accepted; None when it
    #: needs no storing (no cache, or served from it).
    cache_key: str | None = None
    #: The response body as received, what the cache stores.
    raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Fault:
    """What a failed request means for the retry loop, read from the backend's exception.

    Attributes:
        summary: the fault in a few words, without the response body (it may echo the key).
        transient: worth resending unchanged (timeouts, dropped connections, 429, 5xx).
        rate_limited: a 429, which should slow every concurrent request down.
        retry_after: seconds the server asked us to wait, if it did.
        rejects_schema: the server refused the structured-output request itself (not the
            prompt): worth asking again in a plainer mode.
    """

    summary: str
    transient: bool = False
    rate_limited: bool = False
    retry_after: float | None = None
    rejects_schema: bool = False


class Client(Protocol):
    """What briefgen reads of a backend's client object; the rest is the backend's business."""

    @property
    def base_url(self) -> Any: ...

    @property
    def api_key(self) -> str: ...


@dataclass(frozen=True)
class Opened:
    """A client a backend made for a run, and the model it will ask."""

    client: Any
    model: str


class Backend(Protocol):
    """One kind of LLM server: its request shape, its answers, its faults, its capabilities.

    Shape and reading are pure; ``post``/``apost`` are the only I/O, and the retry loop around
    them lives in :mod:`briefgen.backends.core`, shared by sync and async callers.
    """

    #: The label a brief's metadata carries, and the key of :data:`briefgen.backends.BACKENDS`.
    name: str
    capabilities: Capabilities
    #: Where requests go below the client's base URL (for the log).
    path: str

    def request_body(
        self,
        messages: Messages,
        schema: type[BaseModel],
        *,
        model: str,
        mode: StructuredMode,
        settings: Settings,
    ) -> dict[str, Any]:
        """The JSON body asking ``model`` for an answer in ``schema``, the way ``mode`` does."""
        ...

    def parse(self, data: dict[str, Any], *, mode: StructuredMode, model: str) -> Reply:
        """Read a response body; ``model`` names the answer when the body does not."""
        ...

    def cache_scope(self, base_url: str) -> str:
        """What the response cache keys this server's answers by, besides the request body."""
        ...

    def fault(self, exc: BaseException) -> Fault | None:
        """What ``exc`` from :meth:`post` means; None for an error that is not the server's."""
        ...

    def error(self, exc: BaseException, *, where: str, model: str, settings: Settings) -> Exception:
        """The :class:`briefgen.errors.BriefgenError` to raise for ``exc``, saying what to do."""
        ...

    def configure(self, client: Any, settings: Settings) -> Any:
        """``client`` with its own retries off and the request timeout of ``settings``."""
        ...

    def post(self, client: Any, body: dict[str, Any]) -> dict[str, Any]:
        """Send ``body`` with a blocking client; the response body."""
        ...

    async def apost(self, client: Any, body: dict[str, Any]) -> dict[str, Any]:
        """Send ``body`` with an async client; the response body."""
        ...

    def model_for(self, client: Any, settings: Settings) -> str:
        """The model a caller's own ``client`` will be asked for."""
        ...

    def open(
        self, settings: Settings, *, asynchronous: bool, on_event: OnEvent | None
    ) -> AbstractContextManager[Opened]:
        """Make a client for ``settings`` (starting a server if the backend runs one)."""
        ...

    async def aclose(self, client: Any) -> None:
        """Close an async client :meth:`open` made."""
        ...


def without(node: Any, keys: Sequence[str]) -> Any:
    """``node`` (a JSON schema) with every ``keys`` entry removed, at any depth."""
    if isinstance(node, dict):
        return {k: without(v, keys) for k, v in node.items() if k not in keys}
    if isinstance(node, list):
        return [without(v, keys) for v in node]
    return node
