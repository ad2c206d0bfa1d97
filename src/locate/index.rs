//! Word-trigram index over all source keys, and candidate windows (docs/matching.md §3).
//!
//! Takes the word hashes of all sources' loose keys and builds two sorted tables of
//! (hash, source, word position): word trigrams (the main filter) and single words (the
//! fallback for fragments whose every trigram is broken by edits), whose postings give the
//! `(quote word, source word)` hit pairs of a fragment in each source. [`cluster`] turns
//! the hit pairs of one fragment in one source into candidate windows: runs of hits on
//! nearby diagonals (diagonal = source word position − quote word position), widened by a
//! slack that allows for dropped or added words, as word ranges of that source.

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

/// One entry: hash, source index, word position (of the trigram's first word).
pub type Entry = (u64, u32, u32);

/// The trigram and word tables for a whole corpus.
#[derive(Debug, Default)]
pub struct TrigramIndex {
    trigrams: Vec<Entry>,
    words: Vec<Entry>,
}

/// A stretch of one source that may hold a quote fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// First word (inclusive) of the window in the source.
    pub word_lo: usize,
    /// Last word (exclusive).
    pub word_hi: usize,
    /// Hits in the window: trigram hits, or distinct quote words for the word filter.
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

    /// All postings of a word trigram, sorted by source and position.
    pub fn trigram_postings(&self, hash: u64) -> &[Entry] {
        postings(&self.trigrams, hash)
    }

    /// All postings of a word, sorted by source and position.
    pub fn word_postings(&self, hash: u64) -> &[Entry] {
        postings(&self.words, hash)
    }
}

/// All postings of one hash in a sorted table.
fn postings(table: &[Entry], key: u64) -> &[Entry] {
    let lo = table.partition_point(|e| e.0 < key);
    let hi = lo + table[lo..].partition_point(|e| e.0 == key);
    &table[lo..hi]
}

/// The postings of one source within the postings of one hash.
pub fn in_source(post: &[Entry], source: u32) -> &[Entry] {
    let lo = post.partition_point(|e| e.1 < source);
    let hi = lo + post[lo..].partition_point(|e| e.1 == source);
    &post[lo..hi]
}

/// Split the postings of one hash into runs of one source each.
pub fn source_runs(post: &[Entry]) -> impl Iterator<Item = &[Entry]> {
    post.chunk_by(|a, b| a.1 == b.1)
}

/// Cluster the `(quote word, source word)` hit pairs of one fragment (`w` words) in one
/// source (`n_words` words) by diagonal (source word − quote word) into windows,
/// best-voted first. Votes count the hits, or with `distinct` the distinct quote words.
pub fn cluster(pairs: &[(u32, u32)], w: usize, n_words: usize, distinct: bool) -> Vec<Window> {
    let mut hits: Vec<(i64, u32)> = pairs
        .iter()
        .map(|&(i, p)| (p as i64 - i as i64, i))
        .collect();
    hits.sort_unstable();
    // Hits within `band` diagonals of a cluster's first hit belong to it: word drops
    // and additions shift the diagonal.
    let band = (w as i64 / 4).max(3);
    let slack = (w / 4).max(2) as i64;
    let n = n_words as i64;
    let mut out = Vec::new();
    let mut i = 0;
    let mut seen: Vec<u32> = Vec::new();
    while i < hits.len() {
        let d0 = hits[i].0;
        let mut j = i;
        while j < hits.len() && hits[j].0 - d0 <= band {
            j += 1;
        }
        let d1 = hits[j - 1].0;
        let votes = if distinct {
            seen.clear();
            seen.extend(hits[i..j].iter().map(|h| h.1));
            seen.sort_unstable();
            seen.dedup();
            seen.len()
        } else {
            j - i
        };
        out.push(Window {
            word_lo: (d0 - slack).clamp(0, n) as usize,
            word_hi: (d1 + w as i64 + slack).clamp(0, n) as usize,
            votes,
        });
        i = j;
    }
    out.sort_by(|a, b| b.votes.cmp(&a.votes).then(a.word_lo.cmp(&b.word_lo)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(s: &str) -> Vec<u64> {
        s.split(' ').map(|w| word_hash(w.as_bytes())).collect()
    }

    #[test]
    fn finds_the_right_place() {
        let a = "de raad besloot gisteren dat de nieuwe brug er toch komt ondanks bezwaren";
        let b = "wij zijn zo gewend om in weten regelgeving te denken maar dat moet anders";
        let idx = TrigramIndex::build(&[Some(hashes(a)), None, Some(hashes(b))]);
        let q = hashes("zo gewend om in regelgeving te denken");
        // Pairs of source 2 from the index, as the corpus search gathers them.
        let mut pairs = Vec::new();
        for (i, t) in q.windows(3).enumerate() {
            let post = idx.trigram_postings(trigram_hash(t[0], t[1], t[2]));
            for run in source_runs(post) {
                assert_eq!(run[0].1, 2, "only source 2 shares trigrams");
                pairs.extend(run.iter().map(|e| (i as u32, e.2)));
            }
            assert_eq!(in_source(post, 0), &[]);
        }
        pairs.sort_unstable();
        let ws = cluster(&pairs, q.len(), b.split(' ').count(), false);
        assert_eq!(ws.len(), 1);
        assert!(ws[0].word_lo <= 2 && ws[0].word_hi >= 10, "{:?}", ws[0]);
        assert_eq!(ws[0].votes, 3);
        // Distinct votes count quote words, not hits.
        let ws = cluster(&[(0, 5), (0, 6), (1, 6)], 4, 20, true);
        assert_eq!(ws[0].votes, 2);
    }
}
