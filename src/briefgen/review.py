"""Check one model answer against the schema and the source, and say exactly what is wrong.

Pure: no I/O. Each problem is one sentence the re-ask sends back to the model, naming the failing
item and, for a quote that is not in the source, the closest real passage.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from briefgen import grounding
from briefgen.schema import Draft, is_iso_date

#: Most problems listed in one re-ask: the model fixes a few things better than many.
MAX_PROBLEMS = 12

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)
_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_WORD = re.compile(r"[A-Za-z]+|\d+")
_DATE_WORD = re.compile(
    r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\b(?:yesterday|today|tonight|tomorrow|"
    r"week|month|year|spring|summer|autumn|fall|winter|morning|evening|night|ago|last|next)\b",
    re.IGNORECASE,
)


@dataclass
class Review:
    """The outcome of checking one answer: the parsed draft (if it parsed) and its problems."""

    draft: Draft | None
    problems: list[str] = field(default_factory=list)
    #: Canonical actor name for every name or alias the draft used, lower-cased.
    names: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.draft is not None and not self.problems


def parse(content: str | None) -> tuple[Draft | None, list[str]]:
    """Parse and validate the JSON answer; a schema error becomes a list of precise problems."""
    if not content or not content.strip():
        return None, ["The answer was empty: send the JSON object."]
    text = content.strip()
    if fenced := _FENCE.match(text):
        text = fenced.group(1)
    try:
        return Draft.model_validate_json(text), []
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


def written_name(name: str, source: str) -> str | None:
    """The longest run of ``name``'s words the source contains, with a capital, or None.

    "Governor Jan Brewer" in a text that writes "Gov. Jan Brewer" gives "Jan Brewer": the re-ask
    then names the form to copy instead of losing the story's central person.
    """
    words = name.split()
    for size in range(len(words) - 1, 0, -1):
        for start in range(len(words) - size + 1):
            candidate = " ".join(words[start : start + size])
            if (
                candidate[:1].isupper()
                and len(candidate) > 2
                and re.search(rf"\b{re.escape(candidate)}\b", source)
            ):
                return candidate
    return None


def _quote_problem(label: str, quote: str, source: str) -> str | None:
    found = grounding.locate(quote, source)
    if found.status in ("exact", "normalized"):
        return None
    if found.status == "fuzzy" and found.start is not None and found.end is not None:
        # Close but not copied: a paraphrase the re-ask can fix by copying the real words.
        real = source[found.start : found.end]
        return (
            f'{label}: the quote "{quote}" is not copied exactly; replace it with the source\'s '
            f'own words: "{real}".'
        )
    near = grounding.closest_passage(quote, source)
    hint = f' The closest passage in the source is: "{near}".' if near else ""
    return (
        f'{label}: the quote "{quote}" is not in the source; copy a passage exactly or drop '
        f"the item.{hint}"
    )


def _is_title(stance: str) -> bool:
    """A label rather than a sentence: one word, or a few capitalised ones ("Chief Executive")."""
    words = [w for w in stance.split() if w.casefold() not in ("of", "the", "and", "for")]
    return len(words) <= 1 or (len(words) <= 4 and all(w[:1].isupper() for w in words))


def _in_source(text: str, source: str) -> bool:
    return bool(text.strip()) and grounding.locate(text, source).status != "missing"


def names_a_date(date_text: str) -> bool:
    """True when ``date_text`` names a year, month, day or a date word ("Monday", "yesterday")."""
    words = [w.casefold() for w in _WORD.findall(date_text)]
    return (
        any(w.isdigit() for w in words)
        or any(w in _MONTHS for w in words)
        or bool(_DATE_WORD.search(date_text))
    )


def date_problem(
    date: str | None, date_text: str | None, source: str, anchor: str | None = None
) -> str | None:
    """Why an event's ISO ``date`` is not backed by its ``date_text`` and the source, or None.

    A date is derivable when date_text is in the source, every month, day and year the ISO date
    gives agrees with date_text (it may be coarser), and a year date_text leaves out appears in
    the source or its publication date.
    A date_text that is not in the source is a problem even without an ISO date.
    """
    if date is None:
        if date_text and grounding.locate(date_text, source).status == "missing":
            return f'date_text "{date_text}" is not in the source; copy it or use null'
        return None
    if date.strip().casefold() in ("null", "none", ""):
        return f'date is the string "{date}"; write null without quotes'
    if not is_iso_date(date):
        return f'date "{date}" is not ISO 8601 (YYYY, YYYY-MM or YYYY-MM-DD); or use null'
    if not date_text:
        return f"date {date} has no date_text; give the date as written, or null for both"
    if grounding.locate(date_text, source).status == "missing":
        return f'date_text "{date_text}" is not in the source; copy it or use null'
    words = [w.casefold() for w in _WORD.findall(date_text)]
    parts = date.split("-")
    years = [w for w in words if len(w) == 4 and w.isdigit()]
    month = next((_MONTHS[w] for w in words if w in _MONTHS), None)
    days = [int(w) for w in words if w.isdigit() and len(w) <= 2 and 1 <= int(w) <= 31]
    if not years and month is None:
        if not days and not _DATE_WORD.search(date_text):
            return f'date_text "{date_text}" is not a date; set date_text and date to null'
        return f'date_text "{date_text}" names no year or month; set date to null'
    if years and parts[0] not in years:
        return f'date {date} does not match the year in "{date_text}"'
    if not years and parts[0] not in source and parts[0] not in (anchor or ""):
        return f'"{date_text}" has no year and {parts[0]} is not in the source; use null or YYYY-MM'
    # A coarser date ("2011" for "December") is backed by the text; a different one is not.
    if month is not None and len(parts) > 1 and int(parts[1]) != month:
        return f'date {date} does not match the month in "{date_text}"'
    if month is None and len(parts) > 1:
        return f'"{date_text}" names no month; date must be just the year'
    if days and len(parts) > 2 and int(parts[2]) != days[0]:
        return f'date {date} does not match the day in "{date_text}"'
    if not days and len(parts) > 2:
        return f'"{date_text}" names no day; date must be YYYY-MM'
    return None


def review(content: str | None, source: str, *, anchor: str | None = None) -> Review:
    """Check an answer: schema, actors named in the source, speakers, dates and every quote.

    Args:
        content: the model's raw answer.
        source: the source text the quotes must come from.
        anchor: the publication date, which may supply a year the text leaves out.
    """
    draft, problems = parse(content)
    if draft is None:
        return Review(None, problems)
    names = name_index(draft)
    choices = ", ".join(dict.fromkeys(a.name for a in draft.actors)) or "(none yet)"
    seen: set[str] = set()
    for i, actor in enumerate(draft.actors, 1):
        forms = (actor.name, *actor.aliases)
        if actor.name.casefold() in seen:
            problems.append(f'actors[{i}]: "{actor.name}" is listed twice; list each actor once.')
        seen.add(actor.name.casefold())
        if all(grounding.locate(f, source).status == "missing" for f in forms):
            written = written_name(actor.name, source)
            other = names.get(written.casefold()) if written else None
            if other and other != actor.name:
                fix = f'"{other}" is already listed: remove this entry'
            elif written:
                fix = f'write it as the source does: "{written}"'
            else:
                fix = "remove it"
            problems.append(f'actors[{i}]: "{actor.name}" does not appear in the source; {fix}.')
    published = draft.source.date
    # The prompt gives the publication date (anchor); copying it into source.date is right.
    stated = published == anchor or (published is not None and published[:4] in source)
    if published and (not is_iso_date(published) or not stated):
        problems.append(
            f'source.date "{published}" is not a date the text states; use null unless the text '
            "gives its publication date."
        )
    roles = {a.name: a.role.casefold() for a in draft.actors}
    for i, event in enumerate(draft.key_events, 1):
        label = f"key_events[{i}]"
        problems += filter(None, [_quote_problem(label, event.quote, source)])
        if why := date_problem(event.date, event.date_text, source, anchor):
            problems.append(f"{label}: {why}.")
        for name in event.actors:
            # A name the source contains only misses its actors entry: not worth a re-ask.
            if name.strip().casefold() not in names and not _in_source(name, source):
                problems.append(f'{label}: actor "{name}" is not in actors; use one of: {choices}.')
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
        if speaker and (stance.casefold() == roles.get(speaker) or _is_title(stance)):
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
        problems += filter(None, [_quote_problem(f"open_questions[{i}]", question.quote, source)])
    return Review(draft, problems[:MAX_PROBLEMS], names)


def answer_text(content: str | None, limit: int = 8_000) -> str:
    """The previous answer as sent back in a re-ask: compact JSON, bounded in size.

    Only the latest answer is ever sent back, so re-asks never grow the prompt attempt by attempt.
    """
    text = (content or "").strip()
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
    return text[:limit]
