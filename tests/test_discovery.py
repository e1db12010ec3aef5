"""Which files a batch briefs, and the output names it gives them."""

from __future__ import annotations

from briefgen.discovery import find


def test_same_stem_different_suffix_do_not_collide(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    (root / "story.txt").write_text("a", "utf-8")
    (root / "story.md").write_text("b", "utf-8")
    found, _ = find([root], tmp_path / "out")
    assert sorted(str(j.stem) for j in found) == ["story_md", "story_txt"]


def test_stems_differ_in_more_than_case_and_leave_the_run_files_alone(tmp_path):
    root = tmp_path / "in"
    for name in ("Story.txt", "story.md", "INDEX.html", "index.md/note.txt", "report.pdf"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("a", "utf-8")
    found, _ = find([root], tmp_path / "out")
    assert sorted(str(j.stem) for j in found) == [
        "INDEX_html",
        "Story_txt",
        "index.md_/note",
        "report_pdf",
        "story_md",
    ]
