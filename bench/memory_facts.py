"""A small deterministic fact extractor for the "hybrid + graph" row of ``bench/memory.py``.

AgentDB bundles no LLM, and a graph built from a generator's own ground truth would measure the
generator, so the benchmark builds its graphs with this rule-based extractor instead. It is a
stand-in for the LLM extractor an application would use (Mem0, Graphiti and Zep all extract with
an LLM); it is not part of the engine and nothing in the engine depends on it.

What it extracts, per conversation (one graph per LongMemEval question):

- Only the **user's** turns are read: a fact about the user comes from what the user said (an
  assistant's turn restates or advises; LLM extractors are usually prompted the same way).
- **Entities** are the rare terms a turn names: capitalised spans (one to three capitalised
  words, a lone one not at the start of a sentence, e.g. ``Costa Rica``, ``IKEA``), money and
  numbers with their unit word (``$5``, ``45 minutes``), and content words (four or more
  letters, not in ``STOPWORDS``), each kept when at most ``MAX_DF`` of the conversation's user
  turns name it (a term the user uses everywhere points at nothing in particular). A term's entity id is its
  lower-cased form; a word ending in ``s`` gets the form without it as an alias (and the other
  way round), so "playlists" in a question finds "playlist" in a turn.
- **Facts**: for every entity a turn names, one fact ``(entity, "mentioned_by_user", literal =
  the turn's first 160 characters)`` whose ``sources`` is that turn's memory id, with
  ``confidence = 1 / document frequency`` (an entity named in one turn is a sharper pointer than
  one named in three; ``Graph.facts_for_text`` orders an entity's facts by confidence).

The settings (``MAX_DF`` = 3, four letters, 160 characters, the stop-word list) were fixed
before the first LongMemEval run and not tuned on it; LoCoMo is never read.

What an LLM extractor would change: it would extract typed relations ("user --degree-->
Business Administration") and resolve paraphrases ("my commute" ↔ "the drive to work") that
whole-word matching misses, so it should find more of the evidence; it can also hallucinate or
drop facts, and it costs an LLM call per turn. This extractor gives the graph path a floor, not
a ceiling.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Dict, Iterable, List, Sequence, Set, Tuple

MAX_DF = 3
MIN_LEN = 4
LITERAL_CHARS = 160
PREDICATE = "mentioned_by_user"

# A plain English stop-word list (function words, pronouns, auxiliaries and the commonest verbs
# and adverbs of chat); written out so the result does not depend on an NLP package's version.
STOPWORDS = frozenset("""
a about above after again against all almost also although always am among an and another any
anyone anything are around as at away back be became because become been before being below
best better between both but by can cannot could did do does doing done down during each else
enough even ever every everything few find first for from get gets getting give go going good
got great had has have having he her here hers herself him himself his how however i if in into
is it its itself just keep know last least less let like little lot lots make many may maybe me
might mine more most much must my myself need never new next no not nothing now of off often on
once one only or other others our ours ourselves out over own part please quite rather really
right said same say see seem seems she should since so some someone something sometimes soon
still such sure take than thank thanks that the their theirs them themselves then there these
they thing things think this those though through thus to too try trying under until up upon us
use used using very want was way we well were what whatever when where whether which while who
whom whose why will with within without would yes yet you your yours yourself yourselves also
actually already able across along another anyway around based being come comes coming could
currently different does dont doesnt etc every example going gonna great help helpful hey hi
idea ideas important interested including info information kind looking love made makes making
mean means mentioned might much nice okay particular perhaps pretty probably recently
recommend recommendations share specific start started suggest suggestions tell tips today
usually various wanted wants wondering work working would year years time times week weeks day
days month months lately
""".split())

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_CAP_SPAN = re.compile(r"\b([A-Z][A-Za-z0-9&'\-]*(?:\s+[A-Z][A-Za-z0-9&'\-]*){0,2})")
_NUMBER = re.compile(r"(\$\d[\d,.]*|\b\d[\d,.]*(?:\s*%|\s+[a-z]+)?)")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n\s*)$")


def _variants(term: str) -> List[str]:
    """The term's other number (plural ↔ singular by a trailing ``s``), as aliases."""
    if " " in term or not term.isalpha() or len(term) < MIN_LEN:
        return []
    return [term[:-1]] if term.endswith("s") and len(term) > MIN_LEN else [term + "s"]


def candidate_terms(text: str) -> Set[str]:
    """The lower-cased terms ``text`` names (before the rarity filter for plain words)."""
    out: Set[str] = set()
    for m in _CAP_SPAN.finditer(text):
        span = m.group(1).strip(" '-")
        words = span.split()
        # A capitalised word that opens a sentence is usually just capitalised; keep it only as
        # part of a longer span ("Costa Rica" at a sentence start still counts).
        if _SENTENCE_START.search(text[: m.start()]) and len(words) == 1:
            continue
        if all(w.lower() in STOPWORDS for w in words) or span in ("I", "I'm", "I've", "I'd", "I'll"):
            continue
        out.add(span.lower())
    for m in _NUMBER.finditer(text):
        out.add(m.group(1).strip().lower())
    for w in _WORD.findall(text):
        lw = w.lower().strip("'-")
        if len(lw) >= MIN_LEN and lw.isalpha() and lw not in STOPWORDS:
            out.add(lw)
    return out


def extract(turns: Sequence[Tuple[str, str]]) -> Tuple[List[dict], List[dict]]:
    """``(entities, facts)`` for ``Graph.add_entities`` / ``Graph.add_facts`` from one
    conversation's user turns ``[(memory id, text)]``.

    A term is kept when at most ``MAX_DF`` turns name it."""
    terms_of: Dict[str, Set[str]] = {}
    df: Dict[str, int] = defaultdict(int)
    for mid, text in turns:
        ts = candidate_terms(text)
        terms_of[mid] = ts
        for t in ts:
            df[t] += 1
    keep = {t for t in df if df[t] <= MAX_DF}
    entities = [{"id": t, "name": t, "aliases": [a for a in _variants(t) if a not in df]} for t in sorted(keep)]
    facts = []
    for mid, text in turns:
        lit = " ".join(text.split())[:LITERAL_CHARS]
        for t in sorted(terms_of[mid] & keep):
            facts.append({"subject": t, "predicate": PREDICATE, "literal": lit, "sources": [mid],
                          "confidence": 1.0 / df[t]})
    return entities, facts


def merge_context(hits: Iterable[str], facts_sources: Iterable[str], k: int) -> List[str]:
    """``k`` memory ids: the recall's hits and the graph facts' source memories taken in turn
    (hit, source, hit, …), each in the order the engine returned it, repeats skipped. No weight
    is involved, so nothing here was tuned."""
    a, b = list(hits), list(facts_sources)
    out: List[str] = []
    seen: Set[str] = set()
    i = j = 0
    while len(out) < k and (i < len(a) or j < len(b)):
        for src, idx in ((a, i), (b, j)):
            if idx < len(src) and len(out) < k:
                if src[idx] not in seen:
                    seen.add(src[idx])
                    out.append(src[idx])
        i += 1
        j += 1
    return out
