"""OpenAI's own API (api.openai.com): strict schemas in its subset, priced, with a Batch API."""

from __future__ import annotations

from briefgen.backends.base import Capabilities
from briefgen.backends.sdk import SDKBackend

#: The model used against api.openai.com when none is named.
DEFAULT_MODEL = "gpt-4o-mini"

#: Keywords OpenAI's strict mode rejects with a 400 ("'maxLength' is not permitted"); llama.cpp
#: and vLLM turn them into the grammar, which keeps a small model's answers bounded.
#: ``prefixItems`` (a draft's pinned positions, :func:`briefgen.schema.pinned`) is not in
#: OpenAI's subset either: without it the prompt's list of speakers guides the model.
UNSUPPORTED = ("maxLength", "minLength", "minimum", "maximum", "prefixItems")


class OpenAI(SDKBackend):
    """api.openai.com: its strict-schema subset, ``max_completion_tokens``, its prices."""

    name = "openai"
    capabilities = Capabilities(
        strict_unsupported=UNSUPPORTED,
        batch_api=True,
        price_provider="openai",
        default_model=DEFAULT_MODEL,
    )
    limit_key = "max_completion_tokens"
