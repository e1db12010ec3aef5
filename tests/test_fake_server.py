"""The fake server answers like a grounded model, and misbehaves exactly as configured."""

from __future__ import annotations

import json
from pathlib import Path

import fake_server
import httpx
import pytest
from conftest import BASIL, SOURCE
from fake_server import (
    FakeServer,
    Faults,
    answer,
    draft_for,
    numbered_of,
    quoted_of,
    source_of,
)
from test_layers import runtime_imports

from briefgen.extract import Session
from briefgen.review import check_answer, unwritten
from briefgen.sentences import Document
from briefgen.settings import Settings

#: No sentence is dated: review adds no events of its own to the draft's one.
TEXT = (
    "Council passes budget\n\nThe Council of Northfield passed its budget. "
    "Mayor Joan Park said the budget protects libraries. Opponents said fees rise for shops."
)


def body(text: str = TEXT) -> dict:
    return {"model": "fake-model", "messages": Session(text, Settings()).next_messages}


def _cited(data: dict) -> list[int]:
    return [
        item["sentence"]
        for name in ("positions", "key_events", "open_questions")
        for item in data[name]
    ]


def test_answers_are_schema_valid_and_cite_the_request_numbered_source():
    assert source_of(body()) == (
        "[1] Council passes budget\n\n"
        "[2] The Council of Northfield passed its budget.\n"
        "[3] Mayor Joan Park said the budget protects libraries.\n"
        "[4] Opponents said fees rise for shops."
    )
    content = answer(body())["choices"][0]["message"]["content"]
    assert set(_cited(json.loads(content))) <= {1, 2, 3, 4}
    checked = check_answer(content, Document(TEXT))
    assert checked.ok and checked.draft is not None
    # Its event and open question cite sentences the text has: the check keeps them.
    assert len(checked.draft.key_events) == len(checked.draft.open_questions) == 1


def test_the_numbered_source_is_read_back_with_its_numbers_and_paragraphs():
    # A later part of a long source: its numbers are the whole source's.
    doc = numbered_of("[22] The vote came. It passed.\n[23] Next one.\n\n[24] A new paragraph.")
    assert doc.text == "The vote came. It passed. Next one.\n\nA new paragraph."
    assert [(s.number, s.of(doc.text), s.paragraph) for s in doc.sentences] == [
        (22, "The vote came. It passed.", 0),
        (23, "Next one.", 0),
        (24, "A new paragraph.", 1),
    ]
    assert numbered_of("no numbered lines here").sentences == ()


def test_a_part_is_answered_with_the_numbers_it_was_shown():
    shown = "[7] Mayor Joan Park opened the session.\n[8] She said the budget passed."
    assert set(_cited(draft_for(shown))) <= {7, 8}


def test_a_draft_passes_the_check_unchanged():
    checked = check_answer(json.dumps(draft_for(source_of(body()))), Document(TEXT))
    assert checked.repairs == []


def test_a_draft_follows_the_prompt_listed_speakers_and_dated_sentences():
    request = body(SOURCE)
    data = json.loads(answer(request)["choices"][0]["message"]["content"])
    assert [(p["actor"], p["sentence"]) for p in data["positions"]] == [
        ("Maria Lopez", 3),
        ("Tom Reed", 5),
    ]
    assert data["key_events"] == [{"sentence": 2}]  # the dated sentence, by number alone
    checked = check_answer(json.dumps(data), Document(SOURCE))
    assert checked.ok and checked.repairs == []


def test_the_fake_takes_nothing_from_the_code_it_stands_in_for():
    # A double that asked the checks what to answer would share their bugs and hide them.
    imported = runtime_imports(Path(fake_server.__file__))
    assert {name for name in imported if name.startswith("briefgen")} <= {"briefgen.schema"}


@pytest.mark.skipif(not BASIL.is_dir(), reason="the BASIL articles are not on this machine")
@pytest.mark.xfail(
    strict=True,
    reason="the check wants speakers the prompt does not list: quoted but unlisted, listed at "
    "another sentence, or named by the draft's summary (about 1 article in 7)",
)
def test_a_draft_for_a_real_article_needs_no_stances_request():
    # A draft that gives every speaker the prompt lists a position should leave the check no
    # speaker to add: the batch benchmark's extra calls then come from its faults alone.
    for path in sorted(BASIL.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        request = body(text)
        draft = draft_for(source_of(request), quoted=quoted_of(request))
        checked = check_answer(json.dumps(draft), Document(text))
        assert unwritten(checked.draft) == [], path.name


def test_an_ungrounded_answer_loses_its_item_and_an_invalid_one_does_not_parse():
    bad = answer(body(), grounded=False)["choices"][0]["message"]["content"]
    assert json.loads(bad)["key_events"][0]["sentence"] not in {1, 2, 3, 4}
    checked = check_answer(bad, Document(TEXT))
    assert checked.problems == [] and checked.draft is not None
    assert checked.draft.key_events == []
    assert "key_events[1] dropped: no sentence [1004]" in checked.repairs
    cut = answer(body(), valid=False)["choices"][0]["message"]["content"]
    with pytest.raises(ValueError):
        json.loads(cut)
    assert check_answer(cut, Document(TEXT)).problems


def test_a_stances_request_gets_one_stance_per_listed_person():
    asked = '1. Joan Park: "the budget protects libraries"\n2. Tom Ash: "fees rise"'
    request = {
        **body(),
        "messages": [*body()["messages"], {"role": "user", "content": asked}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "DraftStances"}},
    }
    data = json.loads(answer(request)["choices"][0]["message"]["content"])
    assert list(data) == ["stances"] and len(data["stances"]) == 2


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
