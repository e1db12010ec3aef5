"""One frozen settings object and where its values come from.

Precedence, highest first: explicit argument (CLI flag or keyword) > environment
(``BRIEFGEN_*``, ``OPENAI_*``) > config file (``$XDG_CONFIG_HOME/briefgen/config.toml``, or the
file named by ``BRIEFGEN_CONFIG``) > the defaults below.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

import platformdirs

from briefgen.errors import ConfigError

Mode = Literal["auto", "json_schema", "json_object", "tools"]
#: The names :mod:`briefgen.backends` registers its backends under.
BackendName = Literal["embedded", "openai", "openai-compatible"]

#: Tokens of a request besides the source: system prompt, schema hint, re-ask problems.
PROMPT_OVERHEAD_TOKENS = 2_000
#: Smallest chunk budget, however small the embedded context: smaller parts lose all context.
MIN_INPUT_BUDGET = 1_000
#: Source tokens per request for hosted models (their windows are 100k+ tokens).
HOSTED_INPUT_BUDGET = 100_000

#: The least each numeric setting may be (0 picks the default where one is computed).
_LEAST: dict[str, float] = {
    "max_attempts": 1,
    "max_total_tokens": 1,
    "max_output_tokens": 1,
    "temperature": 0,
    "repeat_penalty": 0,
    "transport_retries": 0,
    "n_ctx": 1,
    "threads": 0,
    "input_budget_tokens": 0,
    "max_parts": 1,
}
#: Settings in seconds, which must be finite and above 0.
_SECONDS = ("request_timeout", "deadline")

# setting name -> environment variables that may supply it, first wins.
_ENV: dict[str, tuple[str, ...]] = {
    "base_url": ("BRIEFGEN_BASE_URL", "OPENAI_BASE_URL"),
    "api_key": ("BRIEFGEN_API_KEY", "OPENAI_API_KEY"),
    "model": ("BRIEFGEN_MODEL",),
    "model_path": ("BRIEFGEN_MODEL_PATH",),
    "mode": ("BRIEFGEN_MODE",),
    "max_attempts": ("BRIEFGEN_MAX_ATTEMPTS",),
    "max_total_tokens": ("BRIEFGEN_MAX_TOTAL_TOKENS",),
    "max_output_tokens": ("BRIEFGEN_MAX_OUTPUT_TOKENS",),
    "temperature": ("BRIEFGEN_TEMPERATURE",),
    "repeat_penalty": ("BRIEFGEN_REPEAT_PENALTY",),
    "request_timeout": ("BRIEFGEN_REQUEST_TIMEOUT",),
    "deadline": ("BRIEFGEN_DEADLINE",),
    "transport_retries": ("BRIEFGEN_TRANSPORT_RETRIES",),
    "n_ctx": ("BRIEFGEN_N_CTX",),
    "threads": ("BRIEFGEN_THREADS",),
    "input_budget_tokens": ("BRIEFGEN_INPUT_BUDGET_TOKENS",),
    "max_parts": ("BRIEFGEN_MAX_PARTS",),
}


@dataclass(frozen=True)
class Settings:
    """Everything that decides how a brief is made. Build it with :meth:`Settings.load`.

    Attributes:
        base_url: an OpenAI-compatible server (vLLM, llama.cpp, Ollama, LM Studio, a gateway).
        api_key: the key for that server or for OpenAI; a local server may need none.
        model: the model name; with the embedded backend it only labels the brief.
        model_path: a GGUF file to run in the embedded llama.cpp server instead of the default.
        mode: how structured output is requested: ``json_schema`` (strict schema), ``json_object``
            (schema in the prompt), ``tools`` (a forced function call) or ``auto`` (json_schema,
            falling back to json_object when the server rejects it).
        max_attempts: requests per source, first ask plus re-asks after validation errors;
            a source may take one more, short request for the stances of speakers the answer
            left out (bounded by ``max_total_tokens`` only).
        max_total_tokens: no re-ask is sent once the source has used this many tokens.
        max_output_tokens: cap on the tokens of one answer.
        temperature: sampling temperature; 0 keeps runs repeatable.
        repeat_penalty: llama.cpp's repeat penalty, sent to the embedded model only; off (1.0,
            nothing sent) by default, as 1.1 stops repeated actors but makes the model
            paraphrase its quotes.
        request_timeout: seconds one HTTP request may take.
        deadline: seconds all transport retries of one request may take together.
        transport_retries: retries after a 429, 5xx, timeout or dropped connection.
        n_ctx: context window of the embedded server, in tokens.
        threads: CPU threads of the embedded server (0 = all cores).
        input_budget_tokens: most (estimated) source tokens sent in one request; a longer source
            is briefed in chunks. 0 picks the backend's default (see :meth:`input_budget`).
        max_parts: most parts one source may be briefed in; a longer one is refused up front
            (1,600 parts of a 20 MB text would keep the embedded model busy for days).
    """

    base_url: str | None = None
    api_key: str | None = dataclasses.field(default=None, repr=False)
    model: str | None = None
    model_path: str | None = None
    mode: Mode = "auto"
    max_attempts: int = 3
    max_total_tokens: int = 24_000
    max_output_tokens: int = 1_800
    temperature: float = 0.0
    repeat_penalty: float = 1.0
    request_timeout: float = 300.0
    deadline: float = 900.0
    transport_retries: int = 5
    n_ctx: int = 8_192
    threads: int = 0
    input_budget_tokens: int = 0
    max_parts: int = 60

    def __post_init__(self) -> None:
        if self.mode not in ("auto", "json_schema", "json_object", "tools"):
            raise ConfigError(
                f"unknown mode {self.mode!r}: use auto, json_schema, json_object or tools"
            )
        for name, least in _LEAST.items():
            value = getattr(self, name)
            if not value >= least:  # also refuses NaN
                raise ConfigError(f"{name} must be at least {least:g}, got {value:g}: {_fix(name)}")
        for name in _SECONDS:
            value = getattr(self, name)
            if not 0 < value < math.inf:
                raise ConfigError(
                    f"{name} must be a number of seconds above 0, got {value:g}: {_fix(name)}"
                )

    def input_budget(self, backend: str | None = None) -> int:
        """Source tokens one request may carry with ``backend`` (default: this one's).

        A model run here with ``n_ctx`` as its window (the embedded one) must also fit the
        system prompt, a re-ask (the previous answer plus its problems) and the new answer,
        so its budget is what is left of ``n_ctx``. Hosted models have long windows, but no
        single call should carry a whole long report.
        """
        if self.input_budget_tokens > 0:
            return self.input_budget_tokens
        from briefgen.backends import capabilities  # the backends load the LLM SDK

        if capabilities(backend or self.backend).own_context:
            room = self.n_ctx - 2 * self.max_output_tokens - PROMPT_OVERHEAD_TOKENS
            return max(MIN_INPUT_BUDGET, room)
        return HOSTED_INPUT_BUDGET

    @property
    def backend(self) -> BackendName:
        """Which kind of LLM service these settings reach: a name in :mod:`briefgen.backends`."""
        if self.model_path:
            return "embedded"
        if self.base_url:
            return "openai-compatible"
        if self.api_key:
            return "openai"
        return "embedded"

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (``None`` values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def load(
        cls,
        *,
        env: Mapping[str, str] | None = None,
        config_file: str | Path | None = None,
        **explicit: Any,
    ) -> Settings:
        """Settings from explicit values, then the environment, then the config file.

        Args:
            env: the environment to read (defaults to ``os.environ``).
            config_file: a TOML file; defaults to ``BRIEFGEN_CONFIG`` or the user config dir.
            **explicit: values that win over everything else; ``None`` means "not given".
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        values.update(_read_config(config_file, env))
        for name, keys in _ENV.items():
            for key in keys:
                if env.get(key):
                    values[name] = env[key]
                    break
        values.update({k: v for k, v in explicit.items() if v is not None})
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return cls(**_coerce(values))


def _fix(name: str) -> str:
    return f"fix it where it is set ({_ENV[name][0]}, the config file or a flag)"


def _read_config(path: str | Path | None, env: Mapping[str, str]) -> dict[str, Any]:
    explicit = path or env.get("BRIEFGEN_CONFIG")
    file = Path(explicit) if explicit else Path(platformdirs.user_config_dir("briefgen"))
    if not explicit:
        file = file / "config.toml"
    if not file.is_file():
        if explicit:
            raise ConfigError(f"config file {file} does not exist: fix the path or unset it")
        return {}
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {file}: {exc}") from exc
    return {k.replace("-", "_"): v for k, v in data.items()}


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    types = {f.name: f.type for f in fields(Settings)}
    out: dict[str, Any] = {}
    for name, value in values.items():
        kind = types[name]
        try:
            if kind == "int" and not isinstance(value, int):
                value = int(value)
            elif kind == "float" and not isinstance(value, float):
                value = float(value)
        except ValueError as exc:
            raise ConfigError(f"setting {name} must be a number, got {value!r}") from exc
        out[name] = value
    return out
