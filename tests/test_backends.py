"""The backend registry and what each backend declares; the rest of briefgen asks, never names."""

from __future__ import annotations

import pytest

from briefgen import backends
from briefgen.backends import Capabilities, get
from briefgen.backends.compatible import Compatible
from briefgen.costs import cost_usd
from briefgen.errors import ConfigError
from briefgen.schema import Draft, Usage
from briefgen.settings import Settings

MESSAGES = [{"role": "user", "content": "x"}]


def test_every_settings_backend_is_registered() -> None:
    for settings in (Settings(), Settings(base_url="http://h/v1"), Settings(api_key="sk")):
        assert get(settings.backend).name == settings.backend
    with pytest.raises(ConfigError, match="unknown backend"):
        get("no-such-backend")


def test_what_each_backend_declares() -> None:
    openai, compatible, embedded = get("openai"), get("openai-compatible"), get("embedded")
    assert "prefixItems" in openai.capabilities.strict_unsupported
    assert not compatible.capabilities.strict_unsupported
    assert embedded.capabilities.concurrency == 1 and embedded.capabilities.own_context
    assert embedded.capabilities.free and not embedded.capabilities.batch_api
    assert openai.capabilities.price_provider == "openai" and openai.capabilities.batch_api


def test_a_new_backend_is_one_class_and_one_registry_line(monkeypatch: pytest.MonkeyPatch) -> None:
    class Local(Compatible):
        name = "local"
        capabilities = Capabilities(concurrency=1, own_context=True, free=True)

    monkeypatch.setitem(backends.BACKENDS, "local", Local())
    # Budgets, prices and request shapes follow its capabilities, not its name.
    settings = Settings(n_ctx=8_192)
    assert settings.input_budget("local") == settings.input_budget("embedded")
    assert cost_usd(Usage(prompt_tokens=10), "any", backend="local") == 0.0
    body = get("local").request_body(
        MESSAGES, Draft, model="m", mode="json_schema", settings=settings
    )
    assert body["response_format"]["json_schema"]["strict"] is True
