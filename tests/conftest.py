"""Shared test helpers: a scripted OpenAI-compatible transport and canned model answers."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from briefgen import llm
from briefgen.llm import Timing

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_9c79eb009ab07a8d.txt"
#: The BASIL evaluation articles, read in place beside the repository (tests skip without them).
BASIL = ROOT.parent / "shared" / "eval" / "basil"

SOURCE = (
    "Port authority approves night shipping\n\n"
    "The Harbor Port Authority on Tuesday, March 4, 2025 approved a plan to allow container "
    "traffic at night. \u201cThis keeps the harbor competitive,\u201d said Maria Lopez, the "
    "authority\u2019s chair. Residents of the Eastside district oppose the plan. "
    "\u201cWe will not sleep for years,\u201d said Tom Reed, a resident. "
    "The authority has not said when the first night shifts begin."
)


#: Speakers of the AARP story: "Carney said", "said Jack Lew", a scare quote, one for AARP's CEO.
AARP = (
    "AARP pushes back\n\n"
    "White House Press Secretary Jay Carney spoke on Friday.\n\n"
    '"The president supports measures to strengthen Social Security," Carney said Friday.\n\n'
    '"We have a little bit of time," said Jack Lew, director of the Office. "Scare quotes"\n\n'
    'AARP CEO Barry Rand called the article "misleading."'
)


#: A draft's ``source`` for a text other than SOURCE, whose headline it does not write.
UNTITLED: dict[str, Any] = {"title": None, "author": None, "date": None, "genre": "news report"}


def draft(**overrides: Any) -> dict[str, Any]:
    """A schema-valid draft answer for :data:`SOURCE`, citing its sentences by number.

    SOURCE's sentences: [1] the headline, [2] the approval, [3] Lopez's quotation, [4] the
    residents, [5] Reed's quotation, [6] the open start date.
    """
    base: dict[str, Any] = {
        "title": "Port authority approves night shipping",
        "summary": "The Harbor Port Authority approved night container traffic over residents' "
        "objections.",
        "source": {
            "title": "Port authority approves night shipping",
            "author": None,
            "date": None,
            "genre": "news report",
        },
        "actors": [
            {
                "name": "Harbor Port Authority",
                "kind": "organization",
                "role": "approved the plan",
                "aliases": ["the authority"],
            },
            {
                "name": "Maria Lopez",
                "kind": "person",
                "role": "the authority\u2019s chair",
                "aliases": ["Lopez"],
            },
            {"name": "Tom Reed", "kind": "person", "role": "a resident", "aliases": []},
        ],
        "positions": [
            {
                "actor": "Maria Lopez",
                "sentence": 3,
                "stance": "Maria Lopez says night shipping keeps the harbor competitive.",
            },
            {
                "actor": "Tom Reed",
                "sentence": 5,
                "stance": "Tom Reed warns residents will lose years of sleep.",
            },
        ],
        "key_events": [
            {
                "sentence": 2,
                "date_text": "Tuesday, March 4, 2025",
                "description": "The authority approved night container traffic.",
            },
        ],
        "open_questions": [
            {"question": "When do night shifts start?", "sentence": 6},
        ],
    }
    base.update(overrides)
    return base


def completion(
    content: str | dict[str, Any] | None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
) -> dict[str, Any]:
    """A chat.completions response body."""
    if isinstance(content, dict):
        content = json.dumps(content)
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


Responder = Callable[[httpx.Request], httpx.Response]


class Script:
    """Answers requests in order from a list of responses (or exceptions); records every request."""

    def __init__(self, *steps: httpx.Response | dict[str, Any] | Exception | Responder) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.steps:
            raise AssertionError(f"unexpected extra request to {request.url}")
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        if callable(step):
            return step(request)
        return httpx.Response(200, json=step)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(
            base_url="http://llm.test/v1",
            api_key="sk-test-secret",
            http_client=httpx.Client(transport=httpx.MockTransport(self)),
        )

    def async_client(self) -> openai.AsyncOpenAI:
        async def handler(request: httpx.Request) -> httpx.Response:
            return self(request)

        return openai.AsyncOpenAI(
            base_url="http://llm.test/v1",
            api_key="sk-test-secret",
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        )


class Waits(list[float]):
    """Transport-retry waits, recorded instead of slept by the :class:`Timing` it hands out."""

    def __init__(self) -> None:
        super().__init__()
        self.timing = Timing(sleep=self.append, asleep=self._asleep)

    async def _asleep(self, seconds: float) -> None:
        self.append(seconds)


def connect_with(monkeypatch: pytest.MonkeyPatch, timing: Timing) -> None:
    """Hand ``timing`` to every connection the code under test opens (``connect`` takes it)."""
    monkeypatch.setattr("briefgen.llm.connect", functools.partial(llm.connect, timing=timing))


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> Iterator[Waits]:
    """Record transport-retry waits instead of sleeping: pass ``no_sleep.timing`` to an LLM;
    connections the code under test opens get it too."""
    waits = Waits()
    connect_with(monkeypatch, waits.timing)
    yield waits


# --- Recorded HTTP cassettes (pytest-recording / vcrpy) -------------------------------------
#
# Cassettes in ../cassettes were recorded from the real embedded model over HTTP. Replay is the
# default (record mode "none": no network). To re-record, see README "Re-recording cassettes":
#   pytest tests/test_cassettes.py --record-mode=rewrite
# which starts the embedded llama.cpp server and points the tests at it.

RECORDED_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"
_SECRET_HEADERS = [
    "authorization",
    "cookie",
    "set-cookie",
    "openai-organization",
    "openai-project",
    "api-key",
    "x-api-key",
]


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": _SECRET_HEADERS,
        # The embedded server listens on an ephemeral port, so host and port are not matched;
        # the body is, so a prompt change can never replay a stale answer.
        "match_on": ["method", "path", "body"],
        "decode_compressed_response": True,
        "allow_playback_repeats": False,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(ROOT / "cassettes")


@pytest.fixture(scope="module")
def recorded_llm_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Where cassette tests send requests: the live embedded server only while recording."""
    mode = request.config.getoption("--record-mode", default="none")
    if mode in (None, "none"):
        yield "http://127.0.0.1:9/v1"  # never contacted: replay answers every request
        return
    from briefgen.backends.embedded import EmbeddedServer, ServerOptions, default_model_path

    with EmbeddedServer(ServerOptions(default_model_path(), n_ctx=8192)) as server:
        yield server.base_url


# One note per wording the producers write today (review.py, repair.py, speakers.py,
# assemble.py, merge.py), filled in as they fill them, with the kind it must be read as.
NOTE_WORDINGS = [
    # review.py
    ('key_events: added sentence [12], which the text dates ("in 2026")', "event_added"),
    ("key_events[1] dropped: no sentence [99]", "key_events_uncited"),
    ("key_events[2] dropped: sentence [3] addresses an AI model", "key_events_withheld"),
    (
        "positions[1] dropped: sentence [2] does not say Ilham Aliyev said it",
        "position_unattributed",
    ),
    ('positions[3] dropped: the source never names "Nancy Pelosi"', "position_unnamed"),
    ("positions[2] dropped: no sentence [7]", "positions_uncited"),
    ("positions[2] dropped: sentence [3] addresses an AI model", "positions_withheld"),
    ('positions[1]: stance "Chair" is a title; asked again', "stance_asked"),
    (
        'positions[3]: stance "He pointed, for instance, to the" does not name Ilham Aliyev; asked',
        "stance_asked",
    ),
    ("open_questions[1] dropped: no sentence [12]", "open_questions_uncited"),
    ("open_questions[1] dropped: sentence [4] addresses an AI model", "open_questions_withheld"),
    ("positions[3] dropped: no stance for Tom Reed", "position_unwritten"),
    # repair.py
    ('actors[4]: dropped "Hunter", listed as "Duncan Hunter"', "actor_merged"),
    (
        'actors[2]: "Governor Jan Brewer" written "Gov. Jan Brewer" as in the source',
        "actor_respelled",
    ),
    ('actors[5]: dropped "Nancy Pelosi", which the source does not contain', "actor_absent"),
    (
        'actors[1]: "Sen. Kay Bailey Hutchison" written "Kay Bailey Hutchison", without the title',
        "actor_untitled",
    ),
    ('actors[4]: dropped "Tom Reed", listed twice', "actor_duplicate"),
    ('actors: added "Barack Obama", whom the summary names', "actor_added"),
    (
        'actors[3]: role "President of Azerbaijan" cleared: the text writes it of Ilham Aliyev, '
        "not of Teymur Atayev",
        "role_cleared",
    ),
    ("dropped source.date 2026-01-01: the text does not state it", "date_unwritten"),
    ('dropped source.title "DATA": the text does not write it', "source_detail_unwritten"),
    ('dropped source.author "Staff": the text does not write it', "source_detail_unwritten"),
    ("key_events[3]: dropped, sentence [2] twice", "event_duplicate"),
    (
        'key_events[1]: date_text "5 years after the Patriotic War" is not a date its sentence '
        "writes; undated",
        "date_unwritten",
    ),
    (
        'key_events[7]: date_text "December 13" is not a date its sentence writes; dated "The '
        'following day" from its sentence',
        "date_corrected",
    ),
    (
        "key_events[1]: the description is not of sentence [5]; its own words used",
        "description_replaced",
    ),
    # speakers.py
    ('actors: added "Maria Lopez", whom the text quotes', "actor_added"),
    (
        "positions[1]: the text gives these words to John Cornyn, not to Richard Blumenthal; "
        "speaker changed",
        "speaker_changed",
    ),
    ("positions[2]: dropped, the same words of Maria Lopez twice", "position_duplicate"),
    (
        'positions[2]: added, the text quotes Maria Lopez ("This keeps the harbor open") and the '
        "answer gave no position of theirs",
        "position_added",
    ),
    # merge.py, around the notes of each part
    ("part 2/3 could not be briefed: the model could not brief this source", "part_failed"),
    (
        "part 1/3: repaired: positions[1] dropped: sentence [4] does not say Jane Doe said it",
        "position_unattributed",
    ),
]


# --- Digests: three accounts of one planted story -------------------------------------------
#
# Sentences, by source: A [2] the approval, [3] Lopez's words, [4] 3,000 jobs, [5] the hearing
# only A reports; B [2] the approval again, [3] Lopez's words, [4] 2,500 jobs, [5] residents to
# sue; C [2] residents to sue (worded apart from B's [5]), [3] Lopez's words given to Tom Reed,
# [4] the fishing fleet only C reports.

PLANTED = {
    "A": (
        "Port approves night shipping\n\n"
        "The Harbor Port Authority on Tuesday, March 4, 2025 approved a plan to allow container "
        "traffic at night. \u201cThis keeps the harbor competitive,\u201d said Maria Lopez, the "
        "authority\u2019s chair. About 3,000 jobs depend on the port, Lopez said. "
        "The mayor will hold a hearing on Friday, March 7, 2025."
    ),
    "B": (
        "Night shifts come to the harbor\n\n"
        "On Tuesday, March 4, 2025 the Harbor Port Authority approved a plan allowing container "
        "traffic at night. \u201cThis keeps the harbor competitive,\u201d Maria Lopez said. "
        "About 2,500 jobs depend on the port. "
        "Eastside residents plan to sue the authority over the noise."
    ),
    "C": (
        "Residents fight the port\n\n"
        "Eastside residents said on Wednesday, March 5, 2025 that they will take the port to "
        "court over the noise of night traffic. \u201cThis keeps the harbor competitive,\u201d "
        "said Tom Reed, a resident, mocking the authority. The fishing fleet left the harbor at "
        "dawn."
    ),
}


def brief_of(
    text: str,
    *,
    events: Sequence[int] = (),
    actors: Sequence[tuple[str, str, list[str]]] = (),
    positions: Sequence[tuple[str, int]] = (),
    questions: Sequence[tuple[str, int]] = (),
    anchor: str | None = "2025-03-06",
) -> Any:
    """A checked-looking :class:`Briefing` of ``text`` whose items cite the given sentences:
    events described "event N", actors as ``(name, kind, aliases)``, positions as ``(speaker,
    sentence)`` with their words inside the sentence's quotation marks (else the sentence)."""
    from briefgen.dates import find_date, iso_date
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
    from briefgen.sentences import Document

    doc = Document(text)

    def cited(number: int, *, spoken: bool = False) -> Evidence:
        s = doc[number]
        assert s is not None, number
        start, end = s.start, s.end
        words = s.of(text)
        if (
            spoken and "\u201c" in words
        ):  # a speaker's words inside their marks, as a brief has them
            start = s.start + words.index("\u201c") + 1
            end = s.start + words.index("\u201d")
            while text[end - 1] in ",.":
                end -= 1
        return Evidence(quote=text[start:end], start=start, end=end, match="exact")

    key_events = []
    for n in events:
        written = find_date(doc.words(n))
        key_events.append(
            Event(
                date=iso_date(written, anchor) if written else None,
                date_text=written,
                description=f"event {n}",
                evidence=cited(n),
            )
        )
    return Briefing(
        title=doc.words(1),
        summary=f"Summary of {doc.words(1)}.",
        source=SourceInfo(title=doc.words(1), date=anchor),
        key_events=key_events,
        actors=[Actor(name=n, kind=k, aliases=a) for n, k, a in actors],
        positions=[
            Position(actor=who, position=f"{who} says so.", evidence=cited(n, spoken=True))
            for who, n in positions
        ],
        open_questions=[OpenQuestion(question=q, evidence=cited(n)) for q, n in questions],
        meta=Meta(
            briefgen_version="test",
            backend="test",
            model="test-model",
            mode="json_schema",
            attempts=1,
            usage=Usage(),
            grounding=GroundingCounts(exact=len(key_events)),
            created="2025-03-06T12:00:00+00:00",
            source_chars=len(text),
            source_sha256="0" * 64,
        ),
    )


PORT_ACTORS = [
    ("Harbor Port Authority", "organization", ["the authority"]),
    ("Maria Lopez", "person", ["Lopez"]),
]


def planted_briefs() -> dict[str, Any]:
    """The planted story's briefs, as a good model would make them."""
    return {
        "A": brief_of(
            PLANTED["A"],
            events=[2, 4, 5],
            actors=PORT_ACTORS,
            positions=[("Maria Lopez", 3)],
            questions=[("When do night shifts start?", 2)],
        ),
        "B": brief_of(
            PLANTED["B"],
            events=[2, 4, 5],
            actors=PORT_ACTORS,
            positions=[("Maria Lopez", 3)],
            questions=[("When do the night shifts start?", 2)],
        ),
        "C": brief_of(
            PLANTED["C"],
            events=[2, 4],
            actors=[("Tom Reed", "person", ["Reed"]), ("Eastside residents", "group", [])],
            positions=[("Tom Reed", 3)],
        ),
    }


def planted_digest(texts: dict[str, str] | None = None, answer: str | None = None) -> Any:
    """The planted story's digest, made without I/O: code's plan, then ``answer`` (a merge
    answer's JSON; None: as if the request failed)."""
    import hashlib

    from briefgen.digest.align import View
    from briefgen.digest.assemble import Outcome, digest
    from briefgen.digest.differences import headline_and_lead
    from briefgen.digest.request import plan
    from briefgen.digest.schema import DigestMeta, DigestSource
    from briefgen.sentences import Document

    texts = texts or PLANTED
    briefs = planted_briefs()
    views = [View(s, Document(t), briefs[s], "2025-03-06") for s, t in texts.items()]
    sources = []
    for view in views:
        head, lead = headline_and_lead(view)
        sha = hashlib.sha256(view.doc.text.encode("utf-8")).hexdigest()
        sources.append(
            DigestSource(
                id=view.id,
                title=view.doc.words(1),
                outlet=f"Outlet {view.id}",
                date="2025-03-06",
                path=f"{view.id.lower()}.txt",
                sha256=sha,
                chars=len(view.doc.text),
                label=f"Outlet {view.id}",
                headline=head,
                lead=lead,
            )
        )
    meta = DigestMeta(
        briefgen_version="test",
        backend="test",
        model="test-model",
        created="2025-03-06T12:00:00+00:00",
    )
    outcome = Outcome("ok", answer) if answer else Outcome("failed", error="no server")
    return digest(plan(views), outcome, sources=sources, meta=meta)


#: A merge answer for the planted story: one pair joined, two merged lines, a framing line.
MERGE = {
    "pairs": [{"pair": "P1", "same": True}],
    "events": [
        {"event": "E1", "description": "The port authority approves night shipping."},
        {"event": "E2", "description": "Outlets count the jobs that depend on the port."},
    ],
    "framing": "A and B lead with the approval, C with the residents.",
    "differences": [],
    "summary": "The port approved night shipping; residents go to court.",
    "cites": ["A2", "C2"],
    "title": "Night shipping approved",
}
