"""Align several sources' briefs: which sentences of which sources report the same event.

Pure. Each source's brief names its key events by sentence. Every such sentence is scored
against every sentence of the other sources (rapidfuzz over their content words, with shared
quotations, actors and dates weighing in), and sentences scoring :data:`SAME` or more are joined
into one event, never two sentences of one source. Pairs between :data:`MAYBE` and :data:`SAME`
are what code cannot decide: the merge request asks the model about the best of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from rapidfuzz import fuzz

from briefgen.attribution import quotations
from briefgen.dates import find_date, iso_date
from briefgen.digest.schema import Report, Via
from briefgen.grounding import normalize
from briefgen.repair import writes
from briefgen.schema import Briefing, Event
from briefgen.sentences import Document, Sentence

#: Scores (0-100) at or above which two sentences report the same event, code decides alone.
SAME = 80.0
#: Scores from here up to SAME are candidates the model decides; below, different events.
MAYBE = 62.0
#: A quotation both sentences hold (this many words or more) makes them one event.
QUOTE_SCORE = 95.0
QUOTE_WORDS = 5
#: Points for sharing actors or an ISO date, and against naming only different ones.
ACTOR_POINTS = 6.0
DATE_POINTS = 6.0
#: Sentences with fewer content words than this carry too little to align on their words.
MIN_WORDS = 3

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?")
_STOP = frozenset(
    [
        *("a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "from", "with", "and"),
        *("or", "but", "nor", "as", "is", "are", "was", "were", "be", "been", "being", "has"),
        *("have", "had", "do", "does", "did", "it", "its", "it's", "this", "that", "these"),
        *("those", "he", "she", "they", "them", "his", "her", "their", "we", "our", "you", "your"),
        *("i", "me", "my", "who", "whom", "which", "what", "when", "where", "why", "how", "not"),
        *("no", "than", "then", "there", "here", "said", "says", "say", "told", "also", "would"),
        *("will", "could", "can", "may", "might", "should", "must", "just", "into", "over"),
        *("about", "after", "before", "while", "up", "out", "so", "if", "more", "most", "some"),
        *("any", "all", "one"),
    ]
)


def content_words(text: str) -> str:
    """The words of ``text`` that carry its meaning, lower-cased, in order."""
    words = (w.casefold().replace("\u2019", "'") for w in _WORD.findall(text))
    return " ".join(w for w in words if w not in _STOP and len(w) > 1)


@dataclass(frozen=True)
class View:
    """One source as the merge sees it: its id, its numbered text and its brief (None when
    the brief failed; its sentences are still matched against the others' events)."""

    id: str
    doc: Document
    brief: Briefing | None = None
    #: The publication date that dates "on Friday"-less phrases such as "Dec. 9".
    anchor: str | None = None
    #: The outlet, when the caller or the URL names it.
    outlet: str | None = None

    @cached_property
    def folded(self) -> str:
        return self.doc.text.casefold()

    def report(self, number: int, via: Via = "code") -> Report:
        """Sentence ``number``'s words as a report of this source."""
        sentence = self.doc[number]
        if sentence is None:
            raise KeyError(f"source {self.id} has no sentence {number}")
        return self.span(sentence.start, sentence.end, via)

    def span(self, start: int, end: int, via: Via = "brief") -> Report:
        """``text[start:end]`` as a report of this source, with the sentence it is in."""
        at = self.doc.at(start)
        return Report(
            source=self.id,
            quote=self.doc.text[start:end],
            start=start,
            end=end,
            sentence=at.number if at else None,
            via=via,
        )


@dataclass(frozen=True)
class Said:
    """What alignment reads off one sentence."""

    source: str
    number: int
    words: str
    actors: frozenset[str]
    date: str | None
    quotes: tuple[str, ...]


def _quotes_in(doc: Document, sentence: Sentence) -> tuple[str, ...]:
    """The sentence's quotations of :data:`QUOTE_WORDS` words or more, normalized."""
    found = []
    for start, end in quotations(doc.text):
        if start >= sentence.start and end <= sentence.end + 1:
            words = doc.text[start:end]
            if len(words.split()) >= QUOTE_WORDS:
                found.append(normalize(words)[0].strip("\"'.,;:"))
    return tuple(found)


def read_sentence(view: View, sentence: Sentence, forms: dict[str, list[str]]) -> Said:
    """The features of one sentence; ``forms`` maps each actor's name to the ways it is
    written."""
    words = sentence.of(view.doc.text)
    folded = words.casefold()
    named = frozenset(
        name for name, spelled in forms.items() if any(writes(folded, f) for f in spelled)
    )
    written = find_date(words)
    when = iso_date(written, view.anchor) if written else None
    return Said(
        view.id, sentence.number, content_words(words), named, when, _quotes_in(view.doc, sentence)
    )


def _dates_agree(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _shared_quote(a: Said, b: Said) -> bool:
    return any(
        x == y or (min(len(x), len(y)) >= 25 and fuzz.partial_ratio(x, y) >= 95)
        for x in a.quotes
        for y in b.quotes
    )


def similarity(a: Said, b: Said) -> float:
    """How surely two sentences report the same event, 0-100 (see the module docstring)."""
    if _shared_quote(a, b):
        return QUOTE_SCORE
    if len(a.words.split()) < MIN_WORDS or len(b.words.split()) < MIN_WORDS:
        return 0.0
    score = (fuzz.token_set_ratio(a.words, b.words) + fuzz.token_sort_ratio(a.words, b.words)) / 2
    if a.actors and b.actors:
        score += ACTOR_POINTS if a.actors & b.actors else -ACTOR_POINTS
    if a.date and b.date:
        score += DATE_POINTS if _dates_agree(a.date, b.date) else -DATE_POINTS
    return max(0.0, min(100.0, score))


@dataclass
class Member:
    """One source's sentence in an event, how it got there, and its brief's event if any."""

    source: str
    sentence: int
    via: Via
    event: Event | None = None


@dataclass
class Cluster:
    """Sentences of different sources that report one event, at most one per source."""

    members: dict[str, Member] = field(default_factory=dict)
    #: The best score any member scored against each source that is not a member.
    nearest: dict[str, float] = field(default_factory=dict)

    @property
    def sources(self) -> list[str]:
        return sorted(self.members)

    @property
    def anchored(self) -> bool:
        """Whether a brief names it as a key event (else it is only a matched sentence)."""
        return any(m.event is not None for m in self.members.values())


@dataclass(frozen=True)
class Pair:
    """Two sentences of different sources that may report one event: the model decides."""

    left: tuple[str, int]
    right: tuple[str, int]
    score: float


@dataclass
class Alignment:
    """Events as clusters of sentences, and the candidate pairs code could not decide."""

    clusters: list[Cluster]
    pairs: list[Pair]
    said: dict[tuple[str, int], Said]

    def cluster_of(self, node: tuple[str, int]) -> Cluster | None:
        return next(
            (c for c in self.clusters if (m := c.members.get(node[0])) and m.sentence == node[1]),
            None,
        )

    def join(self, pair: Pair) -> bool:
        """Join the events of ``pair``'s sentences (the model said they are one); False when
        they share a source, or are one already."""
        left, right = self.cluster_of(pair.left), self.cluster_of(pair.right)
        if left is None or right is None or left is right or set(left.members) & set(right.members):
            return False
        for source, member in right.members.items():
            left.members[source] = Member(source, member.sentence, "model", member.event)
        for source, score in right.nearest.items():
            if source not in left.members:
                left.nearest[source] = max(score, left.nearest.get(source, 0.0))
        for source in left.members:
            left.nearest.pop(source, None)
        self.clusters.remove(right)
        return True


def anchors(view: View) -> list[tuple[Sentence, Event]]:
    """The sentences ``view``'s brief names as key events, with those events, in order."""
    if view.brief is None:
        return []
    found = []
    for event in view.brief.key_events:
        start = event.evidence.start
        sentence = view.doc.at(start) if start is not None else None
        if sentence is not None:
            found.append((sentence, event))
    return found


def align(views: Sequence[View], forms: dict[str, list[str]], *, max_pairs: int = 5) -> Alignment:
    """The events of ``views`` aligned across sources (see the module docstring).

    Args:
        views: the sources, in digest order.
        forms: each merged actor's name and the ways the sources write it.
        max_pairs: the most candidate pairs kept for the model, best first.
    """
    said = {(v.id, s.number): read_sentence(v, s, forms) for v in views for s in v.doc.sentences}
    keyed = {(v.id, s.number): e for v in views for s, e in anchors(v)}
    # Each key event against every sentence of every other source: its best match there.
    scored: list[tuple[float, tuple[str, int], tuple[str, int]]] = []
    for node in keyed:
        for other in views:
            if other.id == node[0]:
                continue
            # A sentence addressed to an AI model is never evidence, so never a match.
            best = max(
                (
                    (similarity(said[node], said[(other.id, s.number)]), s.number)
                    for s in other.doc.sentences
                    if s.number not in other.doc.withheld
                ),
                default=(0.0, 0),
            )
            scored.append((best[0], node, (other.id, best[1])))
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    clusters: dict[tuple[str, int], Cluster] = {}
    for node, event in keyed.items():
        clusters.setdefault(node, Cluster({node[0]: Member(node[0], node[1], "brief", event)}))
    for score, left, right in scored:
        if score < SAME:
            break
        _union(clusters, left, right, keyed, score)
    unique = _unique(clusters.values())
    for score, left, right in scored:
        cluster = clusters[left]
        if right[0] not in cluster.members:
            cluster.nearest[right[0]] = max(score, cluster.nearest.get(right[0], 0.0))
    pairs = _candidates(scored, clusters, max_pairs)
    for pair in pairs:  # a candidate sentence no brief names is an event of its own, for now
        if pair.right not in clusters:
            single = Cluster({pair.right[0]: Member(pair.right[0], pair.right[1], "code")})
            clusters[pair.right] = single
            unique.append(single)
    return Alignment(unique, pairs, said)


def _union(
    clusters: dict[tuple[str, int], Cluster],
    left: tuple[str, int],
    right: tuple[str, int],
    keyed: dict[tuple[str, int], Event],
    score: float,
) -> None:
    a = clusters[left]
    b = clusters.get(right)
    if b is a:
        return
    if b is None:
        if right[0] in a.members:
            return
        a.members[right[0]] = Member(right[0], right[1], "code", keyed.get(right))
        clusters[right] = a
        return
    if set(a.members) & set(b.members):
        return
    a.members.update(b.members)
    for node, cluster in clusters.items():
        if cluster is b:
            clusters[node] = a


def _unique(clusters: Iterable[Cluster]) -> list[Cluster]:
    seen: dict[int, Cluster] = {}
    for cluster in clusters:
        seen.setdefault(id(cluster), cluster)
    return list(seen.values())


def _candidates(
    scored: list[tuple[float, tuple[str, int], tuple[str, int]]],
    clusters: dict[tuple[str, int], Cluster],
    limit: int,
) -> list[Pair]:
    """The best undecided pairs, one per pair of events, whose events could still join."""
    pairs: list[Pair] = []
    seen: set[tuple[int, object]] = set()
    for score, left, right in scored:
        if not MAYBE <= score < SAME:
            continue
        a, b = clusters[left], clusters.get(right)
        if a is b or (b is not None and set(a.members) & set(b.members)):
            continue
        if b is None and right[0] in a.members:
            continue
        key = (id(a), id(b) if b is not None else right)
        if key in seen or (b is not None and (id(b), id(a)) in seen):
            continue
        seen.add(key)
        pairs.append(Pair(left, right, round(score, 1)))
        if len(pairs) == limit:
            break
    return pairs
