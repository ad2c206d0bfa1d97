//! Word-trigram index over all source keys, and candidate windows for a quote (matching.md §3).
//!
//! Takes the word hashes of all sources' loose keys and builds two sorted tables of
//! (hash, source, word position): word trigrams (the main filter) and single words (the
//! fallback for quotes whose every trigram is broken by edits). For a quote's word hashes it returns candidate
//! windows: runs of trigram hits in one source on nearby diagonals
//! (diagonal = source word position − quote word position), widened by a slack that
//! allows for dropped or added words, as word ranges of that source.

/// 64-bit FNV-1a hash of a word's key bytes.
pub fn word_hash(word: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in word {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Order-sensitive hash of three consecutive word hashes.
pub fn trigram_hash(a: u64, b: u64, c: u64) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let h = (a.wrapping_mul(K) ^ b).wrapping_mul(K) ^ c;
    (h ^ (h >> 29)).wrapping_mul(K)
}

/// Trigram posting lists longer than this belong to stock phrases and carry no signal.
const MAX_TRIGRAM_POSTINGS: usize = 4096;
/// Word posting lists longer than this belong to stock words.
const MAX_WORD_POSTINGS: usize = 1024;

/// One entry: trigram hash, source index, word position of the trigram's first word.
type Entry = (u64, u32, u32);

/// The trigram and word tables for a whole corpus.
#[derive(Debug, Default)]
pub struct TrigramIndex {
    trigrams: Vec<Entry>,
    words: Vec<Entry>,
}

/// A stretch of one source that may hold the quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Source index.
    pub source: usize,
    /// First word (inclusive) of the window in that source.
    pub word_lo: usize,
    /// Last word (exclusive).
    pub word_hi: usize,
    /// Number of quote trigrams that hit this window.
    pub votes: usize,
}

impl TrigramIndex {
    /// Build from per-source lists of word hashes (`None` for unavailable sources).
    pub fn build(sources: &[Option<Vec<u64>>]) -> TrigramIndex {
        let total: usize = sources.iter().flatten().map(Vec::len).sum();
        let mut trigrams = Vec::with_capacity(total);
        let mut words = Vec::with_capacity(total);
        for (s, hashes) in sources.iter().enumerate() {
            let Some(hashes) = hashes else { continue };
            for (p, w) in hashes.windows(3).enumerate() {
                trigrams.push((trigram_hash(w[0], w[1], w[2]), s as u32, p as u32));
            }
            for (p, &h) in hashes.iter().enumerate() {
                words.push((h, s as u32, p as u32));
            }
        }
        trigrams.sort_unstable();
        words.sort_unstable();
        TrigramIndex { trigrams, words }
    }

    /// All postings of one hash in a table.
    fn postings(table: &[Entry], key: u64) -> &[Entry] {
        let lo = table.partition_point(|e| e.0 < key);
        let hi = lo + table[lo..].partition_point(|e| e.0 == key);
        &table[lo..hi]
    }

    /// Candidate windows for a quote given as word hashes, from shared word trigrams,
    /// best-voted first. `source_words[s]` is the number of words in source `s`.
    pub fn windows(&self, quote: &[u64], source_words: &[usize]) -> Vec<Window> {
        if quote.len() < 3 {
            return Vec::new();
        }
        let grams: Vec<u64> = quote
            .windows(3)
            .map(|t| trigram_hash(t[0], t[1], t[2]))
            .collect();
        cluster(
            &self.trigrams,
            MAX_TRIGRAM_POSTINGS,
            &grams,
            quote.len(),
            source_words,
        )
    }

    /// Candidate windows from shared single words (stock words with over
    /// `MAX_WORD_POSTINGS` occurrences ignored), best-voted first.
    pub fn word_windows(&self, quote: &[u64], source_words: &[usize]) -> Vec<Window> {
        cluster(
            &self.words,
            MAX_WORD_POSTINGS,
            quote,
            quote.len(),
            source_words,
        )
    }
}

/// Vote per (source, diagonal) with the postings of `grams` (gram `i` at quote word `i`)
/// and cluster nearby diagonals into windows.
fn cluster(
    table: &[Entry],
    max_postings: usize,
    grams: &[u64],
    w: usize,
    source_words: &[usize],
) -> Vec<Window> {
    let mut hits: Vec<(u32, i64)> = Vec::new();
    for (i, &g) in grams.iter().enumerate() {
        let post = TrigramIndex::postings(table, g);
        if post.len() > max_postings {
            continue;
        }
        hits.extend(post.iter().map(|&(_, s, p)| (s, p as i64 - i as i64)));
    }
    hits.sort_unstable();
    // Hits within `band` diagonals of a cluster's first hit belong to it: word drops
    // and additions shift the diagonal.
    let band = (w as i64 / 4).max(3);
    let slack = (w / 4).max(2) as i64;
    let mut out = Vec::new();
    let mut i = 0;
    while i < hits.len() {
        let (src, d0) = hits[i];
        let mut j = i;
        while j < hits.len() && hits[j].0 == src && hits[j].1 - d0 <= band {
            j += 1;
        }
        let d1 = hits[j - 1].1;
        let n = source_words.get(src as usize).copied().unwrap_or(0) as i64;
        let lo = (d0 - slack).clamp(0, n);
        let hi = (d1 + w as i64 + slack).clamp(0, n);
        out.push(Window {
            source: src as usize,
            word_lo: lo as usize,
            word_hi: hi as usize,
            votes: j - i,
        });
        i = j;
    }
    out.sort_by(|a, b| {
        b.votes
            .cmp(&a.votes)
            .then(a.source.cmp(&b.source))
            .then(a.word_lo.cmp(&b.word_lo))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(s: &str) -> Vec<u64> {
        s.split(' ').map(|w| word_hash(w.as_bytes())).collect()
    }

    #[test]
    fn finds_the_right_source_and_place() {
        let a = "de raad besloot gisteren dat de nieuwe brug er toch komt ondanks bezwaren";
        let b = "wij zijn zo gewend om in weten regelgeving te denken maar dat moet anders";
        let idx = TrigramIndex::build(&[Some(hashes(a)), None, Some(hashes(b))]);
        let q = hashes("zo gewend om in regelgeving te denken");
        let words = [a.split(' ').count(), 0, b.split(' ').count()];
        let ws = idx.windows(&q, &words);
        assert_eq!(ws[0].source, 2);
        assert!(ws[0].word_lo <= 2 && ws[0].word_hi >= 10, "{:?}", ws[0]);
        assert_eq!(ws.len(), 1);
        assert!(
            idx.windows(&hashes("geheel iets anders hier"), &words)
                .is_empty()
        );
    }
}
