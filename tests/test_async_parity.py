"""LLM.complete and LLM.acomplete stay twins: same inputs, same bodies, outcomes, retries, limiter.

Both drive the one sans-I/O core (briefgen.backends.core); each scenario here runs once through
each driver against the same scripted server and compares everything the caller can observe.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Script, completion, draft

from briefgen.backends import get
from briefgen.cache import ResponseCache
from briefgen.llm import LLM, Timing, tally
from briefgen.schema import Draft
from briefgen.settings import Settings

MESSAGES = [{"role": "system", "content": "sys"}, {"role": "user", "content": "<source>x</source>"}]


def _tool_call() -> dict[str, Any]:
    body = completion(None)
    body["choices"][0]["message"]["tool_calls"] = [
        {
            "id": "c1",
            "type": "function",
            "function": {"name": "submit_briefing", "arguments": json.dumps(draft())},
        }
    ]
    return body


def _error(status: int, message: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"error": {"message": message}})


#: name -> (backend, settings, the server's answers in order, made afresh for each driver).
SCENARIOS: dict[str, tuple[str, dict[str, Any], Callable[[], list[Any]]]] = {
    "answer": ("openai-compatible", {}, lambda: [completion(draft())]),
    "openai": ("openai", {}, lambda: [completion(draft())]),
    "embedded": ("embedded", {"repeat_penalty": 1.1}, lambda: [completion(draft())]),
    "tools": ("openai", {"mode": "tools"}, lambda: [_tool_call()]),
    "json_object": ("openai-compatible", {"mode": "json_object"}, lambda: [completion(draft())]),
    "429 then 503 then answer": (
        "openai-compatible",
        {},
        lambda: [
            _error(429, "slow", **{"retry-after": "7"}),
            _error(503, "busy"),
            completion(draft()),
        ],
    ),
    "dropped and timed out": (
        "openai-compatible",
        {},
        lambda: [
            httpx.RemoteProtocolError("server disconnected"),
            httpx.ReadTimeout("slow"),
            completion(draft()),
        ],
    ),
    "not JSON, then answer": (
        "openai-compatible",
        {},
        lambda: [httpx.Response(200, text="<html>proxy</html>"), completion(draft())],
    ),
    "retries run out": (
        "openai-compatible",
        {"transport_retries": 2},
        lambda: [_error(500, "boom")] * 3,
    ),
    "429s run out": ("openai", {"transport_retries": 1}, lambda: [_error(429, "slow")] * 2),
    "bad key": ("openai", {}, lambda: [_error(401, "bad key sk-test-secret")]),
    "unknown model": ("openai-compatible", {}, lambda: [_error(404, "no such model")]),
    "context overflow": (
        "embedded",
        {},
        lambda: [_error(400, "request exceeds the context size")],
    ),
    "auto falls back": (
        "openai-compatible",
        {"mode": "auto"},
        lambda: [_error(400, "response_format json_schema not supported"), completion(draft())],
    ),
    "json_schema does not fall back": (
        "openai-compatible",
        {"mode": "json_schema"},
        lambda: [_error(400, "response_format json_schema not supported")],
    ),
}


class RecordingLimiter:
    """Stands in for RunLimiter: records what each driver asks of it, admits at once."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any]] = []

    async def acquire(self, body: dict[str, Any]) -> None:
        self.log.append(("acquire", body["model"]))

    def acquire_blocking(self, body: dict[str, Any]) -> None:
        self.log.append(("acquire", body["model"]))

    def back_off(self, seconds: float | None) -> None:
        self.log.append(("back_off", seconds))


class Run:
    """One driver's run of a scenario: the LLM, its fakes, and what it observed."""

    def __init__(self, scenario: str, *, asynchronous: bool, cache: ResponseCache | None = None):
        backend, settings, steps = SCENARIOS[scenario]
        self.script = Script(*steps())
        self.waits: list[float] = []
        self.limiter = RecordingLimiter()

        async def asleep(seconds: float) -> None:
            self.waits.append(seconds)

        client = self.script.async_client() if asynchronous else self.script.client()
        timing = Timing(sleep=self.waits.append, asleep=asleep, backoff=lambda attempt: attempt)
        self.llm = LLM(client, "test-model", Settings(**settings), get(backend), timing, cache)
        self.llm.limiter = self.limiter  # type: ignore[assignment]
        self.asynchronous = asynchronous

    async def ask(self) -> dict[str, Any]:
        """Ask once; everything observable about it, the outcome first."""
        with tally() as spent:
            try:
                if self.asynchronous:
                    reply = await self.llm.acomplete(MESSAGES, Draft)
                else:
                    reply = self.llm.complete(MESSAGES, Draft)
                outcome: Any = (reply, reply.raw)
            except Exception as exc:
                outcome = (type(exc).__name__, str(exc))
        return {
            "outcome": outcome,
            "bodies": self.script.bodies(),
            "waits": self.waits,
            "limiter": self.limiter.log,
            "calls": self.llm.calls,
            "mode": self.llm.mode,
            "tally": (spent.requests, spent.spent),
        }


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
async def test_sync_and_async_observe_the_same(scenario: str) -> None:
    sync = await Run(scenario, asynchronous=False).ask()
    async_ = await Run(scenario, asynchronous=True).ask()
    assert sync == async_
    assert sync["bodies"], "every scenario sends at least one request"


async def test_the_scenarios_cover_what_they_name() -> None:
    """The parity above would be hollow if the scenarios never retried, backed off or fell back."""
    retried = await Run("429 then 503 then answer", asynchronous=False).ask()
    assert retried["waits"] == [7.0, 2]  # Retry-After first, then the backoff of attempt 2
    assert ("back_off", 7.0) in retried["limiter"] and retried["calls"] == 3
    fell_back = await Run("auto falls back", asynchronous=False).ask()
    assert fell_back["mode"] == "json_object" and len(fell_back["bodies"]) == 2
    failed = await Run("retries run out", asynchronous=False).ask()
    assert failed["outcome"][0] == "LLMError" and len(failed["bodies"]) == 3
    embedded = await Run("embedded", asynchronous=False).ask()
    assert embedded["bodies"][0]["repeat_penalty"] == 1.1 and "grammar" in embedded["bodies"][0]


async def test_a_cached_answer_is_served_alike(tmp_path: Path) -> None:
    observed = []
    for asynchronous in (False, True):
        cache = ResponseCache(tmp_path / str(asynchronous))
        first = Run("answer", asynchronous=asynchronous, cache=cache)
        reply = (await first.ask())["outcome"][0]
        first.llm.keep([reply])
        again = Run("answer", asynchronous=asynchronous, cache=cache)
        seen = await again.ask()
        assert seen["outcome"][0].calls == 0 and not seen["bodies"] and not seen["limiter"]
        observed.append(seen)
    assert observed[0] == observed[1]
