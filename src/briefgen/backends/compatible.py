"""Any OpenAI-compatible server (vLLM, llama.cpp, Ollama, LM Studio, a gateway)."""

from __future__ import annotations

from briefgen.backends.base import Capabilities
from briefgen.backends.sdk import SDKBackend


class Compatible(SDKBackend):
    """A server speaking OpenAI's chat completions: the full schema, priced by its URL.

    It asks the server which model it serves when none is named.
    """

    name = "openai-compatible"
    capabilities = Capabilities()
    limit_key = "max_tokens"
