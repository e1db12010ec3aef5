"""Tests for review.py: the rules that decide whether an answer is re-asked, and their messages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import SOURCE, Script, completion, draft

import briefgen
from briefgen import dates, repair, review
from briefgen.schema import QUOTE_MAX_CHARS, Draft

#: Tom Reed's position, for drafts whose first position is the one under test: a speaker the
#: text quotes but the draft leaves out would be a problem of its own.
REED = draft()["positions"][1]


def _problems(answer: dict[str, Any], anchor: str | None = None) -> list[str]:
    return review.review(json.dumps(answer), SOURCE, anchor=anchor).problems


def test_grounded_draft_has_no_problem() -> None:
    result = review.review(json.dumps(draft()), SOURCE)
    assert result.ok and result.problems == []
    assert result.names["lopez"] == "Maria Lopez"


@pytest.mark.parametrize(
    ("date", "date_text", "anchor", "expect"),
    [
        ("2025-03-04", "Tuesday, March 4, 2025", None, None),
        ("2025-03", "March 4", None, None),  # coarser than the text: still backed by it
        ("2025", "March 4", None, None),
        ("2025-04", "March 4", None, "does not match the month"),
        ("2025-03-04", "March 4", "2025-03-05", None),  # year from the source
        ("2025-03-05", "Tuesday, March 4, 2025", None, "does not match the day"),
        ("2025-03-04", "Tuesday", "2025-03-05", "names no year or month"),
        ("2025-03-04", "Residents of the Eastside", "2025-03-05", "is not a date; set date_text"),
        ("2025-3-4", "March 4", None, "is not ISO 8601"),
        ("null", "March 4", None, 'the string "null"; write null without quotes'),
        ("2025-03-04", None, None, "has no date_text"),
        ("2025-03-04", "on March 9", None, "is not in the source"),
        (None, None, None, None),
        (None, "Tuesday", None, None),  # a weekday alone is kept as text, without an ISO date
        (None, "last week", None, 'date_text "last week" is not in the source'),
    ],
)
def test_date_problem(
    date: str | None, date_text: str | None, anchor: str | None, expect: str | None
) -> None:
    why = dates.date_problem(date, date_text, SOURCE, anchor)
    if expect is None:
        assert why is None
    else:
        assert why is not None and expect in why


def _review(answer: dict[str, Any], anchor: str | None = None) -> review.Review:
    return review.review(json.dumps(answer), SOURCE, anchor=anchor)


def test_invented_date_text_is_repaired_not_reasked() -> None:
    event = {**draft()["key_events"][0], "date_text": "last week", "date": None}
    result = _review(draft(key_events=[event]))
    assert result.ok  # nothing left for the model to fix
    assert result.repairs == [
        'key_events[1]: date_text "last week" is not in the source; copy it or use null; '
        "date dropped"
    ]
    assert result.draft is not None and result.draft.key_events[0].date_text is None


def test_unbacked_iso_date_is_dropped_and_backed_one_kept() -> None:
    events = [
        {**draft()["key_events"][0], "date_text": "Tuesday", "date": "2025-03-04"},
        {**draft()["key_events"][0], "date_text": "March 4, 2025", "date": "2025-03-04"},
    ]
    result = _review(draft(key_events=events))
    assert result.ok and len(result.repairs) == 1
    assert result.draft is not None
    assert [(e.date_text, e.date) for e in result.draft.key_events] == [
        ("Tuesday", None),
        ("March 4, 2025", "2025-03-04"),
    ]


_DATED_QUOTE = "The Harbor Port Authority on Tuesday, March 4, 2025 approved a plan"


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2025-03-04", ("March 4, 2025", "2025-03-04")),  # as precise as the model's date
        ("2025-01-01", ("2025", "2025")),  # a year read as January 1st: the year is backed
        ("2024-03-04", (None, None)),  # the quote writes another year: nothing is backed
    ],
)
def test_a_date_its_own_quote_writes_is_kept_as_written(
    date: str, expected: tuple[str | None, str | None]
) -> None:
    event = {**draft()["key_events"][0], "quote": _DATED_QUOTE, "date_text": date, "date": date}
    result = _review(draft(key_events=[event]))
    assert result.ok and result.draft is not None
    assert (result.draft.key_events[0].date_text, result.draft.key_events[0].date) == expected
    assert len(result.repairs) == 1
    assert ("from its quote" in result.repairs[0]) == (expected[1] is not None)


def test_date_in_finds_only_the_date_asked_for() -> None:
    assert dates.date_in("In 2026, the first delegation", "2026-01-01") == ("2026", "2026")
    assert dates.date_in("In March 2011 the House voted", "2011-03-05") == ("March 2011", "2011-03")
    assert dates.date_in("A law from 2010 was repealed", "2011-01-01") is None


def test_unbacked_date_words_never_reach_the_brief() -> None:
    events = [
        {**draft()["key_events"][0], "date_text": "last week", "date": None},
        {**draft()["key_events"][0], "date_text": "Tuesday", "date": "2025-03-04"},
    ]
    script = Script(completion(draft(key_events=events)))
    settings = briefgen.Settings(model="test-model", max_attempts=1)
    briefing = briefgen.generate_brief(SOURCE, settings=settings, client=script.client())
    assert [(e.date_text, e.date) for e in briefing.key_events] == [(None, None), ("Tuesday", None)]
    assert any('"last week" is not in the source' in w for w in briefing.meta.warnings)


_STUCK_POSITION = {"actor": "Maria Lopez", "quote": "Night work never ends", "stance": "x y z w"}


def test_an_unchanged_answer_ends_the_reasks() -> None:
    stuck = draft(positions=[_STUCK_POSITION])  # one problem, never fixed
    script = Script(completion(stuck), completion(stuck), completion(draft()))
    settings = briefgen.Settings(model="test-model", max_attempts=3)
    briefing = briefgen.generate_brief(SOURCE, settings=settings, client=script.client())
    assert briefing.meta.attempts == 2 and len(script.requests) == 2
    assert any("Night work never ends" in w for w in briefing.meta.warnings)


def test_repairs_cost_no_reask_and_are_listed() -> None:
    fixable = draft(source={**draft()["source"], "date": "1999-01-01"})
    script = Script(completion(fixable), completion(draft()))
    settings = briefgen.Settings(model="test-model", max_attempts=3)
    briefing = briefgen.generate_brief(SOURCE, settings=settings, client=script.client())
    assert briefing.meta.attempts == 1 and briefing.source.date is None
    assert briefing.meta.warnings == [
        "repaired: dropped source.date 1999-01-01: the text does not state it"
    ]


def test_the_same_problems_again_end_the_reasks() -> None:
    def stuck(title: str) -> dict[str, Any]:  # differs each time, keeps the one problem
        return draft(title=title, positions=[_STUCK_POSITION, REED])

    script = Script(completion(stuck("a")), completion(stuck("b")), completion(draft()))
    settings = briefgen.Settings(model="test-model", max_attempts=3)
    briefing = briefgen.generate_brief(SOURCE, settings=settings, client=script.client())
    assert briefing.meta.attempts == 2 and briefing.title == "a"


def test_publication_date_given_in_the_prompt_may_fill_source_date() -> None:
    given = draft(source={**draft()["source"], "date": "2025-03-05"})
    assert _review(given, anchor="2025-03-05").repairs == []
    other = _review(draft(source={**draft()["source"], "date": "2024-01-01"}), anchor="2025-03-05")
    assert other.draft is not None and other.draft.source.date is None
    assert any("source.date" in p for p in other.repairs)


def test_one_quote_for_two_speakers_is_named() -> None:
    same = "Residents of the Eastside district oppose the plan"  # the reporter's, no speaker
    positions = [
        {"actor": "Maria Lopez", "quote": same, "position": "Night shipping helps."},
        {"actor": "Tom Reed", "quote": same, "stance": "He agrees with the chair."},
    ]
    problems = _problems(draft(positions=positions))
    assert problems == [
        "positions[2]: the same quote is attributed to Maria Lopez and Tom Reed; keep only the "
        "person the source says spoke it."
    ]


def test_a_quotation_goes_to_the_speaker_the_text_names_beside_it() -> None:
    same = "This keeps the harbor competitive"  # “...,” said Maria Lopez
    positions = [
        {"actor": "Maria Lopez", "quote": same, "position": "Night shipping helps."},
        {"actor": "Tom Reed", "quote": same, "stance": "He agrees with the chair."},
        {"actor": "Maria Lopez", "quote": "We will not sleep for years", "stance": "Fears noise."},
    ]
    result = _review(draft(positions=positions))
    assert result.problems == [] and result.draft is not None
    assert [(p.actor, p.quote) for p in result.draft.positions] == [
        ("Maria Lopez", same),
        ("Tom Reed", "We will not sleep for years"),
    ]
    assert result.repairs == [
        "positions[2]: the text gives these words to Maria Lopez, not to Tom Reed; speaker changed",
        "positions[2]: dropped, the same words of Maria Lopez twice",
        "positions[3]: the text gives these words to Tom Reed, not to Maria Lopez; speaker changed",
    ]


def test_she_said_is_the_person_named_last_before_the_quotation() -> None:
    source = (
        "AARP shifts on Social Security\n\n"
        "Sen. Kay Bailey Hutchison said Friday that the AARP has marked a shift.\n\n"
        '"AARP\'s new and welcome position is a positive step," she said in a statement.\n\n'
        'Asked about it, Carney said the president "supports measures to strengthen it."'
    )
    actors = [
        {"name": "AARP", "kind": "organization", "role": "seniors lobby", "aliases": []},
        {"name": "Kay Bailey Hutchison", "kind": "person", "role": "senator", "aliases": []},
    ]
    welcome = "AARP's new and welcome position is a positive step"
    positions = [
        {"actor": "AARP", "quote": welcome, "stance": "AARP welcomes the plan."},
        # Carney is not listed: his words stay where the model put them, for review to judge.
        {"actor": "AARP", "quote": "supports measures to strengthen it", "stance": "It helps."},
    ]
    answer = draft(actors=actors, positions=positions, key_events=[], open_questions=[])
    repaired, _, notes = repair.repair(Draft.model_validate(answer), source)
    assert [p.actor for p in repaired.positions] == ["Kay Bailey Hutchison", "AARP"]
    assert notes == [
        "positions[1]: the text gives these words to Kay Bailey Hutchison, not to AARP; speaker "
        "changed"
    ]


def _speakers(source: str, actors: list[dict[str, Any]], positions: list[dict[str, Any]]):
    answer = draft(actors=actors, positions=positions, key_events=[], open_questions=[])
    repaired, _, notes = repair.repair(Draft.model_validate(answer), source)
    return repaired, notes


def _person(name: str) -> dict[str, Any]:
    return {"name": name, "kind": "person", "role": "", "aliases": []}


def test_a_quoted_person_the_list_lacks_is_added_when_the_text_names_them_in_full() -> None:
    source = (
        "Blumenthal under fire\n\n"
        'Sen. John Cornyn, R-TX, who heads the GOP campaign committee, said Tuesday, "I think '
        "it's a blockbuster revelation,\" of Richard Blumenthal."
    )
    quote = "I think it's a blockbuster revelation"
    positions = [{"actor": "Richard Blumenthal", "quote": quote, "stance": "It is big news."}]
    repaired, notes = _speakers(source, [_person("Richard Blumenthal")], positions)
    assert [a.name for a in repaired.actors] == ["Richard Blumenthal", "John Cornyn"]
    assert [p.actor for p in repaired.positions] == ["John Cornyn"]
    assert notes[0] == 'actors: added "John Cornyn", whom the text quotes'


def test_he_said_is_the_subject_of_the_paragraph_before_not_the_last_name() -> None:
    source = (
        "Perry ad\n\nRick Perry has stepped up his attacks on Barack Obama. On Tuesday he "
        'decried the Obama administration\'s decision.\n\n"This is the latest example," he said.'
    )
    positions = [{"actor": "Barack Obama", "quote": "This is the latest example", "stance": "s"}]
    actors = [_person("Rick Perry"), _person("Barack Obama")]
    repaired, _ = _speakers(source, actors, positions)
    assert [p.actor for p in repaired.positions] == ["Rick Perry"]


def test_a_surname_two_people_share_points_at_neither() -> None:
    source = (
        "Liz Cheney and Mary Cheney disagree.\n\nOn Friday, Cheney issued a statement.\n\n"
        '"I am not pro-gay marriage," she said.'
    )
    positions = [{"actor": "Mary Cheney", "quote": "I am not pro-gay marriage", "stance": "s"}]
    repaired, notes = _speakers(source, [_person("Liz Cheney"), _person("Mary Cheney")], positions)
    assert [p.actor for p in repaired.positions] == ["Mary Cheney"] and notes == []


AARP = (
    "AARP pushes back\n\n"
    "White House Press Secretary Jay Carney spoke on Friday.\n\n"
    '"The president supports measures to strengthen Social Security," Carney said Friday.\n\n'
    '"We have a little bit of time," said Jack Lew, director of the Office. "Scare quotes"\n\n'
    'AARP CEO Barry Rand called the article "misleading."'
)


def test_speakers_the_text_quotes_without_a_position_are_found() -> None:
    # Listed actors first, in the draft's order; then people the text names in full ("Carney
    # said" is Jay Carney, whom the text titles); scare quotes and unnamed speakers never.
    actors = [_person("Barry Rand"), _person("Jack Lew")]
    found = repair.unquoted_speakers(Draft.model_validate(draft(actors=actors, positions=[])), AARP)
    assert [(s.name, AARP[a:b]) for s, a, b in found] == [
        ("Jack Lew", "We have a little bit of time,"),
        ("Jay Carney", "The president supports measures to strengthen Social Security,"),
    ]
    lew = {"actor": "Jack Lew", "quote": "We have a little bit of time", "stance": "He waits."}
    with_lew = Draft.model_validate(draft(actors=actors, positions=[lew]))
    assert [s.name for s, _, _ in repair.unquoted_speakers(with_lew, AARP)] == ["Jay Carney"]


def test_a_speaker_left_out_gets_a_position_whose_stance_the_model_writes() -> None:
    lew = {"actor": "Jack Lew", "quote": "We have a little bit of time", "stance": "He waits."}
    answer = draft(actors=[_person("Jack Lew")], positions=[lew], key_events=[])
    answer["open_questions"] = []
    result = review.review(json.dumps(answer), AARP)
    assert result.draft is not None
    assert [(p.actor, p.quote, p.stance) for p in result.draft.positions] == [
        ("Jack Lew", "We have a little bit of time", "He waits."),
        ("Jay Carney", "The president supports measures to strengthen Social Security", ""),
    ]
    assert [a.name for a in result.draft.actors] == ["Jack Lew", "Jay Carney"]
    assert result.problems == [
        "positions[2]: the stance for the quotation of Jay Carney is not written yet."
    ]
    assert review.unwritten(result.draft) == [result.draft.positions[1]]
    assert result.repairs[-1].startswith("positions[2]: added, the text quotes Jay Carney")
    # Once the stances were asked for, no speaker is added again.
    again = review.review(json.dumps(answer), AARP, add_speakers=False)
    assert again.ok
    # A full draft has no room: the draft's own bound holds.
    full = Draft.model_validate(draft(actors=[_person("Jack Lew")], positions=[lew] * 4))
    assert review.with_unquoted_speakers(full, AARP) == (full, [])


def test_stances_go_to_the_unwritten_positions_in_order() -> None:
    blank = [
        {"actor": "Maria Lopez", "quote": "This keeps the harbor competitive", "stance": ""},
        REED,
        {"actor": "Tom Reed", "quote": "We will not sleep for years", "stance": ""},
    ]
    answer = Draft.model_validate(draft(positions=blank))
    written, notes = review.apply_stances(answer, '{"stances": ["Maria Lopez backs it."]}')
    assert [p.stance for p in written.positions] == [
        "Maria Lopez backs it.",
        "Residents fear years of lost sleep.",
    ]
    assert notes == ["positions[3] dropped: no stance for Tom Reed"]
    asked = briefgen.prompts.stances([("Tom Reed", "We will not sleep for years")])
    assert asked.startswith('The text quotes this person:\n1. Tom Reed: "We will not sleep')


def test_job_title_as_position_is_named() -> None:
    positions = [
        {
            "actor": "Lopez",
            "quote": "This keeps the harbor competitive",
            "position": "The authority\u2019s chair",
        },
        REED,
    ]
    problems = _problems(draft(positions=positions))
    assert problems == [
        'positions[1]: the stance "The authority\u2019s chair" is a title, not what Maria Lopez '
        "said; write a full sentence saying what they said or want, or drop the item."
    ]


@pytest.mark.parametrize(
    ("stance", "flagged"),
    [
        ("Senator", True),
        ("Chief Executive", True),
        ("the Chair", True),
        ("Against trams.", False),
        ("Night shipping keeps the harbor competitive.", False),
        ("She backs night shipping", False),
    ],
)
def test_short_stance_is_a_title(stance: str, flagged: bool) -> None:
    positions = [
        {"actor": "Maria Lopez", "quote": "This keeps the harbor competitive", "stance": stance},
        REED,
    ]
    assert bool(_problems(draft(positions=positions))) is flagged


def test_stance_field_also_accepts_the_old_name() -> None:
    old = {"actor": "Tom Reed", "quote": "We will not sleep for years", "position": "He objects."}
    assert Draft.model_validate(draft(positions=[old])).positions[0].stance == "He objects."
    assert "stance" in Draft.model_json_schema()["$defs"]["DraftPosition"]["properties"]


def test_paraphrased_quote_names_the_real_passage() -> None:
    positions = [
        {
            "actor": "Tom Reed",
            "quote": "We will not sleep for many years",
            "position": "Residents fear lost sleep.",
        },
        draft()["positions"][0],
    ]
    (problem,) = _problems(draft(positions=positions))
    assert problem.startswith('positions[1]: the quote "We will not sleep for many years"')
    assert "We will not sleep for years" in problem.split("closest passage")[1]


def test_actor_not_in_source_and_unknown_speaker() -> None:
    actors = [
        *draft()["actors"],
        {"name": "John Smith", "kind": "person", "role": "mayor", "aliases": []},
    ]
    quote = "Residents of the Eastside district oppose the plan"  # no speaker beside it
    positions = [{"actor": "Jane Doe", "quote": quote, "position": "p"}, *draft()["positions"]]
    result = _review(draft(actors=actors, positions=positions))
    assert result.repairs == ['actors[4]: dropped "John Smith", which the source does not contain']
    assert result.draft is not None and "John Smith" not in [a.name for a in result.draft.actors]
    assert len(result.problems) == 1 and '"Jane Doe" is not in actors' in result.problems[0]


def test_speaker_the_source_names_needs_no_actors_entry() -> None:
    # The brief adds such a speaker to its actors; a re-ask for it would cost a whole answer.
    actors = [a for a in draft()["actors"] if a["name"] != "Tom Reed"]
    assert _problems(draft(actors=actors)) == []
    event = {**draft()["key_events"][0], "actors": ["Eastside"]}
    assert _problems(draft(key_events=[event])) == []


def test_fuzzy_quote_is_replaced_by_the_matched_span() -> None:
    positions = [
        {
            "actor": "Maria Lopez",
            "quote": "This keeps the harbour competitive",
            "position": "Night shipping keeps the harbor competitive.",
        },
        REED,
    ]
    (problem,) = _problems(draft(positions=positions))
    assert problem == (
        'positions[1]: the quote "This keeps the harbour competitive" is not copied '
        'exactly; replace it with the source\'s own words: "This keeps the harbor competitive".'
    )


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("Chair Maria Lopez", "Maria Lopez"),
        ("Harbor Authority", "Harbor"),
        ("Eastside residents group", "Eastside"),
        ("John Smith", None),
        ("the port", None),  # lower-case words are not a name
    ],
)
def test_written_name(name: str, written: str | None) -> None:
    assert repair.written_name(name, SOURCE) == written


def test_actor_with_title_takes_the_written_name() -> None:
    actors = [
        *draft()["actors"][:1],
        {**draft()["actors"][1], "name": "Chair Maria Lopez", "aliases": []},
        draft()["actors"][2],
    ]
    positions = [{**draft()["positions"][0], "actor": "Chair Maria Lopez"}, REED]
    result = _review(draft(actors=actors, positions=positions))
    assert result.ok
    assert result.repairs == [
        'actors[2]: "Chair Maria Lopez" written "Maria Lopez" as in the source'
    ]
    assert result.draft is not None and result.draft.actors[1].name == "Maria Lopez"
    assert result.names["chair maria lopez"] == "Maria Lopez"  # the speaker follows the rename


def test_a_title_the_source_writes_before_a_name_is_still_left_out() -> None:
    senator = {"name": "Sen. Kay Bailey Hutchison", "kind": "person", "role": "senator"}
    company = {"name": "General Motors Company", "kind": "organization", "role": "carmaker"}
    actors = [{**senator, "aliases": []}, {**company, "aliases": []}]
    positions = [{**draft()["positions"][0], "actor": "Sen. Kay Bailey Hutchison"}]
    only = {"summary": "The senator agreed.", "actors": actors, "positions": positions}
    source = SOURCE + " Sen. Kay Bailey Hutchison agreed. General Motors Company did not."
    only["key_events"] = []
    repaired, _, notes = repair.repair(Draft.model_validate(draft(**only)), source)
    assert [a.name for a in repaired.actors] == ["Kay Bailey Hutchison", "General Motors Company"]
    assert repaired.positions[0].actor == "Kay Bailey Hutchison"
    assert notes == [
        'actors[1]: "Sen. Kay Bailey Hutchison" written "Kay Bailey Hutchison", without the title'
    ]
    # The title is told from the name by words, not by length: spacing does not matter.
    spaced = [{**senator, "name": "Sen. Kay  Bailey Hutchison", "aliases": []}]
    repaired, _, _ = repair.repair(
        Draft.model_validate(draft(**{**only, "actors": spaced})), source
    )
    assert [a.name for a in repaired.actors] == ["Kay Bailey Hutchison"]


def test_actor_listed_again_with_a_title_is_merged() -> None:
    extra = {"name": "Chair Maria Lopez", "kind": "person", "role": "chair", "aliases": []}
    result = _review(draft(actors=[*draft()["actors"], extra]))
    assert result.ok and result.repairs == [
        'actors[4]: dropped "Chair Maria Lopez", listed as "Maria Lopez"'
    ]
    assert result.names["chair maria lopez"] == "Maria Lopez"


def test_actor_listed_twice_is_kept_once() -> None:
    result = _review(draft(actors=[*draft()["actors"], draft()["actors"][2]]))
    assert result.ok and result.repairs == ['actors[4]: dropped "Tom Reed", listed twice']
    assert result.draft is not None and len(result.draft.actors) == 3


def test_a_surname_listed_as_its_own_actor_is_merged() -> None:
    surname = {"name": "Lopez", "kind": "person", "role": "chair", "aliases": []}
    result = _review(draft(actors=[surname, *draft()["actors"]]))
    assert result.ok and result.repairs == ['actors[1]: dropped "Lopez", listed as "Maria Lopez"']
    assert result.draft is not None and [a.name for a in result.draft.actors][1] == "Maria Lopez"
    assert result.names["lopez"] == "Maria Lopez"


@pytest.mark.parametrize(
    ("text", "clipped"),
    [
        # The word a foreign character is glued to may be cut short: it goes too.
        ("gays and lesbians in the军", "gays and lesbians in…"),
        ("as the Republican candidate to 挑战", "as the Republican candidate to…"),
        ("a plan to mil军", "a plan to…"),
        ("No foreign script here.", "No foreign script here."),
    ],
)
def test_text_cut_into_a_foreign_script_is_clipped_at_a_word(text: str, clipped: str) -> None:
    assert repair._clip_foreign(text, SOURCE) == clipped
    assert repair._clip_foreign(text, SOURCE + text) == text  # the source's own script stays


def test_repair_clips_every_free_text_field() -> None:
    result = _review(draft(summary="Night shipping approved over 挑战"))
    assert result.draft is not None and result.draft.summary == "Night shipping approved over…"


def test_a_name_whose_written_form_drops_its_last_word_is_not_renamed() -> None:
    # "Harbor" for "Harbor Authority" would be a different name: the entry is dropped instead.
    extra = {"name": "Harbor Authority", "kind": "organization", "role": "port", "aliases": []}
    result = _review(draft(actors=[*draft()["actors"], extra]))
    assert result.repairs == [
        'actors[4]: dropped "Harbor Authority", which the source does not contain'
    ]


def test_open_question_written_into_its_quote_is_named() -> None:
    questions = [{"question": "When do shifts begin?", "quote": "When do night shifts begin?"}]
    (problem,) = _problems(draft(open_questions=questions))
    assert problem.startswith("open_questions[1]: the quote field holds a question of yours")


def test_schema_error_is_precise_and_bounded() -> None:
    content = json.dumps(draft(actors=[{"name": "x"}] * 30))
    parsed, problems = review.parse(content)
    assert parsed is None
    assert 0 < len(problems) <= review.MAX_PROBLEMS
    assert all(p.startswith("Field actors") for p in problems)


def test_draft_lists_positions_before_events() -> None:
    # Speakers are written right after the actors they must come from; events follow.
    order = list(Draft.model_fields)
    assert order.index("actors") < order.index("positions") < order.index("key_events")


def test_apply_fixes_maps_each_fix_to_its_problem_item() -> None:
    base = Draft.model_validate(draft())
    problems = [
        "positions[1]: the quote is not in the source.",
        "open_questions[1]: the quote field holds a question of yours.",
        "key_events[9]: no such item.",
    ]
    none = {"drop": False, "quote": None, "actor": None, "stance": None}
    fixes = {
        "fixes": [
            {**none, "quote": "new words", "stance": "New stance sentence here."},
            {**none, "drop": True},
            {**none, "quote": "ignored: the item does not exist"},
            {**none, "quote": "ignored: more fixes than problems"},
        ]
    }
    applied = review.apply_fixes(base, json.dumps(fixes), problems)
    assert applied is not None
    fixed, notes = applied
    assert notes == ["open_questions[1] dropped by the model when asked to fix it"]
    assert (fixed.positions[0].quote, fixed.positions[0].stance) == (
        "new words",
        "New stance sentence here.",
    )
    assert fixed.positions[0].actor == base.positions[0].actor  # null keeps the field
    assert fixed.open_questions == [] and fixed.key_events == base.key_events
    assert review.apply_fixes(base, "not json", problems) is None
    assert review.item_of(problems[0]) == ("positions", 1)
    assert review.item_of("Field summary: Field required.") is None


PERRY = (
    "Perry attacks Obama\n\nRick Perry said President Obama is wrong about faith. Obama did not "
    "answer. Barack Obama spoke in Iowa before the Super Bowl. Perry spoke after him."
)


@pytest.mark.parametrize(
    ("summary", "added"),
    [
        ("Rick Perry attacks Obama's record on faith.", ["Obama"]),
        ("Rick Perry attacks Barack Obama before the Super Bowl.", ["Barack Obama"]),
        # Not people: a place, an event, a party adjective, a title.
        ("Rick Perry spoke in Iowa before the Super Bowl.", []),
        ("Republican Rick Perry talks to the President.", []),
    ],
)
def test_people_the_summary_names_join_the_actors(summary: str, added: list[str]) -> None:
    actor = {"name": "Rick Perry", "kind": "person", "role": "candidate", "aliases": ["Perry"]}
    only = {"summary": summary, "actors": [actor], "positions": [], "key_events": []}
    repaired, _, notes = repair.repair(Draft.model_validate(draft(**only)), PERRY)
    assert [a.name for a in repaired.actors] == ["Rick Perry", *added]
    assert notes == [f'actors: added "{name}", whom the summary names' for name in added]


def test_a_surname_inside_another_actors_title_is_still_added() -> None:
    aide = {"name": "Obama campaign aide Robert Gibbs", "kind": "person", "role": "aide"}
    only = {
        "summary": "The Harbor Port Authority heard Obama's aide.",
        "actors": [{**aide, "aliases": []}, {**draft()["actors"][0], "aliases": []}],
        "positions": [],
        "key_events": [],
    }
    source = PERRY + " Obama campaign aide Robert Gibbs answered the Harbor Port Authority."
    repaired, _, notes = repair.repair(Draft.model_validate(draft(**only)), source)
    assert [a.name for a in repaired.actors][-1] == "Obama"
    # "Obama" is added; no part of the listed "Harbor Port Authority" is.
    assert notes == ['actors: added "Obama", whom the summary names']


_BYLINE = (
    "Azerbaijan and the US\nOverview by Teymur Atayev\n"
    "President of Azerbaijan Ilham Aliyev met the delegation. Senator Mullin, a member of the "
    "Armed Services Committee, spoke. Senator Smith spoke too."
)


def test_a_role_the_text_writes_only_of_another_actor_is_cleared() -> None:
    def actor(name: str, role: str) -> dict[str, Any]:
        return {"name": name, "kind": "person", "role": role, "aliases": []}

    actors = [
        actor("Teymur Atayev", "President of Azerbaijan"),  # the text's words, of Aliyev
        actor("Ilham Aliyev", "President of Azerbaijan"),
        actor("Mullin", "member of the Armed Services Committee"),
        actor("Smith", "senator"),  # shared and one word: nothing to check
        actor("Jane Roe", "head of the delegation"),  # not the text's words: left alone
    ]
    only = {"summary": "Aliyev met US senators.", "actors": actors, "positions": []}
    repaired, _, notes = repair.repair(
        Draft.model_validate(draft(**only, key_events=[])), _BYLINE + " Jane Roe came."
    )
    assert [a.role for a in repaired.actors] == [
        "",
        "President of Azerbaijan",
        "member of the Armed Services Committee",
        "senator",
        "head of the delegation",
    ]
    assert notes == [
        'actors[1]: role "President of Azerbaijan" cleared: the text writes it of Ilham Aliyev, '
        "not of Teymur Atayev"
    ]


def test_a_passage_offered_for_copying_fits_the_quote_field() -> None:
    passage = (
        "Blumenthal will face the winner of the GOP primary on August 10 - either former Cong. "
        "Rob Simmons, himself a Vietnam vet, or former WWE wrestling executive Linda McMahon."
    )
    source = "Intro line.\\n\\n" + passage + " More text follows here."
    squeezed = passage[:145] + "executiveinda"  # what the model wrote under the grammar
    problem = review._quote_problem("key_events[1]", squeezed, source)
    assert problem is not None
    offered = problem.split("own words: ")[1].strip('."')
    assert len(offered) <= QUOTE_MAX_CHARS and offered in source
    assert offered.endswith("wrestling executive")  # cut at a word, not inside one


@pytest.mark.parametrize(
    ("name", "bare"),
    [
        ("Obama campaign aide Robert Gibbs", "Robert Gibbs"),
        ("Sen. John Cornyn", "John Cornyn"),
        ("White House Press Secretary Jay Carney", "Jay Carney"),
        ("Dallas Tea Party founder Phillip Dennis", "Phillip Dennis"),
        ("Charles de Gaulle", "Charles de Gaulle"),
        ("Kay Bailey Hutchison", "Kay Bailey Hutchison"),
    ],
)
def test_bare_name_leaves_out_the_role_written_before_a_name(name: str, bare: str) -> None:
    assert repair.bare_name(name) == bare


def test_titles_before_a_name_are_left_out_but_not_an_organisation() -> None:
    source = (
        PERRY + " Press Secretary Jay Carney spoke. Jay Carney left. Dallas Tea Party founder "
        "Phillip Dennis spoke. Phillip Dennis left."
    )
    names = ["Press Secretary Jay Carney", "Dallas Tea Party founder Phillip Dennis"]
    actors = [{"name": n, "kind": "person", "role": "", "aliases": []} for n in names]
    only = {"actors": actors, "positions": [], "key_events": []}
    repaired, renamed, _ = repair.repair(Draft.model_validate(draft(**only)), source)
    # Cut off, "Dallas Tea Party" would be lost from the brief: the name stays as written.
    assert [a.name for a in repaired.actors] == ["Jay Carney", names[1]]
    assert renamed == {"press secretary jay carney": "Jay Carney"}
