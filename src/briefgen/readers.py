"""Turn the bytes of one source into text: plain text in any common encoding, HTML, or PDF.

Each reader returns the text exactly as briefgen will ground against it, plus what the document
states about itself (title, author, publication date) when the format carries it. Each reader
imports its library when first used: a plain UTF-8 text needs none of them, and together they
cost ~0.3 s of every start-up.
"""

from __future__ import annotations

import codecs
import io
import json
import logging
import re
import warnings
from typing import Literal

from briefgen.errors import SourceError
from briefgen.schema import SourceInfo

Kind = Literal["text", "html", "pdf"]

# pypdf and trafilatura log every defect of a damaged file; without a handler Python prints those
# to stderr. A NullHandler keeps them out of the CLI's output; an application still gets them.
for _name in ("pypdf", "trafilatura", "htmldate"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

#: Byte-order marks, longest first so UTF-32's is not mistaken for UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: How much of the start of a file is inspected for NUL bytes, the mark of a binary file.
_SNIFF_BYTES = 8192
#: Control characters (besides tab, newline, carriage return, form feed) a real text rarely has.
#: Control characters no text file has (tab, newlines and form feed are fine).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
#: Fewer words than this extracted from a page means it held no article.
MIN_ARTICLE_WORDS = 10
#: Legacy encodings tried, most common first (wire copy, old web pages, Office exports).
_COMMON_ENCODINGS = (
    "cp1252",
    "latin_1",
    "cp1251",
    "koi8_r",
    "cp1250",
    "iso8859_2",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "mac_roman",
    "shift_jis",
    "euc_jp",
    "gb18030",
    "big5",
    "euc_kr",
)
#: Bytes of the start of a file scored per candidate encoding.
_GUESS_SAMPLE_BYTES = 64 * 1024
#: Mess-ratio differences below this are noise: the more common encoding wins.
_MESS_TIE = 0.1
#: Above this mess ratio a decoding is garbage, whatever its rank.
_MAX_MESS = 0.2
#: Most control characters tolerated per 1,000 characters before the text counts as binary.
_MAX_CONTROL_PER_MILLE = 5


def decode(data: bytes, origin: str) -> str:
    """Bytes of a text file to text, in whatever common encoding they were saved.

    A byte-order mark decides first (UTF-8, UTF-16, UTF-32); then strict UTF-8; then
    charset-normalizer's best guess (cp1252, latin-1, cp1251 and the rest).

    Raises:
        SourceError: the bytes are binary or match no text encoding.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise SourceError(
                    f"{origin} starts with a {encoding} byte-order mark but is not valid "
                    f"{encoding}: re-save it as UTF-8"
                ) from exc
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise SourceError(f"{origin} looks binary, not text: give a .txt, .md, .html or .pdf file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _guess(data, origin)
    sample = text[:_SNIFF_BYTES]
    if len(_CONTROL.findall(sample)) * 1000 > _MAX_CONTROL_PER_MILLE * max(len(sample), 1):
        raise SourceError(f"{origin} looks binary, not text: give a .txt, .md, .html or .pdf file")
    return text


def _sample(data: bytes, encoding: str) -> str | None:
    """The start of ``data`` decoded, tolerating only a multi-byte character cut at the end."""
    head = data[:_GUESS_SAMPLE_BYTES]
    try:
        return head.decode(encoding)
    except UnicodeDecodeError as exc:
        if len(head) < len(data) and exc.start >= len(head) - 4:
            try:
                return head[: exc.start].decode(encoding)
            except UnicodeDecodeError:
                return None
        return None


def _guess(data: bytes, origin: str) -> str:
    """Decode legacy-encoded bytes: the common encoding whose text looks least garbled.

    charset-normalizer's own ranking often prefers a rare code page (cp1250, cp775) for plain
    Western text, so candidates are the encodings wire copy really comes in, scored with its
    mess detector; ties (within :data:`_MESS_TIE`) go to the more common encoding.
    """
    import charset_normalizer
    from charset_normalizer.md import mess_ratio

    scored = []
    for rank, encoding in enumerate(_COMMON_ENCODINGS):
        sample = _sample(data, encoding)
        if sample is not None:
            mess = mess_ratio(sample, 1.0)
            scored.append((round(mess / _MESS_TIE), rank, mess, encoding))
    for _, _, mess, encoding in sorted(scored):
        if mess > _MAX_MESS:
            break
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue  # the sample decoded but a later byte does not
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise SourceError(
            f"{origin} is in no text encoding briefgen recognises: re-save it as UTF-8"
        )
    return str(best)


def read_html(data: bytes | str, origin: str, *, url: str | None = None) -> tuple[str, SourceInfo]:
    """The main text of a web page and its metadata, without navigation, banners or comments.

    Args:
        data: the page, as bytes (encoding detected from the page) or already decoded.
        origin: how errors name the source.
        url: the page's address, which helps metadata extraction.

    Raises:
        SourceError: the page holds no article text.
    """
    import trafilatura

    with warnings.catch_warnings():
        # lxml and htmldate warn about malformed markup; a saved page is often malformed.
        warnings.simplefilter("ignore")
        found = trafilatura.extract(
            data,
            url=url,
            output_format="json",
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            # Only a date the page states about itself, not one guessed from the URL or text.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    doc = json.loads(found) if found else {}
    text = doc.get("text") or ""
    # trafilatura falls back to whatever text a page has (a menu, a cookie banner): a few
    # words are not an article.
    if len(text.split()) < MIN_ARTICLE_WORDS:
        raise SourceError(
            f"{origin}: no article text found in the page; save the article itself, or its text"
        )
    info = SourceInfo(
        title=doc.get("title") or None,
        author=doc.get("author") or None,
        date=doc.get("date") or None,
        origin=origin,
    )
    return text, info


def read_pdf(data: bytes, origin: str) -> tuple[str, SourceInfo]:
    """The text layer of a PDF, page after page, and the title and author it declares.

    Raises:
        SourceError: the file is not a readable PDF, needs a password, or has no text (a scan).
    """
    import pypdf
    from pypdf.errors import DependencyError, PdfReadError

    try:
        with warnings.catch_warnings():
            # pypdf warns about every small defect of real-world PDFs; it reads them anyway.
            warnings.simplefilter("ignore")
            try:
                reader = pypdf.PdfReader(io.BytesIO(data))
                encrypted = reader.is_encrypted
            except DependencyError:  # it tried the empty password of an AES file
                encrypted = True
            if encrypted:
                reader = pypdf.PdfReader(io.BytesIO(_unlocked(data, origin)))
            pages = [page.extract_text() or "" for page in reader.pages]
            meta = reader.metadata
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        msg = f"{origin} is not a readable PDF ({type(exc).__name__}): check the file"
        raise SourceError(msg) from exc
    text = "\n\n".join(page.strip("\n") for page in pages)
    if not text.strip():
        raise SourceError(
            f"{origin} has no text layer (a scanned PDF?): run OCR on it first, e.g. ocrmypdf"
        )
    info = SourceInfo(
        title=_meta_text(meta.title if meta else None),
        author=_meta_text(meta.author if meta else None),
        origin=origin,
    )
    return text, info


def _unlocked(data: bytes, origin: str) -> bytes:
    """An encrypted PDF that opens without a password (the usual "no copying" kind), decrypted.

    qpdf (through pikepdf) decrypts every standard scheme, AES included, which pypdf alone can
    only do with the cryptography package installed.

    Raises:
        SourceError: the PDF needs a password, or qpdf cannot read it.
    """
    import pikepdf  # ~100 ms to import, and only encrypted PDFs need it

    try:
        with pikepdf.open(io.BytesIO(data)) as doc:  # the empty user password
            out = io.BytesIO()
            doc.save(out)  # without encryption
    except pikepdf.PasswordError as exc:
        raise SourceError(f"{origin} is password-protected: save an unlocked copy") from exc
    except pikepdf.PdfError as exc:
        msg = f"{origin} is not a readable PDF ({type(exc).__name__}): check the file"
        raise SourceError(msg) from exc
    return out.getvalue()


def _meta_text(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None


def sniff(data: bytes) -> Kind | None:
    """The format the first bytes announce (a PDF header, an HTML doctype), if any."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf-"):
        return "pdf"
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return None


def read(
    data: bytes,
    kind: Kind,
    origin: str,
    *,
    url: str | None = None,
    charset: str | None = None,
) -> tuple[str, SourceInfo]:
    """Read ``data`` as ``kind``: the text to brief and what the document says about itself.

    Args:
        data: the raw bytes.
        kind: ``text``, ``html`` or ``pdf``.
        origin: how errors name the source.
        url: where the bytes came from, for HTML metadata.
        charset: the encoding a server declared; it wins over detection when it decodes.
    """
    if kind == "pdf":
        return read_pdf(data, origin)
    declared: str | None = None
    if charset:
        try:
            declared = data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            declared = None  # a wrong header: fall back to detection
    if kind == "html":
        return read_html(data if declared is None else declared, origin, url=url)
    text = decode(data, origin) if declared is None else declared
    return text, SourceInfo(origin=origin)
