"""The on-disk response cache: stable keys without the API key, atomic entries, LLM hook, and
only answers a brief was made of are stored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import openai
import pytest
from conftest import SOURCE, Script, completion, draft
from fake_server import FakeServer

import briefgen
from briefgen.cache import ResponseCache, request_key
from briefgen.errors import ExtractionError
from briefgen.extract import Session
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
        llm.keep([reply])  # what a briefer does once the answer made a brief
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


def test_an_answer_is_stored_only_when_kept(tmp_path: Path):
    messages = Session(TEXT, Settings()).next_messages

    async def ask() -> None:
        llm = _llm(server, ResponseCache(tmp_path), "sk-one")
        reply = await llm.acomplete(messages, Draft)
        assert not list(tmp_path.rglob("*.json"))  # received is not accepted
        llm.keep([reply])
        assert len(list(tmp_path.rglob("*.json"))) == 1
        again = await llm.acomplete(messages, Draft)
        assert again.calls == 0 and again.cache_key is None  # a hit is not stored again
        await llm.client.close()  # type: ignore[misc]

    with FakeServer() as server:
        asyncio.run(ask())
        assert server.chat_requests == 1


SETTINGS = Settings(model="test-model", max_attempts=1)


@pytest.mark.parametrize(
    "failed",
    [
        completion(None, refusal="I cannot help with that."),
        completion('{"title": "Port authority', finish_reason="length"),
        completion("not json at all"),
    ],
    ids=["refusal", "truncated", "bad-json"],
)
def test_a_failed_answer_is_not_cached_so_a_rerun_asks_again(tmp_path: Path, failed: dict):
    script = Script(failed)
    with pytest.raises(ExtractionError):
        briefgen.generate_brief(
            SOURCE, settings=SETTINGS, client=script.client(), cache_dir=tmp_path
        )
    assert not list(tmp_path.rglob("*.json"))
    rerun = Script(completion(draft()))
    briefing = briefgen.generate_brief(
        SOURCE, settings=SETTINGS, client=rerun.client(), cache_dir=tmp_path
    )
    assert len(rerun.requests) == 1 and briefing.meta.attempts == 1


def test_only_the_answer_a_brief_was_made_of_is_cached(tmp_path: Path):
    settings = Settings(model="test-model", max_attempts=2)
    script = Script(completion("not json"), completion(draft()))
    briefgen.generate_brief(SOURCE, settings=settings, client=script.client(), cache_dir=tmp_path)
    assert len(list(tmp_path.rglob("*.json"))) == 1
    # The same server: the first answer is asked for again, the re-ask's answer is replayed.
    rerun = Script(completion("not json"))
    briefing = briefgen.generate_brief(
        SOURCE, settings=settings, client=rerun.client(), cache_dir=tmp_path
    )
    assert len(rerun.requests) == 1 and briefing.meta.attempts == 2


def test_an_unreadable_stances_answer_is_not_cached(tmp_path: Path):
    # The draft is used; the stances answer that could not be read is not: a rerun asks again.
    only_lopez = completion(draft(positions=[draft()["positions"][0]]))
    settings = Settings(model="test-model")
    script = Script(only_lopez, completion("not json"))
    briefgen.generate_brief(SOURCE, settings=settings, client=script.client(), cache_dir=tmp_path)
    rerun = Script(completion('{"stances": ["Tom Reed fears years without sleep."]}'))
    briefing = briefgen.generate_brief(
        SOURCE, settings=settings, client=rerun.client(), cache_dir=tmp_path
    )
    assert len(rerun.requests) == 1
    assert [p.actor for p in briefing.positions] == ["Maria Lopez", "Tom Reed"]
