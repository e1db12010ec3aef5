"""The on-disk response cache: stable keys without the API key, atomic entries, LLM hook."""

from __future__ import annotations

import asyncio
from pathlib import Path

import openai

from briefgen.cache import ResponseCache, request_key
from briefgen.extract import Session
from briefgen.fake_server import FakeServer
from briefgen.llm import LLM, tally
from briefgen.schema import Draft
from briefgen.settings import Settings

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi \u201cquoted\u201d"}]}
TEXT = "Mayor Joan Park said the budget protects libraries. The council voted on Monday night."


def test_key_is_stable_and_depends_on_body_and_server_only():
    key = request_key(BODY, "http://a/v1")
    assert key == request_key(dict(reversed(BODY.items())), "http://a/v1/")
    assert key != request_key({**BODY, "model": "n"}, "http://a/v1")
    assert key != request_key(BODY, "http://b/v1")
    assert len(key) == 64


def test_put_get_roundtrip_and_corrupt_entries_are_misses(tmp_path: Path):
    cache = ResponseCache(tmp_path)
    key = request_key(BODY, "http://a/v1")
    assert cache.get(key) is None
    cache.put(key, {"choices": [], "x": "\u201c"})
    assert cache.get(key) == {"choices": [], "x": "\u201c"}
    path = next(tmp_path.rglob(f"{key}.json"))
    path.write_text("{truncated", "utf-8")
    assert cache.get(key) is None
    assert not list(tmp_path.rglob("*.tmp"))


def _llm(server: FakeServer, cache: ResponseCache, key: str) -> LLM:
    client = openai.AsyncOpenAI(base_url=server.base_url, api_key=key, max_retries=0)
    return LLM(client, "fake-model", Settings(base_url=server.base_url), cache=cache)


def test_second_identical_request_is_served_from_disk_even_with_another_key(tmp_path: Path):
    messages = Session(TEXT, Settings()).next_messages

    async def ask(llm: LLM) -> tuple[int, int, int]:
        with tally() as spent:
            reply = await llm.acomplete(messages, Draft)
        await llm.client.close()  # type: ignore[misc]
        return reply.calls, spent.requests, spent.spent.total_tokens

    with FakeServer() as server:
        cache = ResponseCache(tmp_path)
        first = asyncio.run(ask(_llm(server, cache, "sk-one")))
        second = asyncio.run(ask(_llm(server, cache, "sk-two")))
        assert server.chat_requests == 1
    assert first[0] == 1 and first[1] == 1 and first[2] > 0
    assert second == (0, 0, 0)  # a cache hit spends no request and no tokens
    assert "sk-one" not in "".join(p.read_text("utf-8") for p in tmp_path.rglob("*.json"))
