"""The digest contract: what the one merge request fills (``DraftMerge``) and what a digest is.

A digest cites sentences of several sources. Every quote a reader sees is a :class:`Report`:
``{source, quote, start, end, match}`` where ``quote`` is ``text[start:end]`` of the source whose
id is ``source`` (``A``, ``B``, ...). The merge answer, like a brief's draft, never copies text:
it cites sentences by ids such as ``A12`` and code takes the words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field

from briefgen.schema import Line, MatchStatus, Summary, Usage

#: A digest merges at least two sources and at most this many (ids ``A`` .. ``H``).
MIN_SOURCES = 2
MAX_SOURCES = 8
SOURCE_IDS = "ABCDEFGH"
#: What the merge request asks, at most: the prompt and the answer stay short.
MAX_MERGED_EVENTS = 6
MAX_PAIRS = 5
MAX_EXTRA_DIFFERENCES = 2
MAX_CITES = 4

#: A sentence of a source, cited as in the prompt: ``A12`` is sentence 12 of source A.
CITE = re.compile(r"\b([A-H])([1-9][0-9]{0,3})\b")
Cite = Annotated[str, StringConstraints(pattern=r"^[A-H][1-9][0-9]{0,3}$", max_length=5)]
DifferenceKind = Literal["only_in", "conflict", "framing"]
#: How a report joined its item: the source's own brief chose that sentence, code matched it,
#: or the model said two candidate events are one.
Via = Literal["brief", "code", "model"]


def cite_id(source: str, sentence: int) -> str:
    """``A12`` for sentence 12 of source A."""
    return f"{source}{sentence}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- What the model fills -------------------------------------------------------------------


class DraftPair(_Strict):
    pair: str = Field(description="The pair's id, as listed.")
    same: bool = Field(description="true when both sentences report the same event.")


class DraftMergedEvent(_Strict):
    event: str = Field(description="The event's id, as listed.")
    description: Line = Field(description="What happened, in at most 12 words of yours.")


class DraftDifference(_Strict):
    kind: DifferenceKind
    description: Line = Field(description="How the outlets differ, in one line of yours.")
    cites: list[Cite] = Field(
        min_length=1, max_length=MAX_CITES, description="The sentence ids it rests on."
    )


class DraftMerge(_Strict):
    """The one merge request's answer: only what code cannot decide."""

    pairs: list[DraftPair] = Field(max_length=MAX_PAIRS)
    events: list[DraftMergedEvent] = Field(max_length=MAX_MERGED_EVENTS)
    framing: Line = Field(
        description="How the outlets' headlines and first sentences frame the story differently."
    )
    differences: list[DraftDifference] = Field(max_length=MAX_EXTRA_DIFFERENCES)
    summary: Summary = Field(description="The bottom line across the outlets, in one sentence.")
    cites: list[Cite] = Field(max_length=MAX_CITES, description="Sentence ids the summary uses.")
    title: Line = Field(description="A short neutral headline for the digest.")


def pinned_merge(
    events: Sequence[str], pairs: Sequence[str], shown: Sequence[str]
) -> type[DraftMerge]:
    """:class:`DraftMerge` with its events and pairs fixed to the listed ids, in order, and
    every citation one of the ``shown`` sentence ids.

    A grammar-building server (llama.cpp) enforces ``prefixItems``, ``const`` and ``enum``, so
    a small model neither skips an item nor cites a sentence it was not shown; code still
    checks every id (:mod:`briefgen.digest.cites`) for servers that do not.
    """
    cite = {"type": "string", "enum": list(shown)} if shown else {"type": "string"}

    def items(field: str, key: str, ids: Sequence[str], value: dict[str, Any]) -> dict[str, Any]:
        return {
            "prefixItems": [
                {
                    "type": "object",
                    "properties": {key: {"type": "string", "const": i}, field: value},
                    "required": [key, field],
                    "additionalProperties": False,
                }
                for i in ids
            ],
            "minItems": len(ids),
            "maxItems": len(ids),
        }

    def pin(schema: dict[str, Any]) -> None:
        props = schema["properties"]
        line = {"type": "string", "maxLength": 100}
        props["pairs"].update(items("same", "pair", pairs, {"type": "boolean"}))
        props["events"].update(items("description", "event", events, line))
        props["cites"]["items"] = cite
        props["differences"]["items"] = {
            "type": "object",
            "properties": {
                "kind": {"type": "string", "enum": ["only_in", "conflict", "framing"]},
                "description": line,
                "cites": {"type": "array", "items": cite, "minItems": 1, "maxItems": MAX_CITES},
            },
            "required": ["kind", "description", "cites"],
            "additionalProperties": False,
        }

    config = ConfigDict(extra="forbid", json_schema_extra=pin)
    namespace = {"model_config": config, "__doc__": DraftMerge.__doc__, "__module__": __name__}
    return type("DraftMerge", (DraftMerge,), namespace)


# --- What a digest is ------------------------------------------------------------------------


class Report(BaseModel):
    """One source's words for an item: ``quote`` is ``text[start:end]`` of source ``source``."""

    source: str
    quote: str
    start: int
    end: int
    match: MatchStatus = "exact"
    #: The number of the sentence it is (or is in), in that source's numbering.
    sentence: int | None = None
    via: Via = "brief"


class BriefRecord(BaseModel):
    """How a source's own brief went: made now, or reused from the response cache."""

    status: Literal["ok", "failed"] = "ok"
    #: Every answer the brief took came from the response cache: it cost no request now.
    reused: bool = False
    requests: int = 0
    attempts: int = 0
    #: Tokens spent on this brief now (0 when reused).
    spent: Usage = Field(default_factory=Usage)
    seconds: float = 0.0
    verified: bool | None = None
    error: str | None = None


class DigestSource(BaseModel):
    """One source of the digest, with a short stable id (``A``, ``B``, ...)."""

    id: str
    title: str | None = None
    outlet: str | None = None
    author: str | None = None
    date: str | None = None
    path: str | None = None
    url: str | None = None
    sha256: str
    chars: int
    #: What badges and legends call it: the outlet, else the author, else the file's name.
    label: str
    headline: Report | None = None
    lead: Report | None = None
    brief: BriefRecord = Field(default_factory=BriefRecord)


class TimelineEvent(BaseModel):
    """One event and every source that reports it, each with its own sentence."""

    date: str | None = None
    date_text: str | None = None
    description: str
    #: Who wrote the description: the model for an event several outlets report, else the
    #: brief of the source that reports it.
    described_by: Literal["model", "brief"] = "brief"
    actors: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    reports: list[Report]


class DigestActor(BaseModel):
    name: str
    role: str | None = None
    kind: str = "other"
    aliases: list[str] = Field(default_factory=list)
    #: The sources whose text names them.
    sources: list[str] = Field(default_factory=list)


class DigestPosition(BaseModel):
    actor: str
    position: str
    evidence: list[Report]
    sources: list[str] = Field(default_factory=list)
    #: The body the speaker speaks for, as a source's brief reads it off the text.
    speaks_for: str | None = None
    #: Where outlets give the same words to different people ("C gives these words to X").
    attributed_differently: list[str] = Field(default_factory=list)


class Difference(BaseModel):
    kind: DifferenceKind
    #: What differs: a number, a date, who said it, an event, the framing, or something the
    #: model found.
    about: Literal["number", "date", "attribution", "event", "framing", "other"] = "other"
    description: str
    evidence: list[Report]
    sources: list[str] = Field(default_factory=list)
    described_by: Literal["model", "code"] = "code"


class DigestQuestion(BaseModel):
    question: str
    evidence: list[Report]
    sources: list[str] = Field(default_factory=list)


class MergeRecord(BaseModel):
    """The one merge request: what it asked, how it went, what it cost."""

    status: Literal["ok", "failed", "refused", "truncated", "invalid", "not_asked"] = "not_asked"
    requests: int = 0
    reused: bool = False
    spent: Usage = Field(default_factory=Usage)
    seconds: float = 0.0
    pairs_asked: int = 0
    pairs_same: int = 0
    events_described: int = 0
    sentences_shown: int = 0
    error: str | None = None


class DigestNote(BaseModel):
    """A plain sentence for the reader about how the digest was made, without its final
    period (templates add it); ``serious`` ones make it unverified and go in its banner."""

    kind: str
    text: str
    serious: bool = False


class DigestMeta(BaseModel):
    briefgen_version: str
    backend: str
    model: str
    created: str
    #: HTTP requests this digest made (briefs and merge; answers from the cache make none).
    calls: int = 0
    #: Tokens spent now, over every request.
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = 0.0
    briefs_reused: int = 0
    merge: MergeRecord = Field(default_factory=MergeRecord)
    seconds: float = 0.0
    #: Diagnostics with item paths, one per decision or fix ("summary: dropped [A99]: ...").
    warnings: list[str] = Field(default_factory=list)
    notes: list[DigestNote] = Field(default_factory=list)


class Digest(BaseModel):
    """One story told by several sources, merged: the result of :meth:`Digester.digest`."""

    title: str
    summary: str
    summary_evidence: list[Report] = Field(default_factory=list)
    sources: list[DigestSource]
    timeline: list[TimelineEvent]
    actors: list[DigestActor]
    positions: list[DigestPosition]
    differences: list[Difference]
    open_questions: list[DigestQuestion]
    meta: DigestMeta

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verified(self) -> bool:
        """True when every source was briefed, the merge request answered, and nothing the
        model cited had to be dropped."""
        return not any(n.serious for n in self.meta.notes)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def banner(self) -> str | None:
        """The line every format opens with when the digest is not :attr:`verified`."""
        serious = [n.text.rstrip(".") for n in self.meta.notes if n.serious]
        if not serious:
            return None
        return "; ".join(serious) + " — check before publishing."

    def reports(self) -> list[Report]:
        """Every report in reading order: summary, timeline, differences, positions, questions,
        then the sources' headlines and leads."""
        return [
            *self.summary_evidence,
            *(r for e in self.timeline for r in e.reports),
            *(r for d in self.differences for r in d.evidence),
            *(r for p in self.positions for r in p.evidence),
            *(r for q in self.open_questions for r in q.evidence),
            *(r for s in self.sources for r in (s.headline, s.lead) if r is not None),
        ]

    def source(self, source_id: str) -> DigestSource:
        """The source whose id is ``source_id``."""
        return next(s for s in self.sources if s.id == source_id)
