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
//! avg_len count the whole store, not the memories passing a filter, so a memory's score does
//! not depend on the filter that let it through.

use std::collections::HashMap;
use std::sync::Mutex;

use lance_index::scalar::inverted::tokenizer::document_tokenizer::LanceTokenizer;
use lance_tokenizer::TokenStream;

use crate::collection::text_index::analyzer;
use crate::error::Result;
use crate::types::text::TextTokenizer;

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

    /// The query's distinct known terms with their idf (unknown terms match nothing).
    pub(super) fn query(&self, text: &str) -> Vec<(u32, f64)> {
        let mut ids: Vec<u32> = self.terms(text, true).iter().filter_map(|t| self.term_ids.get(t).copied()).collect();
        ids.sort_unstable();
        ids.dedup();
        let n = self.n_docs as f64;
        ids.into_iter()
            .filter_map(|id| {
                let df = self.postings[id as usize].len() as f64;
                (df > 0.0).then(|| (id, (1.0 + (n - df + 0.5) / (df + 0.5)).ln()))
            })
            .collect()
    }

    fn avg_len(&self) -> f64 {
        if self.n_docs == 0 {
            1.0
        } else {
            self.total_len as f64 / self.n_docs as f64
        }
    }

    fn term_score(idf: f64, tf: u32, len: u32, avg: f64) -> f64 {
        let tf = tf as f64;
        idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len as f64 / avg))
    }

    /// The BM25 score of every memory containing a query term and accepted by `accept`:
    /// `(slot, score)`, in no particular order.
    pub(super) fn scores(&self, query: &[(u32, f64)], accept: &dyn Fn(usize) -> bool) -> Vec<(usize, f64)> {
        let avg = self.avg_len();
        let mut acc: HashMap<u32, f64> = HashMap::new();
        // Rejected slots are remembered so the filter runs once per memory.
        let mut rejected: std::collections::HashSet<u32> = std::collections::HashSet::new();
        for &(id, idf) in query {
            for (&slot, &tf) in &self.postings[id as usize] {
                if rejected.contains(&slot) {
                    continue;
                }
                let len = match self.docs.get(slot as usize) {
                    Some(Some(d)) => d.len,
                    _ => continue,
                };
                let s = Self::term_score(idf, tf, len, avg);
                match acc.get_mut(&slot) {
                    Some(v) => *v += s,
                    None if accept(slot as usize) => {
                        acc.insert(slot, s);
                    }
                    None => {
                        rejected.insert(slot);
                    }
                }
            }
        }
        acc.into_iter().map(|(s, v)| (s as usize, v)).collect()
    }

    /// The BM25 score of one memory (0 when it has no query term).
    pub(super) fn score_of(&self, slot: usize, query: &[(u32, f64)]) -> f64 {
        let Some(Some(doc)) = self.docs.get(slot) else { return 0.0 };
        let avg = self.avg_len();
        query
            .iter()
            .filter_map(|&(id, idf)| self.postings[id as usize].get(&(slot as u32)).map(|&tf| Self::term_score(idf, tf, doc.len, avg)))
            .sum()
    }
}
