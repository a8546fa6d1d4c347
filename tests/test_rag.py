"""RAG through Python: ingest (texts, files, directories), skip/replace, hybrid retrieval, MMR,
filters, contexts, loaders and errors. Embeddings come from the test-only HashingEmbedder (shared
words → similar vectors), so nothing depends on a model."""

from __future__ import annotations

from pathlib import Path
from typing import List

import numpy as np
import pytest

import agentdb
from agentdb.embed import HashingEmbedder
from agentdb.errors import (
    CollectionNotFoundError,
    DimensionMismatchError,
    DuplicateIdError,
    InvalidArgumentError,
    InvalidFilterError,
    InvalidMetadataError,
    InvalidNameError,
)
from agentdb.loaders import html_to_text, iter_files, load_file
from agentdb.rag import Rag

DOCS = {
    "cats": "Cats are small carnivorous mammals. A cat sleeps most of the day and purrs when content.",
    "dogs": "Dogs are loyal companions. A dog needs daily walks and barks at strangers.",
    "rust": "Rust is a systems programming language with ownership and borrowing for memory safety.",
    "python": "Python is a dynamic programming language popular for data science and scripting.",
}


class Counting(HashingEmbedder):
    """Counts the texts it embeds."""

    def __init__(self, dim: int = 64) -> None:
        super().__init__(dim)
        self.texts: List[str] = []

    def __call__(self, texts: List[str]) -> np.ndarray:
        self.texts.extend(texts)
        return super().__call__(texts)


@pytest.fixture
def emb() -> Counting:
    return Counting()


@pytest.fixture
def rag(db: agentdb.Database, emb: Counting) -> Rag:
    r = db.rag("kb", embedder=emb)
    topics = {"cats": "animals", "dogs": "animals", "rust": "code", "python": "code"}
    s = r.ingest_documents(
        [{"id": k, "text": v, "source": f"{k}.txt", "metadata": {"topic": topics[k]}} for k, v in DOCS.items()]
    )
    assert (s.added, s.chunks) == (4, 4)
    return r


def test_ingest_skips_unchanged_and_replaces(rag: Rag, emb: Counting) -> None:
    n = len(emb.texts)
    again = rag.ingest("Cats are small carnivorous mammals. A cat sleeps most of the day and purrs when content.",
                       id="cats", source="cats.txt", metadata={"topic": "animals"})
    assert again.status == "unchanged" and again.chunks == 0
    assert len(emb.texts) == n, "an unchanged document is not embedded"
    new = rag.ingest("Cats hunt mice at night.", id="cats", source="cats.txt", metadata={"topic": "animals"})
    assert new.status == "replaced"
    assert rag.count({"doc_id": "cats"}) == 1
    hits = rag.search("purrs", mode="text")
    assert all(h.doc_id != "cats" for h in hits), "the old text is gone"
    assert rag.search("mice night", mode="text")[0].doc_id == "cats"
    info = {d.doc_id: d for d in rag.documents()}
    assert set(info) == set(DOCS) and info["cats"].chunks == 1 and len(info["cats"].content_hash) == 64
    assert rag.delete("cats") == 1
    assert rag.delete(["cats", "nope"]) == 0
    assert len(rag) == 3


def test_default_id_is_the_content_hash(db: agentdb.Database) -> None:
    r = db.rag("plain", embedder=HashingEmbedder(32))
    a = r.ingest("same text")
    assert a.doc_id.startswith("sha256:") and a.status == "added"
    assert r.ingest("same text").status == "unchanged"


def test_hybrid_is_rrf_of_both_sides(rag: Rag) -> None:
    q = "programming language memory safety"
    vec = rag.search(q, k=4, mode="vector")
    txt = rag.search(q, k=4, mode="text")
    hyb = rag.search(q, k=4)
    assert hyb[0].doc_id == "rust"
    for h in hyb:
        rv = next((i + 1 for i, x in enumerate(vec) if x.id == h.id), None)
        rt = next((i + 1 for i, x in enumerate(txt) if x.id == h.id), None)
        assert (h.vector_rank, h.text_rank) == (rv, rt)
        want = (1 / (60 + rv) if rv else 0) + (1 / (60 + rt) if rt else 0)
        assert h.score == pytest.approx(want, rel=1e-6)
    assert [h.score for h in hyb] == sorted((h.score for h in hyb), reverse=True)
    h = hyb[0]
    assert h.id == "rust#0" and h.source == "rust.txt" and h.position == 0
    assert h.text == DOCS["rust"][h.char_start : h.char_end]
    assert h.metadata == {"topic": "code"}
    # Weights: BM25 only through the weight.
    only_text = rag.search("barks walks", k=1, vector_weight=0.0, query_vector=HashingEmbedder(64)(["cat purrs"])[0])
    assert only_text[0].doc_id == "dogs"


def test_filters_apply_to_both_sides(rag: Rag) -> None:
    hits = rag.search("programming language", k=10, where={"topic": "animals"})
    assert hits and all(h.metadata["topic"] == "animals" for h in hits)
    assert rag.search("programming", k=10, mode="text", where="topic = 'animals'") == []
    assert [h.doc_id for h in rag.search("language", k=10, where={"doc_id": {"$in": ["python"]}})] == ["python"]
    with pytest.raises(InvalidFilterError):
        rag.search("x", where={"topic": {"$bad": 1}})


def test_mmr_diversifies(db: agentdb.Database) -> None:
    r = db.rag("energy", embedder=HashingEmbedder(64))
    r.ingest_documents([
        ("a1", "solar panels convert sunlight into electricity"),
        ("a2", "solar panels convert sunlight into electricity efficiently"),
        ("b", "wind turbines convert wind into electricity"),
    ])
    q = "solar panels electricity"
    assert {h.doc_id for h in r.search(q, k=2)} == {"a1", "a2"}
    diverse = r.search(q, k=2, mmr=0.3)
    assert "b" in {h.doc_id for h in diverse}
    with pytest.raises(InvalidArgumentError):
        r.search(q, mmr=1.5)


def test_context_budget_order_and_citations(db: agentdb.Database) -> None:
    r = db.rag("book", embedder=HashingEmbedder(64), chunk_size=40, chunk_overlap=20)
    text = "# Cats\n\n" + "\n\n".join(f"Paragraph {i}: the cat's habits, part {i}, explained." for i in range(20))
    r.ingest(text, id="catbook", source="books/cats.md", format="markdown")
    r.ingest("Dogs bark. Cats purr.", id="short", source="short.txt")
    for budget in (25, 100, 300):
        ctx = r.context("cat habits", max_tokens=budget)
        assert ctx.tokens <= budget
        assert ctx.tokens == agentdb.rag.count_tokens(ctx.text)
        assert str(ctx) == ctx.text
        for c in ctx.citations:
            assert f"[{c.number}] {c.source}" in ctx.text
            assert c.positions == sorted(c.positions)
            if c.doc_id == "catbook":
                assert c.heading == "Cats"
                # Merged passages hold the document's text from char_start to char_end.
                body = ctx.text.split(f"[{c.number}] ", 1)[1].split("\n", 1)[1].split("\n\n[", 1)[0]
                assert body == text[c.char_start : c.char_end]
    big = r.context("cat habits", max_tokens=300)
    cat = [c for c in big.citations if c.doc_id == "catbook"]
    assert len(cat) >= 1 and any(len(c.positions) > 1 for c in cat), "adjacent chunks are merged"
    scored = r.context("cat habits", max_tokens=300, document_order=False)
    assert all(len(c.positions) == 1 for c in scored.citations)
    assert r.context("cat habits", max_tokens=2).text == ""


def test_files_directories_and_loaders(db: agentdb.Database, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    (root / "guide").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "guide" / "install.md").write_text("# Install\n\nRun pip install agentdb to install it.\n")
    (root / "notes.txt").write_text("Plain notes about backups and restores.")
    (root / "page.html").write_text(
        "<html><head><title>Ignored title</title><style>p{}</style></head><body>"
        "<h1>Support</h1><p>Contact support by <b>email</b>.</p><script>var x=1;</script>"
        "<ul><li>one</li><li>two</li></ul></body></html>"
    )
    (root / ".hidden" / "secret.md").write_text("hidden")
    (root / "image.png").write_bytes(b"\x89PNG")
    r = db.rag("files", embedder=HashingEmbedder(64))
    s = r.ingest_directory(root, progress=False, metadata={"kind": "docs"})
    assert (s.added, s.unchanged) == (3, 0)
    assert {d.doc_id for d in r.documents()} == {"guide/install.md", "notes.txt", "page.html"}
    hit = r.search("pip install", k=1, mode="text")[0]
    assert hit.doc_id == "guide/install.md" and hit.heading == "Install" and hit.metadata == {"kind": "docs"}
    assert hit.source == str(root / "guide" / "install.md")
    page = r.search("contact support email", k=1, mode="text")[0]
    assert page.doc_id == "page.html" and "var x" not in page.text and page.heading == "Support"
    # Edit one file: only it is re-ingested.
    (root / "notes.txt").write_text("Plain notes about backups, restores and snapshots.")
    s = r.ingest_directory(root, progress=True, metadata={"kind": "docs"})
    assert (s.replaced, s.unchanged, s.added) == (1, 2, 0)
    assert r.ingest_file(root / "notes.txt", id="notes.txt", metadata={"kind": "docs"}).status == "unchanged"
    with pytest.raises(InvalidArgumentError, match="unknown file type"):
        r.ingest_file(root / "image.png")
    with pytest.raises(InvalidArgumentError, match="not a directory"):
        r.ingest_directory(root / "notes.txt")
    (root / "bad.txt").write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(InvalidArgumentError, match="not valid utf-8"):
        load_file(root / "bad.txt")
    assert [p.name for p in iter_files(root, suffixes=[".md"])] == ["install.md"]
    assert html_to_text("<h2>A</h2><p>b &amp; c</p>") == "## A\n\nb & c"


def test_pdf_needs_the_extra_or_reads_text(db: agentdb.Database, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    w = pypdf.PdfWriter()
    w.add_blank_page(width=200, height=200)
    path = tmp_path / "blank.pdf"
    with open(path, "wb") as f:
        w.write(f)
    doc = load_file(path)
    assert doc.format == "plain" and doc.text == ""
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(InvalidArgumentError, match="cannot read PDF"):
        load_file(tmp_path / "broken.pdf")


def test_embedders_any_callable_and_errors(db: agentdb.Database) -> None:
    def plain(texts: List[str]) -> List[List[float]]:
        return [[float(len(t)), 1.0, 0.5] for t in texts]

    r = db.rag("fn", embedder=plain)
    assert r.dim == 3
    assert r.ingest("hello world", id="h").chunks == 1
    with pytest.raises(DimensionMismatchError):
        db.rag("fn", embedder=HashingEmbedder(8)).ingest("other text", id="o")

    def wrong_count(texts: List[str]) -> np.ndarray:
        return np.ones((len(texts) + 1, 3), dtype=np.float32)

    with pytest.raises(DimensionMismatchError):
        db.rag("fn", embedder=wrong_count, dim=3).ingest("more text", id="m")

    def broken(texts: List[str]) -> np.ndarray:
        raise ConnectionError("model server down")

    with pytest.raises(ConnectionError, match="model server down"):
        db.rag("fn", embedder=broken, dim=3).ingest("again", id="a")
    assert {d.doc_id for d in r.documents()} == {"h"}, "failed ingests wrote nothing"
    with pytest.raises(InvalidArgumentError):
        db.rag("fn2", embedder="not callable")  # type: ignore[arg-type]


def test_bad_input(rag: Rag, db: agentdb.Database) -> None:
    with pytest.raises(InvalidMetadataError, match="reserved"):
        rag.ingest("x", id="x", metadata={"position": 3})
    with pytest.raises(DuplicateIdError):
        rag.ingest_documents([("a", "x"), ("a", "y")])
    with pytest.raises(InvalidArgumentError):
        rag.ingest_documents([42])  # type: ignore[list-item]
    with pytest.raises(InvalidArgumentError):
        rag.ingest_documents([{"text": "no id"}])
    with pytest.raises(InvalidArgumentError):
        rag.search("x", k=0)
    with pytest.raises(InvalidArgumentError):
        rag.search("x", mode="sideways")
    with pytest.raises(InvalidArgumentError):
        rag.context("x", max_tokens=0)
    with pytest.raises(InvalidNameError):
        db.rag("../evil", embedder=HashingEmbedder(8))
    with pytest.raises(InvalidArgumentError):
        db.rag("bad-chunks", embedder=HashingEmbedder(8), chunk_size=10, chunk_overlap=10)


def test_reopen_list_and_drop(db_path: Path) -> None:
    with agentdb.connect(db_path) as db:
        r = db.rag("kb", embedder=HashingEmbedder(64))
        r.ingest_documents(list(DOCS.items()))
    with agentdb.connect(db_path) as db:
        assert db.list_rags() == ["kb"]
        r = db.rag("kb", embedder=HashingEmbedder(64))
        assert r.search("loyal companions", k=1)[0].doc_id == "dogs"
        assert r.ingest_documents(list(DOCS.items())).unchanged == 4
        db.drop_rag("kb")
        assert db.list_rags() == []
        with pytest.raises(CollectionNotFoundError):
            db.drop_rag("kb")
