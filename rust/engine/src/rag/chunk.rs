//! Structure-aware chunking: a document is cut into chunks of at most `size` tokens (or
//! characters) along its structure — markdown sections first, then paragraphs, then sentences,
//! then words — and consecutive chunks of one section share up to `overlap` of trailing text.
//!
//! Every chunk is a contiguous slice of the original text (`text[char_start..char_end]`, offsets in
//! Unicode code points, as Python slices count), so a citation points at the exact source span and
//! overlapping neighbours can be stitched back together without duplicating text.
//!
//! Sections are hard boundaries: a chunk never spans two markdown headings, so each chunk has one
//! heading path (`["Guide", "Install"]`). A section's heading line starts its first chunk.
//!
//! Token counts are, by default, the approximation of [`approx_tokens`] (documented there); a
//! caller that needs its model's exact count passes its own [`TokenCounter`].

use crate::error::{Error, Result};

/// Largest chunk size accepted, in tokens or characters.
pub const MAX_CHUNK_SIZE: usize = 1 << 20;

/// What `size` and `overlap` count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SizeUnit {
    /// Tokens, as counted by the [`TokenCounter`] in use.
    #[default]
    Tokens,
    /// Unicode code points.
    Chars,
}

impl SizeUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            SizeUnit::Tokens => "tokens",
            SizeUnit::Chars => "chars",
        }
    }
}

impl std::str::FromStr for SizeUnit {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "tokens" | "token" => Ok(SizeUnit::Tokens),
            "chars" | "char" | "characters" => Ok(SizeUnit::Chars),
            _ => Err(Error::invalid_argument(format!("unknown chunk unit {s:?}: expected 'tokens' or 'chars'"))),
        }
    }
}

/// How the text is structured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextFormat {
    /// Paragraphs separated by blank lines.
    #[default]
    Plain,
    /// Markdown: ATX headings (`#` … `######`) open sections; fenced code blocks are never split
    /// at blank lines inside them.
    Markdown,
}

impl TextFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            TextFormat::Plain => "plain",
            TextFormat::Markdown => "markdown",
        }
    }
}

impl std::str::FromStr for TextFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "plain" | "text" | "txt" => Ok(TextFormat::Plain),
            "markdown" | "md" => Ok(TextFormat::Markdown),
            _ => Err(Error::invalid_argument(format!("unknown text format {s:?}: expected 'plain' or 'markdown'"))),
        }
    }
}

/// Chunk size and overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkOptions {
    /// The most a chunk may hold (a single word longer than this is cut by characters).
    pub size: usize,
    /// How much trailing text of a chunk the next chunk of the same section repeats (whole
    /// sentences or paragraphs, at most this much). Must be below `size`.
    pub overlap: usize,
    pub unit: SizeUnit,
}

impl Default for ChunkOptions {
    /// 256 tokens with 32 tokens of overlap: a few paragraphs, small enough for embedding models
    /// with a 512-token window even when the approximation undercounts.
    fn default() -> Self {
        ChunkOptions { size: 256, overlap: 32, unit: SizeUnit::Tokens }
    }
}

impl ChunkOptions {
    pub fn validate(&self) -> Result<()> {
        if self.size == 0 || self.size > MAX_CHUNK_SIZE {
            return Err(Error::invalid_argument(format!(
                "chunk size must be between 1 and {MAX_CHUNK_SIZE}, got {}",
                self.size
            )));
        }
        if self.overlap >= self.size {
            return Err(Error::invalid_argument(format!(
                "chunk overlap ({}) must be smaller than the chunk size ({})",
                self.overlap, self.size
            )));
        }
        Ok(())
    }
}

/// Counts tokens. Implemented by [`ApproxTokens`] (the default) and by the bindings for a
/// user-supplied tokenizer.
pub trait TokenCounter {
    fn count(&self, text: &str) -> usize;
}

/// The engine's token approximation, see [`approx_tokens`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ApproxTokens;

impl TokenCounter for ApproxTokens {
    fn count(&self, text: &str) -> usize {
        approx_tokens(text)
    }
}

/// Approximates the number of tokens a BPE tokenizer (GPT-style, BERT WordPiece) makes of `text`:
///
/// - a run of letters or digits counts one token per started 6 characters (`the` = 1,
///   `tokenization` = 2), which matches common English words being one token and long or rare
///   words splitting into pieces;
/// - every other non-space character (punctuation, symbols) counts one token;
/// - each CJK ideograph, kana or hangul syllable counts one token;
/// - whitespace is free.
///
/// On English prose this lands within about ±15% of tiktoken's cl100k count; pass a real
/// tokenizer where the budget must be exact.
pub fn approx_tokens(text: &str) -> usize {
    let mut tokens = 0;
    let mut run = 0usize;
    for c in text.chars() {
        if is_cjk(c) {
            tokens += run.div_ceil(6) + 1;
            run = 0;
        } else if c.is_alphanumeric() {
            run += 1;
        } else {
            tokens += run.div_ceil(6);
            run = 0;
            if !c.is_whitespace() {
                tokens += 1;
            }
        }
    }
    tokens + run.div_ceil(6)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF      // hangul jamo
        | 0x3040..=0x30FF    // hiragana, katakana
        | 0x3100..=0x312F    // bopomofo
        | 0x3130..=0x318F    // hangul compatibility jamo
        | 0x31F0..=0x31FF    // katakana phonetic extensions
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x2FFFF  // CJK extensions B–F
        | 0x30000..=0x3134F) // CJK extension G
}

/// One chunk of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The chunk's text: exactly `document[char_start..char_end]`.
    pub text: String,
    /// Start and end in Unicode code points of the document.
    pub char_start: usize,
    pub char_end: usize,
    /// The markdown headings the chunk sits under, outermost first (empty for plain text and
    /// for text before the first heading).
    pub headings: Vec<String>,
    /// The chunk's size in the counter's tokens.
    pub tokens: usize,
}

/// A span of the document in bytes, with the section it belongs to.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
}

/// A section: a byte range and its heading path.
struct Section {
    span: Span,
    headings: Vec<String>,
}

/// Cuts `text` into chunks. Empty or whitespace-only text gives no chunks.
pub fn chunk(text: &str, format: TextFormat, options: &ChunkOptions, counter: &dyn TokenCounter) -> Result<Vec<Chunk>> {
    options.validate()?;
    let measure = |s: &str| -> usize {
        match options.unit {
            SizeUnit::Tokens => counter.count(s),
            SizeUnit::Chars => s.chars().count(),
        }
    };
    let sections = match format {
        TextFormat::Plain => vec![Section { span: Span { start: 0, end: text.len() }, headings: Vec::new() }],
        TextFormat::Markdown => markdown_sections(text),
    };
    let mut out = Vec::new();
    // Byte → code point offsets, computed incrementally (chunks come in increasing order).
    let mut cp = CodePoints::new(text);
    for section in sections {
        let mut pieces = Vec::new();
        let paras = paragraphs(text, section.span, format);
        for (i, &para) in paras.iter().enumerate() {
            // A heading followed by a paragraph too big to join it whole: cut that paragraph's
            // first piece small enough to share a chunk with the heading, so no chunk is a bare
            // heading (the rest is cut to the full size as usual).
            let after_heading = i == 1 && format == TextFormat::Markdown && heading_of(&text[paras[0].start..paras[0].end]).is_some();
            if after_heading && measure(&text[paras[0].start..para.end]) > options.size {
                let room = options.size.saturating_sub(measure(&text[paras[0].start..para.start]));
                if room > 0 {
                    let mut first = Vec::new();
                    split_to_fit(text, para, room, &measure, &mut first);
                    if first.len() > 1 {
                        pieces.push(first[0]);
                        split_to_fit(text, Span { start: first[1].start, end: para.end }, options.size, &measure, &mut pieces);
                        continue;
                    }
                }
            }
            split_to_fit(text, para, options.size, &measure, &mut pieces);
        }
        for span in pack(text, &pieces, options, &measure) {
            let slice = &text[span.start..span.end];
            out.push(Chunk {
                text: slice.to_owned(),
                char_start: cp.at(span.start),
                char_end: cp.at(span.end),
                headings: section.headings.clone(),
                tokens: counter.count(slice),
            });
        }
    }
    Ok(out)
}

/// Converts increasing byte offsets to code point offsets in one pass over the text.
struct CodePoints<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CodePoints<'a> {
    fn new(text: &'a str) -> Self {
        CodePoints { text, byte: 0, chars: 0 }
    }
    fn at(&mut self, byte: usize) -> usize {
        if byte < self.byte {
            // Overlap moves backwards: recount from the start (rare, and chunks are short).
            self.byte = 0;
            self.chars = 0;
        }
        self.chars += self.text[self.byte..byte].chars().count();
        self.byte = byte;
        self.chars
    }
}

/// The level and title of an ATX heading line (`## Title ##` → (2, "Title")).
fn heading_of(line: &str) -> Option<(usize, String)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None; // indented code
    }
    let level = trimmed.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &trimmed[level..];
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t')) {
        return None; // "#hashtag" is not a heading
    }
    let title = rest.trim().trim_end_matches('#').trim_end();
    Some((level, title.to_owned()))
}

/// A line opening or closing a fenced code block.
fn is_fence(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("```") || t.starts_with("~~~")
}

/// Lines of `text` within `span` as byte ranges (without the line break).
fn lines(text: &str, span: Span) -> impl Iterator<Item = Span> + '_ {
    let mut pos = span.start;
    std::iter::from_fn(move || {
        if pos >= span.end {
            return None;
        }
        let rest = &text[pos..span.end];
        let (len, next) = match rest.find('\n') {
            Some(i) => (i, pos + i + 1),
            None => (rest.len(), span.end),
        };
        let line = Span { start: pos, end: pos + len };
        pos = next;
        Some(line)
    })
}

/// Splits markdown into sections at ATX headings (outside fenced code), each with its heading
/// path.
fn markdown_sections(text: &str) -> Vec<Section> {
    let mut sections = Vec::new();
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut start = 0;
    let mut current: Vec<String> = Vec::new();
    let mut in_fence = false;
    for line in lines(text, Span { start: 0, end: text.len() }) {
        let s = &text[line.start..line.end];
        if is_fence(s) {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if let Some((level, title)) = heading_of(s) {
            if line.start > start {
                sections.push(Section { span: Span { start, end: line.start }, headings: current.clone() });
            }
            while path.last().is_some_and(|(l, _)| *l >= level) {
                path.pop();
            }
            path.push((level, title));
            current = path.iter().map(|(_, t)| t.clone()).collect();
            start = line.start;
        }
    }
    // The heading path at the end of the text (for a trailing run of bare headings).
    let end_path = current.clone();
    if start < text.len() {
        sections.push(Section { span: Span { start, end: text.len() }, headings: current });
    }
    // A section that is only its heading ("# Guide" right before "## Install") joins the next
    // one, so no chunk is a bare heading; the next section's (deeper) path is kept.
    let mut merged: Vec<Section> = Vec::with_capacity(sections.len());
    let mut pending: Option<usize> = None;
    for mut s in sections {
        if let Some(p) = pending.take() {
            s.span.start = p;
        }
        let body = text[s.span.start..s.span.end].lines().filter(|l| !l.trim().is_empty()).count();
        let only_headings = text[s.span.start..s.span.end]
            .lines()
            .filter(|l| !l.trim().is_empty())
            .all(|l| heading_of(l).is_some());
        if body > 0 && only_headings {
            pending = Some(s.span.start);
            continue;
        }
        merged.push(s);
    }
    if let Some(p) = pending {
        // Trailing headings with nothing after them: keep them as a section of their own.
        merged.push(Section { span: Span { start: p, end: text.len() }, headings: end_path });
    }
    merged
}

/// Paragraphs of a section: runs of non-blank lines (a fenced code block, blank lines and all,
/// is one paragraph; a heading line is a paragraph of its own). Leading/trailing whitespace is
/// trimmed off each paragraph.
fn paragraphs(text: &str, span: Span, format: TextFormat) -> Vec<Span> {
    let mut out = Vec::new();
    let mut cur: Option<Span> = None;
    let mut in_fence = false;
    for line in lines(text, span) {
        let s = &text[line.start..line.end];
        let fence = format == TextFormat::Markdown && is_fence(s);
        let blank = s.trim().is_empty();
        let heading = format == TextFormat::Markdown && !in_fence && heading_of(s).is_some();
        if (blank && !in_fence) || heading {
            if let Some(p) = cur.take() {
                out.push(p);
            }
            if heading {
                out.push(line);
            }
        } else {
            match &mut cur {
                Some(p) => p.end = line.end,
                None => cur = Some(line),
            }
        }
        if fence {
            in_fence = !in_fence;
        }
    }
    if let Some(p) = cur {
        out.push(p);
    }
    out.into_iter().filter_map(|p| trim(text, p)).collect()
}

/// The span without surrounding whitespace; `None` when nothing is left.
fn trim(text: &str, span: Span) -> Option<Span> {
    let s = &text[span.start..span.end];
    let lead = s.len() - s.trim_start().len();
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    Some(Span { start: span.start + lead, end: span.start + lead + t.len() })
}

/// Common abbreviations after which a period does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "no", "fig", "eq", "cf", "al",
    "approx", "inc", "ltd", "co", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
];

/// Sentences of a span: a sentence ends at `.`, `!` or `?` (plus closing quotes/brackets)
/// followed by whitespace and then an uppercase letter, digit, quote, bracket or a non-Latin
/// letter; not after a known abbreviation or a single-letter initial. A line break followed by a
/// list marker also ends a sentence.
fn sentences(text: &str, span: Span) -> Vec<Span> {
    let s = &text[span.start..span.end];
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (b, c) = chars[i];
        let mut boundary = None;
        if matches!(c, '.' | '!' | '?' | '。' | '！' | '？') {
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j].1, '.' | '!' | '?' | '"' | '\'' | ')' | ']' | '”' | '’') {
                j += 1;
            }
            let end = chars.get(j).map_or(s.len(), |x| x.0);
            let cjk_stop = matches!(c, '。' | '！' | '？');
            if j >= chars.len() {
                boundary = Some(end);
            } else if cjk_stop || chars[j].1.is_whitespace() {
                let mut k = j;
                while k < chars.len() && chars[k].1.is_whitespace() {
                    k += 1;
                }
                let next = chars.get(k).map(|x| x.1);
                let starts_sentence = next.is_some_and(|n| {
                    n.is_uppercase() || n.is_numeric() || matches!(n, '"' | '\'' | '(' | '[' | '“' | '‘' | '*' | '-')
                        || (n.is_alphabetic() && !n.is_ascii())
                });
                if cjk_stop || (starts_sentence && (c != '.' || !is_abbreviation(&s[start..b]))) {
                    boundary = Some(end);
                }
            }
            if let Some(end) = boundary {
                out.push(Span { start: span.start + start, end: span.start + end });
                start = end;
                i = j;
                continue;
            }
        } else if c == '\n' {
            let rest = s[b + 1..].trim_start_matches([' ', '\t']);
            if rest.starts_with("- ") || rest.starts_with("* ") || rest.starts_with("+ ") || starts_numbered(rest) {
                out.push(Span { start: span.start + start, end: span.start + b });
                start = b;
            }
        }
        i += 1;
    }
    if start < s.len() {
        out.push(Span { start: span.start + start, end: span.end });
    }
    out.into_iter().filter_map(|p| trim(text, p)).collect()
}

fn starts_numbered(s: &str) -> bool {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && digits < 4 && (s[digits..].starts_with(". ") || s[digits..].starts_with(") "))
}

/// Whether the text before a period ends with an abbreviation or an initial ("J. Smith").
fn is_abbreviation(before: &str) -> bool {
    let word: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let lower = word.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return true;
    }
    let mut it = word.chars();
    matches!((it.next(), it.next()), (Some(c), None) if c.is_uppercase())
}

/// Word boundaries of a span: maximal runs of non-whitespace, also ended after a CJK clause
/// mark (`，`, `、`, `；`, `：`), so a long Chinese or Japanese sentence, which has no spaces, is
/// cut between clauses before it is cut between characters.
fn words(text: &str, span: Span) -> Vec<Span> {
    let s = &text[span.start..span.end];
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(st)) => {
                out.push(Span { start: span.start + st, end: span.start + i });
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
        if let (true, Some(st)) = (matches!(c, '，' | '、' | '；' | '：'), start) {
            out.push(Span { start: span.start + st, end: span.start + i + c.len_utf8() });
            start = None;
        }
    }
    if let Some(st) = start {
        out.push(Span { start: span.start + st, end: span.end });
    }
    out
}

/// Pushes `span` to `out` if it fits `size`, else the pieces it splits into: sentences, then
/// groups of words, then (for a single over-long word) runs of characters.
fn split_to_fit(text: &str, span: Span, size: usize, measure: &dyn Fn(&str) -> usize, out: &mut Vec<Span>) {
    if measure(&text[span.start..span.end]) <= size {
        out.push(span);
        return;
    }
    let sents = sentences(text, span);
    if sents.len() > 1 {
        for s in sents {
            split_to_fit(text, s, size, measure, out);
        }
        return;
    }
    let ws = words(text, span);
    if ws.len() > 1 {
        // Greedy groups of words, each fitting the size.
        let mut group: Option<Span> = None;
        for w in ws {
            let candidate = match group {
                Some(g) => Span { start: g.start, end: w.end },
                None => w,
            };
            if measure(&text[candidate.start..candidate.end]) <= size {
                group = Some(candidate);
            } else {
                if let Some(g) = group.take() {
                    out.push(g);
                }
                if measure(&text[w.start..w.end]) <= size {
                    group = Some(w);
                } else {
                    split_chars(text, w, size, measure, out);
                }
            }
        }
        if let Some(g) = group {
            out.push(g);
        }
        return;
    }
    split_chars(text, span, size, measure, out);
}

/// Cuts a span without spaces into the longest runs of characters that fit.
fn split_chars(text: &str, span: Span, size: usize, measure: &dyn Fn(&str) -> usize, out: &mut Vec<Span>) {
    let mut start = span.start;
    while start < span.end {
        let rest = &text[start..span.end];
        // Binary search the longest prefix (in chars) that fits; at least one char.
        let bounds: Vec<usize> = rest.char_indices().map(|(i, _)| i).skip(1).chain([rest.len()]).collect();
        let (mut lo, mut hi) = (0usize, bounds.len() - 1);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if measure(&rest[..bounds[mid]]) <= size {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let end = start + bounds[lo];
        out.push(Span { start, end });
        start = end;
    }
}

/// Packs consecutive pieces of one section into chunks of at most `size`; each new chunk starts
/// with the trailing pieces of the previous one that fit in `overlap` (never all of them, so the
/// chunking always advances).
fn pack(text: &str, pieces: &[Span], options: &ChunkOptions, measure: &dyn Fn(&str) -> usize) -> Vec<Span> {
    let mut out = Vec::new();
    let mut first = 0; // first piece of the current chunk
    while first < pieces.len() {
        let mut last = first;
        while last + 1 < pieces.len() && measure(&text[pieces[first].start..pieces[last + 1].end]) <= options.size {
            last += 1;
        }
        out.push(Span { start: pieces[first].start, end: pieces[last].end });
        if last + 1 >= pieces.len() {
            break;
        }
        // Overlap: walk back from `last` while the tail fits the overlap and leaves progress.
        let mut next = last + 1;
        if options.overlap > 0 {
            while next - 1 > first && measure(&text[pieces[next - 1].start..pieces[last].end]) <= options.overlap {
                next -= 1;
            }
            // The overlapping tail plus the next piece must fit, or the overlap is dropped.
            if next <= last && measure(&text[pieces[next].start..pieces[last + 1].end]) > options.size {
                next = last + 1;
            }
        }
        first = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(size: usize, overlap: usize) -> ChunkOptions {
        ChunkOptions { size, overlap, unit: SizeUnit::Chars }
    }

    #[test]
    fn approx_tokens_counts_words_and_punctuation() {
        assert_eq!(approx_tokens(""), 0);
        assert_eq!(approx_tokens("the cat sat."), 4);
        assert_eq!(approx_tokens("tokenization"), 2);
        assert_eq!(approx_tokens("東京"), 2);
    }

    #[test]
    fn cjk_characters_count_one_token_each() {
        // Ideographs, kana and hangul one each; CJK punctuation one each, like ASCII punctuation.
        assert_eq!(approx_tokens("北京是中国的首都。"), 9);
        assert_eq!(approx_tokens("東京はひらがなとカタカナ"), 12);
        assert_eq!(approx_tokens("서울은 수도"), 5);
        // A Latin run next to CJK is counted as a word (7 letters: 2), not merged with them.
        assert_eq!(approx_tokens("AgentDB支持中文"), 6);
        assert_eq!(approx_tokens("𠀀𰀀"), 2); // extensions B and G
    }

    #[test]
    fn chinese_text_is_cut_at_sentences_then_clauses() {
        let sentence = "人工智能正在改变医疗、金融和教育等行业，深度学习是机器学习的一个分支。";
        let n = sentence.chars().count();
        assert_eq!(approx_tokens(sentence), n);
        let text = sentence.repeat(6);
        // Two sentences per chunk: every chunk ends at a full stop.
        let o = ChunkOptions { size: 2 * n, overlap: 0, unit: SizeUnit::Tokens };
        let cs = chunk(&text, TextFormat::Plain, &o, &ApproxTokens).unwrap();
        assert_eq!(cs.len(), 3);
        assert!(cs.iter().all(|c| c.tokens == 2 * n && c.text.ends_with('。')), "{cs:?}");
        // Smaller than a sentence: cut after a clause mark, never inside a clause.
        let o = ChunkOptions { size: 25, overlap: 0, unit: SizeUnit::Tokens };
        let cs = chunk(sentence, TextFormat::Plain, &o, &ApproxTokens).unwrap();
        let texts: Vec<&str> = cs.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["人工智能正在改变医疗、金融和教育等行业，", "深度学习是机器学习的一个分支。"]);
        assert!(cs.iter().all(|c| c.tokens <= 25));
        let cps: Vec<char> = sentence.chars().collect();
        for c in &cs {
            assert_eq!(cps[c.char_start..c.char_end].iter().collect::<String>(), c.text);
        }
    }

    #[test]
    fn chunks_are_slices_within_size() {
        let text = "First sentence here. Second one follows! Third? Yes.\n\nA new paragraph with more words in it.";
        for size in [10, 20, 40, 200] {
            let cs = chunk(text, TextFormat::Plain, &chars(size, size / 4), &ApproxTokens).unwrap();
            let cps: Vec<char> = text.chars().collect();
            for c in &cs {
                assert!(c.text.chars().count() <= size, "{c:?}");
                assert_eq!(cps[c.char_start..c.char_end].iter().collect::<String>(), c.text);
            }
        }
    }

    #[test]
    fn markdown_sections_are_boundaries() {
        let md = "# Guide\n\nIntro text.\n\n## Install\n\nRun pip.\n\n```\n# not a heading\n\ncode\n```\n\n## Use\n\nCall it.";
        let cs = chunk(md, TextFormat::Markdown, &ChunkOptions::default(), &ApproxTokens).unwrap();
        let heads: Vec<Vec<String>> = cs.iter().map(|c| c.headings.clone()).collect();
        assert_eq!(heads, vec![vec!["Guide".to_string()], vec!["Guide".into(), "Install".into()], vec!["Guide".into(), "Use".into()]]);
        assert!(cs[1].text.contains("# not a heading"));
        // A bare heading joins the section after it.
        let cs = chunk("# Top\n\n## Sub\n\nBody.", TextFormat::Markdown, &ChunkOptions::default(), &ApproxTokens).unwrap();
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0].text, "# Top\n\n## Sub\n\nBody.");
        assert_eq!(cs[0].headings, vec!["Top".to_string(), "Sub".into()]);
        // A heading is not left alone before a paragraph too big to join it whole.
        let md = format!("## Title\n\n{}", "Some words here. ".repeat(40));
        let o = ChunkOptions { size: 30, overlap: 0, unit: SizeUnit::Tokens };
        let cs = chunk(&md, TextFormat::Markdown, &o, &ApproxTokens).unwrap();
        assert!(cs[0].text.starts_with("## Title\n\nSome words here."), "{:?}", cs[0].text);
        assert!(cs.iter().all(|c| c.tokens <= 30));
    }
}
