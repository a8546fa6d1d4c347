//! What a search returns besides ids and distances — each record's document and metadata — kept
//! in memory next to the vector mirror, so a default search costs little more than its graph walk.
//!
//! Without it every search hit is looked up in Lance (about 2 ms for k = 10, more than the walk
//! itself). The cache is loaded on the first search that returns payload (one scan of the id,
//! document and metadata columns, buffered writes applied on top) and from then on kept in step by
//! every write, under the same locks and at the same points as the mirror, so it never holds
//! anything the collection does not.
//!
//! Only records that have a document or metadata take an entry: a collection of bare vectors costs
//! nothing. Its size is estimated as it changes; a cache that grows past its limit
//! ([`OpenOptions::payload_cache_bytes`](crate::OpenOptions::payload_cache_bytes)) is dropped and
//! searches read payload from Lance again (only the columns asked for) until the collection is
//! reopened.

use std::collections::HashMap;

use crate::types::value::{Metadata, Value};

/// The default limit of one collection's payload cache.
pub const DEFAULT_PAYLOAD_CACHE_BYTES: usize = 256 << 20;

/// Bookkeeping per entry on top of its strings (hash slot, string and map headers), as estimated.
const ENTRY_OVERHEAD: usize = 96;
/// Per metadata value on top of its key and contents (a B-tree slot and the value's header).
const VALUE_OVERHEAD: usize = 48;

/// The payload of one record.
struct Entry {
    document: Option<String>,
    metadata: Metadata,
}

/// The documents and metadata of a collection's records (see the module docs).
pub(crate) struct Payloads {
    entries: HashMap<String, Entry>,
    bytes: usize,
    limit: usize,
}

/// The state of a collection's payload cache.
pub(crate) enum PayloadCache {
    /// Not loaded yet: no search has asked for payload since the collection was opened (or since
    /// its mirror was dropped).
    Unloaded,
    Loaded(Payloads),
    /// Grew past its limit and was dropped: searches read payload from Lance.
    OverLimit,
}

impl PayloadCache {
    /// Records that `id` now has this document and metadata (the metadata normalised as reads
    /// return it). Beyond the limit the cache is dropped.
    pub(crate) fn put(&mut self, id: &str, document: Option<String>, metadata: Metadata) {
        if let PayloadCache::Loaded(p) = self {
            if !p.put(id, document, metadata) {
                *self = PayloadCache::OverLimit;
            }
        }
    }

    /// Forgets the given ids (unknown ones are ignored).
    pub(crate) fn remove<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) {
        if let PayloadCache::Loaded(p) = self {
            for id in ids {
                p.remove(id);
            }
        }
    }

    /// The cache's size in bytes (0 unless loaded), for stats.
    pub(crate) fn bytes(&self) -> usize {
        match self {
            PayloadCache::Loaded(p) => p.bytes,
            _ => 0,
        }
    }

    pub(crate) fn loaded(&self) -> Option<&Payloads> {
        match self {
            PayloadCache::Loaded(p) => Some(p),
            _ => None,
        }
    }
}

impl Payloads {
    pub(crate) fn new(limit: usize) -> Self {
        Payloads { entries: HashMap::new(), bytes: 0, limit }
    }

    /// Sets one record's payload. `false`: the cache would pass its limit (the caller drops it).
    pub(crate) fn put(&mut self, id: &str, document: Option<String>, metadata: Metadata) -> bool {
        self.remove(id);
        if document.is_none() && metadata.is_empty() {
            return true;
        }
        let entry = Entry { document, metadata };
        self.bytes += entry_bytes(id, &entry);
        self.entries.insert(id.to_owned(), entry);
        self.bytes <= self.limit
    }

    pub(crate) fn remove(&mut self, id: &str) {
        if let Some(old) = self.entries.remove(id) {
            self.bytes -= entry_bytes(id, &old);
        }
    }

    /// The document and metadata of `id`; `None` for a record with neither (or no record).
    pub(crate) fn get(&self, id: &str) -> Option<(Option<&String>, &Metadata)> {
        self.entries.get(id).map(|e| (e.document.as_ref(), &e.metadata))
    }

}

fn entry_bytes(id: &str, e: &Entry) -> usize {
    ENTRY_OVERHEAD + id.len() + e.document.as_ref().map_or(0, String::len) + e.metadata.iter().map(|(k, v)| k.len() + value_bytes(v)).sum::<usize>()
}

fn value_bytes(v: &Value) -> usize {
    VALUE_OVERHEAD
        + match v {
            Value::Str(s) => s.len(),
            Value::List(items) => items.iter().map(value_bytes).sum(),
            Value::Map(m) => m.iter().map(|(k, v)| k.len() + value_bytes(v)).sum(),
            Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Datetime(_) => 0,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::records::Include;

    fn meta(pairs: &[(&str, Value)]) -> Metadata {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn bare_records_take_no_entry_and_bytes_follow_puts_and_removes() {
        let mut p = Payloads::new(usize::MAX);
        assert!(p.put("a", None, Metadata::new()));
        assert_eq!((p.entries.len(), p.bytes), (0, 0));
        p.put("b", Some("doc".into()), meta(&[("n", Value::Int(1))]));
        let one = p.bytes;
        assert!(one > 0);
        p.put("b", Some("a longer document".into()), Metadata::new());
        let (doc, meta) = p.get("b").unwrap();
        assert_eq!((doc.map(String::as_str), meta), (Some("a longer document"), &Metadata::new()));
        p.remove("b");
        assert_eq!(p.bytes, 0);
        assert!(p.get("b").is_none());
    }

    #[test]
    fn a_cache_past_its_limit_is_dropped() {
        let mut c = PayloadCache::Loaded(Payloads::new(300));
        c.put("a", Some("x".repeat(100)), Metadata::new());
        assert!(c.loaded().is_some());
        c.put("b", Some("y".repeat(200)), Metadata::new());
        assert!(matches!(c, PayloadCache::OverLimit));
        c.put("c", Some("z".into()), Metadata::new());
        assert!(matches!(c, PayloadCache::OverLimit));
    }

    #[test]
    fn include_names() {
        assert_eq!(Include::from_names::<&str>(&[]).unwrap(), Include::NONE);
        assert_eq!(Include::from_names(&["documents", "metadatas", "distances"]).unwrap(), Include::ALL);
        assert_eq!(Include::from_names(&["metadata"]).unwrap(), Include { documents: false, metadata: true });
        assert!(Include::from_names(&["embeddings"]).is_err());
        assert!(Include::from_names(&["uris"]).is_err());
        assert_eq!(Include::resolve::<&str>(false, None).unwrap(), Include::ALL);
        assert_eq!(Include::resolve::<&str>(true, None).unwrap(), Include::NONE);
        assert_eq!(Include::resolve(true, Some(&["distances"])).unwrap(), Include::NONE);
        assert!(Include::resolve(true, Some(&["documents"])).is_err());
    }
}
