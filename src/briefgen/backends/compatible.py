"""Any OpenAI-compatible server (vLLM, llama.cpp, Ollama, LM Studio, a gateway)."""

from __future__ import annotations

from briefgen.backends.base import Capabilities
from briefgen.backends.sdk import SDKBackend


class Compatible(SDKBackend):
    """A server speaking OpenAI's chat completions: the full schema, priced by its URL.

    It asks the server which model it serves when none is named. A gateway may relay OpenAI's
    Batch API too, so a batch run may try it.
    """

    name = "openai-compatible"
    capabilities = Capabilities(batch_api=True)
    limit_key = "max_tokens"
