"""Reading files into documents for :class:`agentdb.rag.Rag`.

Supported: plain text (``.txt``, ``.text``, ``.rst``, ``.log``), markdown (``.md``,
``.markdown``), HTML (``.html``, ``.htm``: converted to markdown-style text, headings kept as
``#`` lines so the chunker sees the structure; scripts, styles and navigation dropped), and PDF
(``.pdf``, text layer only, through the optional extra ``pip install 'agentdb-embedded[pdf]'``, which
installs pypdf).

Loading only turns bytes into text; chunking, hashing and storage happen in the engine.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

from .errors import InvalidArgumentError
from .results import Metadata

__all__ = [
    "LoadedDocument",
    "load_file",
    "iter_files",
    "html_to_text",
    "pdf_to_text",
    "SUFFIX_FORMATS",
    "DEFAULT_SUFFIXES",
]

PathLike = Union[str, "os.PathLike[str]"]

#: File suffix → how it is read: "plain", "markdown", "html" or "pdf".
SUFFIX_FORMATS: Dict[str, str] = {
    ".txt": "plain",
    ".text": "plain",
    ".rst": "plain",
    ".log": "plain",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}

#: The suffixes :meth:`Rag.ingest_directory` picks up unless told otherwise.
DEFAULT_SUFFIXES: Tuple[str, ...] = tuple(SUFFIX_FORMATS)


@dataclass
class LoadedDocument:
    """A file read as text, ready for :meth:`Rag.ingest_documents`.

    ``format`` is what the chunker gets: ``"markdown"`` (markdown and HTML files) or
    ``"plain"`` (text and PDF).
    """

    id: str
    text: str
    source: str
    format: str = "plain"
    metadata: Metadata = field(default_factory=dict)


class _HtmlText(HTMLParser):
    """HTML → text with markdown headings, paragraphs and list items on their own lines."""

    _SKIP = {"script", "style", "noscript", "template", "head", "nav", "svg"}
    _BLOCK = {"p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote",
              "table", "tr", "ul", "ol", "dl", "dt", "dd", "figure", "figcaption", "form", "hr", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: List[str] = []
        self.skip = 0
        self.pre = 0
        self.title: Optional[str] = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in self._SKIP:
            self.skip += 1
            return
        if re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "br":
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")
        elif tag in self._BLOCK:
            self.parts.append("\n\n")
        if tag == "pre":
            self.pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if re.fullmatch(r"h[1-6]", tag) or tag in self._BLOCK:
            self.parts.append("\n\n")
        if tag == "pre":
            self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data
        if self.skip:
            return
        self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(source: str) -> str:
    """HTML to text: headings become ``#`` lines, blocks paragraphs, list items ``- `` lines."""
    p = _HtmlText()
    p.feed(source)
    p.close()
    text = "".join(p.parts)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n[ \t]+", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = text.strip()
    if p.title and not text.lstrip().startswith("#"):
        text = f"# {html.unescape(p.title.strip())}\n\n{text}"
    return text


def pdf_to_text(path: PathLike) -> str:
    """The text layer of a PDF, pages separated by blank lines (needs ``agentdb-embedded[pdf]``)."""
    try:
        from pypdf import PdfReader
    except ImportError as e:
        raise ImportError("reading PDF files needs pypdf: pip install 'agentdb-embedded[pdf]'") from e
    try:
        reader = PdfReader(os.fspath(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as e:  # pypdf raises many kinds for damaged files
        raise InvalidArgumentError(f"cannot read PDF {os.fspath(path)!r}: {e}") from e
    return "\n\n".join(p.strip() for p in pages if p.strip())


def _read_text(path: Path, encoding: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InvalidArgumentError(f"cannot read {str(path)!r}: {e.strerror or e}") from e
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        raise InvalidArgumentError(f"{str(path)!r} is not valid {encoding} text ({e.reason} at byte {e.start})") from e
    return text.lstrip("\ufeff")


def load_file(
    path: PathLike,
    *,
    id: Optional[str] = None,
    metadata: Optional[Metadata] = None,
    encoding: str = "utf-8",
    format: Optional[str] = None,
) -> LoadedDocument:
    """Reads one file as a document.

    Args:
        path: the file; its suffix picks the reader (see :data:`SUFFIX_FORMATS`).
        id: the document id (default: the path as given).
        metadata: copied onto every chunk.
        encoding: of text, markdown and HTML files.
        format: overrides the suffix: ``"plain"``, ``"markdown"``, ``"html"`` or ``"pdf"``.

    Raises:
        InvalidArgumentError: unknown suffix, unreadable file, or text that does not decode.
        ImportError: a PDF without ``agentdb-embedded[pdf]`` installed.
    """
    p = Path(path)
    kind = format or SUFFIX_FORMATS.get(p.suffix.lower())
    if kind is None:
        raise InvalidArgumentError(
            f"cannot ingest {str(p)!r}: unknown file type {p.suffix!r} (known: {', '.join(SUFFIX_FORMATS)}; "
            "pass format= to read it anyway)"
        )
    if kind not in ("plain", "markdown", "html", "pdf"):
        raise InvalidArgumentError(f"unknown format {kind!r}: expected 'plain', 'markdown', 'html' or 'pdf'")
    if not p.is_file():
        raise InvalidArgumentError(f"cannot ingest {str(p)!r}: not a file")
    if kind == "pdf":
        text, chunk_format = pdf_to_text(p), "plain"
    elif kind == "html":
        text, chunk_format = html_to_text(_read_text(p, encoding)), "markdown"
    else:
        text, chunk_format = _read_text(p, encoding), kind
    source = os.fspath(path)
    return LoadedDocument(id=id or source, text=text, source=source, format=chunk_format, metadata=dict(metadata or {}))


def iter_files(
    root: PathLike,
    *,
    suffixes: Sequence[str] = DEFAULT_SUFFIXES,
    recursive: bool = True,
) -> Iterator[Path]:
    """The files under ``root`` with one of ``suffixes`` (case-insensitive), sorted by path;
    hidden files and directories (``.git``, ``.venv``, …) are skipped."""
    base = Path(root)
    if not base.is_dir():
        raise InvalidArgumentError(f"{os.fspath(root)!r} is not a directory")
    wanted = {s.lower() if s.startswith(".") else "." + s.lower() for s in suffixes}
    found: List[Path] = []
    if recursive:
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in filenames:
                if not f.startswith(".") and Path(f).suffix.lower() in wanted:
                    found.append(Path(dirpath) / f)
    else:
        found = [p for p in base.iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in wanted]
    return iter(sorted(found))
