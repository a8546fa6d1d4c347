//! The in-memory BM25 index over a store's memory texts, kept by the [`Table`](super::table)
//! next to the vectors and changed by the same writes (remember, update, forget, consolidate,
//! load), so a memory is findable by its words the moment `remember` returns.
//!
//! # Why not Lance's FTS index
//! The store's hidden collection could carry Lance's inverted index (collections and RAG use it,
//! see `collection/text_index.rs`), but memory writes go through the collection's write-ahead
//! buffer, and Lance's index sees a record only once the buffer is flushed to Lance; searching it
//! means flushing first (a Lance commit per recall after a write), and a Lance FTS query costs
//! milliseconds of DataFusion planning, while recall reads nothing from storage (see the module
//! docs of `memory`). So the store indexes its texts here instead, in the table that already
//! holds every memory, buffered or flushed alike: there is one index with one set of corpus
//! statistics (document count, average length, document frequencies), so a memory still in the
//! write buffer and one long in Lance are scored by the same BM25 and ranked together with no
//! merging step. The analyzer is Lance's own for the store's [`TextTokenizer`], so terms are
//! exactly those Lance's FTS would index.
//!
//! BM25 as Lance computes it: `idf(t) = ln(1 + (N − n_t + 0.5) / (n_t + 0.5))`,
//! `score = Σ_t idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·len/avg_len))`, `k1 = 1.2`, `b = 0.75`,
//! over the distinct terms of the query (any of them may match: OR semantics). N, n_t and
//! avg_len count the memories passing the recall's filter (with a text), not the whole store: a
//! store holds many agents' histories, and a word that fills one agent's memories (its user's
//! name, the project it works on) tells nothing within that agent, however rare it is in the
//! store. (Counted over the whole store, a speaker's name in every other turn of one
//! conversation among 16 took the top of every text ranking in `bench/memory.py`.) Without a
//! filter they are the store's.

use std::collections::HashMap;
use std::sync::Mutex;

use lance_index::scalar::inverted::tokenizer::document_tokenizer::LanceTokenizer;
use lance_tokenizer::TokenStream;

use crate::collection::text_index::analyzer;
use crate::error::Result;
use crate::types::text::TextTokenizer;

thread_local! {
    /// [`TextIndex::scores`]'s accumulator, all zeros between calls.
    static ACC: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// One indexed memory: its length in terms and its distinct terms with their frequencies.
struct Doc {
    len: u32,
    terms: Vec<(u32, u32)>,
}

pub(super) struct TextIndex {
    tokenizer: TextTokenizer,
    analyzer: Mutex<Box<dyn LanceTokenizer>>,
    term_ids: HashMap<String, u32>,
    /// Per term id: slot → term frequency.
    postings: Vec<HashMap<u32, u32>>,
    /// Per slot (the table's slots): the memory's terms, `None` without a text.
    docs: Vec<Option<Doc>>,
    n_docs: usize,
    total_len: u64,
}

impl TextIndex {
    pub(super) fn new(tokenizer: TextTokenizer) -> Result<TextIndex> {
        Ok(TextIndex {
            tokenizer,
            analyzer: Mutex::new(analyzer(tokenizer)?),
            term_ids: HashMap::new(),
            postings: Vec::new(),
            docs: Vec::new(),
            n_docs: 0,
            total_len: 0,
        })
    }

    pub(super) fn tokenizer(&self) -> TextTokenizer {
        self.tokenizer
    }

    /// How many memories have an indexed text (at least one term).
    pub(super) fn len(&self) -> usize {
        self.n_docs
    }

    /// The terms of `text` as Lance indexes a document (`search`: as it reads a query).
    pub(super) fn terms(&self, text: &str, search: bool) -> Vec<String> {
        let mut a = self.analyzer.lock().unwrap_or_else(|p| p.into_inner());
        let mut stream = if search { a.token_stream_for_search(text) } else { a.token_stream_for_doc(text) };
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    /// Indexes the text of the memory in `slot` (replacing what the slot held).
    pub(super) fn insert(&mut self, slot: usize, text: Option<&str>) {
        self.remove(slot);
        let Some(text) = text else { return };
        let terms = self.terms(text, false);
        if terms.is_empty() {
            return;
        }
        let mut tf: HashMap<u32, u32> = HashMap::new();
        for t in terms.iter() {
            let next = self.term_ids.len() as u32;
            let id = *self.term_ids.entry(t.clone()).or_insert(next);
            if id as usize == self.postings.len() {
                self.postings.push(HashMap::new());
            }
            *tf.entry(id).or_insert(0) += 1;
        }
        for (&id, &f) in &tf {
            self.postings[id as usize].insert(slot as u32, f);
        }
        if self.docs.len() <= slot {
            self.docs.resize_with(slot + 1, || None);
        }
        self.docs[slot] = Some(Doc { len: terms.len() as u32, terms: tf.into_iter().collect() });
        self.n_docs += 1;
        self.total_len += terms.len() as u64;
    }

    pub(super) fn remove(&mut self, slot: usize) {
        let Some(doc) = self.docs.get_mut(slot).and_then(Option::take) else { return };
        for (id, _) in doc.terms {
            self.postings[id as usize].remove(&(slot as u32));
        }
        self.n_docs -= 1;
        self.total_len -= doc.len as u64;
    }

    /// The query's distinct known terms (unknown terms match nothing).
    pub(super) fn query_terms(&self, text: &str) -> Vec<u32> {
        let mut ids: Vec<u32> = self.terms(text, true).iter().filter_map(|t| self.term_ids.get(t).copied()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// `(documents, total length)` of the slots given (those without a text do not count).
    pub(super) fn corpus_of(&self, slots: impl Iterator<Item = usize>) -> (usize, u64) {
        slots.fold((0, 0), |(n, len), s| match self.docs.get(s) {
            Some(Some(d)) => (n + 1, len + d.len as u64),
            _ => (n, len),
        })
    }

    /// The whole store's `(documents, total length)`.
    pub(super) fn corpus(&self) -> (usize, u64) {
        (self.n_docs, self.total_len)
    }

    fn term_score(idf: f64, tf: u32, len: u32, avg: f64) -> f64 {
        let tf = tf as f64;
        idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len as f64 / avg))
    }

    /// The BM25 score of every memory containing a query term and accepted by `accept` (`None`:
    /// every memory) as `(slot, score)` in no particular order, with the corpus statistics
    /// `corpus` (`(documents, total length)` of the memories `accept` lets through; see the
    /// module docs), and the scorer of any other memory by the same statistics.
    pub(super) fn scores(&self, terms: &[u32], accept: Option<&dyn Fn(usize) -> bool>, corpus: (usize, u64)) -> (Vec<(usize, f64)>, Bm25) {
        let n = corpus.0 as f64;
        let avg = if corpus.0 == 0 { 1.0 } else { corpus.1 as f64 / n };
        // The document frequencies count the accepted memories: with a filter, each term's
        // accepted postings are listed first (the filter is a row lookup and a few compares,
        // cheaper than remembering its answer per slot).
        let lists: Vec<(u32, Vec<(u32, u32)>)> = match accept {
            None => Vec::new(),
            Some(ok) => terms
                .iter()
                .map(|&id| (id, self.postings[id as usize].iter().filter(|(&s, _)| ok(s as usize)).map(|(&s, &tf)| (s, tf)).collect()))
                .collect(),
        };
        let df = |i: usize, id: u32| if accept.is_some() { lists[i].1.len() } else { self.postings[id as usize].len() };
        let mut idf = Vec::with_capacity(terms.len());
        // A dense accumulator, since a query term may match a large share of the store; kept per
        // thread and zeroed again where it was written, because a fresh one per recall (800 KB at
        // 100k memories) is a fresh mapping whose page faults cost more than the scoring.
        ACC.with_borrow_mut(|acc| {
            if acc.len() < self.docs.len() {
                acc.resize(self.docs.len(), 0.0);
            }
            let mut touched: Vec<u32> = Vec::new();
            for (i, &id) in terms.iter().enumerate() {
                let d = df(i, id) as f64;
                if d == 0.0 {
                    continue;
                }
                let w = (1.0 + (n - d + 0.5) / (d + 0.5)).ln();
                idf.push((id, w));
                let mut add = |slot: u32, tf: u32| {
                    if let Some(Some(doc)) = self.docs.get(slot as usize) {
                        let a = &mut acc[slot as usize];
                        if *a == 0.0 {
                            touched.push(slot);
                        }
                        // Every term score is > 0 (idf > 0, tf ≥ 1), so 0 means "not yet seen".
                        *a += Self::term_score(w, tf, doc.len, avg);
                    }
                };
                match accept {
                    None => self.postings[id as usize].iter().for_each(|(&s, &tf)| add(s, tf)),
                    Some(_) => lists[i].1.iter().for_each(|&(s, tf)| add(s, tf)),
                }
            }
            let scored = touched.into_iter().map(|s| (s as usize, std::mem::take(&mut acc[s as usize]))).collect();
            (scored, Bm25 { idf, avg })
        })
    }

    /// The BM25 score of one memory by the statistics of a [`TextIndex::scores`] call (0 when
    /// it has no query term).
    pub(super) fn score_of(&self, slot: usize, bm25: &Bm25) -> f64 {
        let Some(Some(doc)) = self.docs.get(slot) else { return 0.0 };
        bm25.idf
            .iter()
            .filter_map(|&(id, idf)| self.postings[id as usize].get(&(slot as u32)).map(|&tf| Self::term_score(idf, tf, doc.len, bm25.avg)))
            .sum()
    }
}

/// The idf of the query terms and the average length one text recall scores with.
pub(super) struct Bm25 {
    idf: Vec<(u32, f64)>,
    avg: f64,
}
