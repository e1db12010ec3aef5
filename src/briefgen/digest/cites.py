"""Check the sentence ids a merge answer cites: real, and among the sentences it was shown.

Pure. An id is ``A12``: source A's sentence 12. One that names no source of the digest, a
sentence its source does not have, or a sentence the prompt did not show the model is dropped
and noted (``summary: dropped [A99]: source A has no sentence 99``); every other id becomes a
report of that sentence's own words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from briefgen.digest.align import View
from briefgen.digest.schema import CITE, Report

#: An id the model wrote inside its own text: "[A12]", with the space before it.
_BRACKETED = re.compile(r"\s*\[([A-H][1-9][0-9]{0,3})\]")
#: The prefix of every note about a dropped id: readers are told how many there were.
DROPPED = "dropped ["


def resolve(
    cites: Iterable[str],
    shown: Mapping[str, tuple[str, int]],
    views: Mapping[str, View],
    where: str,
    warnings: list[str],
) -> list[Report]:
    """The reports for ``cites``, each id once; a bad id is left out with a note in
    ``warnings`` that names ``where`` it was cited."""
    reports = []
    for cite in dict.fromkeys(c.strip().strip("[]") for c in cites):
        problem = _problem(cite, shown, views)
        if problem:
            warnings.append(f"{where}: {DROPPED}{cite}]: {problem}")
            continue
        source, number = shown[cite]
        reports.append(views[source].report(number, "code"))
    return reports


def _problem(
    cite: str, shown: Mapping[str, tuple[str, int]], views: Mapping[str, View]
) -> str | None:
    found = CITE.fullmatch(cite)
    if found is None:
        return "not a sentence id"
    source, number = found.group(1), int(found.group(2))
    if source not in views:
        return f"the digest has no source {source}"
    if views[source].doc[number] is None:
        return f"source {source} has no sentence {number}"
    if cite not in shown:
        return "a sentence the model was not shown"
    return None


def unbracket(
    text: str,
    shown: Mapping[str, tuple[str, int]],
    views: Mapping[str, View],
    where: str,
    warnings: list[str],
) -> tuple[str, list[Report]]:
    """``text`` without the ``[A12]`` ids the model wrote into it, and the reports of the good
    ones (a bad one is noted, as by :func:`resolve`)."""
    cited = _BRACKETED.findall(text)
    clean = " ".join(_BRACKETED.sub("", text).split())
    return clean, resolve(cited, shown, views, where, warnings)


def dropped(warnings: Iterable[str]) -> int:
    """How many ids the notes in ``warnings`` say were dropped."""
    return sum(1 for w in warnings if f": {DROPPED}" in w)
