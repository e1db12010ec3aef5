"""The output-format registry: what each format declares, and that a new one is one registration."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from briefgen import cli
from briefgen.digest.render import DIGEST_FORMATS
from briefgen.errors import RenderError
from briefgen.renderers.registry import BRIEF_FORMATS, OutputFormat, Registry


def test_the_built_in_formats_in_listing_order() -> None:
    assert BRIEF_FORMATS.names() == ("md", "json", "jsonl", "pdf", "html")
    assert DIGEST_FORMATS.names() == ("md", "json", "jsonl", "pdf", "html")


@pytest.mark.parametrize("registry", [BRIEF_FORMATS, DIGEST_FORMATS], ids=["brief", "digest"])
def test_what_each_format_declares(registry: Registry[object, object]) -> None:
    assert {f.name: f.extension for f in registry} == {
        "md": ".md",
        "json": ".json",
        "jsonl": ".jsonl",
        "pdf": ".pdf",
        "html": ".html",
    }
    assert [f.name for f in registry if f.needs_source] == ["html"]
    assert [f.name for f in registry if f.binary] == ["pdf"]


def test_jsonl_streams_a_folder_only_for_briefs() -> None:
    # A brief's jsonl is one brief on one line, and over a folder a stream of one record per
    # source on -o -; a digest's jsonl is only the former, a file per story.
    assert [f.name for f in BRIEF_FORMATS if f.streams] == ["jsonl"]
    assert not any(f.streams for f in DIGEST_FORMATS)


def _text(document: str, source: str | None) -> bytes:
    return document.upper().encode("utf-8")


def toy_registry() -> Registry[str, str]:
    registry: Registry[str, str] = Registry("brief", ())
    registry.register(OutputFormat("txt", ".txt", _text, suffixes=(".text",)))
    registry.register(OutputFormat("jsonl", ".jsonl", _text, help="streams", streams=True))
    return registry


def test_a_registered_format_renders_and_is_found_by_extension() -> None:
    registry = toy_registry()
    assert registry.render("plain", "txt") == b"PLAIN"
    assert registry.format_for("out/a.TXT") == "txt"
    assert registry.format_for(Path("a.text")) == "txt"
    assert registry.format_for("a.pdf", default="txt") == "txt"
    with pytest.raises(RenderError, match="format 'md' is not available: use one of txt, jsonl"):
        registry["md"]


def test_a_name_registers_once() -> None:
    registry = toy_registry()
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(OutputFormat("txt", ".txt", _text))


def test_the_cli_takes_its_formats_from_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "BRIEF_FORMATS", toy_registry())
    assert cli.formats("txt") == ("txt",)
    with pytest.raises(argparse.ArgumentTypeError, match="use txt, jsonl"):
        cli.formats("md")
    with pytest.raises(argparse.ArgumentTypeError, match="jsonl goes alone"):
        cli.formats("txt,jsonl")
    assert cli.format_help().startswith("txt (default); several at once with -o")
    assert cli.format_help().endswith("; jsonl streams")
