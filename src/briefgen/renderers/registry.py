"""The output-format registry: each format module registers what it is called and how it renders.

A format is one module (and its template in ``templates/``) that calls :meth:`Registry.register`
at import time. A registry knows its built-in modules by name and imports them the first time it
is asked, so reading the format names (the CLI's ``--format`` choices and help) costs no template
engine and no PDF compiler: format modules import those inside the functions that render.

Briefs and digests have a registry each (:data:`BRIEF_FORMATS`, :data:`DIGEST_FORMATS`): the
same names, different documents, different sources (a brief's one text; a digest's texts by id).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from briefgen.errors import RenderError

if TYPE_CHECKING:
    from briefgen.schema import Briefing

Doc = TypeVar("Doc")
Src = TypeVar("Src")


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class OutputFormat(Generic[Doc, Src]):
    """One way to write a document.

    Attributes:
        name: what ``--format`` calls it (``md``).
        extension: the file extension it writes, with the dot (``.md``).
        render: ``(document, source) -> bytes``; ``source`` is None when the caller has none.
        help: what ``--help`` says after the name, for a format that needs explaining.
        needs_source: whether ``render`` needs the source text (it raises without it).
        binary: whether its bytes do not belong on a terminal.
        stage: what a status line says while it renders, when that takes a while.
        streams: over a folder, the run streams one record per finished source to standard
            output (``-o -``) instead of writing a file per source in this format.
        suffixes: other file extensions that imply it (``.markdown``).
        preload: loads what rendering takes once per process (compiled template, compiler).
    """

    name: str
    extension: str
    render: Callable[[Doc, Src | None], bytes]
    help: str = ""
    needs_source: bool = False
    binary: bool = False
    stage: str | None = None
    streams: bool = False
    suffixes: tuple[str, ...] = ()
    preload: Callable[[], None] = _nothing


class Registry(Generic[Doc, Src]):
    """The output formats of one kind of document, in the order ``--help`` lists them.

    Args:
        document: what it renders, for error messages (``brief``, ``digest``).
        builtins: the modules whose import registers the built-in formats, in listing order.
    """

    def __init__(self, document: str, builtins: Sequence[str]) -> None:
        self.document = document
        self._builtins = tuple(builtins)
        self._formats: dict[str, OutputFormat[Doc, Src]] = {}
        self._loaded = False
        # A batch's threads may ask first at once; reentrant, since a format module's import
        # may itself read the registry.
        self._loading = threading.RLock()

    def register(self, fmt: OutputFormat[Doc, Src]) -> OutputFormat[Doc, Src]:
        """Add ``fmt``; a second format of the same name is a programming error."""
        if fmt.name in self._formats:
            raise ValueError(f"{self.document} format {fmt.name!r} is registered twice")
        self._formats[fmt.name] = fmt
        return fmt

    def _all(self) -> dict[str, OutputFormat[Doc, Src]]:
        if self._loaded:
            return self._formats
        with self._loading:
            for module in self._builtins:
                importlib.import_module(module)
            order = {m: i for i, m in enumerate(self._builtins)}
            # Listing order is the builtins' order, whatever order they were imported in.
            ranked = sorted(
                self._formats.values(),
                key=lambda f: order.get(f.render.__module__, len(order)),
            )
            self._formats = {f.name: f for f in ranked}
            self._loaded = True
        return self._formats

    def __iter__(self) -> Iterator[OutputFormat[Doc, Src]]:
        return iter(self._all().values())

    def __contains__(self, name: object) -> bool:
        return name in self._all()

    def names(self) -> tuple[str, ...]:
        """Every format's name, in listing order."""
        return tuple(self._all())

    def __getitem__(self, name: str) -> OutputFormat[Doc, Src]:
        """The format called ``name``.

        Raises:
            RenderError: no such format.
        """
        found = self._all().get(name)
        if found is None:
            raise RenderError(
                f"format {name!r} is not available{self._for}: use one of {', '.join(self.names())}"
            )
        return found

    @property
    def _for(self) -> str:
        return "" if self.document == "brief" else f" for a {self.document}"

    def format_for(self, path: str | Path | None, default: str = "md") -> str:
        """The format an output file name implies (``brief.pdf`` → ``pdf``), else ``default``."""
        if path is None:
            return default
        suffix = Path(path).suffix.lower()
        for fmt in self:
            if suffix == fmt.extension or suffix in fmt.suffixes:
                return fmt.name
        return default

    def implies_format(self, suffix: str) -> bool:
        """Whether a file extension (``.md``) names one of the formats."""
        return any(suffix.lower() in (f.extension, *f.suffixes) for f in self)

    def render(self, document: Doc, name: str, source: Src | None = None) -> bytes:
        """``document`` rendered in format ``name``: the bytes to write."""
        return self[name].render(document, source)

    def preload(self, names: Sequence[str]) -> None:
        """Load what rendering ``names`` takes once per process (templates, compilers)."""
        for name in names:
            self[name].preload()


#: How a brief can be written; adding a format adds its module here.
BRIEF_FORMATS: Registry[Briefing, str] = Registry(
    "brief",
    (
        "briefgen.renderers.markdown",
        "briefgen.renderers.json",
        "briefgen.renderers.pdf",
        "briefgen.renderers.html",
    ),
)
