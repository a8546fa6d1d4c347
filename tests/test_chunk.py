"""Chunking (engine: rust/engine/src/chunk.rs) through Python: structure, sizes, overlap, offsets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentdb.errors import InvalidArgumentError
from agentdb.rag import chunk_text, count_tokens

MD = """# Guide

Welcome to the guide. It explains everything.

## Install

Run `pip install agentdb`. Then import it.

```python
# this is code, not a heading

print("hi")
```

## Use

Open a database. Add documents. Search them.
"""


def test_markdown_sections_and_headings() -> None:
    chunks = chunk_text(MD, format="markdown", size=200)
    assert [c.headings for c in chunks] == [["Guide"], ["Guide", "Install"], ["Guide", "Use"]]
    assert chunks[1].text.startswith("## Install")
    assert "# this is code, not a heading" in chunks[1].text
    for c in chunks:
        assert MD[c.char_start : c.char_end] == c.text
        assert c.tokens == count_tokens(c.text)


def test_plain_text_splits_at_paragraphs_then_sentences() -> None:
    text = "First paragraph, one sentence.\n\nSecond paragraph. It has two sentences."
    assert [c.text for c in chunk_text(text, size=100, overlap=0)] == [text]
    assert [c.text for c in chunk_text(text, size=8, overlap=0)] == [
        "First paragraph, one sentence.",
        "Second paragraph.",
        "It has two sentences.",
    ]


def test_overlap_repeats_whole_sentences() -> None:
    text = " ".join(f"Sentence {i} is here." for i in range(12))
    chunks = chunk_text(text, size=20, overlap=6)
    assert len(chunks) > 2
    for a, b in zip(chunks, chunks[1:]):
        assert b.char_start < a.char_end, "neighbours overlap"
        assert text[b.char_start : a.char_end].strip().endswith(".")
        assert b.char_start > a.char_start


def test_chars_unit_and_unicode_offsets() -> None:
    text = "Ünïcödé wörds hère. " * 20 + "東京は大きい。大阪も大きい。"
    chunks = chunk_text(text, size=50, overlap=10, unit="chars")
    for c in chunks:
        assert len(c.text) <= 50
        assert text[c.char_start : c.char_end] == c.text


def test_custom_tokenizer_is_used_and_its_errors_propagate() -> None:
    words = lambda s: len(s.split())  # noqa: E731
    chunks = chunk_text("a b c d e f g h i j", size=3, overlap=0, tokenizer=words)
    assert [c.text for c in chunks] == ["a b c", "d e f", "g h i", "j"]
    assert [c.tokens for c in chunks] == [3, 3, 3, 1]

    def boom(s: str) -> int:
        raise RuntimeError("tokenizer broke")

    with pytest.raises(RuntimeError, match="tokenizer broke"):
        chunk_text("some text here", tokenizer=boom)


def test_count_tokens_approximation() -> None:
    assert count_tokens("") == 0
    assert count_tokens("the cat sat.") == 4
    assert count_tokens("tokenization") == 2
    assert count_tokens("東京") == 2


@pytest.mark.parametrize(
    "kwargs",
    [dict(size=0), dict(size=10, overlap=10), dict(unit="words"), dict(format="docx"), dict(size=-1)],
)
def test_bad_settings(kwargs: dict) -> None:
    with pytest.raises(InvalidArgumentError):
        chunk_text("text", **kwargs)


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(st.sampled_from(list("ab .!?\n#é東 ")), max_size=400),
    size=st.integers(1, 40),
    unit=st.sampled_from(["tokens", "chars"]),
    fmt=st.sampled_from(["plain", "markdown"]),
)
def test_chunks_are_exact_bounded_slices_covering_the_text(text: str, size: int, unit: str, fmt: str) -> None:
    overlap = size // 3
    chunks = chunk_text(text, format=fmt, size=size, overlap=overlap, unit=unit)
    covered = [False] * len(text)
    for c in chunks:
        assert text[c.char_start : c.char_end] == c.text
        assert (count_tokens(c.text) if unit == "tokens" else len(c.text)) <= size
        for i in range(c.char_start, c.char_end):
            covered[i] = True
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))
