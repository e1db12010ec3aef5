"""Tests for bench/scoring.py and bench/evaluate.py: the quality metrics on planted briefings."""

from __future__ import annotations

import json
from pathlib import Path

import evaluate
import pytest
import scoring

from briefgen.schema import (
    Actor,
    Briefing,
    Event,
    Evidence,
    GroundingCounts,
    Meta,
    Position,
    SourceInfo,
    Usage,
)

SOURCE = (
    "Senator Harry Reid said on Tuesday that the bill was dead. "
    '"We will not vote on it," Reid told reporters in March 2011. '
    "President Barack Obama disagreed."
)


def _evidence(quote: str) -> Evidence:
    start = SOURCE.find(quote)
    if start >= 0:
        return Evidence(quote=quote, start=start, end=start + len(quote), match="exact")
    return Evidence(quote=quote, match="missing")


def _briefing(
    actors: list[Actor],
    positions: list[Position] | None = None,
    events: list[Event] | None = None,
    anchor: str | None = "2011-03-09",
) -> Briefing:
    meta = Meta(
        briefgen_version="0",
        backend="fake",
        model="fake",
        mode="json_schema",
        attempts=1,
        usage=Usage(),
        grounding=GroundingCounts(),
        created="2026-01-01T00:00:00+00:00",
        source_chars=len(SOURCE),
        source_sha256="0" * 64,
        date_anchor=anchor,
    )
    return Briefing(
        title="t",
        summary="s",
        source=SourceInfo(),
        key_events=events or [],
        actors=actors,
        positions=positions or [],
        open_questions=[],
        meta=meta,
    )


GOLD = scoring.Gold(
    file="a.txt",
    date="2011-03-09",
    main_entities=["Harry Reid", "Barack Obama", "Senate Republicans"],
    quoted_speakers=["Harry Reid"],
)


def _score(briefing: Briefing) -> scoring.ArticleScore:
    return scoring.score_article("a.txt", briefing, SOURCE, GOLD, 60.0, 2, {"total_tokens": 3000})


@pytest.mark.parametrize(
    ("gold", "found", "same"),
    [
        ("Barack Obama", "Obama", True),
        ("Barack Obama", "President Barack Obama", True),
        ("Barack Obama", "Michelle Obama", True),  # last-name match is accepted
        ("Senate Democrats", "Democrats", True),
        ("senate Democrats", "Senate Democrats", True),
        ("supreme court", "the Supreme Court", True),
        ("Harry Reid", "Mr. Reid", True),
        ("Republican Lawmakers", "Republicans", True),
        ("U.S. Congress", "Congress", True),
        ("Democratic Lawmakers", "Democrats", True),
        ("Republican Lawmakers", "Democratic lawmakers", False),
        # A party's lawmakers are its members of one chamber, but not the other party's.
        ("Republican Lawmakers", "House Republicans", True),
        ("Senate Democrats", "Democratic lawmakers", True),
        ("Republican Lawmakers", "House Democrats", False),
        ("Senate Democrats", "House Democrats", False),
        ("Barack Obama", "Harry Reid", False),
        ("NAACP", "Tea Party", False),
        ("Tea Party", "", False),
    ],
)
def test_same_entity(gold: str, found: str, same: bool) -> None:
    assert scoring.same_entity(gold, found) is same


def test_actor_recall_uses_names_and_aliases() -> None:
    actors = [Actor(name="Harry Reid", aliases=[]), Actor(name="President", aliases=["Obama"])]
    score = _score(_briefing(actors))
    assert (score.gold_actors, score.found_actors) == (3, 2)
    assert score.actor_recall == pytest.approx(2 / 3)
    assert "missed actors: Senate Republicans" in score.notes


def test_speaker_recall_counts_only_position_actors() -> None:
    reid = Actor(name="Harry Reid", aliases=["Reid"])
    quote = "We will not vote on it"
    no_position = _score(_briefing([reid]))
    assert no_position.speaker_recall == 0.0
    spoke = Position(actor="Harry Reid", position="The bill is dead.", evidence=_evidence(quote))
    assert _score(_briefing([reid], [spoke])).speaker_recall == 1.0


def test_speaker_found_through_alias_of_position_actor() -> None:
    gold = scoring.Gold("a.txt", None, [], ["Reid"])
    actor = Actor(name="Senate leader", aliases=["Harry Reid"])
    spoke = Position(actor="Senate leader", position="p", evidence=_evidence("the bill was dead"))
    score = scoring.score_article("a.txt", _briefing([actor], [spoke]), SOURCE, gold, 1, 1, {})
    assert score.speaker_recall == 1.0
    assert score.actor_recall is None  # nothing to find: not a zero


def test_a_body_a_speaker_speaks_for_is_found_and_not_misattributed() -> None:
    gold = scoring.Gold("a.txt", None, [], ["Senate Democrats"], [("not vote on it", "Democrats")])
    reid = Actor(name="Harry Reid")
    spoke = Position(
        actor="Harry Reid",
        position="p",
        evidence=_evidence("We will not vote on it"),
        speaks_for="Senate Democrats",
    )
    score = scoring.score_article("a.txt", _briefing([reid], [spoke]), SOURCE, gold, 1, 1, {})
    assert (score.speaker_recall, score.found_speakers_own, score.misattributed) == (1.0, 0, 0)
    alone = spoke.model_copy(update={"speaks_for": None})
    score = scoring.score_article("a.txt", _briefing([reid], [alone]), SOURCE, gold, 1, 1, {})
    assert (score.speaker_recall, score.misattributed) == (0.0, 1)


def test_grounded_counts_exact_and_normalized_only() -> None:
    reid = Actor(name="Harry Reid")
    positions = [
        Position(actor="Harry Reid", position="p", evidence=_evidence("the bill was dead")),
        Position(
            actor="Harry Reid",
            position="p",
            evidence=Evidence(quote="we will not vote", start=60, end=76, match="normalized"),
        ),
        Position(
            actor="Harry Reid",
            position="p",
            evidence=Evidence(quote="we won't vote on it", start=60, end=80, match="fuzzy"),
        ),
        Position(actor="Harry Reid", position="p", evidence=_evidence("taxes must rise")),
    ]
    score = _score(_briefing([reid], positions))
    assert (score.quotes, score.grounded_quotes) == (4, 2)
    assert score.grounded == 0.5
    assert sum(note.startswith("ungrounded") for note in score.notes) == 1  # fuzzy is verified


def test_invented_actors_checks_names_aliases_and_speakers() -> None:
    actors = [
        Actor(name="Harry Reid"),
        Actor(name="Senator Reid", aliases=["Reid"]),  # the alias is in the text
        Actor(name="Nancy Pelosi"),
    ]
    positions = [
        Position(actor="John Boehner", position="p", evidence=_evidence("the bill was dead"))
    ]
    score = _score(_briefing(actors, positions))
    assert score.invented_actors == 2
    assert "invented actors: Nancy Pelosi, John Boehner" in score.notes


def test_invented_dates_follow_the_library_rule() -> None:
    def event(date: str | None, date_text: str | None) -> Event:
        return Event(
            date=date, date_text=date_text, description="d", evidence=_evidence("the bill")
        )

    events = [
        event("2011-03", "March 2011"),  # backed by the text
        event("2011-03-08", "on Tuesday"),  # no month or year in date_text
        event(None, "last week"),  # date_text not in the source
        event("2011-04", "March 2011"),  # wrong month
        event(None, None),
    ]
    score = _score(_briefing([Actor(name="Harry Reid")], events=events))
    assert score.invented_dates == 3
    assert any('"last week" is not in the source' in n for n in score.notes)


def test_misattributed_quote_is_counted() -> None:
    gold = scoring.Gold("a.txt", None, [], [], [("not vote on it", "Harry Reid")])
    reid, obama = Actor(name="Harry Reid", aliases=["Reid"]), Actor(name="Barack Obama")
    quote = _evidence("We will not vote on it")
    right = Position(actor="Harry Reid", position="p", evidence=quote)
    wrong = Position(actor="Barack Obama", position="p", evidence=quote)
    score = scoring.score_article(
        "a.txt", _briefing([reid, obama], [right]), SOURCE, gold, 1, 1, {}
    )
    assert score.misattributed == 0
    score = scoring.score_article(
        "a.txt", _briefing([reid, obama], [right, wrong]), SOURCE, gold, 1, 1, {}
    )
    assert score.misattributed == 1
    assert any("given to Barack Obama" in n for n in score.notes)


def test_failure_counts_gold_as_missed_in_summary() -> None:
    ok = _score(_briefing([Actor(name="Harry Reid"), Actor(name="Barack Obama")]))
    failed = scoring.score_failure("b.txt", "no answer", GOLD, 120.0, 3, {"total_tokens": 9000})
    summary = scoring.summarize([ok, failed])
    assert summary["valid_rate"] == 0.5
    assert summary["actor_recall"] == pytest.approx(2 / 6)
    assert summary["speaker_recall"] == 0.0
    assert summary["seconds"] == 90.0
    assert summary["calls"] == 2.5
    assert summary["tokens"] == 6000.0


def test_summary_pools_quotes_across_articles() -> None:
    reid = Actor(name="Harry Reid")
    good = Position(actor="Harry Reid", position="p", evidence=_evidence("the bill was dead"))
    bad = Position(actor="Harry Reid", position="p", evidence=_evidence("taxes must rise"))
    a = _score(_briefing([reid], [good, good, good]))
    b = _score(_briefing([reid], [bad]))
    assert scoring.summarize([a, b])["grounded"] == 0.75


def test_load_gold_dedupes(tmp_path: Path) -> None:
    path = tmp_path / "gold.json"
    row = {"file": "x.txt", "date": "2010-01-01", "main_entities": ["A", "A", "B"]}
    path.write_text(json.dumps([{**row, "quoted_speakers": None}]), encoding="utf-8")
    gold = scoring.load_gold(path)["x.txt"]
    assert gold.main_entities == ["A", "B"]
    assert gold.quoted_speakers == []


def test_sample_is_seeded_one_per_event_and_bounded(tmp_path: Path) -> None:
    for day in range(1, 7):
        for outlet in ("fox", "nyt", "hpo"):
            size = 50 if outlet != "hpo" else 500
            (tmp_path / f"2010-01-0{day}_{outlet}_x.txt").write_text("w" * size, encoding="utf-8")
    first = evaluate.sample(tmp_path, 4, seed=3, max_chars=100)
    assert first == evaluate.sample(tmp_path, 4, seed=3, max_chars=100)
    assert len({p.name.split("_")[0] for p in first}) == 4
    assert all("_hpo_" not in p.name for p in first)


def test_show_and_compare_rescore_saved_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "basil"
    corpus.mkdir()
    (corpus / "a.txt").write_text(SOURCE, encoding="utf-8")
    gold_path = tmp_path / "gold.json"
    gold_path.write_text(
        json.dumps([{**GOLD.__dict__, "file": "a.txt"}]),
        encoding="utf-8",
    )
    briefing = _briefing([Actor(name="Harry Reid")])
    ok = {"file": "a.txt", "seconds": 10.0, "attempts": 1, "usage": {"total_tokens": 5}}
    before = {"articles": [{**ok, "error": "boom", "attempts": 3}]}
    after = {"articles": [{**ok, "briefing": briefing.model_dump(mode="json")}]}
    paths = []
    for name, result in (("before", before), ("after", after)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(result), encoding="utf-8")
    common = ["--corpus", str(corpus), "--gold", str(gold_path)]
    assert evaluate.main([*common, "show", str(paths[1])]) == 0
    shown = capsys.readouterr().out
    assert "actor recall 0.33" in shown and "missed actors: Barack Obama" in shown
    assert evaluate.main([*common, "compare", str(paths[0]), str(paths[1])]) == 0
    compared = capsys.readouterr().out
    assert "valid_rate" in compared and "+1.00" in compared


@pytest.mark.parametrize(
    ("gold", "named"),
    [
        ("Barack Obama", True),  # the surname is enough, as for recall
        ("Republican Lawmakers", True),  # a body's qualifier: "Republicans" names it
        ("Tea Party", True),
        ("U.S. Congress", True),
        ("Democratic Lawmakers", False),  # no "Democrat" anywhere in the text
        ("SB 1062 bill", False),  # the text says only "the bill"
    ],
)
def test_named_in_tells_gold_names_the_source_never_writes(gold: str, named: bool) -> None:
    source = (
        "President Obama spoke. Republicans in Congress and the tea party cheered the bill, "
        "which lawmakers passed."
    )
    assert scoring.named_in(gold, source) is named


def test_a_stance_that_opens_its_clause_with_a_quotation_mark_is_counted() -> None:
    reid = Actor(name="Harry Reid")
    ev = _evidence("We will not vote on it")
    copied = Position(
        actor="Harry Reid", position="Harry Reid says 'we will not vote'", evidence=ev
    )
    own = Position(actor="Harry Reid", position="Harry Reid rejects a vote on it.", evidence=ev)
    assert _score(_briefing([reid], [copied, own])).quoting_stances == 1
