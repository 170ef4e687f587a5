//! Byte-level BPE tokenizer: 256 byte tokens plus merges learnt on the corpus, so that frequent
//! words (" God", " the") become single tokens.
//!
//! Text is first cut into pieces (a simplified GPT-2 pre-tokenisation, no regex): an optional
//! single leading space followed by a run of letters, of digits or of other non-space characters,
//! and runs of whitespace on their own (a run of spaces followed by a word leaves its last space
//! to the word). Pieces longer than [`MAX_PIECE_BYTES`] are cut, so encoding stays linear. Merges
//! never cross piece boundaries. Token `256 + i` is merge `i`; the vocabulary is derived from the
//! merges, which is all the JSON file stores.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// The format name in the JSON file.
pub const FORMAT: &str = "polytope-bpe";
/// The format version in the JSON file.
pub const VERSION: u32 = 1;
/// The largest vocabulary: ids are `u16`.
pub const MAX_VOCAB: usize = 1 << 16;
/// The longest piece (bytes) the pre-tokeniser emits; longer runs are cut at a character boundary.
pub const MAX_PIECE_BYTES: usize = 64;
/// The longest token a file may define (bytes); trained tokens never exceed [`MAX_PIECE_BYTES`].
pub const MAX_TOKEN_BYTES: usize = 256;
/// The largest JSON text `from_json` accepts (bytes).
pub const MAX_JSON_BYTES: usize = 8 << 20;

/// Why a tokenizer file was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    #[error("tokenizer file is not valid JSON of the expected shape: {0}")]
    Json(String),
    #[error("tokenizer file is {0} bytes; the limit is {MAX_JSON_BYTES}")]
    TooLarge(usize),
    #[error("tokenizer file has format {0:?}; expected {FORMAT:?}")]
    Format(String),
    #[error("tokenizer file has version {0}; this build reads version {VERSION}")]
    Version(u64),
    #[error("tokenizer file has {0} merges; at most {max} fit in {MAX_VOCAB} ids", max = MAX_VOCAB - 256)]
    TooManyMerges(usize),
    #[error(
        "merge {index} ([{a}, {b}]) refers to a token that does not exist yet (ids below {limit} exist)"
    )]
    ForwardReference {
        index: usize,
        a: u64,
        b: u64,
        limit: usize,
    },
    #[error("merge {index} ([{a}, {b}]) repeats merge {first}")]
    DuplicateMerge {
        index: usize,
        a: u64,
        b: u64,
        first: usize,
    },
    #[error("merge {index} makes a token of {len} bytes; the limit is {MAX_TOKEN_BYTES}")]
    TokenTooLong { index: usize, len: usize },
}

/// A byte-level BPE tokenizer.
#[derive(Clone, Debug)]
pub struct Tokenizer {
    merges: Vec<(u16, u16)>,
    vocab: Vec<Vec<u8>>,
    /// Pair -> the token it merges into (its rank is `token - 256`).
    ranks: HashMap<(u16, u16), u16>,
}

#[derive(Serialize, Deserialize)]
struct TokenizerFile {
    format: String,
    version: u64,
    merges: Vec<[u64; 2]>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Digit,
    Other,
    Space,
}

fn class(c: char) -> Class {
    if c.is_whitespace() {
        Class::Space
    } else if c.is_alphabetic() {
        Class::Letter
    } else if c.is_numeric() {
        Class::Digit
    } else {
        Class::Other
    }
}

/// Cuts `text` into the pieces BPE works within (see the module documentation). The pieces
/// concatenate back to `text`.
#[must_use]
pub fn pieces(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for_each_piece(text, |p| out.push(p));
    out
}

fn for_each_piece<'a>(text: &'a str, mut f: impl FnMut(&'a str)) {
    let mut chars = text.char_indices().peekable();
    // Start of a pending word piece that already holds its leading space.
    while let Some(&(start, c)) = chars.peek() {
        let mut word_start = start;
        let mut first = c;
        if class(c) == Class::Space {
            // A run of whitespace; if it ends in ' ' followed by a word, leave that ' ' to the word.
            let mut end = start;
            let mut last = c;
            while let Some(&(i, d)) = chars.peek() {
                if class(d) != Class::Space {
                    break;
                }
                last = d;
                end = i + d.len_utf8();
                chars.next();
            }
            let Some(&(_, next)) = chars.peek() else {
                emit(&text[start..end], &mut f);
                return;
            };
            if last == ' ' {
                if end - 1 > start {
                    emit(&text[start..end - 1], &mut f);
                }
                word_start = end - 1;
                first = next;
            } else {
                emit(&text[start..end], &mut f);
                continue;
            }
        }
        let kind = class(first);
        let mut end = word_start;
        while let Some(&(i, d)) = chars.peek() {
            if class(d) != kind {
                break;
            }
            end = i + d.len_utf8();
            chars.next();
        }
        emit(&text[word_start..end], &mut f);
    }
}

/// Emits `piece`, cut into chunks of at most `MAX_PIECE_BYTES` at character boundaries.
fn emit<'a>(mut piece: &'a str, f: &mut impl FnMut(&'a str)) {
    while piece.len() > MAX_PIECE_BYTES {
        let mut cut = MAX_PIECE_BYTES;
        while !piece.is_char_boundary(cut) {
            cut -= 1;
        }
        f(&piece[..cut]);
        piece = &piece[cut..];
    }
    if !piece.is_empty() {
        f(piece);
    }
}

fn word_pairs(word: &[u16]) -> impl Iterator<Item = (u16, u16)> + '_ {
    word.windows(2).map(|w| (w[0], w[1]))
}

/// Replaces every non-overlapping occurrence (left to right) of `(a, b)` in `word` by `new`.
fn merge_word(word: &mut Vec<u16>, a: u16, b: u16, new: u16) -> bool {
    let mut changed = false;
    let mut out = 0;
    let mut i = 0;
    while i < word.len() {
        if i + 1 < word.len() && word[i] == a && word[i + 1] == b {
            word[out] = new;
            i += 2;
            changed = true;
        } else {
            word[out] = word[i];
            i += 1;
        }
        out += 1;
    }
    word.truncate(out);
    changed
}

impl Tokenizer {
    fn from_merges(merges: Vec<(u16, u16)>) -> Tokenizer {
        let mut vocab: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        let mut ranks = HashMap::with_capacity(merges.len());
        for (i, &(a, b)) in merges.iter().enumerate() {
            let mut bytes = vocab[usize::from(a)].clone();
            bytes.extend_from_slice(&vocab[usize::from(b)]);
            vocab.push(bytes);
            // 256 + i < 65536 holds: merges are at most MAX_VOCAB - 256.
            ranks
                .entry((a, b))
                .or_insert(u16::try_from(256 + i).unwrap_or(u16::MAX));
        }
        Tokenizer {
            merges,
            vocab,
            ranks,
        }
    }

    /// Trains on `text` until the vocabulary has `vocab_size` tokens (256 byte tokens + merges),
    /// or until no adjacent pair is left to merge. Deterministic: the most frequent pair wins,
    /// ties go to the smallest `(a, b)`.
    #[must_use]
    pub fn train(text: &str, vocab_size: usize) -> Tokenizer {
        let target_merges = vocab_size.clamp(256, MAX_VOCAB) - 256;
        let mut piece_counts: HashMap<&str, u64> = HashMap::new();
        for_each_piece(text, |p| *piece_counts.entry(p).or_insert(0) += 1);
        // Sorted so that word indices (and everything after) do not depend on hashing.
        let mut unique: Vec<(&str, u64)> = piece_counts.into_iter().collect();
        unique.sort_unstable();
        let counts: Vec<i64> = unique
            .iter()
            .map(|&(_, n)| i64::try_from(n).unwrap_or(i64::MAX))
            .collect();
        let mut words: Vec<Vec<u16>> = unique
            .iter()
            .map(|(p, _)| p.bytes().map(u16::from).collect())
            .collect();
        drop(unique);

        let mut pair_counts: HashMap<(u16, u16), i64> = HashMap::new();
        let mut where_: HashMap<(u16, u16), HashSet<u32>> = HashMap::new();
        for (w, word) in words.iter().enumerate() {
            let w = u32::try_from(w).unwrap_or(u32::MAX);
            for pair in word_pairs(word) {
                *pair_counts.entry(pair).or_insert(0) += counts[w as usize];
                where_.entry(pair).or_default().insert(w);
            }
        }
        let mut heap: BinaryHeap<(i64, Reverse<(u16, u16)>)> =
            pair_counts.iter().map(|(&p, &n)| (n, Reverse(p))).collect();

        let mut merges = Vec::with_capacity(target_merges);
        let mut delta: HashMap<(u16, u16), i64> = HashMap::new();
        while merges.len() < target_merges {
            let Some((n, Reverse(pair))) = heap.pop() else {
                break;
            };
            if n <= 0 || pair_counts.get(&pair).copied().unwrap_or(0) != n {
                continue; // stale entry
            }
            let new = u16::try_from(256 + merges.len()).unwrap_or(u16::MAX);
            merges.push(pair);
            let mut affected: Vec<u32> = where_
                .remove(&pair)
                .unwrap_or_default()
                .into_iter()
                .collect();
            affected.sort_unstable();
            delta.clear();
            for w in affected {
                let word = &mut words[w as usize];
                let count = counts[w as usize];
                let before: Vec<(u16, u16)> = word_pairs(word).collect();
                if !merge_word(word, pair.0, pair.1, new) {
                    continue;
                }
                for p in before {
                    *delta.entry(p).or_insert(0) -= count;
                }
                for p in word_pairs(word) {
                    *delta.entry(p).or_insert(0) += count;
                    if p.0 == new || p.1 == new {
                        where_.entry(p).or_default().insert(w);
                    }
                }
            }
            for (&p, &d) in &delta {
                if d == 0 {
                    continue;
                }
                let c = pair_counts.entry(p).or_insert(0);
                *c += d;
                if *c > 0 {
                    heap.push((*c, Reverse(p)));
                }
            }
            pair_counts.remove(&pair);
        }
        Tokenizer::from_merges(merges)
    }

    /// The number of tokens (256 byte tokens + merges).
    #[must_use]
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// The merges in rank order: merge `i` makes token `256 + i`.
    #[must_use]
    pub fn merges(&self) -> &[(u16, u16)] {
        &self.merges
    }

    /// Applies the merges, lowest rank first, to one piece's bytes.
    fn encode_piece(&self, piece: &str, out: &mut Vec<u16>) {
        let mut word: Vec<u16> = piece.bytes().map(u16::from).collect();
        while word.len() > 1 {
            let best = word_pairs(&word)
                .filter_map(|p| self.ranks.get(&p).map(|&t| (t, p)))
                .min();
            let Some((new, (a, b))) = best else { break };
            merge_word(&mut word, a, b, new);
        }
        out.extend_from_slice(&word);
    }

    /// Encodes `text` into token ids.
    #[must_use]
    pub fn encode(&self, text: &str) -> Vec<u16> {
        let mut out = Vec::with_capacity(text.len() / 3 + 1);
        let mut cache: HashMap<&str, (usize, usize)> = HashMap::new();
        for_each_piece(text, |piece| {
            if let Some(&(start, len)) = cache.get(piece) {
                out.extend_from_within(start..start + len);
            } else {
                let start = out.len();
                self.encode_piece(piece, &mut out);
                cache.insert(piece, (start, out.len() - start));
            }
        });
        out
    }

    /// Decodes token ids to text (lossy UTF-8; an unknown id decodes as U+FFFD).
    #[must_use]
    pub fn decode(&self, ids: &[u16]) -> String {
        let mut bytes = Vec::with_capacity(ids.len() * 4);
        for &id in ids {
            match self.vocab.get(usize::from(id)) {
                Some(b) => bytes.extend_from_slice(b),
                None => bytes.extend_from_slice("\u{FFFD}".as_bytes()),
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The bytes of token `id` (empty for an unknown id).
    #[must_use]
    pub fn token_bytes(&self, id: u16) -> &[u8] {
        self.vocab.get(usize::from(id)).map_or(&[], Vec::as_slice)
    }

    /// The token's bytes as lossy UTF-8, for display.
    #[must_use]
    pub fn token_text(&self, id: u16) -> String {
        String::from_utf8_lossy(self.token_bytes(id)).into_owned()
    }

    /// The tokenizer file: `{"format":"polytope-bpe","version":1,"merges":[[a,b],...]}`.
    #[must_use]
    pub fn to_json(&self) -> String {
        let file = TokenizerFile {
            format: FORMAT.to_owned(),
            version: u64::from(VERSION),
            merges: self
                .merges
                .iter()
                .map(|&(a, b)| [u64::from(a), u64::from(b)])
                .collect(),
        };
        serde_json::to_string(&file).unwrap_or_default()
    }

    /// Reads a tokenizer file, checking its format, version, size and that every merge refers to
    /// earlier tokens.
    ///
    /// # Errors
    /// A [`TokenizerError`] saying what is wrong with the file.
    pub fn from_json(s: &str) -> Result<Tokenizer, TokenizerError> {
        if s.len() > MAX_JSON_BYTES {
            return Err(TokenizerError::TooLarge(s.len()));
        }
        let value: serde_json::Value =
            serde_json::from_str(s).map_err(|e| TokenizerError::Json(e.to_string()))?;
        // Check format and version before the merges' shape, for clearer messages.
        if let Some(format) = value.get("format") {
            match format.as_str() {
                Some(FORMAT) => {}
                Some(other) => return Err(TokenizerError::Format(other.to_owned())),
                None => return Err(TokenizerError::Format(format.to_string())),
            }
        }
        if let Some(v) = value.get("version").and_then(serde_json::Value::as_u64)
            && v != u64::from(VERSION)
        {
            return Err(TokenizerError::Version(v));
        }
        let file: TokenizerFile =
            serde_json::from_value(value).map_err(|e| TokenizerError::Json(e.to_string()))?;
        if file.merges.len() > MAX_VOCAB - 256 {
            return Err(TokenizerError::TooManyMerges(file.merges.len()));
        }
        let mut lens: Vec<usize> = vec![1; 256];
        let mut seen: HashMap<(u16, u16), usize> = HashMap::new();
        let mut merges = Vec::with_capacity(file.merges.len());
        for (index, &[a, b]) in file.merges.iter().enumerate() {
            let limit = 256 + index;
            let (Ok(a16), Ok(b16)) = (u16::try_from(a), u16::try_from(b)) else {
                return Err(TokenizerError::ForwardReference { index, a, b, limit });
            };
            if usize::from(a16) >= limit || usize::from(b16) >= limit {
                return Err(TokenizerError::ForwardReference { index, a, b, limit });
            }
            if let Some(&first) = seen.get(&(a16, b16)) {
                return Err(TokenizerError::DuplicateMerge { index, a, b, first });
            }
            seen.insert((a16, b16), index);
            let len = lens[usize::from(a16)] + lens[usize::from(b16)];
            if len > MAX_TOKEN_BYTES {
                return Err(TokenizerError::TokenTooLong { index, len });
            }
            lens.push(len);
            merges.push((a16, b16));
        }
        Ok(Tokenizer::from_merges(merges))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "In the beginning God created the heaven and the earth. And God said, Let there be \
        light: and there was light. And God saw the light, that it was good: and God divided the light \
        from the darkness.\n\nAnd God called the light Day, and the darkness he called Night.  123 4567!";

    #[test]
    fn pieces_concatenate_and_keep_leading_space() {
        let p = pieces("Hello,  world!\n\n  God's 12ab  ");
        assert_eq!(p.concat(), "Hello,  world!\n\n  God's 12ab  ");
        assert_eq!(
            p,
            vec![
                "Hello", ",", " ", " world", "!", "\n\n ", " God", "'", "s", " 12", "ab", "  "
            ]
        );
        let long = "a".repeat(200) + &"é".repeat(100);
        let p = pieces(&long);
        assert_eq!(p.concat(), long);
        assert!(p.iter().all(|x| x.len() <= MAX_PIECE_BYTES));
    }

    #[test]
    fn round_trip_ascii_and_unicode() {
        let tok = Tokenizer::train(&SAMPLE.repeat(5), 300);
        for s in [
            SAMPLE,
            "",
            " ",
            "\n\n\n",
            "naïve café — “quoted” 日本語 テキスト 🎉🎉 ok",
            "x\u{0}y\ttab",
        ] {
            assert_eq!(tok.decode(&tok.encode(s)), s);
        }
        let long = "z".repeat(1000);
        assert_eq!(tok.decode(&tok.encode(&long)), long);
    }

    #[test]
    fn frequent_word_becomes_one_token() {
        let tok = Tokenizer::train(&SAMPLE.repeat(20), 320);
        let ids = tok.encode(" God");
        assert_eq!(
            ids.len(),
            1,
            "{:?}",
            ids.iter().map(|&i| tok.token_text(i)).collect::<Vec<_>>()
        );
        assert_eq!(tok.token_text(ids[0]), " God");
        assert_eq!(tok.token_bytes(ids[0]), b" God");
        assert!(tok.encode(SAMPLE).len() < SAMPLE.len() / 2);
    }

    #[test]
    fn training_is_deterministic_and_stops_when_nothing_is_left() {
        let a = Tokenizer::train(SAMPLE, 400);
        let b = Tokenizer::train(SAMPLE, 400);
        assert_eq!(a.merges(), b.merges());
        assert_eq!(a.to_json(), b.to_json());
        let tiny = Tokenizer::train("ab ab", 1000);
        assert!(tiny.vocab_size() < 1000);
        assert_eq!(Tokenizer::train("", 300).vocab_size(), 256);
        assert_eq!(Tokenizer::train(SAMPLE, 10).vocab_size(), 256);
    }

    #[test]
    fn json_round_trip() {
        let tok = Tokenizer::train(SAMPLE, 300);
        let back = Tokenizer::from_json(&tok.to_json()).unwrap();
        assert_eq!(back.merges(), tok.merges());
        assert_eq!(back.encode(SAMPLE), tok.encode(SAMPLE));
        assert!(
            tok.to_json()
                .starts_with(r#"{"format":"polytope-bpe","version":1,"merges":[["#)
        );
    }

    #[test]
    fn from_json_rejects_bad_files() {
        let err = |s: &str| Tokenizer::from_json(s).unwrap_err().to_string();
        assert!(err("not json").contains("not valid JSON"));
        assert!(err("[]").contains("not valid JSON"));
        assert!(err(r#"{"format":"polytope-bpe","version":1}"#).contains("merges"));
        assert!(err(r#"{"format":"gpt2","version":1,"merges":[]}"#).contains("\"gpt2\""));
        assert!(err(r#"{"format":"polytope-bpe","version":2,"merges":[]}"#).contains("version 2"));
        assert!(
            err(r#"{"format":"polytope-bpe","version":1,"merges":[[1,256]]}"#)
                .contains("does not exist yet")
        );
        assert!(
            err(r#"{"format":"polytope-bpe","version":1,"merges":[[1,2],[257,3]]}"#)
                .contains("merge 1")
        );
        assert!(
            err(r#"{"format":"polytope-bpe","version":1,"merges":[[1,99999999999]]}"#)
                .contains("merge 0")
        );
        assert!(
            err(r#"{"format":"polytope-bpe","version":1,"merges":[[1,-2]]}"#)
                .contains("not valid JSON")
        );
        assert!(
            err(r#"{"format":"polytope-bpe","version":1,"merges":[[1,2],[1,2]]}"#)
                .contains("repeats")
        );
        assert!(
            err(r#"{"format":"polytope-bpe","version":1,"merges":[[1,2,3]]}"#)
                .contains("not valid JSON")
        );
        // Doubling tokens: 2^9 bytes after 9 merges.
        let doubling: Vec<String> = (0..9)
            .map(|i| {
                if i == 0 {
                    "[97,97]".into()
                } else {
                    format!("[{0},{0}]", 255 + i)
                }
            })
            .collect();
        let s = format!(
            r#"{{"format":"polytope-bpe","version":1,"merges":[{}]}}"#,
            doubling.join(",")
        );
        assert!(err(&s).contains("bytes; the limit"));
        let ok = Tokenizer::from_json(
            r#"{"format":"polytope-bpe","version":1,"merges":[[104,105],[256,104]]}"#,
        )
        .unwrap();
        assert_eq!(ok.encode("hih!"), vec![257, 33]);
        assert_eq!(ok.token_text(257), "hih");
        assert_eq!(ok.decode(&[257, 9999]), "hih\u{FFFD}");
        assert!(ok.token_bytes(9999).is_empty());
    }
}
