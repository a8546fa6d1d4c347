//! The tokenizer a store's full-text (BM25) search splits texts with, chosen per store and kept
//! in its schema metadata (see [`crate::types::schema`]), so a reopened store tokenizes as it
//! was told to.

use crate::error::{Error, Result};

/// How texts are split into the terms BM25 ranks by. One per collection (memory stores and RAG
/// stores included); the same tokenizer splits the stored texts and the queries.
///
/// All three are Lance's own analyzers (`lance-tokenizer`), built into every AgentDB (none needs
/// a cargo feature or a model file):
/// - `Simple` (the default): splits on whitespace and punctuation, lower-cases, folds accents,
///   English stemming and stop words. A run of CJK characters without spaces is one term, so a
///   Chinese sentence is a single "word": useless for Chinese, Japanese and Korean.
/// - `Icu`: ICU's dictionary word segmentation (Unicode UAX #29 with the CJ dictionary):
///   Chinese and Japanese are cut into words, Korean and Western text at spaces; lower-cased,
///   accents folded, stop words of every language Lance knows removed. Best for mixed or mainly
///   CJK text.
/// - `Ngram { min, max }`: every run of `min..=max` characters (character n-grams across the
///   whole text, spaces included), lower-cased and folded: needs no dictionary, so it finds
///   words ICU's dictionary does not know (names, product codes) at the cost of a larger index.
///
/// Lance also offers jieba and lindera tokenizers (compiled in through `lancedb`'s features),
/// but both load their dictionaries from files under `LANCE_LANGUAGE_MODEL_HOME` that are not
/// shipped with Lance; ICU's dictionary is compiled in, so that is the one offered here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TextTokenizer {
    #[default]
    Simple,
    Icu,
    Ngram { min: u32, max: u32 },
}

/// The n-gram lengths of `"ngram"` without explicit lengths: bigrams and trigrams (most Chinese
/// words are two or three characters; unigrams would make every character a match).
pub const DEFAULT_NGRAM: (u32, u32) = (2, 3);
/// The longest n-gram accepted.
pub const MAX_NGRAM: u32 = 16;

impl TextTokenizer {
    /// `"simple"`, `"icu"`, or `"ngram:MIN-MAX"` (what [`TextTokenizer::parse`] reads back).
    pub fn name(&self) -> String {
        match self {
            TextTokenizer::Simple => "simple".into(),
            TextTokenizer::Icu => "icu".into(),
            TextTokenizer::Ngram { min, max } => format!("ngram:{min}-{max}"),
        }
    }

    /// Reads `"simple"`, `"icu"`, `"ngram"` (= `"ngram:2-3"`), `"ngram:N"` (= `N-N`) or
    /// `"ngram:MIN-MAX"` (1 ≤ MIN ≤ MAX ≤ 16); anything else is `InvalidArgument`.
    pub fn parse(s: &str) -> Result<TextTokenizer> {
        let bad = || {
            Error::invalid_argument(format!(
                "unknown text tokenizer {s:?}: expected 'simple', 'icu', 'ngram', 'ngram:N' or 'ngram:MIN-MAX' (1 <= MIN <= MAX <= {MAX_NGRAM})"
            ))
        };
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "simple" | "default" | "english" => return Ok(TextTokenizer::Simple),
            "icu" => return Ok(TextTokenizer::Icu),
            "ngram" => return Ok(TextTokenizer::Ngram { min: DEFAULT_NGRAM.0, max: DEFAULT_NGRAM.1 }),
            _ => {}
        }
        let spec = t.strip_prefix("ngram:").ok_or_else(bad)?;
        let (min, max) = match spec.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u32>().map_err(|_| bad())?, b.trim().parse::<u32>().map_err(|_| bad())?),
            None => {
                let n = spec.trim().parse::<u32>().map_err(|_| bad())?;
                (n, n)
            }
        };
        if min == 0 || min > max || max > MAX_NGRAM {
            return Err(bad());
        }
        Ok(TextTokenizer::Ngram { min, max })
    }
}

impl std::str::FromStr for TextTokenizer {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        TextTokenizer::parse(s)
    }
}

impl std::fmt::Display for TextTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_ones_fail() {
        for t in [TextTokenizer::Simple, TextTokenizer::Icu, TextTokenizer::Ngram { min: 1, max: 4 }] {
            assert_eq!(TextTokenizer::parse(&t.name()).unwrap(), t);
        }
        assert_eq!(TextTokenizer::parse("ngram").unwrap(), TextTokenizer::Ngram { min: 2, max: 3 });
        assert_eq!(TextTokenizer::parse("NGRAM:2").unwrap(), TextTokenizer::Ngram { min: 2, max: 2 });
        for bad in ["", "jieba", "ngram:0", "ngram:3-2", "ngram:1-17", "ngram:x", "ngram:"] {
            assert!(TextTokenizer::parse(bad).is_err(), "{bad}");
        }
    }
}
