//! Operations: stats, health and metrics of a database and its stores, and the memory and RAG
//! stores' text tokenizers (`rust/python/src/ops.rs` and the tokenizer calls of its memory and
//! rag files).
//!
//! The figures cross as the engine's own JSON (`to_json` on each stats type), keys as the engine
//! names them (snake_case, as in Python's dicts and the C ABI's JSON reports), so a field added
//! in the engine reaches JS without a change here.

use agentdb_engine::serde_json::Value as J;
use std::collections::HashMap;

use agentdb_engine::{Error, ErrorKind, Result, TextTokenizer};
use napi_derive::napi;

use crate::collection::Collection;
use crate::database::Database;
use crate::memory::Memory;
use crate::rag::Rag;
use crate::state::State;
use crate::task::{self, Promise};

/// A JSON object of the engine's, as a JS object.
type Json = HashMap<String, J>;

fn object(v: J) -> Result<Json> {
    match v {
        J::Object(m) => Ok(m.into_iter().collect()),
        _ => Err(Error::new(ErrorKind::Internal, "the engine's stats were not a JSON object")),
    }
}

#[napi]
impl Database {
    /// Every table of the database (rows, fragments, versions, bytes), the open collections'
    /// buffers, mirrors and indexes, the log, open handles: the engine's `DbStats` JSON.
    #[napi(strict, ts_return_type = "Promise<Record<string, any>>")]
    pub fn stats(&self) -> Promise<Json> {
        let db = self.inner.clone();
        task::run(move || object(db.stats()?.to_json()))
    }

    /// Whether the database can serve (status "ok", "degraded" or "closed", its background
    /// threads, its last storage error): the engine's `Health` JSON. No disk access; works on a
    /// closed database too.
    #[napi(strict, ts_return_type = "Promise<Record<string, any>>")]
    pub fn health(&self) -> Promise<Json> {
        let db = self.inner.clone();
        task::run(move || object(db.health().to_json()))
    }

    /// The metrics in the Prometheus text exposition format (every name starts `agentdb_`).
    #[napi(strict, ts_return_type = "Promise<string>")]
    pub fn metrics_text(&self) -> Promise<String> {
        let db = self.inner.clone();
        task::run(move || db.metrics_text())
    }

    /// Whether metrics are recorded (on by default; `AGENTDB_METRICS=off` opens with them off).
    #[napi(getter)]
    pub fn metrics_enabled(&self) -> bool {
        self.inner.metrics_enabled()
    }

    /// Turns metrics recording on or off for this database; the counters keep what they had.
    #[napi(strict)]
    pub fn set_metrics_enabled(&self, on: bool) {
        self.inner.set_metrics_enabled(on);
    }
}

#[napi]
impl Collection {
    /// The collection's table, buffer, mirror, caches and indexes: the engine's JSON.
    #[napi(strict, ts_return_type = "Promise<Record<string, any>>")]
    pub fn stats(&self) -> Promise<Json> {
        let c = self.inner.clone();
        task::run(move || object(c.stats()?.to_json()))
    }
}

#[napi]
impl Memory {
    /// The memory store's table, buffered memories and consolidation: the engine's JSON.
    #[napi(strict, ts_return_type = "Promise<Record<string, any>>")]
    pub fn stats(&self) -> Promise<Json> {
        let m = self.inner.clone();
        task::run(move || object(m.stats()?.to_json()))
    }

    /// The text tokenizer's name ("simple", "icu", "ngram:2-3", …).
    #[napi(getter)]
    pub fn text_tokenizer(&self) -> String {
        self.inner.text_tokenizer().name()
    }

    /// Sets the tokenizer text recall uses ("simple", "icu", "ngram" or "ngram:MIN-MAX").
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn set_text_tokenizer(&self, tokenizer: String) -> Promise<()> {
        let m = self.inner.clone();
        task::with(TextTokenizer::parse(&tokenizer), move |t| m.set_text_tokenizer(t))
    }
}

#[napi]
impl Rag {
    /// The RAG store's documents, chunks and tables: the engine's JSON.
    #[napi(strict, ts_return_type = "Promise<Record<string, any>>")]
    pub fn stats(&self) -> Promise<Json> {
        let r = self.inner.clone();
        task::run(move || object(r.stats()?.to_json()))
    }

    /// The text tokenizer's name ("simple", "icu", "ngram:2-3", …).
    #[napi(getter)]
    pub fn text_tokenizer(&self) -> String {
        self.inner.text_tokenizer().name()
    }

    /// Sets the tokenizer of the full-text index ("simple", "icu", "ngram" or "ngram:MIN-MAX").
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn set_text_tokenizer(&self, tokenizer: String) -> Promise<()> {
        let r = self.inner.clone();
        task::with(TextTokenizer::parse(&tokenizer), move |t| r.set_text_tokenizer(t))
    }
}

#[napi]
impl State {
    /// The agent state's tables (the stores of kind "state" in `Database.stats()`), as the
    /// engine's JSON.
    #[napi(strict, ts_return_type = "Promise<Array<Record<string, any>>>")]
    pub fn stats(&self) -> Promise<Vec<Json>> {
        let db = self.db.clone();
        task::run(move || db.state_stats()?.iter().map(|s| object(s.to_json())).collect())
    }
}
