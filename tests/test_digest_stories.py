"""--digest-by: mapping files (CSV, JSON) and name patterns that group a folder into stories."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import pytest

from briefgen.digest.stories import Entry, group, read_grouping
from briefgen.discovery import Found
from briefgen.errors import ConfigError


def found(*names: str) -> list[Found]:
    return [Found(Path(n), n, PurePosixPath(n).with_suffix("")) for n in names]


FILES = found("2010-02-20_fox_1.txt", "2010-02-20_nyt_2.txt", "sub/2010-02-21_hpo_3.txt", "x.txt")


def test_csv_mapping_with_outlet_and_date(tmp_path: Path):
    mapping = tmp_path / "stories.csv"
    mapping.write_text(
        "\ufefffile,Story,outlet,date\n2010-02-20_fox_1.txt,beck,Fox News,2010-02-20\n"
        "2010-02-20_nyt_2.txt,beck,,\n2010-02-21_hpo_3.txt,beck,HuffPost,2010-02-21T10:00\n",
        encoding="utf-8",
    )
    stories, left = group(FILES, read_grouping(str(mapping)))
    assert list(stories) == ["beck"]
    assert [(f.name, e) for f, e in stories["beck"]] == [
        ("2010-02-20_fox_1.txt", Entry("beck", "Fox News", "2010-02-20")),
        ("2010-02-20_nyt_2.txt", Entry("beck")),
        ("sub/2010-02-21_hpo_3.txt", Entry("beck", "HuffPost", "2010-02-21")),  # by its name
    ]
    assert [(i.source, i.reason) for i in left] == [("x.txt", f"not in {mapping}: no story")]


def test_json_mappings_as_an_object_or_basil_records(tmp_path: Path):
    plain = tmp_path / "map.json"
    plain.write_text(json.dumps({"2010-02-20_fox_1.txt": "a", "x.txt": "a"}), encoding="utf-8")
    stories, _ = group(FILES, read_grouping(str(plain)))
    assert [f.name for f, _ in stories["a"]] == ["2010-02-20_fox_1.txt", "x.txt"]
    records = tmp_path / "gold.json"
    records.write_text(
        json.dumps([{"file": "2010-02-20_nyt_2.txt", "story": "s", "outlet": "nyt", "x": 1}]),
        encoding="utf-8",
    )
    stories, _ = group(FILES, read_grouping(str(records)))
    assert stories["s"][0][1] == Entry("s", "nyt")


def test_a_name_two_mapped_files_share_matches_by_path_only(tmp_path: Path):
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"a/x.txt": "one", "b/x.txt": "two"}), encoding="utf-8")
    stories, left = group(found("a/x.txt", "c/x.txt"), read_grouping(str(mapping)))
    assert list(stories) == ["one"] and [i.source for i in left] == ["c/x.txt"]


def test_name_pattern_groups_by_its_first_group_or_whole_match():
    stories, left = group(FILES, read_grouping(r"name:^(\d{4}-\d{2}-\d{2})"))
    assert {k: [f.name for f, _ in v] for k, v in stories.items()} == {
        "2010-02-20": ["2010-02-20_fox_1.txt", "2010-02-20_nyt_2.txt"],
        "2010-02-21": ["sub/2010-02-21_hpo_3.txt"],
    }
    assert [i.source for i in left] == ["x.txt"]
    whole, _ = group(FILES, read_grouping(r"name:\d{4}"))
    assert list(whole) == ["2010"]


@pytest.mark.parametrize(
    ("content", "name", "needle"),
    [
        ("a,b\n1,2\n", "m.csv", "header row with file and story"),
        ("{broken", "m.json", "not valid JSON"),
        ('"just a string"', "m.json", "expected"),
        ("file,story\n,\n", "m.csv", "maps no file to a story"),
    ],
)
def test_bad_mappings_are_one_clear_error(tmp_path: Path, content: str, name: str, needle: str):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=needle):
        read_grouping(str(path))


def test_missing_mapping_and_bad_pattern(tmp_path: Path):
    with pytest.raises(ConfigError, match="cannot read --digest-by"):
        read_grouping(str(tmp_path / "nope.csv"))
    with pytest.raises(ConfigError, match="not a regular expression"):
        read_grouping("name:(")
