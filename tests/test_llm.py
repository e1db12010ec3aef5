"""Transport faults, modes and error messages of llm.LLM, over httpx.MockTransport."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from conftest import Script, Waits, completion, draft
from pydantic import BaseModel

from briefgen.backends import get
from briefgen.backends.sdk import is_transient, retry_after
from briefgen.errors import ConfigError, ExtractionError, LLMError
from briefgen.events import ProgressEvent, TransportRetry
from briefgen.llm import LLM, Timing
from briefgen.schema import Draft, DraftStances, pinned
from briefgen.settings import Settings

MESSAGES = [{"role": "system", "content": "sys"}, {"role": "user", "content": "<source>x</source>"}]


def make(script: Script, timing: Timing | None = None, **settings: object) -> LLM:
    backend = get("openai-compatible")
    return LLM(script.client(), "test-model", Settings(**settings), backend, timing or Timing())


def test_json_schema_request_body_is_strict_and_bounded() -> None:
    script = Script(completion(draft()))
    reply = make(script).complete(MESSAGES, Draft)
    body = script.bodies()[0]
    assert body["messages"] == MESSAGES
    assert body["temperature"] == 0.0
    assert body["max_tokens"] == Settings().max_output_tokens
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = json.dumps(fmt["json_schema"]["schema"])
    assert '"maxItems"' in schema and '"maxLength"' in schema
    assert '"minimum"' in schema and '"maximum"' in schema  # sentence numbers are bounded too
    assert reply.usage.total_tokens == 150 and reply.finish_reason == "stop"
    assert json.loads(reply.content or "") == draft()


def test_openai_gets_the_schema_without_the_string_bounds_it_rejects() -> None:
    script = Script(completion(draft()))
    LLM(script.client(), "gpt-4o-mini", Settings(), get("openai")).complete(MESSAGES, Draft)
    schema = json.dumps(script.bodies()[0]["response_format"]["json_schema"]["schema"])
    assert '"maxLength"' not in schema and '"maxItems"' in schema
    assert '"minimum"' not in schema and '"maximum"' not in schema
    assert script.bodies()[0]["max_completion_tokens"] == Settings().max_output_tokens
    tools = Script(completion(draft()))
    LLM(tools.client(), "gpt-4o-mini", Settings(mode="tools"), get("openai")).complete(
        MESSAGES, Draft
    )
    tool = json.dumps(tools.bodies()[0]["tools"])
    assert '"maxLength"' not in tool and '"maxItems"' in tool
    assert '"minimum"' not in tool and '"maximum"' not in tool
    # Pinned positions are outside OpenAI's subset: it gets the plain items, and the prompt.
    pins = Script(completion(draft()))
    LLM(pins.client(), "gpt-4o-mini", Settings(), get("openai")).complete(
        MESSAGES, pinned([("Ana Ruiz", 3)])
    )
    positions = pins.bodies()[0]["response_format"]["json_schema"]["schema"]["properties"]
    assert "prefixItems" not in positions["positions"] and positions["positions"]["items"]


@pytest.mark.parametrize("schema", [Draft, DraftStances])
def test_only_the_embedded_backend_asks_its_grammar_for_compact_json(
    schema: type[BaseModel],
) -> None:
    sent = {}
    for backend in ("embedded", "openai-compatible", "openai"):
        script = Script(completion(draft()))
        LLM(script.client(), "test-model", Settings(), get(backend)).complete(MESSAGES, schema)
        sent[backend] = script.bodies()[0]
    # llama.cpp honours llguidance's whitespace option only in a grammar of its own.
    grammar = sent["embedded"]["grammar"]
    head, _, schema_json = grammar.partition("start: %json ")
    assert head == "%llguidance {}\n" and "response_format" not in sent["embedded"]
    compact = json.loads(schema_json)
    assert compact.pop("x-guidance") == {"whitespace_flexible": False}
    # The schema is the one an OpenAI-compatible server gets as its response format.
    other = sent["openai-compatible"]["response_format"]["json_schema"]["schema"]
    assert compact == other and "grammar" not in sent["openai-compatible"]
    assert "grammar" not in sent["openai"] and "x-guidance" not in json.dumps(sent["openai"])


def test_429_honours_retry_after_then_succeeds(no_sleep: Waits) -> None:
    script = Script(
        httpx.Response(429, headers={"retry-after": "7"}, json={"error": {"message": "slow"}}),
        httpx.Response(503, json={"error": {"message": "busy"}}),
        completion(draft()),
    )
    llm = make(script, no_sleep.timing)
    reply = llm.complete(MESSAGES, Draft)
    assert reply.content
    assert no_sleep[0] == 7.0
    assert 0 < no_sleep[1] <= 30
    assert llm.calls == 3
    # A transport retry resends the identical request: the prompt is never touched.
    bodies = script.bodies()
    assert bodies[0] == bodies[1] == bodies[2]


def test_each_retry_is_logged_and_announced_with_its_wait(
    no_sleep: Waits, caplog: pytest.LogCaptureFixture
) -> None:
    script = Script(
        httpx.Response(429, headers={"retry-after": "7"}, json={"error": {"message": "slow"}}),
        httpx.ReadTimeout("slow"),
        completion(draft()),
    )
    seen: list[ProgressEvent] = []
    llm = make(script, no_sleep.timing, transport_retries=3)
    llm.on_event = seen.append
    with caplog.at_level(logging.DEBUG, logger="briefgen"):
        llm.complete(MESSAGES, Draft)
    assert seen == [
        TransportRetry("HTTP 429", 7.0, 1, 3),
        TransportRetry("no answer in time", no_sleep[1], 2, 3),
    ]
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert info == [
        "HTTP 429: retrying in 7.0 s (retry 1 of 3)",
        f"no answer in time: retrying in {no_sleep[1]:.1f} s (retry 2 of 3)",
    ]
    (request,) = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert request.startswith("POST http://llm.test/v1/chat/completions: model test-model, Draft")
    # Never the key, the prompt or the answer, at any level.
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "sk-test-secret" not in logged and "<source>" not in logged and "Lopez" not in logged


def test_a_password_in_the_server_url_is_masked_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    script = Script(completion(draft()))
    client = script.client().with_options(base_url="http://user:hunter22secret@llm.test/v1")
    llm = LLM(client, "test-model", Settings(), get("openai-compatible"))
    with caplog.at_level(logging.DEBUG, logger="briefgen"):
        llm.complete(MESSAGES, Draft)
    assert caplog.records and "hunter22secret" not in caplog.text


def test_dropped_connection_and_timeout_are_retried(no_sleep: Waits) -> None:
    script = Script(
        httpx.RemoteProtocolError("server disconnected"),
        httpx.ReadTimeout("slow"),
        completion(draft()),
    )
    assert make(script, no_sleep.timing).complete(MESSAGES, Draft).content
    assert len(no_sleep) == 2


def test_retries_are_bounded_and_end_in_one_clear_line(no_sleep: Waits) -> None:
    script = Script(*[httpx.Response(500, json={"error": {"message": "boom"}})] * 3)
    with pytest.raises(LLMError) as err:
        make(script, no_sleep.timing, transport_retries=2).complete(MESSAGES, Draft)
    assert len(script.requests) == 3
    message = str(err.value)
    assert "\n" not in message and "500" in message and "try again" in message
    assert "sk-test-secret" not in message


def test_a_200_that_is_not_json_is_retried_then_named(no_sleep: Waits) -> None:
    page = httpx.Response(
        200, text="<html>proxy error</html>", headers={"content-type": "text/html"}
    )
    script = Script(page, completion(draft()))
    assert make(script, no_sleep.timing).complete(MESSAGES, Draft).content and len(no_sleep) == 1
    script = Script(*[page] * 2)
    with pytest.raises(LLMError) as err:
        make(script, no_sleep.timing, transport_retries=1).complete(MESSAGES, Draft)
    assert "\n" not in str(err.value) and "not JSON" in str(err.value)


def test_overall_deadline_stops_retries() -> None:
    clock = [0.0]
    timing = Timing(sleep=lambda s: clock.__setitem__(0, clock[0] + s), clock=lambda: clock[0])
    script = Script(*[httpx.Response(429, headers={"retry-after": "50"})] * 10)
    with pytest.raises(LLMError, match="429"):
        make(script, timing, transport_retries=9, deadline=120).complete(MESSAGES, Draft)
    assert len(script.requests) == 4  # 0, 50, 100, 150 s: the deadline ends it


def test_retry_after_parsing() -> None:
    def exc(headers: dict[str, str]) -> Exception:
        err = Exception()
        err.response = httpx.Response(429, headers=headers)  # type: ignore[attr-defined]
        return err

    assert retry_after(exc({"retry-after": "3"})) == 3
    assert retry_after(exc({"retry-after-ms": "1500"})) == 1.5
    assert retry_after(exc({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after(exc({})) is None
    assert retry_after(Exception()) is None


def test_client_errors_are_not_retried() -> None:
    script = Script(httpx.Response(401, json={"error": {"message": "bad key sk-test-secret"}}))
    with pytest.raises(ConfigError, match="rejected the API key"):
        make(script).complete(MESSAGES, Draft)
    assert len(script.requests) == 1
    assert not is_transient(ValueError())


def test_unknown_model_says_what_to_do() -> None:
    script = Script(httpx.Response(404, json={"error": {"message": "no such model"}}))
    with pytest.raises(ConfigError, match="--model"):
        make(script).complete(MESSAGES, Draft)


def test_context_overflow_is_an_extraction_error() -> None:
    script = Script(
        httpx.Response(400, json={"error": {"message": "request exceeds the context size"}})
    )
    with pytest.raises(ExtractionError, match="n-ctx"):
        make(script).complete(MESSAGES, Draft)


def test_a_schema_the_server_rejects_falls_back_rather_than_reading_as_overflow() -> None:
    rejected = (
        "Invalid schema for response_format 'Draft': In context=('properties', 'title'), "
        "'maxLength' is not permitted."
    )
    script = Script(httpx.Response(400, json={"error": {"message": rejected}}), completion(draft()))
    llm = make(script, mode="auto")
    assert llm.complete(MESSAGES, Draft).content and llm.mode == "json_object"


def test_auto_mode_falls_back_to_json_object() -> None:
    script = Script(
        httpx.Response(
            400, json={"error": {"message": "response_format json_schema not supported"}}
        ),
        completion(draft()),
    )
    llm = make(script)
    reply = llm.complete(MESSAGES, Draft)
    first, second = script.bodies()
    assert first["response_format"]["type"] == "json_schema"
    assert second["response_format"] == {"type": "json_object"}
    # The schema travels in the prompt instead, with the field descriptions.
    assert "maxLength" in second["messages"][-1]["content"]
    assert reply.mode == "json_object" and llm.mode == "json_object"


def test_tools_mode_reads_the_forced_call() -> None:
    body = completion(None)
    body["choices"][0]["message"]["tool_calls"] = [
        {
            "id": "c1",
            "type": "function",
            "function": {"name": "submit_briefing", "arguments": json.dumps(draft())},
        }
    ]
    script = Script(body)
    reply = make(script, mode="tools").complete(MESSAGES, Draft)
    sent = script.bodies()[0]
    assert sent["tool_choice"]["function"]["name"] == "submit_briefing"
    assert sent["tools"][0]["function"]["strict"] is True
    assert json.loads(reply.content or "") == draft()


async def test_async_twin_retries_the_same_way(no_sleep: Waits) -> None:
    script = Script(httpx.Response(502), completion(draft()))
    llm = LLM(script.async_client(), "test-model", Settings(), timing=no_sleep.timing)
    reply = await llm.acomplete(MESSAGES, Draft)
    assert reply.content and len(no_sleep) == 1


def test_request_body_is_exactly_what_parse_sends() -> None:
    """Cache keys and Batch API lines use request_body(); it must match the live request,
    and that request must be the one the SDK's own parse() would send."""
    script = Script(completion(draft()))
    llm = make(script)
    llm.complete(MESSAGES, Draft)
    assert script.bodies()[0] == json.loads(json.dumps(llm.request_body(MESSAGES, Draft)))
    sdk = Script(completion(draft()))
    sdk.client().chat.completions.parse(
        model="test-model",
        messages=MESSAGES,  # type: ignore[arg-type]
        response_format=Draft,
        temperature=0.0,
        max_tokens=Settings().max_output_tokens,
    )
    assert sdk.bodies()[0] == script.bodies()[0]
