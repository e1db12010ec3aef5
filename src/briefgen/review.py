"""Check one model answer against the schema and the source, and say exactly what is wrong.

Pure: no I/O. Each problem is one sentence the re-ask sends back to the model, naming the failing
item and, for a quote that is not in the source, the closest real passage.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from briefgen import grounding
from briefgen.repair import repair, unquoted_speakers
from briefgen.schema import (
    MAX_FIXES,
    MAX_POSITIONS,
    QUOTE_MAX_CHARS,
    Draft,
    DraftFixes,
    DraftPosition,
    DraftStances,
)

#: Most problems listed in one re-ask: the model fixes a few things better than many.
MAX_PROBLEMS = MAX_FIXES
#: "positions[2]: ..." — a problem with one item, which a fix can mend on its own.
_ITEM = re.compile(r"^(key_events|positions|open_questions)\[(\d+)\]: ")

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


@dataclass
class Review:
    """The outcome of checking one answer: the parsed draft (if it parsed) and its problems."""

    draft: Draft | None
    problems: list[str] = field(default_factory=list)
    #: Canonical actor name for every name or alias the draft used, lower-cased.
    names: dict[str, str] = field(default_factory=dict)
    #: What was fixed in code without a re-ask (see :func:`repair`), one note each.
    repairs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.draft is not None and not self.problems


def _unfenced(content: str) -> str:
    """The answer without a Markdown code fence around it, which some models add."""
    text = content.strip()
    fenced = _FENCE.match(text)
    return fenced.group(1) if fenced else text


def parse(content: str | None) -> tuple[Draft | None, list[str]]:
    """Parse and validate the JSON answer; a schema error becomes a list of precise problems."""
    if not content or not content.strip():
        return None, ["The answer was empty: send the JSON object."]
    try:
        return Draft.model_validate_json(_unfenced(content)), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:MAX_PROBLEMS]:
            where = ".".join(str(p) for p in err["loc"]) or "answer"
            if err["type"] == "json_invalid":
                problems.append(f"The answer is not valid JSON ({err['msg']}).")
            else:
                problems.append(f"Field {where}: {err['msg']}.")
        return None, problems


def name_index(draft: Draft) -> dict[str, str]:
    """Map every actor name, alias and unique surname (lower-cased) to the actor's name."""
    index: dict[str, str] = {}
    surnames: dict[str, set[str]] = {}
    for actor in draft.actors:
        for form in (actor.name, *actor.aliases):
            index.setdefault(form.strip().casefold(), actor.name)
        if actor.kind == "person" and len(actor.name.split()) > 1:
            surnames.setdefault(actor.name.split()[-1].casefold(), set()).add(actor.name)
    for surname, owners in surnames.items():
        if len(owners) == 1:
            index.setdefault(surname, next(iter(owners)))
    return index


def _quote_problem(label: str, quote: str, source: str) -> str | None:
    found = grounding.locate(quote, source)
    if found.status in ("exact", "normalized"):
        return None
    if found.status == "fuzzy" and found.start is not None and found.end is not None:
        # Close but not copied: a paraphrase the re-ask can fix by copying the real words.
        real = _fitting(source[found.start : found.end])
        return (
            f'{label}: the quote "{quote}" is not copied exactly; replace it with the source\'s '
            f'own words: "{real}".'
        )
    near = grounding.closest_passage(quote, source)
    hint = f' The closest passage in the source is: "{_fitting(near)}".' if near else ""
    return (
        f'{label}: the quote "{quote}" is not in the source; copy a passage exactly or drop '
        f"the item.{hint}"
    )


def _fitting(passage: str) -> str:
    """``passage`` cut at a word to fit the quote field, so a re-ask never asks for more.

    A 162-character passage offered for a 160-character field could not be copied: under the
    grammar the model squeezed it into "... executiveinda" three times (bench/RESULTS.md, v10).
    """
    if len(passage) <= QUOTE_MAX_CHARS:
        return passage
    cut = passage[: QUOTE_MAX_CHARS + 1]
    cut = cut[: cut.rfind(" ")] if " " in cut else cut[:QUOTE_MAX_CHARS]
    return cut.rstrip(" ,;:-\u2013\u2014")


def _is_title(stance: str) -> bool:
    """A label rather than a sentence: one word, or a few capitalised ones ("Chief Executive")."""
    words = [w for w in stance.split() if w.casefold() not in ("of", "the", "and", "for")]
    return len(words) <= 1 or (len(words) <= 4 and all(w[:1].isupper() for w in words))


def _in_source(text: str, source: str) -> bool:
    return bool(text.strip()) and grounding.locate(text, source).status != "missing"


def review(
    content: str | None,
    source: str,
    *,
    anchor: str | None = None,
    add_speakers: bool = True,
) -> Review:
    """Check an answer: schema, then what only the model can fix: speakers, stances, quotes.

    What code can fix exactly (actor names, unbacked dates) is repaired first and noted in
    ``Review.repairs``; ``Review.problems`` is what a re-ask sends back.

    Args:
        content: the model's raw answer.
        source: the source text the quotes must come from.
        anchor: the publication date, which may supply a year the text leaves out.
        add_speakers: give speakers the answer leaves out a position (see :func:`check`).
    """
    draft, problems = parse(content)
    if draft is None:
        return Review(None, problems)
    return check(draft, source, anchor=anchor, add_speakers=add_speakers)


def check(
    draft: Draft,
    source: str,
    *,
    anchor: str | None = None,
    add_speakers: bool = True,
) -> Review:
    """:func:`review` for an answer already parsed (a draft with the model's fixes applied).

    A speaker the text quotes by name whom the draft leaves out gets a position whose stance the
    model is asked to write (:func:`with_unquoted_speakers`), unless ``add_speakers`` is False:
    the caller asks for stances once, so a stance the model did not write, or a position it
    dropped, is not asked for again.
    """
    result = _check(draft, source, anchor)
    assert result.draft is not None
    if not add_speakers:
        return result
    grown, added = with_unquoted_speakers(result.draft, source)
    if not added:
        return result
    again = _check(grown, source, anchor)
    again.names = {**result.names, **again.names}
    again.repairs = [*result.repairs, *added, *again.repairs]
    return again


def with_unquoted_speakers(draft: Draft, source: str) -> tuple[Draft, list[str]]:
    """``draft`` with a position, its stance left for the model, for each speaker it leaves out.

    The quote and the speaker come from the text (see :func:`repair.unquoted_speakers`), so they
    are grounded and attributed by construction; the empty stance is a problem until the model
    writes it (the briefing session asks for every :func:`unwritten` stance in one request). The
    draft's own bound holds (the one-page brief has room for that many). Returns the draft and
    one note per change.
    """
    room = MAX_POSITIONS - len(draft.positions)
    found = unquoted_speakers(draft, source)[:room] if room > 0 else []
    if not found:
        return draft, []
    actors, positions, notes = list(draft.actors), list(draft.positions), []
    for speaker, start, end in found:
        quote = _fitting(source[start:end]).rstrip(" ,;:")
        if speaker not in actors:
            actors.append(speaker)
            notes.append(f'actors: added "{speaker.name}", whom the text quotes')
        positions.append(DraftPosition(actor=speaker.name, quote=quote, stance=""))
        notes.append(
            f'positions[{len(positions)}]: added, the text quotes {speaker.name} ("{quote[:60]}") '
            "and the answer gave no position of theirs"
        )
    return draft.model_copy(update={"actors": actors, "positions": positions}), notes


def _check(draft: Draft, source: str, anchor: str | None) -> Review:
    """:func:`check` without adding speakers: repair, then list what only the model can fix."""
    problems: list[str] = []
    draft, renamed, repairs = repair(draft, source, anchor)
    names = {**renamed, **name_index(draft)}
    choices = ", ".join(dict.fromkeys(a.name for a in draft.actors)) or "(none yet)"
    roles = {a.name: a.role.casefold() for a in draft.actors}
    for i, event in enumerate(draft.key_events, 1):
        problems += filter(None, [_quote_problem(f"key_events[{i}]", event.quote, source)])
    speakers: dict[str, str] = {}
    for i, position in enumerate(draft.positions, 1):
        label = f"positions[{i}]"
        speaker = names.get(position.actor.strip().casefold())
        if speaker is None and _in_source(position.actor, source):
            # The brief adds a speaker the source names to its actors (the list may be full).
            speaker = position.actor.strip()
        if speaker is None:
            problems.append(
                f'{label}: "{position.actor}" is not in actors; use one of: {choices} '
                "(or add the speaker to actors)."
            )
        stance = position.stance.strip()
        if not stance:
            # Added by with_unquoted_speakers: the next request asks for it (see unwritten).
            problems.append(
                f"{label}: the stance for the quotation of {speaker or position.actor} is not "
                "written yet."
            )
        elif speaker and (stance.casefold() == roles.get(speaker) or _is_title(stance)):
            problems.append(
                f'{label}: the stance "{stance}" is a title, not what {speaker} said; write a '
                "full sentence saying what they said or want, or drop the item."
            )
        key = position.quote.strip().casefold()
        if speaker and speakers.setdefault(key, speaker) != speaker:
            problems.append(
                f"{label}: the same quote is attributed to {speakers[key]} and {speaker}; "
                "keep only the person the source says spoke it."
            )
        problems += filter(None, [_quote_problem(label, position.quote, source)])
    for i, question in enumerate(draft.open_questions, 1):
        label = f"open_questions[{i}]"
        if question.quote.rstrip().endswith("?") and not _in_source(question.quote, source):
            problems.append(
                f'{label}: the quote field holds a question of yours ("{question.quote}"); put '
                "there the source's own sentence that leaves it open, copied exactly, or drop "
                "the item."
            )
        else:
            problems += filter(None, [_quote_problem(label, question.quote, source)])
    return Review(draft, problems[:MAX_PROBLEMS], names, repairs)


def unwritten(draft: Draft | None) -> list[DraftPosition]:
    """The positions without a stance: those code added, or the rare one the model left empty."""
    return [p for p in draft.positions if not p.stance.strip()] if draft else []


def apply_stances(draft: Draft, content: str | None) -> tuple[Draft, list[str]]:
    """``draft`` with the stances in ``content`` written into its :func:`unwritten` positions.

    The i-th sentence goes to the i-th unwritten position. One left without a sentence (a short
    list, an empty string, an unreadable answer) is dropped: it holds no claim of the brief.
    """
    try:
        written = DraftStances.model_validate_json(_unfenced(content or "")).stances
    except ValidationError:
        written = []
    sentences = iter(written)
    positions, notes = [], []
    for i, position in enumerate(draft.positions, 1):
        if not position.stance.strip():
            stance = next(sentences, "").strip()
            if not stance:
                notes.append(f"positions[{i}] dropped: no stance for {position.actor}")
                continue
            position = position.model_copy(update={"stance": stance})
        positions.append(position)
    return draft.model_copy(update={"positions": positions}), notes


def item_of(problem: str) -> tuple[str, int] | None:
    """The list and 1-based index of the item a problem is about, or None for the whole answer."""
    found = _ITEM.match(problem)
    return (found.group(1), int(found.group(2))) if found else None


def apply_fixes(
    draft: Draft, content: str | None, problems: list[str]
) -> tuple[Draft, list[str]] | None:
    """``draft`` with the model's fixes applied, the i-th fix to the i-th problem's item, and a
    note for each item the model dropped.

    Returns None when the answer is not a list of fixes. A fix past the problem count, or for a
    field its item lacks, is ignored; dropped items go last, so indices hold while applying.
    """
    try:
        fixes = DraftFixes.model_validate_json(_unfenced(content or "")).fixes
    except ValidationError:
        return None
    lists: dict[str, list[Any]] = {
        name: list(getattr(draft, name)) for name in ("key_events", "positions", "open_questions")
    }
    dropped: set[tuple[str, int]] = set()
    notes: list[str] = []
    for fix, problem in zip(fixes, problems, strict=False):
        target = item_of(problem)
        if target is None or not 1 <= target[1] <= len(lists[target[0]]):
            continue
        name, index = target
        if fix.drop:
            if target not in dropped:
                notes.append(f"{name}[{index}] dropped by the model when asked to fix it")
            dropped.add(target)
            continue
        item = lists[name][index - 1]
        fields = type(item).model_fields
        new = {"quote": fix.quote, "actor": fix.actor, "stance": fix.stance}
        update = {k: v for k, v in new.items() if v is not None and k in fields}
        lists[name][index - 1] = item.model_copy(update=update)
    kept = {
        name: [item for i, item in enumerate(items, 1) if (name, i) not in dropped]
        for name, items in lists.items()
    }
    return draft.model_copy(update=kept), notes


def answer_text(content: str | None, limit: int = 8_000) -> str:
    """The previous answer as sent back in a re-ask: compact JSON, bounded in size.

    Only the latest answer is ever sent back, so re-asks never grow the prompt attempt by attempt.
    """
    text = (content or "").strip()
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
    return text[:limit]
