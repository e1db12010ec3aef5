"""Merging the briefs of a chunked source, and briefing a long source in parts end to end."""

from __future__ import annotations

import json
import logging
import re

import httpx
import pytest
from conftest import Script, completion

import briefgen
from briefgen import sentences
from briefgen.chunking import Chunk
from briefgen.errors import ExtractionError, SourceError
from briefgen.events import PartStarted, Planned, Requesting
from briefgen.merge import join_parts, merge_actors, shift
from briefgen.schema import (
    Actor,
    Briefing,
    Event,
    Evidence,
    GroundingCounts,
    Meta,
    OpenQuestion,
    Position,
    SourceInfo,
    Usage,
)
from briefgen.settings import Settings

PART1 = (
    "Mayor Ana Ruiz opened the session on March 3, 2024. “We keep every promise,” Ruiz said.\n\n"
)
PART2 = (
    "On January 5, 2024 the council first met. Ana Ruiz called the vote. "
    "“Roads come first,” said Ruiz.\n"
)
SOURCE = PART1 + PART2


def ev(part: str, quote: str) -> Evidence:
    start = part.find(quote)
    if start < 0:
        return Evidence(quote=quote)
    return Evidence(quote=quote, start=start, end=start + len(quote), match="exact")


def meta(**kw) -> Meta:
    base = dict(
        briefgen_version="0",
        backend="openai-compatible",
        model="m",
        mode="json_schema",
        attempts=1,
        usage=Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15),
        grounding=GroundingCounts(),
        created="2024-01-01T00:00:00+00:00",
        source_chars=0,
        source_sha256="x",
    )
    return Meta(**{**base, **kw})


def brief_one() -> Briefing:
    return Briefing(
        title="Session opens",
        summary="The mayor opened the session.",
        source=SourceInfo(title=None, date="2024-03-04", origin="report.pdf"),
        key_events=[
            Event(
                date="2024-03-03",
                date_text="March 3, 2024",
                description="Session opened.",
                actors=["Ana Ruiz"],
                evidence=ev(PART1, "opened the session on March 3, 2024"),
            ),
        ],
        actors=[Actor(name="Ana Ruiz", role="Mayor", kind="person", aliases=["Ruiz"])],
        positions=[
            Position(
                actor="Ana Ruiz",
                position="Promises are kept.",
                evidence=ev(PART1, "We keep every promise"),
            ),
        ],
        open_questions=[],
        meta=meta(warnings=["one quote was fuzzy"]),
    )


def brief_two() -> Briefing:
    return Briefing(
        title="Council meets",
        summary="The council met.",
        source=SourceInfo(title="Annual report", author="Council", origin="report.pdf"),
        key_events=[
            Event(
                date=None,
                description="Ruiz called the vote.",
                actors=["Ruiz"],
                evidence=ev(PART2, "Ana Ruiz called the vote"),
            ),
            Event(
                date="2024-01-05",
                date_text="January 5, 2024",
                description="First meeting.",
                actors=[],
                evidence=ev(PART2, "the council first met"),
            ),
        ],
        actors=[
            Actor(name="Ruiz", role=None, kind="other", aliases=["Ana Ruiz"]),
            Actor(name="City Council", kind="government"),
        ],
        positions=[
            Position(actor="Ruiz", position="Roads first.", evidence=ev(PART2, "Roads come first")),
            Position(actor="Ruiz", position="Invented.", evidence=ev(PART2, "We will raise taxes")),
        ],
        open_questions=[
            OpenQuestion(question="When is the vote?", evidence=ev(PART2, "called the vote")),
        ],
        meta=meta(attempts=2, usage=Usage(prompt_tokens=20, completion_tokens=10, total_tokens=30)),
    )


CHUNKS = [Chunk(0, len(PART1)), Chunk(len(PART1), len(SOURCE))]


def test_offsets_refer_to_the_whole_source():
    merged = join_parts(SOURCE, list(zip(CHUNKS, [brief_one(), brief_two()], strict=True)))
    for e in merged.evidence():
        if e.verified:
            assert SOURCE[e.start : e.end] == e.quote
        else:
            assert e.start is None and e.end is None
    assert merged.meta.source_chars == len(SOURCE)


def test_actors_are_deduplicated_by_name_and_alias_and_references_follow():
    merged = join_parts(SOURCE, list(zip(CHUNKS, [brief_one(), brief_two()], strict=True)))
    assert [a.name for a in merged.actors] == ["Ana Ruiz", "City Council"]
    ruiz = merged.actors[0]
    assert ruiz.role == "Mayor" and ruiz.kind == "person" and ruiz.aliases == ["Ruiz"]
    assert {p.actor for p in merged.positions} == {"Ana Ruiz"}
    assert all(a == "Ana Ruiz" for e in merged.key_events for a in e.actors)


def test_events_are_ordered_by_date_undated_last():
    merged = join_parts(SOURCE, list(zip(CHUNKS, [brief_one(), brief_two()], strict=True)))
    assert [e.date for e in merged.key_events] == ["2024-01-05", "2024-03-03", None]


def test_positions_keep_their_evidence_and_meta_is_summed():
    merged = join_parts(SOURCE, list(zip(CHUNKS, [brief_one(), brief_two()], strict=True)))
    assert [p.evidence.quote for p in merged.positions] == [
        "We keep every promise",
        "Roads come first",
        "We will raise taxes",
    ]
    assert merged.positions[2].evidence.match == "missing"  # still flagged, never dropped
    m = merged.meta
    assert m.chunks == 2 and m.attempts == 3 and m.usage.total_tokens == 45
    assert (m.grounding.exact, m.grounding.missing, m.grounding.total) == (6, 1, 7)
    assert m.warnings == ["part 1/2: one quote was fuzzy"]
    assert merged.title == "Session opens"
    # Each source field comes from the first part that states it.
    assert merged.source.date == "2024-03-04" and merged.source.title == "Annual report"


def test_a_failed_part_is_reported_and_its_usage_counted():
    failure = ExtractionError("no valid answer", attempts=3, usage=Usage(total_tokens=99))
    merged = join_parts(SOURCE, [(CHUNKS[0], brief_one()), (CHUNKS[1], failure)])
    assert merged.meta.chunks == 2 and merged.meta.attempts == 4
    assert merged.meta.usage.total_tokens == 114
    assert "part 2/2 could not be briefed: no valid answer" in merged.meta.warnings


def test_all_parts_failing_raises_with_totals():
    failure = ExtractionError("bad", attempts=2, usage=Usage(total_tokens=10))
    with pytest.raises(ExtractionError, match="no part of the 2-part source") as info:
        join_parts(SOURCE, [(CHUNKS[0], failure), (CHUNKS[1], failure)])
    assert info.value.attempts == 4 and info.value.usage.total_tokens == 20


def test_merge_actors_joins_groups_linked_by_a_later_alias():
    actors, names = merge_actors(
        [
            Actor(name="A. Ruiz"),
            Actor(name="Ana Ruiz"),
            Actor(name="Ruiz", aliases=["A. Ruiz", "Ana Ruiz"]),
        ]
    )
    assert [a.name for a in actors] == ["A. Ruiz"]
    assert names["ana ruiz"] == "A. Ruiz"


def test_shift_leaves_missing_quotes_spanless():
    assert shift(Evidence(quote="x"), 10).start is None
    assert shift(Evidence(quote="x", start=1, end=2, match="exact"), 10).start == 11


# --- end to end: a long source briefed in parts over a scripted model -------------------------

_SOURCE_BLOCK = re.compile(r"<source>\n(.*)\n</source>", re.DOTALL)
_NUMBERED = re.compile(r"^\[(\d+)\] ", re.MULTILINE)


def _shown(body: dict) -> list[int]:
    """The sentence numbers a request's prompt shows, in order."""
    part = _SOURCE_BLOCK.search(body["messages"][1]["content"]).group(1)
    return [int(n) for n in _NUMBERED.findall(part)]


def _grounded_answer(request: httpx.Request) -> httpx.Response:
    """Answer like a model would: cite the first and the last sentence of the part it was sent."""
    body = json.loads(request.content)
    part = _SOURCE_BLOCK.search(body["messages"][1]["content"]).group(1)
    numbers = _shown(body)
    name = re.search(r"Speaker (\w+)", part).group(0)
    answer = {
        "title": "Part",
        "summary": "A part.",
        "source": {"title": None, "author": None, "date": None, "genre": None},
        "actors": [{"name": name, "kind": "person", "role": "speaker", "aliases": []}],
        "positions": [],
        "key_events": [
            {"sentence": numbers[0], "date_text": None, "description": "Something happened."}
        ],
        "open_questions": [{"question": f"What follows [{numbers[-1]}]?", "sentence": numbers[-1]}],
    }
    return httpx.Response(200, json=completion(answer))


def test_long_source_is_briefed_in_parts_and_merged():
    paragraphs = [
        f"Speaker {name} reported item {i} to the committee in detail. " + "More words. " * 20
        for i, name in enumerate(["Alpha", "Bravo", "Alpha", "Charlie", "Bravo", "Delta"])
    ]
    text = "\n\n".join(paragraphs)
    settings = Settings(model="test-model", input_budget_tokens=120)
    script = Script(*[_grounded_answer] * 6)
    briefing = briefgen.generate_brief(text, settings=settings, client=script.client())
    bodies = script.bodies()
    assert briefing.meta.chunks == len(bodies) > 1
    for i, body in enumerate(bodies, 1):
        user = body["messages"][1]["content"]
        assert f"part {i} of {len(bodies)}" in user
        assert len(user) < len(text)  # never the whole source in one prompt
    assert briefing.meta.attempts == len(bodies)
    assert briefing.meta.usage.total_tokens == 150 * len(bodies)
    assert [a.name for a in briefing.actors] == [
        "Speaker Alpha",
        "Speaker Bravo",
        "Speaker Charlie",
        "Speaker Delta",
    ]
    # One numbering over the whole source: the parts show it in turn, none starting again at 1.
    shown = [n for body in bodies for n in _shown(body)]
    whole = sentences.split(text)
    assert shown == [s.number for s in whole]
    assert [_shown(body)[0] for body in bodies][1] > 1
    # Each part's citations are the whole source's sentences, at offsets into the whole source.
    assert len(briefing.key_events) == len(briefing.open_questions) == len(bodies)
    firsts = [_shown(body)[0] for body in bodies]
    lasts = [_shown(body)[-1] for body in bodies]
    for items, cited in ((briefing.key_events, firsts), (briefing.open_questions, lasts)):
        for item, number in zip(items, cited, strict=True):
            ev, sentence = item.evidence, whole[number - 1]
            assert (ev.start, ev.end, ev.match) == (sentence.start, sentence.end, "exact")
            assert ev.quote == sentence.of(text)
    # An event's actors are those its own sentence names.
    for e in briefing.key_events:
        assert e.actors == [re.match(r"Speaker \w+", e.evidence.quote).group(0)]


def test_the_parts_are_announced_and_logged(caplog):
    text = "\n\n".join(f"Speaker Echo said item {i} matters a great deal. " * 6 for i in range(4))
    settings = Settings(model="test-model", input_budget_tokens=100)
    script = Script(*[_grounded_answer] * 8)
    seen = []
    with caplog.at_level(logging.INFO, logger="briefgen"):
        briefgen.generate_brief(
            text, settings=settings, client=script.client(), on_event=seen.append
        )
    parts = len(script.requests)
    assert seen[0] == Planned(len(text), parts, 100)
    assert [e for e in seen if isinstance(e, PartStarted)] == [
        PartStarted(i, parts) for i in range(1, parts + 1)
    ]
    # Requests are numbered across the parts.
    assert [e.number for e in seen if isinstance(e, Requesting)] == list(range(1, parts + 1))
    assert caplog.records[0].getMessage() == (
        f"source of {len(text):,} characters: {parts} parts (input budget 100 tokens a part)"
    )


async def test_async_briefer_chunks_too():
    text = "\n\n".join(f"Speaker Echo said item {i} matters a great deal. " * 6 for i in range(4))
    settings = Settings(model="test-model", input_budget_tokens=100)
    script = Script(*[_grounded_answer] * 8)
    briefing = await briefgen.agenerate_brief(text, settings=settings, client=script.async_client())
    assert briefing.meta.chunks == len(script.requests) > 1
    assert [a.name for a in briefing.actors] == ["Speaker Echo"]


def test_a_source_needing_more_parts_than_allowed_is_refused_before_any_call():
    text = "\n\n".join(f"Speaker Echo said item {i} matters a great deal. " * 6 for i in range(4))
    settings = Settings(model="test-model", input_budget_tokens=100, max_parts=2)
    script = Script()
    with pytest.raises(SourceError, match="raise --max-parts") as err:
        briefgen.generate_brief(text, settings=settings, client=script.client())
    assert "\n" not in str(err.value) and script.requests == []


def _refused(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=completion(None, refusal="I cannot help with that."))


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_part_that_fails_loses_only_itself_and_a_one_part_failure_raises(asynchronous):
    text = "\n\n".join(f"Speaker Echo said item {i} matters a great deal. " * 6 for i in range(4))
    settings = Settings(model="test-model", input_budget_tokens=100, max_attempts=1)

    async def brief(source: str, script: Script) -> briefgen.Briefing:
        if asynchronous:
            return await briefgen.agenerate_brief(
                source, settings=settings, client=script.async_client()
            )
        return briefgen.generate_brief(source, settings=settings, client=script.client())

    script = Script(_grounded_answer, _refused, *[_grounded_answer] * 8)
    briefing = await brief(text, script)
    parts = len(script.requests)
    assert parts > 2 and briefing.meta.chunks == parts
    assert any(w.startswith(f"part 2/{parts} could not be briefed") for w in briefing.meta.warnings)
    with pytest.raises(briefgen.BriefgenError):
        await brief("Speaker Echo said item 1 matters.", Script(_refused))
