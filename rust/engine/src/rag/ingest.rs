//! Ingest: documents hashed, skipped when unchanged, chunked, embedded by the caller's model and
//! written in one commit; the full-text index follows.

use super::*;

impl Rag {
    /// Ingests documents: each is hashed, skipped if stored with the same hash (unless `force`),
    /// else chunked, embedded (one `embed` call for all chunks of the batch, which must return
    /// `n × dim` values, row-major) and written; all changed documents of the batch are replaced
    /// in one commit, and the full-text index is brought up to date. Returns one report per
    /// document, in input order.
    pub fn ingest(
        &self,
        docs: &[Document],
        options: &ChunkOptions,
        counter: &dyn TokenCounter,
        force: bool,
        embed: &mut dyn FnMut(&[String]) -> Result<Vec<f32>>,
    ) -> Result<Vec<IngestReport>> {
        self.collection().metrics().time(crate::util::metrics::Op::Ingest, false, docs.len() as u64, || self.ingest_untimed(docs, options, counter, force, embed))
    }

    fn ingest_untimed(
        &self,
        docs: &[Document],
        options: &ChunkOptions,
        counter: &dyn TokenCounter,
        force: bool,
        embed: &mut dyn FnMut(&[String]) -> Result<Vec<f32>>,
    ) -> Result<Vec<IngestReport>> {
        options.validate()?;
        let mut seen = HashSet::new();
        for (i, d) in docs.iter().enumerate() {
            if d.id.is_empty() || d.id.len() > MAX_DOC_ID_LEN {
                return Err(Error::invalid_argument(format!(
                    "document {i}: an id must be 1 to {MAX_DOC_ID_LEN} bytes long"
                )));
            }
            if !seen.insert(d.id.as_str()) {
                return Err(Error::new(ErrorKind::DuplicateId, format!("document {i}: id {:?} repeats in the batch", d.id)));
            }
            if let Some(k) = d.metadata.keys().find(|k| CHUNK_KEYS.contains(&k.as_str())) {
                return Err(Error::invalid_metadata(format!(
                    "document {i} (id {:?}): metadata key {k:?} is reserved for chunk bookkeeping",
                    d.id
                )));
            }
        }
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        // What is stored: the first chunk of each document carries its hashes.
        let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
        let mut stored: HashMap<String, String> = HashMap::new();
        for part in ids.chunks(256) {
            let first = Filter::Where(Value::Map(BTreeMap::from([
                ("$and".to_owned(), Value::List(vec![
                    match doc_filter(part) { Filter::Where(v) => v, Filter::Sql(_) => unreachable!("doc_filter builds a dict") },
                    Value::Map(BTreeMap::from([("position".to_owned(), Value::Int(0))])),
                ])),
            ])));
            let got = self.chunks.get(None, Some(&first), None, 0)?;
            for m in &got.metadata {
                if let (Some(id), Some(h)) = (str_of(m, "doc_id"), str_of(m, "ingest_hash")) {
                    stored.insert(id.to_owned(), h.to_owned());
                }
            }
        }
        let settings = format!("{}:{}:{}", options.size, options.overlap, options.unit.as_str());
        let mut reports = Vec::with_capacity(docs.len());
        let mut changed: Vec<&str> = Vec::new();
        let (mut rec_ids, mut texts, mut metas) = (Vec::new(), Vec::new(), Vec::new());
        for d in docs {
            // Safe points: nothing is written before the one commit below.
            crate::util::cancel::check()?;
            let content_hash = sha256_hex(&[d.text.as_bytes()]);
            let source = d.source.clone().unwrap_or_else(|| d.id.clone());
            let format = d.format.as_str();
            let ingest_hash = sha256_hex(&[
                content_hash.as_bytes(),
                source.as_bytes(),
                format.as_bytes(),
                metadata_json(&d.metadata).as_bytes(),
                settings.as_bytes(),
            ]);
            let old = stored.get(&d.id);
            if !force && old == Some(&ingest_hash) {
                reports.push(IngestReport { doc_id: d.id.clone(), status: DocStatus::Unchanged, chunks: 0 });
                continue;
            }
            let chunks = chunk::chunk(&d.text, d.format, options, counter)?;
            for (pos, c) in chunks.iter().enumerate() {
                let mut m = d.metadata.clone();
                m.insert("doc_id".into(), Value::Str(d.id.clone()));
                m.insert("source".into(), Value::Str(source.clone()));
                m.insert("position".into(), Value::Int(pos as i64));
                m.insert("char_start".into(), Value::Int(c.char_start as i64));
                m.insert("char_end".into(), Value::Int(c.char_end as i64));
                m.insert("heading".into(), Value::Str(c.headings.join(" > ")));
                m.insert("tokens".into(), Value::Int(c.tokens as i64));
                m.insert("content_hash".into(), Value::Str(content_hash.clone()));
                m.insert("ingest_hash".into(), Value::Str(ingest_hash.clone()));
                rec_ids.push(format!("{}#{pos}", d.id));
                texts.push(c.text.clone());
                metas.push(m);
            }
            changed.push(&d.id);
            let status = if old.is_some() { DocStatus::Replaced } else { DocStatus::Added };
            reports.push(IngestReport { doc_id: d.id.clone(), status, chunks: chunks.len() });
        }
        if changed.is_empty() {
            return Ok(reports);
        }
        // Skip the model call when every changed document is empty (it may reject no input).
        let vectors = if texts.is_empty() { Vec::new() } else { embed(&texts)? };
        // Cancelled while the model ran: its vectors are not written.
        crate::util::cancel::check()?;
        let dim = self.dim();
        if vectors.len() != texts.len() * dim {
            return Err(Error::new(
                ErrorKind::DimensionMismatch,
                format!(
                    "the embedder returned {} values for {} chunks of dimension {dim}",
                    vectors.len(),
                    texts.len()
                ),
            ));
        }
        let documents: Vec<Option<String>> = texts.into_iter().map(Some).collect();
        let records = Records {
            ids: &rec_ids,
            vectors: Vectors::Flat { data: &vectors, dim },
            documents: Some(&documents),
            metadata: Some(&metas),
        };
        self.chunks.replace(&records, &doc_filter(&changed))?;
        // The full-text index follows the new chunks now, so the first text search after an
        // ingest does not pay for it (and every binding gets the same behaviour).
        self.chunks.update_text_index()?;
        Ok(reports)
    }
}

pub(super) fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn metadata_json(m: &Metadata) -> String {
    // BTreeMap: keys in order, so equal metadata gives equal text.
    Value::Map(m.clone()).to_json().to_string()
}
