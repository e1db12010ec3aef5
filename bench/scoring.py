"""Score one briefing against BASIL's annotations: grounding, recall, inventions, cost.

Pure: no model, no I/O besides :func:`load_gold`. Invented dates use the library's own rule
(:func:`briefgen.dates.date_problem`), so the metric and the re-ask loop never disagree.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from briefgen import Briefing, Position, grounding
from briefgen.dates import date_problem
from briefgen.schema import STANCE_VERBS

#: Words that do not identify an entity ("the Senate" is "Senate", "Mr. Reid" is "Reid").
_FILLER = frozenset({"the", "a", "an", "of", "mr", "mrs", "ms", "dr", "sen", "rep", "gov", "pres"})
_TOKEN = re.compile(r"[a-z0-9]+")
#: Spellings of one word that news text and annotators use interchangeably.
_SAME = {"democratic": "democrat", "gop": "republican", "lawmakers": "lawmaker"}
#: Last words that name a kind of body, not a person: "Republican lawmakers" and "Democratic
#: lawmakers" share one, but are not the same entity the way "Mr. Obama" and "Barack Obama" are.
_GENERIC = frozenset(
    {
        "lawmaker",
        "party",
        "committee",
        "administration",
        "campaign",
        "court",
        "house",
        "senate",
        "department",
        "official",
        "member",
        "leader",
        "democrat",
        "republican",
        "group",
        "union",
        "state",
        "congress",
        "government",
        "council",
        "agency",
        "office",
        "staff",
        "supporter",
        "bill",
    }
)


#: A party's lawmakers are its members of either chamber: "House Republicans" are the story's
#: "Republican Lawmakers", never the Democrats' or another party's.
_LAWMAKERS = frozenset({"lawmaker", "legislator"})
_CHAMBERS = frozenset({"house", "senate", "congress"})


def _same_lawmakers(a: set[str], b: set[str]) -> bool:
    """``a`` names a party's lawmakers and ``b`` the same party's members of one chamber."""
    party = a - _LAWMAKERS
    return bool(a & _LAWMAKERS and b & _CHAMBERS and party and party == b - _CHAMBERS)


@dataclass(frozen=True)
class Gold:
    """BASIL's annotations for one article."""

    file: str
    date: str | None
    main_entities: list[str]
    quoted_speakers: list[str]
    #: (quoted phrase, its speaker) pairs the annotators marked.
    quotes: list[tuple[str, str]] = field(default_factory=list)


def load_gold(path: Path) -> dict[str, Gold]:
    """The gold file as ``{file name: Gold}``."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return {
        r["file"]: Gold(
            file=r["file"],
            date=r.get("date"),
            main_entities=list(dict.fromkeys(r.get("main_entities") or [])),
            quoted_speakers=list(dict.fromkeys(r.get("quoted_speakers") or [])),
            quotes=[
                (q["text"], q["speaker"])
                for q in r.get("quotes") or []
                if q.get("text") and q.get("speaker")
            ],
        )
        for r in rows
    }


def _stem(word: str) -> str:
    word = _SAME.get(word, word)
    # "Republicans" names the same group as "Republican lawmakers": compare singular forms.
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _tokens(name: str) -> list[str]:
    words = _TOKEN.findall(name.casefold().replace("'s", ""))
    return [_stem(w) for w in words if w not in _FILLER and len(w) > 1]


def same_entity(gold: str, found: str) -> bool:
    """True when ``found`` names the gold entity: same words, one inside the other, or surname.

    "Obama" and "President Barack Obama" both name "Barack Obama"; "Senate Democrats" is found
    as "Democrats"; "Michelle Obama" also matches "Barack Obama" by surname, which the issue
    accepts ("last-name match is fine").
    """
    g, f = _tokens(gold), _tokens(found)
    if not g or not f:
        return False
    gs, fs = set(g), set(f)
    if _same_lawmakers(gs, fs) or _same_lawmakers(fs, gs):
        return True
    return gs <= fs or fs <= gs or (g[-1] == f[-1] and g[-1] not in _GENERIC)


def named_in(gold: str, source: str) -> bool:
    """True when ``source`` writes the words that identify the gold entity.

    A person's surname ("Obama" for "Barack Obama"), a body's qualifiers ("Republican" for
    "Republican Lawmakers", "Tea" for "Tea Party"). BASIL annotates entities per event across
    three outlets, so one outlet's article may never name one ("Democratic Lawmakers" in a text
    without "Democrat"): no brief can list it without inventing it.
    """
    words = set(_tokens(source))
    tokens = _tokens(gold)
    if not tokens:
        return True
    last = tokens[-1]
    needed = [last] if last not in _GENERIC else [t for t in tokens if t not in _GENERIC]
    return all(t in words for t in needed or tokens)


def missed(gold: list[str], names: list[str]) -> list[str]:
    """The ``gold`` names that none of ``names`` names."""
    return [g for g in gold if not any(same_entity(g, n) for n in names)]


def _in_source(form: str, source: str) -> bool:
    return grounding.locate(form, source).status != "missing"


def invented_actors(briefing: Briefing, source: str) -> list[str]:
    """Actors and speakers none of whose names or aliases occur in the source."""
    invented = [
        a.name
        for a in briefing.actors
        if not any(_in_source(f, source) for f in (a.name, *a.aliases))
    ]
    known = {a.name for a in briefing.actors}
    invented += [
        p.actor
        for p in briefing.positions
        if p.actor not in known and not _in_source(p.actor, source)
    ]
    return list(dict.fromkeys(invented))


def invented_dates(briefing: Briefing, source: str) -> list[str]:
    """Events whose date_text is not in the source or whose ISO date the text does not back.

    The rule is the library's own, so a date the re-ask loop accepts is never scored invented.
    """
    anchor = briefing.meta.date_anchor
    found = (date_problem(e.date, e.date_text, source, anchor) for e in briefing.key_events)
    return [why for why in found if why]


def _voices(position: Position, aliases: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Whose words a position gives: its actor's names, and the body it speaks for. BASIL gives
    an officer's statement to their body ("NAACP" for its president's words)."""
    own = aliases.get(position.actor, (position.actor,))
    return (*own, position.speaks_for) if position.speaks_for else own


_STANCE_OPENING = re.compile(rf"^\S.*? (?:{'|'.join(STANCE_VERBS)}) (?P<clause>.*)$")


def _quotes_in_stance(position: Position) -> bool:
    """Whether the stance's clause opens with a quotation mark ("says 'We don't care ...'")."""
    found = _STANCE_OPENING.match(position.position)
    clause = found["clause"] if found else position.position
    return clause[:1] in "'\"\u2018\u201c"


def misattributed(briefing: Briefing, gold: Gold) -> list[str]:
    """Annotated quotes a position gives to someone other than their annotated speaker."""
    aliases = {a.name: (a.name, *a.aliases) for a in briefing.actors}
    wrong = []
    for text, speaker in gold.quotes:
        needle = grounding.normalize(text)[0].strip()
        for p in briefing.positions:
            if needle and needle in grounding.normalize(p.evidence.quote)[0]:
                names = _voices(p, aliases)
                if not any(same_entity(speaker, n) for n in names):
                    wrong.append(f'"{text[:40]}" is {speaker}\'s, given to {p.actor}')
    return wrong


@dataclass
class ArticleScore:
    """Every figure for one article; ratios are None when there was nothing to measure."""

    file: str
    valid: bool
    seconds: float
    calls: int
    tokens: int
    quotes: int = 0
    grounded_quotes: int = 0
    gold_actors: int = 0
    found_actors: int = 0
    #: Gold actors the source names at all (:func:`named_in`), and those of them found.
    named_actors: int = 0
    found_named_actors: int = 0
    gold_speakers: int = 0
    found_speakers: int = 0
    #: Gold speakers found among the positions' own actors, the bodies they speak for left out.
    found_speakers_own: int = 0
    invented_actors: int = 0
    invented_dates: int = 0
    misattributed: int = 0
    #: How full the brief is: key events, those with an ISO date, stated positions.
    events: int = 0
    dated_events: int = 0
    positions: int = 0
    #: Tokens the model wrote, summed over every request of the article.
    output_tokens: int = 0
    #: Evidence whose quote is not the source's own words at its offsets (shown to readers).
    retyped_quotes: int = 0
    #: Event date_text not written inside the event's own evidence.
    loose_date_texts: int = 0
    #: Stances whose clause, after the speaker's name and verb, opens with a quotation mark:
    #: the speaker's words copied instead of said in the brief's own.
    quoting_stances: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def grounded(self) -> float | None:
        return self.grounded_quotes / self.quotes if self.quotes else None

    @property
    def actor_recall(self) -> float | None:
        return self.found_actors / self.gold_actors if self.gold_actors else None

    @property
    def speaker_recall(self) -> float | None:
        return self.found_speakers / self.gold_speakers if self.gold_speakers else None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            grounded=self.grounded,
            actor_recall=self.actor_recall,
            speaker_recall=self.speaker_recall,
        )
        return data


def score_article(
    file: str,
    briefing: Briefing,
    source: str,
    gold: Gold,
    seconds: float,
    calls: int,
    usage: dict[str, Any],
) -> ArticleScore:
    """Score one briefing of ``source`` against its gold annotations."""
    evidence = briefing.evidence()
    actor_names = [n for a in briefing.actors for n in (a.name, *a.aliases)]
    aliases = {a.name: (a.name, *a.aliases) for a in briefing.actors}
    speaker_names = [n for p in briefing.positions for n in _voices(p, aliases)]
    own_names = [n for p in briefing.positions for n in aliases.get(p.actor, (p.actor,))]
    actors_missed = missed(gold.main_entities, actor_names)
    named = [g for g in gold.main_entities if named_in(g, source)]
    speakers_missed = missed(gold.quoted_speakers, speaker_names)
    fake_actors = invented_actors(briefing, source)
    fake_dates = invented_dates(briefing, source)
    wrong_speaker = misattributed(briefing, gold)
    score = ArticleScore(
        file=file,
        valid=True,
        seconds=seconds,
        calls=calls,
        tokens=int(usage.get("total_tokens", 0)),
        quotes=len(evidence),
        grounded_quotes=sum(e.match in ("exact", "normalized") for e in evidence),
        gold_actors=len(gold.main_entities),
        found_actors=len(gold.main_entities) - len(actors_missed),
        named_actors=len(named),
        found_named_actors=len([g for g in named if g not in actors_missed]),
        gold_speakers=len(gold.quoted_speakers),
        found_speakers=len(gold.quoted_speakers) - len(speakers_missed),
        found_speakers_own=len(gold.quoted_speakers) - len(missed(gold.quoted_speakers, own_names)),
        invented_actors=len(fake_actors),
        invented_dates=len(fake_dates),
        misattributed=len(wrong_speaker),
        events=len(briefing.key_events),
        dated_events=sum(e.date is not None for e in briefing.key_events),
        positions=len(briefing.positions),
        output_tokens=int(usage.get("completion_tokens", 0)),
        retyped_quotes=sum(
            e.start is not None and source[e.start : e.end] != e.quote for e in evidence
        ),
        loose_date_texts=sum(
            bool(e.date_text) and e.date_text not in e.evidence.quote for e in briefing.key_events
        ),
        quoting_stances=sum(_quotes_in_stance(p) for p in briefing.positions),
    )
    if actors_missed:
        score.notes.append(f"missed actors: {', '.join(actors_missed)}")
    if unnamed := [g for g in gold.main_entities if g not in named]:
        score.notes.append(f"gold actors the source never names: {', '.join(unnamed)}")
    if speakers_missed:
        score.notes.append(f"missed speakers: {', '.join(speakers_missed)}")
    if fake_actors:
        score.notes.append(f"invented actors: {', '.join(fake_actors)}")
    score.notes += [f"invented date: {d}" for d in fake_dates]
    score.notes += [f"misattributed: {w}" for w in wrong_speaker]
    score.notes += [f"ungrounded: {e.quote[:70]!r} ({e.match})" for e in evidence if not e.verified]
    return score


def score_failure(
    file: str, error: str, gold: Gold, seconds: float, calls: int, usage: dict[str, Any]
) -> ArticleScore:
    """The score of an article whose brief failed: invalid, every gold name missed."""
    return ArticleScore(
        file=file,
        valid=False,
        gold_actors=len(gold.main_entities),
        named_actors=len(gold.main_entities),  # no source read: all count as named
        gold_speakers=len(gold.quoted_speakers),
        seconds=seconds,
        calls=calls,
        tokens=int(usage.get("total_tokens", 0)),
        output_tokens=int(usage.get("completion_tokens", 0)),
        notes=[f"error: {error[:160]}"],
    )


def summarize(scores: list[ArticleScore]) -> dict[str, float]:
    """Pooled figures over all articles: a failed article's gold names count as not found.

    Grounded is pooled over quotes, recalls over gold names, inventions are totals, and cost
    (seconds, calls, tokens) is a mean per article.
    """
    n = len(scores) or 1
    gold_actors = sum(s.gold_actors for s in scores)
    named_actors = sum(s.named_actors for s in scores)
    gold_speakers = sum(s.gold_speakers for s in scores)
    quotes = sum(s.quotes for s in scores)
    return {
        "articles": float(len(scores)),
        "valid_rate": sum(s.valid for s in scores) / n,
        "grounded": sum(s.grounded_quotes for s in scores) / quotes if quotes else 0.0,
        "actor_recall": sum(s.found_actors for s in scores) / gold_actors if gold_actors else 0.0,
        "actor_recall_named": (
            sum(s.found_named_actors for s in scores) / named_actors if named_actors else 0.0
        ),
        "speaker_recall": (
            sum(s.found_speakers for s in scores) / gold_speakers if gold_speakers else 0.0
        ),
        "speaker_recall_own": (
            sum(s.found_speakers_own for s in scores) / gold_speakers if gold_speakers else 0.0
        ),
        "invented_actors": float(sum(s.invented_actors for s in scores)),
        "invented_dates": float(sum(s.invented_dates for s in scores)),
        "misattributed": float(sum(s.misattributed for s in scores)),
        "seconds": sum(s.seconds for s in scores) / n,
        "calls": sum(s.calls for s in scores) / n,
        "tokens": sum(s.tokens for s in scores) / n,
        "output_tokens": sum(s.output_tokens for s in scores) / n,
        "events": float(sum(s.events for s in scores)),
        "min_events": float(min((s.events for s in scores), default=0)),
        "dated_events": float(sum(s.dated_events for s in scores)),
        "positions": float(sum(s.positions for s in scores)),
        "retyped_quotes": float(sum(s.retyped_quotes for s in scores)),
        "loose_date_texts": float(sum(s.loose_date_texts for s in scores)),
        "quoting_stances": float(sum(s.quoting_stances for s in scores)),
    }
