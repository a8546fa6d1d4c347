//! A context for a prompt: the best chunks merged into passages, in document order, under citation
//! headers, within a token budget.

use super::*;

impl Rag {
    /// The best chunks for a query packed into at most `options.max_tokens` tokens (by
    /// `counter`), each passage under a citation header. See [`ContextOptions`].
    pub fn context(
        &self,
        text: Option<&str>,
        vector: Option<&[f32]>,
        options: &ContextOptions,
        counter: &dyn TokenCounter,
    ) -> Result<Context> {
        if options.max_tokens == 0 {
            return Err(Error::invalid_argument("max_tokens must be at least 1"));
        }
        let hits = self.search(text, vector, &options.retrieve)?;
        Ok(pack_context(hits, options, counter))
    }
}

/// A passage being assembled: one or more chunks of one document.
pub(super) struct Passage {
    pub(super) doc_id: String,
    pub(super) source: String,
    pub(super) heading: String,
    pub(super) positions: Vec<usize>,
    pub(super) char_start: usize,
    pub(super) char_end: usize,
    pub(super) text: String,
}

pub(super) fn header(number: usize, p: &Passage) -> String {
    let mut h = format!("[{number}] {}", p.source);
    if !p.heading.is_empty() {
        h.push_str(" § ");
        h.push_str(&p.heading);
    }
    let (first, last) = (p.positions[0], p.positions[p.positions.len() - 1]);
    if first == last {
        h.push_str(&format!(" (chunk {first})"));
    } else {
        h.push_str(&format!(" (chunks {first}–{last})"));
    }
    h
}

pub(super) fn render(passages: &[Passage]) -> String {
    let mut out = String::new();
    for (i, p) in passages.iter().enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        out.push_str(&header(i + 1, p));
        out.push('\n');
        out.push_str(&p.text);
    }
    out
}

/// Appends chunk `h` to passage `p` (same document, `h` starting at or before `p`'s end): the
/// overlapping prefix of `h` is dropped, since chunks are exact slices of the document, so the
/// passage stays exactly `document[char_start..char_end]`.
pub(super) fn extend(p: &mut Passage, h: &RagHit) {
    if h.char_end <= p.char_end {
        p.positions.push(h.position);
        return;
    }
    let skip = p.char_end.saturating_sub(h.char_start);
    let tail: String = h.text.chars().skip(skip).collect();
    p.text.push_str(&tail);
    p.char_end = h.char_end;
    p.positions.push(h.position);
}

/// The longest prefix of `text` ending at a word boundary whose count fits `budget`.
pub(super) fn truncate_to(text: &str, budget: usize, counter: &dyn TokenCounter) -> String {
    let bounds: Vec<usize> = text.char_indices().filter(|(_, c)| c.is_whitespace()).map(|(i, _)| i).chain([text.len()]).collect();
    let (mut lo, mut hi) = (0usize, bounds.len());
    // Largest i with count(text[..bounds[i-1]] + "…") <= budget; 0 = nothing fits.
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let cand = format!("{}…", &text[..bounds[mid - 1]]);
        if counter.count(&cand) <= budget {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    if lo == 0 {
        String::new()
    } else {
        format!("{}…", &text[..bounds[lo - 1]])
    }
}

pub(super) fn pack_context(hits: Vec<RagHit>, options: &ContextOptions, counter: &dyn TokenCounter) -> Context {
    let budget = options.max_tokens;
    let mut chosen: Vec<(usize, RagHit)> = Vec::new();
    let arrange = |chosen: &[(usize, RagHit)]| -> Vec<Passage> {
        let mut items: Vec<&(usize, RagHit)> = chosen.iter().collect();
        if !options.document_order {
            return items
                .into_iter()
                .map(|(_, h)| Passage {
                    doc_id: h.doc_id.clone(),
                    source: h.source.clone(),
                    heading: h.heading.clone(),
                    positions: vec![h.position],
                    char_start: h.char_start,
                    char_end: h.char_end,
                    text: h.text.clone(),
                })
                .collect();
        }
        let mut best: HashMap<&str, usize> = HashMap::new();
        for (rank, h) in &items {
            let e = best.entry(h.doc_id.as_str()).or_insert(*rank);
            *e = (*e).min(*rank);
        }
        items.sort_by_key(|(_, h)| (best[h.doc_id.as_str()], h.char_start, h.position));
        let mut out: Vec<Passage> = Vec::new();
        for (_, h) in items {
            if let Some(p) = out.last_mut() {
                if p.doc_id == h.doc_id && h.char_start <= p.char_end && p.heading == h.heading {
                    extend(p, h);
                    continue;
                }
            }
            out.push(Passage {
                doc_id: h.doc_id.clone(),
                source: h.source.clone(),
                heading: h.heading.clone(),
                positions: vec![h.position],
                char_start: h.char_start,
                char_end: h.char_end,
                text: h.text.clone(),
            });
        }
        out
    };
    // Greedy by score: take each chunk that still fits once arranged (merging can only save);
    // one that does not fit is passed over for lower-ranked, smaller ones.
    let mut best: Option<(usize, RagHit)> = None;
    for (rank, h) in hits.into_iter().enumerate() {
        chosen.push((rank, h));
        if counter.count(&render(&arrange(&chosen))) > budget {
            let dropped = chosen.pop().expect("just pushed");
            best.get_or_insert(dropped);
        }
    }
    if chosen.is_empty() {
        // Not even one chunk fits: give as much of the best one as the budget allows.
        let Some(best) = best else { return Context::default() };
        let mut p = arrange(&[best]);
        let head = counter.count(&header(1, &p[0])) + 1;
        if head >= budget {
            return Context::default();
        }
        p[0].text = truncate_to(&p[0].text, budget - head, counter);
        if p[0].text.is_empty() {
            return Context::default();
        }
        let text = render(&p);
        return Context { tokens: counter.count(&text), citations: citations(&p), text };
    }
    let passages = arrange(&chosen);
    let text = render(&passages);
    Context { tokens: counter.count(&text), citations: citations(&passages), text }
}

pub(super) fn citations(passages: &[Passage]) -> Vec<Citation> {
    passages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Citation {
                number: i + 1,
                doc_id: p.doc_id.clone(),
                source: p.source.clone(),
                heading: p.heading.clone(),
                positions: p.positions.clone(),
                char_start: p.char_start,
                char_end: p.char_end,
            }
        })
        .collect()
}
