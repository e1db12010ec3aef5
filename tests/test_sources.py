"""Loading sources: encodings, HTML with metadata, PDF, size caps and every unreadable case."""

from __future__ import annotations

import io

import pikepdf
import pytest
import typst
from conftest import Script, completion

import briefgen
from briefgen.errors import SourceError
from briefgen.readers import decode, read_html, sniff
from briefgen.settings import Settings
from briefgen.sources import load_source, read_stream

ENGLISH = (
    "The council approved the “harbour plan” on December 9 after a long debate — "
    "the mayor said the €40 million project would protect 3,000 homes from flooding.\n"
)
FRENCH = "Le conseil a approuvé le projet à l'unanimité; la maire a déclaré être très fière.\n"
RUSSIAN = (
    "Городской совет одобрил план защиты гавани 9 декабря после долгих дебатов. "
    "Мэр заявил, что проект защитит три тысячи домов от наводнений.\n"
)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (ENGLISH, "utf-8"),
        (ENGLISH, "utf-8-sig"),
        (ENGLISH * 3, "cp1252"),
        (FRENCH * 3, "latin-1"),
        (RUSSIAN * 3, "cp1251"),
        (RUSSIAN, "utf-16"),  # Python writes a BOM for "utf-16"
        (ENGLISH, "utf-16"),
    ],
)
def test_text_in_common_encodings_decodes_to_the_original(tmp_path, text, encoding):
    path = tmp_path / f"wire-{encoding}.txt"
    path.write_bytes(text.encode(encoding))
    source = load_source(path)
    assert source.text == text
    assert source.kind == "text"
    assert source.info.origin == path.name


def test_bom_is_not_part_of_the_text():
    assert decode(b"\xef\xbb\xbfHello there", "x") == "Hello there"


HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Storm floods harbour | Daily Tide</title>
<meta name="author" content="Jane Roe">
<meta property="article:published_time" content="2024-12-10T08:00:00Z">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World news</a> <a href="/sport">Sport</a></nav>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience.
<button>Accept all cookies</button></div>
<article><h1>Storm floods harbour</h1>
<p>The storm made landfall on December 9, the national weather service said in a statement
released on Tuesday morning.</p>
<p>"We have never seen the water this high," said Mayor Ana Ruiz, who ordered the evacuation of
the harbour district late on Monday evening.</p>
<p>Officials estimate that more than 4,000 homes lost power across the region and that crews will
need several days to restore it.</p></article>
<section id="comments" class="comments"><h3>Comments</h3>
<div class="comment"><p>First! The mayor should resign over this fake crisis right now.</p></div>
</section>
<footer>Copyright 2024 Daily Tide. All rights reserved.</footer>
</body></html>
"""


def test_html_gives_main_text_and_metadata_without_boilerplate(tmp_path):
    path = tmp_path / "storm.html"
    path.write_text(HTML, encoding="utf-8")
    source = load_source(path)
    assert source.kind == "html"
    assert "We have never seen the water this high" in source.text
    assert "4,000 homes" in source.text
    for boilerplate in ("cookies", "World news", "resign", "All rights reserved"):
        assert boilerplate not in source.text
    assert source.info.title == "Storm floods harbour"
    assert source.info.author == "Jane Roe"
    assert source.info.date == "2024-12-10"
    assert source.info.origin == "storm.html"


def test_html_in_a_legacy_charset(tmp_path):
    page = HTML.replace('charset="utf-8"', 'charset="windows-1251"').replace(
        "Storm floods harbour</h1>", "Шторм затопил гавань</h1>"
    )
    path = tmp_path / "storm.htm"
    path.write_bytes(page.encode("cp1251"))
    assert "Шторм затопил гавань" in load_source(path).text


def test_html_without_article_text_is_an_error(tmp_path):
    path = tmp_path / "nav.html"
    path.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    with pytest.raises(SourceError, match="no article text"):
        load_source(path)


def test_html_markup_never_reaches_the_text():
    text, _ = read_html(
        "<html><body><article><p>Officials said the plan <b>would</b> cost more than first "
        "thought, and that the vote was postponed until next spring.</p>"
        "<script>alert('x')</script></article></body></html>",
        "x.html",
    )
    assert "<b>" not in text and "alert" not in text
    assert "would cost more" in text


def _pdf(body: str, *, title: str = "Budget report") -> bytes:
    source = f'#set document(title: "{title}", author: "Finance Office")\n{body}'
    return typst.compile(source.encode("utf-8"))


def test_pdf_text_from_every_page_and_its_declared_metadata(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(
        _pdf(
            "= Budget report\n\nThe council approved the budget on March 3, 2024.\n\n"
            "#pagebreak()\nSpending on roads rises by 12 percent."
        )
    )
    source = load_source(path)
    assert source.kind == "pdf"
    assert "The council approved the budget on March 3, 2024." in source.text
    assert "Spending on roads rises by 12 percent." in source.text
    assert source.text.index("March 3") < source.text.index("roads")
    assert source.info.title == "Budget report"
    assert source.info.author == "Finance Office"


def test_scanned_pdf_without_text_is_a_clear_error(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(_pdf("#rect(width: 12cm, height: 18cm, fill: luma(200))"))
    with pytest.raises(SourceError, match=r"no text layer \(a scanned PDF\?\)"):
        load_source(path)


def test_broken_pdf_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"garbage " * 50)
    with pytest.raises(SourceError, match="not a readable PDF"):
        load_source(path)


def _encrypted(data: bytes, **scheme: object) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as doc:
        doc.save(out, encryption=pikepdf.Encryption(owner="owner", **scheme))
    return out.getvalue()


#: Encryption schemes: AES-256 (R6), AES-128 (R4), RC4-128 (R3, which cannot encrypt metadata).
SCHEMES = {
    "aes-256": {"R": 6},
    "aes-128": {"R": 4, "aes": True},
    "rc4": {"R": 3, "aes": False, "metadata": False},
}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_encrypted_pdf_without_a_user_password_is_read(tmp_path, scheme):
    path = tmp_path / "locked.pdf"
    path.write_bytes(_encrypted(_pdf("Roads get 12 percent more money."), **SCHEMES[scheme]))
    source = load_source(path)
    assert "Roads get 12 percent more money." in source.text
    assert source.info.title == "Budget report"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_pdf_that_needs_a_password_is_a_clear_error(tmp_path, scheme):
    path = tmp_path / "secret.pdf"
    path.write_bytes(_encrypted(_pdf("Secret."), user="secret", **SCHEMES[scheme]))
    with pytest.raises(SourceError, match="is password-protected: save an unlocked copy") as info:
        load_source(path)
    assert "\n" not in str(info.value)


def test_pdf_under_a_text_name_is_read_as_pdf(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes(_pdf("Roads get 12 percent more money this year."))
    assert load_source(path).kind == "pdf"


def test_stdin_recognises_html_and_text():
    assert read_stream(io.BytesIO(HTML.encode())).kind == "html"
    assert read_stream(io.BytesIO(RUSSIAN.encode("cp1251") * 3)).text == RUSSIAN * 3


def test_sniff():
    assert sniff(b"%PDF-1.4 ...") == "pdf"
    assert sniff(b"\n  <!DOCTYPE HTML><html>") == "html"
    assert sniff(b"Plain words") is None


# --- everything that must fail with one clear line --------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "is empty"),
        ("blank.md", b" \n\t\r\n   \n", "is empty"),
        ("bom-only.txt", b"\xef\xbb\xbf  \n", "is empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
        ("control.txt", bytes(range(1, 9)) * 200, "binary"),
        ("slides.pptx", b"PK\x03\x04", "unsupported file type '.pptx'"),
        ("empty.html", b"", "is empty"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_unusable_files_are_one_line_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message) as info:
        load_source(path)
    assert "\n" not in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        load_source(tmp_path / "nope.txt")
    with pytest.raises(SourceError, match="is a folder"):
        load_source(tmp_path)


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "locked.txt"
    path.write_text("secret words")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(path), "open", denied)  # chmod 0 means nothing to root
    with pytest.raises(SourceError, match=r"cannot read .*locked\.txt: Permission denied"):
        load_source(path)


def test_too_large_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:  # a sparse 50 MB file: refused from its size alone
        fh.truncate(50 * 2**20)

    def no_read(*args, **kwargs):
        raise AssertionError("a too-large file must not be read")

    monkeypatch.setattr(type(path), "open", no_read)
    with pytest.raises(SourceError, match="50 MB, over the 20 MB limit"):
        load_source(path)


def test_too_large_stream_is_refused_after_cap_bytes():
    stream = io.BytesIO(b"word " * 1000)
    with pytest.raises(SourceError, match="larger than 1 KB"):
        read_stream(stream, max_bytes=1024)
    assert stream.tell() == 1025  # read one byte past the cap, not the whole stream


def test_publication_date_from_html_anchors_the_prompt_and_shows_in_the_brief(tmp_path):
    path = tmp_path / "storm.html"
    path.write_text(HTML, encoding="utf-8")
    source = load_source(path)
    answer = {
        "title": "Storm floods harbour",
        "summary": "A storm flooded the harbour.",
        "source": {"title": None, "author": None, "date": None, "genre": None},
        "actors": [{"name": "Ana Ruiz", "kind": "person", "role": "mayor", "aliases": []}],
        "positions": [
            {
                "actor": "Ana Ruiz",
                "sentence": 3,
                "stance": "The mayor says the water has never been this high.",
            }
        ],
        # Sentence 2: "The storm made landfall on December 9, ..." (no year).
        "key_events": [{"sentence": 2, "date_text": "December 9", "description": "The storm hit."}],
        "open_questions": [],
    }
    script = Script(completion(answer))
    briefing = briefgen.generate_brief(
        source.text, settings=Settings(model="m"), client=script.client(), info=source.info
    )
    user = script.bodies()[0]["messages"][1]["content"]
    assert "2024-12-10" in user.split("</source>")[1]  # the anchor is stated outside the source
    assert briefing.meta.date_anchor == "2024-12-10"
    # The year the text leaves out comes from the publication date.
    assert (briefing.key_events[0].date_text, briefing.key_events[0].date) == (
        "December 9",
        "2024-12-09",
    )
    assert briefing.positions[0].evidence.quote == "We have never seen the water this high"
    assert briefing.source.author == "Jane Roe"
    assert "Dates anchored to publication date 2024-12-10" in briefgen.render_markdown(briefing)
