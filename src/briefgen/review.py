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
from briefgen.schema import MAX_FIXES, Draft, DraftActor, DraftFixes, is_iso_date

#: Most problems listed in one re-ask: the model fixes a few things better than many.
MAX_PROBLEMS = MAX_FIXES
#: "positions[2]: ..." — a problem with one item, which a fix can mend on its own.
_ITEM = re.compile(r"^(key_events|positions|open_questions)\[(\d+)\]: ")

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
    #: What was fixed in code without a re-ask (see :func:`repair`), one note each.
    repairs: list[str] = field(default_factory=list)

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


def _repair_actors(draft: Draft, source: str) -> tuple[list[DraftActor], dict[str, str], list[str]]:
    """Keep each actor once, as the source writes it; return the renames and what was changed.

    A name with a title the text does not use ("Governor Jan Brewer" where the text writes
    "Gov. Jan Brewer") becomes the written form; a second entry for the same actor and a name the
    source never contains are dropped. A small model rarely fixes these when asked again, and
    code fixes them exactly, so they cost no re-ask (bench/RESULTS.md, v5).
    """
    kept: list[DraftActor] = []
    renamed: dict[str, str] = {}
    notes: list[str] = []
    listed: dict[str, str] = {}  # every kept name and alias, folded -> actor name
    full_names: dict[str, set[str]] = {}  # surname, folded -> the people's full names
    for actor in draft.actors:
        if actor.kind == "person" and len(actor.name.split()) > 1:
            full_names.setdefault(actor.name.split()[-1].casefold(), set()).add(actor.name.strip())
    for i, actor in enumerate(draft.actors, 1):
        name = actor.name.strip()
        owners = full_names.get(name.casefold(), set())
        if len(name.split()) == 1 and len(owners) == 1:
            full = next(iter(owners))
            renamed[name.casefold()] = full
            notes.append(f'actors[{i}]: dropped "{name}", listed as "{full}"')
            continue
        if all(grounding.locate(f, source).status == "missing" for f in (name, *actor.aliases)):
            written = written_name(name, source)
            if written and name.split()[-len(written.split()) :] == written.split():
                if written.casefold() in listed:
                    renamed[name.casefold()] = listed[written.casefold()]
                    notes.append(f'actors[{i}]: dropped "{name}", listed as "{written}"')
                    continue
                renamed[name.casefold()] = written
                notes.append(f'actors[{i}]: "{name}" written "{written}" as in the source')
                actor = actor.model_copy(update={"name": written})
                name = written
            else:
                notes.append(f'actors[{i}]: dropped "{name}", which the source does not contain')
                continue
        if name.casefold() in listed:
            renamed.setdefault(name.casefold(), listed[name.casefold()])
            notes.append(f'actors[{i}]: dropped "{name}", listed twice')
            continue
        for form in (name, *actor.aliases):
            listed.setdefault(form.strip().casefold(), name)
        kept.append(actor)
    return kept, renamed, notes


#: Scripts a small model falls into when a length bound leaves room for one more character.
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef]")


def _clip_foreign(text: str, source: str) -> str:
    """``text`` cut before the first CJK character the source does not contain, at a word.

    Bounded strings end where the grammar stops them; Qwen then picks a one-character CJK token
    ("… railing against open service of gays and lesbians in the军").
    """
    found = next((m for m in _CJK.finditer(text) if m.group() not in source), None)
    if found is None:
        return text
    head = text[: found.start()].rstrip()
    if found.start() > 0 and not text[found.start() - 1].isspace():
        head = head.rsplit(" ", 1)[0] if " " in head else head  # drop the cut word
    return head.rstrip(" ,;:-") + "…"


def _clip_texts(draft: Draft, source: str) -> Draft:
    """Every free-text field of ``draft`` with :func:`_clip_foreign` applied."""

    def clip(item: Any, *names: str) -> Any:
        update = {n: _clip_foreign(getattr(item, n), source) for n in names}
        return item.model_copy(update=update)

    return draft.model_copy(
        update={
            "title": _clip_foreign(draft.title, source),
            "summary": _clip_foreign(draft.summary, source),
            "actors": [clip(a, "role") for a in draft.actors],
            "key_events": [clip(e, "description") for e in draft.key_events],
            "positions": [clip(p, "stance") for p in draft.positions],
            "open_questions": [clip(q, "question") for q in draft.open_questions],
        }
    )


#: Words before a name that say who someone is, not what they are called.
_HONORIFICS = frozenset(
    [
        *("president", "gov.", "governor", "sen.", "senator", "rep.", "representative"),
        *("mr.", "mrs.", "ms.", "dr.", "mayor", "judge", "justice", "secretary", "attorney"),
        *("gen.", "general", "chancellor", "minister", "premier", "king", "queen", "pope"),
    ]
)
#: Capitalised words that start a sentence or name no one.
_NOT_NAMES = frozenset(
    [
        *("the", "a", "an", "in", "on", "at", "for", "as", "of", "and", "but", "or", "to"),
        *("by", "from", "with", "he", "she", "they", "it", "his", "her", "their", "its"),
        *("this", "that", "these", "those", "what", "when", "where", "who", "why", "how"),
        *("democratic", "democrat", "republican", "gop", "former", "u.s.", "us"),
        *_MONTHS,
    ]
)
_POSSESSIVE = "(?:['\u2019]s)"
_CAPITALISED_RUN = re.compile(rf"(?:[A-Z][\w.\-]*{_POSSESSIVE}?[ \t]+)*[A-Z][\w.\-]*")


def _names_in(text: str) -> list[str]:
    """Runs of capitalised words in ``text``, possessives and leading non-names removed."""
    runs = []
    for run in _CAPITALISED_RUN.findall(text):
        words = [re.sub(f"{_POSSESSIVE}$", "", w) for w in run.split()]
        while words and (words[0].casefold() in _NOT_NAMES | _HONORIFICS):
            words = words[1:]
        if words:
            runs.append(" ".join(words))
    return runs


def _person_named(name: str, source: str) -> str | None:
    """``name`` if the source writes it as a person's name, else None.

    Two or three name words count when the source writes them so ("Barack Obama"); a surname
    alone only when the source puts an honorific before it ("President Obama").
    """
    words = name.split()
    if any(w.casefold() in _NOT_NAMES | _HONORIFICS for w in words):
        return None
    if len(words) > 1:
        # A person's surname also stands alone ("Obama"); "Super Bowl" has no "Bowl".
        whole = len(re.findall(rf"\b{re.escape(name)}\b", source))
        alone = len(re.findall(rf"\b{re.escape(words[-1])}\b", source))
        return name if 0 < whole < alone else None
    # Not a first name the honorific is really for ("[President Barack] Obama").
    titled = rf"\b([A-Z][\w.]*)[ \t]+{re.escape(name)}\b(?!\]?[ \t]+[A-Z])"
    return name if any(w.casefold() in _HONORIFICS for w in re.findall(titled, source)) else None


def _actors_from_summary(
    draft: Draft, actors: list[DraftActor], source: str
) -> tuple[list[DraftActor], list[str]]:
    """Add the people the brief's own summary names but its actor list leaves out.

    A small model lists the speakers and forgets the person the story is about ("Perry Goes
    After Obama" with no Obama among the actors, bench/RESULTS.md v7). Only names the source
    also writes are added, at most two.
    """
    # Names, aliases and surnames: "Obama campaign aide Robert Gibbs" does not hold "Obama".
    taken = {f.casefold() for a in actors for f in (a.name, *a.aliases, a.name.split()[-1])}
    added: list[DraftActor] = []
    notes: list[str] = []
    listed = [f.casefold() for a in actors for f in (a.name, *a.aliases)]
    # Not the title: headlines capitalise every word ("Perry Goes After Obama").
    for candidate in _names_in(draft.summary):
        if any(re.search(rf"\b{re.escape(f)}\b", candidate.casefold()) for f in listed):
            continue  # a listed actor's name ("Harbor Port Authority"): no part of it either
        for size in range(min(3, len(candidate.split())), 0, -1):
            words = candidate.split()
            grams = [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]
            for gram in grams:
                name = _person_named(gram, source)
                if name and not any(w.casefold() in taken for w in name.split()):
                    added.append(DraftActor(name=name, kind="person", role="", aliases=[]))
                    taken |= {name.casefold(), *(w.casefold() for w in name.split())}
                    notes.append(f'actors: added "{name}", whom the summary names')
        if len(added) >= 2:
            break
    return added[:2], notes[:2]


def repair(
    draft: Draft, source: str, anchor: str | None = None
) -> tuple[Draft, dict[str, str], list[str]]:
    """Fix in code what needs no model: actor names, and dates or date words the text lacks.

    Returns the repaired draft, the actor renames (folded old name -> new name) and one note per
    change, which the brief lists as a warning. Nothing the source backs is ever removed.
    """
    draft = _clip_texts(draft, source)
    actors, renamed, notes = _repair_actors(draft, source)
    extra, added = _actors_from_summary(draft, actors, source)
    actors, notes = [*actors, *extra], [*notes, *added]
    published = draft.source.date
    # The prompt gives the publication date (anchor); copying it into source.date is right.
    stated = published == anchor or (published is not None and published[:4] in source)
    meta = draft.source
    if published and (not is_iso_date(published) or not stated):
        notes.append(f"dropped source.date {published}: the text does not state it")
        meta = meta.model_copy(update={"date": None})
    events = []
    for i, event in enumerate(draft.key_events, 1):
        date, date_text = event.date, event.date_text
        if why := date_problem(date, date_text, source, anchor):
            notes.append(f"key_events[{i}]: {why}; date dropped")
            date = None  # a date the source does not back is never kept
            if date_problem(None, date_text, source):
                date_text = None  # nor date words the source does not contain
        if date_text is not None and not names_a_date(date_text):
            date_text = None  # "in his address on ..." is a phrase, not a date
        events.append(event.model_copy(update={"date": date, "date_text": date_text}))

    def canonical(name: str) -> str:
        return renamed.get(name.strip().casefold(), name)

    # Speakers and event actors follow the renames, so the repaired draft is consistent alone.
    events = [e.model_copy(update={"actors": [canonical(a) for a in e.actors]}) for e in events]
    positions = [p.model_copy(update={"actor": canonical(p.actor)}) for p in draft.positions]
    update = {"actors": actors, "source": meta, "key_events": events, "positions": positions}
    return draft.model_copy(update=update), renamed, notes


def review(content: str | None, source: str, *, anchor: str | None = None) -> Review:
    """Check an answer: schema, then what only the model can fix: speakers, stances, quotes.

    What code can fix exactly (actor names, unbacked dates) is repaired first and noted in
    ``Review.repairs``; ``Review.problems`` is what a re-ask sends back.

    Args:
        content: the model's raw answer.
        source: the source text the quotes must come from.
        anchor: the publication date, which may supply a year the text leaves out.
    """
    draft, problems = parse(content)
    if draft is None:
        return Review(None, problems)
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
    text = (content or "").strip()
    if fenced := _FENCE.match(text):
        text = fenced.group(1)
    try:
        fixes = DraftFixes.model_validate_json(text).fixes
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
