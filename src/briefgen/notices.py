"""What a reader should know about how a brief was checked, in plain sentences.

The check records every change it makes to the model's answer as a diagnostic note in
``meta.warnings`` ("positions[2] dropped: sentence [7] does not say Ana Ruiz said it"): right for
``-v`` and the JSON, useless to an editor. :func:`read` sorts those notes by their wording
(:data:`RULES`, one row per wording the producers write) into kinds and counts them, one plain
sentence per kind ("Removed 3 positions the model could not tie to the speakers' words"). A note
no row knows still gets a counted generic sentence: a reader never sees a field path.

Pure: strings in, sentences out. The :class:`~briefgen.schema.Briefing` exposes the result as its
``notices``, ``verified`` and ``banner`` fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel

from briefgen.errors import UnverifiedError

if TYPE_CHECKING:
    from briefgen.schema import Briefing


@dataclass(frozen=True)
class Rule:
    """One kind of note: the wordings that make it and what a reader is told.

    Attributes:
        kind: stable name of the kind, kept in the JSON.
        patterns: regular expressions one note must match whole (after its prefixes).
        one: the reader's sentence for one such note; None keeps the kind out of reader view
            (a duplicate merged, a name respelled as the source writes it).
        many: the sentence for ``{n}`` of them.
        removes: the item a note of this kind leaves out of the brief, singular and plural; such
            notes make the brief unverified and are counted in its banner.
    """

    kind: str
    patterns: tuple[str, ...]
    one: str | None = None
    many: str | None = None
    removes: tuple[str, str] | None = None

    def matches(self, note: str) -> bool:
        return any(re.fullmatch(p, note, re.DOTALL) for p in self.patterns)


_N = r"\[\d+\]"
_SECTIONS = (
    ("key_events", "event", "events"),
    ("positions", "position", "positions"),
    ("open_questions", "open question", "open questions"),
)

#: Every wording the check writes today, most specific first; the first rule that matches wins.
RULES: tuple[Rule, ...] = (
    # --- Items left out of the brief -------------------------------------------------------------
    Rule(
        "position_unattributed",
        (rf"positions{_N} dropped: sentence {_N} does not say .+ said it",),
        "Removed 1 position the model could not tie to the speaker's words.",
        "Removed {n} positions the model could not tie to the speakers' words.",
        ("position", "positions"),
    ),
    Rule(
        "position_unnamed",
        (rf'positions{_N} dropped: the source never names ".*"',),
        "Removed 1 position by a speaker the source never names.",
        "Removed {n} positions by speakers the source never names.",
        ("position", "positions"),
    ),
    Rule(
        "position_unwritten",
        (rf"positions{_N} dropped: no stance for .+",),
        "Left out 1 quoted person whose stance the model did not write.",
        "Left out {n} quoted people whose stances the model did not write.",
        ("position", "positions"),
    ),
    *(
        Rule(
            f"{section}_uncited",
            (rf"{section}{_N} dropped: no sentence {_N}",),
            f"Removed 1 {one} citing a sentence the source does not have.",
            f"Removed {{n}} {many} citing sentences the source does not have.",
            (one, many),
        )
        for section, one, many in _SECTIONS
    ),
    *(
        Rule(
            f"{section}_withheld",
            (rf"{section}{_N} dropped: sentence {_N} addresses an AI model",),
            f"Removed 1 {one} citing text addressed to an AI model, which is never evidence.",
            f"Removed {{n}} {many} citing text addressed to an AI model, which is never evidence.",
            (one, many),
        )
        for section, one, many in _SECTIONS
    ),
    Rule(
        "actor_absent",
        (rf'actors{_N}: dropped ".+", which the source does not contain',),
        "Removed 1 actor the source never names.",
        "Removed {n} actors the source never names.",
        ("actor", "actors"),
    ),
    Rule(
        "part_failed",
        (r"part \d+/\d+ could not be briefed: .*",),
        "1 part of the long source could not be briefed; the brief covers the rest.",
        "{n} parts of the long source could not be briefed; the brief covers the rest.",
        ("part of the source", "parts of the source"),
    ),
    # --- Changes a reader should know of ---------------------------------------------------------
    Rule(
        "date_unwritten",
        (
            r"dropped source\.date .+: the text does not state it",
            rf'key_events{_N}: date_text ".*" is not a date its sentence writes; undated',
        ),
        "Removed 1 date the model gave that the text does not write.",
        "Removed {n} dates the model gave that the text does not write.",
    ),
    Rule(
        "date_corrected",
        (
            rf'key_events{_N}: date_text ".*" is not a date its sentence writes; '
            r'dated ".*" from its sentence',
        ),
        "Dated 1 event by the date its own sentence writes; the model's date was not there.",
        "Dated {n} events by the dates their own sentences write; the model's were not there.",
    ),
    Rule(
        "description_replaced",
        (rf"key_events{_N}: the description is not of sentence {_N}; its own words used",),
        "1 event shows its sentence's own words: the model's description did not match it.",
        "{n} events show their sentences' own words: the model's descriptions did not match.",
    ),
    Rule(
        "speaker_changed",
        (rf"positions{_N}: the text gives these words to .+, not to .+; speaker changed",),
        "Gave 1 quote to the speaker the text names, not the one the model chose.",
        "Gave {n} quotes to the speakers the text names, not the ones the model chose.",
    ),
    Rule(
        "role_cleared",
        (rf'actors{_N}: role ".*" cleared: the text writes it of .+, not of .+',),
        "Cleared 1 role the text gives to someone else.",
        "Cleared {n} roles the text gives to someone else.",
    ),
    Rule(
        "source_detail_unwritten",
        (r'dropped source\.(?:title|author) ".*": the text does not write it',),
        "Removed a source title or author the text does not write.",
        "Removed {n} source details (title, author) the text does not write.",
    ),
    Rule(
        "position_added",
        (rf"positions{_N}: added, the text quotes .+ and the answer gave no position of theirs",),
        "Added 1 position for a person the text quotes and the model left out.",
        "Added {n} positions for people the text quotes and the model left out.",
    ),
    Rule(
        "event_added",
        (rf'key_events: added sentence {_N}, which the text dates \(".*"\)',),
        "Added 1 event the text dates and the model left out.",
        "Added {n} events the text dates and the model left out.",
    ),
    # --- Diagnostics only: nothing the reader sees is lost or differs from the source ------------
    Rule("actor_merged", (rf'actors{_N}: dropped ".+", listed as ".+"',)),
    Rule("actor_duplicate", (rf'actors{_N}: dropped ".+", listed twice',)),
    Rule("actor_respelled", (rf'actors{_N}: ".+" written ".+" as in the source',)),
    Rule("actor_untitled", (rf'actors{_N}: ".+" written ".+", without the title',)),
    Rule(
        "actor_added",
        (
            r'actors: added ".+", whom the summary names',
            r'actors: added ".+", whom the text quotes',
            r'actors: added ".+", whose people the text quotes',
        ),
    ),
    Rule("event_duplicate", (rf"key_events{_N}: dropped, sentence {_N} twice",)),
    Rule("position_duplicate", (rf"positions{_N}: dropped, the same words of .+ twice",)),
    Rule(
        "stance_asked",
        (
            rf'positions{_N}: stance ".*" is a title; asked again',
            rf'positions{_N}: stance ".*" does not name .+; asked',
        ),
    ),
)

#: For a note no rule knows: one that says it left something out still counts as a removal.
OTHER_REMOVED = Rule(
    "other_removed",
    (),
    "Removed 1 other item the source does not back.",
    "Removed {n} other items the source does not back.",
    ("other item", "other items"),
)
OTHER = Rule(
    "other",
    (),
    "Made 1 other correction to the model's answer.",
    "Made {n} other corrections to the model's answer.",
)
_BY_KIND = {r.kind: r for r in (*RULES, OTHER_REMOVED, OTHER)}
_PREFIXES = re.compile(r"^(?:(?:part \d+/\d+|repaired): )*")
_REMOVAL_WORDS = re.compile(r"\b(?:dropped|removed|could not)\b", re.IGNORECASE)


class Notice(BaseModel):
    """One plain sentence for the reader about a kind of change the check made.

    Attributes:
        kind: the rule's stable name (``position_unattributed``, ``date_unwritten``, ...).
        count: how many notes of this kind the brief's diagnostics hold.
        text: the sentence, with no field path or model-written text in it.
        removed: how many items these notes left out of the brief (0 for a change).
    """

    kind: str
    count: int
    text: str
    removed: int = 0


def classify(note: str) -> Rule:
    """The rule for one diagnostic note (its ``part i/n:`` and ``repaired:`` prefixes ignored)."""
    bare = _PREFIXES.sub("", note.strip(), count=1)
    for rule in RULES:
        if rule.matches(bare):
            return rule
    return OTHER_REMOVED if _REMOVAL_WORDS.search(bare) else OTHER


def read(notes: Iterable[str]) -> list[Notice]:
    """The reader's notices for a brief's diagnostic notes: one per kind, counted, removals first.

    Kinds kept for diagnostics only give no notice.
    """
    counts: dict[str, int] = {}
    for note in notes:
        kind = classify(note).kind
        counts[kind] = counts.get(kind, 0) + 1
    order = {r.kind: i for i, r in enumerate((*RULES, OTHER_REMOVED, OTHER))}
    out = []
    for kind in sorted(counts, key=lambda k: (_BY_KIND[k].removes is None, order[k])):
        rule, n = _BY_KIND[kind], counts[kind]
        if rule.one is None or rule.many is None:
            continue
        text = rule.one if n == 1 else rule.many.format(n=n)
        out.append(Notice(kind=kind, count=n, text=text, removed=n if rule.removes else 0))
    return out


def _counted(n: int, nouns: tuple[str, str]) -> str:
    return f"{n} {nouns[0] if n == 1 else nouns[1]}"


def _listed(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def banner(missing: int, total: int, notices: Sequence[Notice]) -> str | None:
    """The one line every format opens with when a brief needs checking, else None.

    ``"2 of 8 quotes could not be found in the source; 3 positions were left out of the brief —
    check before publishing."``

    Args:
        missing: quotes not found in the source.
        total: quotes in the brief.
        notices: the brief's notices (see :func:`read`).
    """
    clauses = []
    if missing:
        clauses.append(f"{missing} of {total} quotes could not be found in the source")
    removed: dict[tuple[str, str], int] = {}
    for notice in notices:
        nouns = _BY_KIND[notice.kind].removes
        if nouns and notice.removed:
            removed[nouns] = removed.get(nouns, 0) + notice.removed
    if removed:
        verb = "was" if sum(removed.values()) == 1 else "were"
        items = _listed([_counted(n, k) for k, n in removed.items()])
        clauses.append(f"{items} {verb} left out of the brief")
    if not clauses:
        return None
    return "; ".join(clauses) + " — check before publishing."


def require_verified(briefing: Briefing) -> Briefing:
    """``briefing`` itself when it is verified (every quote found, nothing left out).

    Raises:
        UnverifiedError: it is not; the error carries the briefing, for callers that still want
            to write it for inspection.
    """
    if briefing.verified:
        return briefing
    line = (briefing.banner or "").removesuffix(" — check before publishing.")
    raise UnverifiedError(
        f"the brief is not verified: {line}; check it against the source before publishing",
        briefing=briefing,
    )
