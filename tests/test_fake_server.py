"""The fake server answers like a grounded model, and misbehaves exactly as configured."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from briefgen.extract import Session
from briefgen.fake_server import (
    UNGROUNDED_QUOTE,
    FakeServer,
    Faults,
    answer,
    draft_for,
    source_of,
)
from briefgen.review import review
from briefgen.settings import Settings

TEXT = (
    "Council passes budget\n\nThe Council of Northfield passed its budget on Monday night. "
    "Mayor Joan Park said the budget protects libraries. Opponents said fees rise for shops."
)


def body() -> dict:
    return {"model": "fake-model", "messages": Session(TEXT, Settings()).next_messages}


def test_answers_are_schema_valid_and_grounded_in_the_request_source():
    assert source_of(body()) == TEXT
    content = answer(body())["choices"][0]["message"]["content"]
    assert review(content, TEXT).ok


BASIL = Path("/work/shared/eval/basil")


@pytest.mark.skipif(not BASIL.is_dir(), reason="the BASIL articles are not on this machine")
def test_a_draft_for_a_real_article_needs_no_fix():
    # Like a good model, it gives every speaker the text quotes a position (as many as fit):
    # the batch benchmark's extra calls then come from its faults alone.
    for path in sorted(BASIL.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert review(json.dumps(draft_for(text)), text).problems == [], path.name


def test_ungrounded_and_invalid_answers_fail_review():
    bad = answer(body(), grounded=False)["choices"][0]["message"]["content"]
    assert UNGROUNDED_QUOTE in bad and not review(bad, TEXT).ok
    cut = answer(body(), valid=False)["choices"][0]["message"]["content"]
    with pytest.raises(ValueError):
        json.loads(cut)


@pytest.mark.parametrize(
    ("faults", "status"),
    [
        (Faults(rate_limit=1.0, retry_after=7), 429),
        (Faults(server_error=1.0), 503),
        (Faults(garbled=1.0), 200),
    ],
)
def test_http_faults(faults, status):
    with FakeServer(faults=faults) as server:
        response = httpx.post(f"{server.base_url}/chat/completions", json=body())
    assert response.status_code == status
    if status == 429:
        assert response.headers["retry-after"] == "7"
    if faults.garbled:
        with pytest.raises(ValueError):
            response.json()


def test_dropped_connection_and_stats():
    with FakeServer(faults=Faults(drop=1.0)) as server:
        with pytest.raises(httpx.TransportError):
            httpx.post(f"{server.base_url}/chat/completions", json=body())
        assert server.stats["drop"] == 1 and server.chat_requests == 1


def test_fault_rates_are_roughly_as_configured_and_seeded():
    server = FakeServer(faults=Faults.transient(0.3), seed=5)
    outcomes = [server.outcome() for _ in range(3000)]
    server.stop()
    failed = sum(o != "ok" for o in outcomes) / len(outcomes)
    assert 0.27 < failed < 0.33
    again = FakeServer(faults=Faults.transient(0.3), seed=5)
    assert [again.outcome() for _ in range(50)] == outcomes[:50]
    again.stop()


def test_models_endpoint_lists_the_fake_model():
    with FakeServer() as server:
        data = httpx.get(f"{server.base_url}/models").json()
    assert data["data"][0]["id"] == "fake-model"
