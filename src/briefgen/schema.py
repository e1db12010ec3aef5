"""The briefing contract: what the LLM fills (`Draft*`) and what briefgen returns (`Briefing`).

The draft models are bounded (every list has ``maxItems``, every string ``maxLength``) because
servers that turn the JSON schema into a grammar otherwise let small models run past the token
cap. No draft field asks the model to copy source text: evidence is the number of a sentence of
the numbered source (:mod:`briefgen.sentences`), and code takes the words from the source.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Sequence
from datetime import date as _date
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
)
from pydantic.json_schema import GenerateJsonSchema, SkipJsonSchema

from briefgen import notices as _notices
from briefgen.notices import Notice

ActorKind = Literal["person", "organization", "government", "group", "place", "other"]
MatchStatus = Literal["exact", "normalized", "fuzzy", "missing"]

MAX_ACTORS = 7
MAX_EVENTS = 8
#: Positions the model writes (more, it filled with copies of the source); code adds the
#: speakers it leaves out up to :data:`MAX_POSITIONS`.
MAX_DRAFT_POSITIONS = 2
MAX_POSITIONS = 6
MAX_QUESTIONS = 2
MAX_ALIASES = 2

Short = Annotated[str, StringConstraints(max_length=60)]
Line = Annotated[str, StringConstraints(max_length=100)]
Sentence = Annotated[str, StringConstraints(max_length=180)]
#: One or two sentences: at 180 the grammar cut summaries mid-word (the model then ended on a
#: CJK character, the only token short enough); at 320 the 1.5B model wrote to the bound.
Summary = Annotated[str, StringConstraints(max_length=260)]
#: A stance: long enough for a sentence of its own, short enough that a stance the model copies
#: from the source (it does, six times over in one answer) costs few tokens.
_STANCE_CHARS = 140
Stance = Annotated[str, StringConstraints(max_length=_STANCE_CHARS)]
#: The number of a sentence of the numbered source: the model's evidence for an item.
SentenceRef = Annotated[int, Field(ge=1, le=99_999)]

_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def is_iso_date(value: str) -> bool:
    """True for ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` naming a real calendar date."""
    if not _ISO_DATE.match(value):
        return False
    parts = [int(p) for p in value.split("-")]
    try:
        _date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return False
    return True


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


_M = TypeVar("_M", bound=_Strict)


# --- What the model fills -------------------------------------------------------------------


class DraftSource(_Strict):
    title: Line | None = Field(description="The source's headline, as written, or null.")
    author: Short | None = Field(description="The author's name if the text states it, or null.")
    date: Short | None = Field(
        description="Publication date as YYYY-MM-DD if given or stated in the text, else null."
    )
    genre: Short | None = Field(
        description="news report, op-ed, press release, report, interview or other."
    )


class DraftActor(_Strict):
    name: Short = Field(
        description="Fullest name the source uses, copied exactly; never a job title alone."
    )
    kind: ActorKind
    role: Short = Field(description="Title or role in the story, from the source.")
    aliases: list[Short] = Field(
        max_length=MAX_ALIASES,
        description="Other spellings used in the source (e.g. surname alone).",
    )


class DraftEvent(_Strict):
    """A key event: the number of the sentence that reports it.

    Its date words, ISO date, actors and the line a reader sees are read off that sentence by
    code, which has the words a model asked to describe the event retypes. An answer that still
    carries ``date_text`` or ``description`` validates; both are checked against the sentence.
    """

    sentence: SentenceRef = Field(description="The number of the sentence that reports it.")
    date_text: SkipJsonSchema[Short | None] = None
    description: SkipJsonSchema[Line] = ""


class DraftPosition(_Strict):
    actor: Short = Field(description="The one actor the source says spoke these words.")
    sentence: SentenceRef = Field(description="The number of the sentence holding their words.")
    # Named "stance", not "position": the 1.5B model read "position" as a job ("Governor").
    # "position" is still accepted so answers in the earlier shape validate.
    stance: Stance = Field(
        validation_alias=AliasChoices("stance", "position"),
        description="What the speaker said or wants: a full sentence with a verb.",
    )


class DraftQuestion(_Strict):
    question: Sentence = Field(description="A question the source leaves open.")
    sentence: SentenceRef = Field(description="The number of the sentence that leaves it open.")


class Draft(_Strict):
    """The schema the LLM fills; sent as a strict json_schema."""

    title: Line = Field(description="A short headline for the brief.")
    summary: Summary = Field(description="Bottom line up front, in one sentence.")
    source: DraftSource
    actors: list[DraftActor] = Field(
        max_length=MAX_ACTORS,
        description="People and organisations the story is about, central one first, "
        "then everyone the text quotes.",
    )
    # Positions follow the actors they must name, before events pull the model elsewhere.
    # The schema the model fills holds MAX_DRAFT_POSITIONS; a draft code grew still validates.
    positions: list[DraftPosition] = Field(
        max_length=MAX_POSITIONS,
        json_schema_extra={"maxItems": MAX_DRAFT_POSITIONS},
        description="What the quoted people said: one speaker per quote, central people first.",
    )
    key_events: list[DraftEvent] = Field(max_length=MAX_EVENTS, description="In time order.")
    open_questions: list[DraftQuestion] = Field(max_length=MAX_QUESTIONS)


class DraftStances(_Strict):
    """The answer to a request for the stances of positions code added, one per quotation.

    Asked without the previous answer (which a small model copied from), and as plain
    sentences: asked as fixes, the 1.5B model dropped the items or copied the quote.
    """

    stances: list[Sentence] = Field(
        max_length=MAX_POSITIONS, description="One sentence per listed person, in order."
    )


#: The verbs a stance may open with after its speaker's name: a stance states who holds what.
STANCE_VERBS = (
    "says", "argues", "warns", "wants", "denies", "claims", "insists", "believes", "calls",
    "urges", "accuses", "defends", "rejects", "supports", "opposes", "criticizes", "praises",
    "asks", "notes", "hopes", "expects", "admits", "predicts", "promises", "vows", "fears",
)  # fmt: skip
_REGEX_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}])")


def stance_pattern(speaker: str) -> str:
    """The shape of ``speaker``'s stance: their name, a verb of :data:`STANCE_VERBS`, then a
    clause of the model's own (no quotation marks: its words, not the source's).

    Enforced by a grammar-building server, it is what the prompt asks for and what a small
    model left to itself did not write: a title ("Chief Executive"), the bare quotation, or
    "Phillip Dennis:" with nothing after it.
    """
    name = _REGEX_SPECIAL.sub(r"\\\1", speaker)
    clause = _STANCE_CHARS - len(speaker) - len(" criticizes ")
    verbs = "|".join(STANCE_VERBS)
    return rf'^{name} (?:{verbs}) [^"\\\n“”]{{8,{max(clause, 8)}}}$'


def pinned(speakers: Sequence[tuple[str, int]]) -> type[Draft]:
    """The draft whose positions are fixed to ``speakers``: one each, in order, with its actor
    and sentence set and its stance shaped by :func:`stance_pattern`.

    Code reads who the text quotes before the model answers (:func:`briefgen.speakers.quoted`);
    a small model asked to find them cited sentences 1, 2, 3, 4 and left speakers out. The
    answer still validates as a :class:`Draft`. The fixed items travel as ``prefixItems``,
    ``const`` and ``pattern``, which a grammar-building server (llama.cpp) enforces; ``Draft``
    itself when there is no one to pin.
    """
    if not speakers:
        return Draft
    items = [
        {
            "type": "object",
            "properties": {
                "actor": {"type": "string", "const": actor},
                "sentence": {"type": "integer", "const": number},
                "stance": {"type": "string", "pattern": stance_pattern(actor)},
            },
            "required": ["actor", "sentence", "stance"],
            "additionalProperties": False,
        }
        for actor, number in speakers[:MAX_POSITIONS]
    ]
    return _with_items(Draft, "positions", items)


def pinned_stances(speakers: Sequence[str]) -> type[DraftStances]:
    """:class:`DraftStances` with one stance per speaker, in order, each shaped by
    :func:`stance_pattern`."""
    items = [{"type": "string", "pattern": stance_pattern(s)} for s in speakers[:MAX_POSITIONS]]
    return _with_items(DraftStances, "stances", items) if items else DraftStances


def _with_items(model: type[_M], field: str, items: list[dict[str, Any]]) -> type[_M]:
    """A subclass of ``model`` whose JSON schema fixes the items of the list ``field``.

    Every source gets one, so it must be cheap: its validators are never built (answers are
    validated as ``model``), and its JSON schema is ``model``'s, made once, with the items set,
    instead of pydantic's schema generation each time (~4 ms a source, most of a batch's CPU
    against a fast server).
    """

    def pin(schema: dict[str, Any]) -> None:
        schema["properties"][field].update(
            prefixItems=items, minItems=len(items), maxItems=len(items)
        )

    def model_json_schema(cls: type[_M], *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:  # another mode or generator: pydantic's own, pinned by ``pin``
            return BaseModel.model_json_schema.__func__(cls, *args, **kwargs)  # type: ignore[attr-defined,no-any-return]
        schema = copy.deepcopy(_json_schema(model))
        pin(schema)
        # In pydantic's key order, so the request body is the same bytes as its own schema's.
        return GenerateJsonSchema().sort(schema)

    config = ConfigDict(extra="forbid", json_schema_extra=pin, defer_build=True)
    namespace = {
        "model_config": config,
        "__doc__": model.__doc__,
        "__module__": __name__,
        "model_json_schema": classmethod(model_json_schema),
    }
    return type(model.__name__, (model,), namespace)


@functools.cache
def _json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema, made once (callers copy it before changing it)."""
    return model.model_json_schema()


# --- What briefgen returns -------------------------------------------------------------------


class Evidence(BaseModel):
    """A quote and where it sits in the source: ``source[start:end]`` is the matched span."""

    quote: str
    start: int | None = None
    end: int | None = None
    match: MatchStatus = "missing"

    @property
    def verified(self) -> bool:
        """True when the quote was found in the source (exact, normalized or fuzzy)."""
        return self.match != "missing"


class SourceInfo(BaseModel):
    title: str | None = None
    author: str | None = None
    date: str | None = None
    genre: str | None = None
    origin: str | None = None


class Actor(BaseModel):
    name: str
    role: str | None = None
    kind: str = "other"
    aliases: list[str] = Field(default_factory=list)


class Event(BaseModel):
    date: str | None = None
    date_text: str | None = None
    description: str
    actors: list[str] = Field(default_factory=list)
    evidence: Evidence


class Position(BaseModel):
    actor: str
    position: str
    evidence: Evidence
    #: The body whose position this is, voiced by ``actor``, when the text writes it beside
    #: their name ("NAACP President ..."): read by code, always one of the brief's actors.
    speaks_for: str | None = None


class OpenQuestion(BaseModel):
    question: str
    evidence: Evidence


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


class GroundingCounts(BaseModel):
    exact: int = 0
    normalized: int = 0
    fuzzy: int = 0
    missing: int = 0

    @property
    def total(self) -> int:
        return self.exact + self.normalized + self.fuzzy + self.missing

    @property
    def verified(self) -> int:
        return self.total - self.missing


class Meta(BaseModel):
    briefgen_version: str
    backend: str
    model: str
    mode: str
    attempts: int
    usage: Usage
    grounding: GroundingCounts
    created: str
    source_chars: int
    source_sha256: str
    #: Diagnostics: one note per change the check made to the model's answer, with field paths
    #: ("positions[2] dropped: ..."), for ``-v`` and debugging; readers get
    #: :attr:`Briefing.notices` instead.
    warnings: list[str] = Field(default_factory=list)
    #: How many parts a source too long for one request was split into (1: not chunked).
    chunks: int = 1
    #: The publication date the prompt was given to anchor relative dates, if any.
    date_anchor: str | None = None


class Briefing(BaseModel):
    """A grounded brief of one source: the public result of :func:`briefgen.generate_brief`."""

    title: str
    summary: str
    source: SourceInfo
    key_events: list[Event]
    actors: list[Actor]
    positions: list[Position]
    open_questions: list[OpenQuestion]
    meta: Meta

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verified(self) -> bool:
        """True when every quote was found in the source and the check left no item out."""
        return self.meta.grounding.missing == 0 and not any(n.removed for n in self.notices)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def banner(self) -> str | None:
        """The line every format opens with when the brief is not :attr:`verified`, else None:
        "2 of 8 quotes could not be found in the source; 3 positions were left out of the brief
        — check before publishing."."""
        g = self.meta.grounding
        return _notices.banner(g.missing, g.total, self.notices)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def notices(self) -> list[Notice]:
        """What the check changed, in plain counted sentences for the reader (no field paths);
        the notes they come from stay in ``meta.warnings``."""
        return _notices.read(self.meta.warnings)

    def evidence(self) -> list[Evidence]:
        """Every evidence record in reading order: events, positions, open questions."""
        return [
            *(e.evidence for e in self.key_events),
            *(p.evidence for p in self.positions),
            *(q.evidence for q in self.open_questions),
        ]
