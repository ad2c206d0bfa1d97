//! Quote location: find each quotation in the archived article texts (docs/matching.md).
//!
//! Two ways in, with the same results:
//!
//! - [`QuoteSet`]: the quotes of a run, indexed once; [`QuoteSet::scan`] takes one source
//!   text at a time and returns, for every quote that may stand in it, the best match in
//!   that source ([`SourceHit`]); [`QuoteSet::finish`] turns the hits a caller collected
//!   for one quote into its [`Finding`]. Nothing is kept between scans, so a run over many
//!   sources holds one source text at a time (plus the hits).
//! - [`Corpus`]: all source texts at once with one word-trigram index over them;
//!   [`Corpus::locate`] searches one quote in every source and calls the same `finish`.
//!
//! A [`Finding`] holds the verdict, the source and character span of the best match, the
//! source's own words, their context, a word-level summary of the differences, the text
//! skipped at ellipses and the attribution interruptions that were not charged. The
//! search within one source is in the private module `search`.
//!
//! Thresholds: `verified` = strict distance 0 over all fragments (attribution gaps and
//! ellipsis gaps not charged); `approximate` = `score = 1 − d/m >= min_score`
//! ([`DEFAULT_MIN_SCORE`]) with `d` the character edit distance on the strict key and `m`
//! the quote's strict key length, summed over fragments; keys under [`MIN_FUZZY_KEY`]
//! bytes are only searched exactly (their diacritics may still differ), except right
//! after (before) a neighbouring fragment.

pub mod align;
pub mod context;
pub mod index;
pub mod myers;
pub mod normalize;
pub mod quotemarks;
mod search;
mod source_text;
pub mod speaker;

use std::collections::HashMap;

pub(crate) use self::source_text::SourceText;
use std::hash::{BuildHasherDefault, Hasher};

use self::index::{TrigramIndex, in_source, source_runs};
use self::search::{
    Pairs, PreparedQuote, Source, SourceKey, TRIGRAM_SOURCE_CAP, WORD_SOURCE_CAP, prepare_quote,
    search_source,
};

/// Default lowest score for `approximate` (docs/matching.md §6; calibrate on labelled fixtures).
pub const DEFAULT_MIN_SCORE: f64 = 0.80;
/// Keys (per fragment) shorter than this many bytes must match exactly (except right next
/// to a neighbouring fragment of an ellipsis quote).
pub const MIN_FUZZY_KEY: usize = 20;
/// Largest gap, in characters, between two fragments of an ellipsis quote.
pub const MAX_ELLIPSIS_GAP: usize = 500;

crate::names::named_enum! {
    /// The verdict of one quote (README.md, `report.csv`), in the order summaries list them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Verdict {
        /// Every word stands in a source in the same order, typography set aside.
        Verified = "verified",
        /// A close match; `score` says how close.
        Approximate = "approximate",
        /// Found in another source, not in the claimed one.
        Misattributed = "misattributed",
        /// The claimed source could not be had and no other source holds it.
        SourceUnavailable = "source_unavailable",
        /// No available source holds it.
        NotFound = "not_found",
    }
}

/// Where and how well a quote was found.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The verdict.
    pub verdict: Verdict,
    /// Index of the source holding the reported match (`None` when not found).
    pub source: Option<usize>,
    /// `1 − d/m` of the reported match, in [0, 1]; 0 when nothing was found.
    pub score: f64,
    /// Start of the match in the source text, in characters (Unicode scalar values).
    pub start: usize,
    /// End of the match (exclusive), in characters.
    pub end: usize,
    /// The source's own words: `text.chars()` from `start` to `end`.
    pub matched_text: String,
    /// The sentence(s) around the match, white space collapsed.
    pub context: String,
    /// Word-level differences (`changed "wél"→"wel"; dropped "echt"; added "x"`; quote
    /// words first in `changed`, `dropped` = source words missing from the quote, `added` =
    /// quote words missing from the source); empty when verified.
    pub differences: String,
    /// Source text skipped at the quote's ellipses, several gaps joined by ` … `.
    pub omitted: String,
    /// Character spans (start, end exclusive) inside the match that were an attribution
    /// interruption (`‘…,’ zegt X. ‘…’`), not charged.
    pub attribution_gaps: Vec<(usize, usize)>,
    /// Other sources that also hold the quote (verified or approximate), in input order.
    pub also_found_in: Vec<usize>,
    /// Remarks, e.g. that the claimed source was unavailable.
    pub note: String,
    /// Best score over all sources, also when below the threshold.
    pub best_score: f64,
    /// Source of the best candidate, also when below the threshold.
    pub best_source: Option<usize>,
}

/// The best match of one quote in one source, as [`QuoteSet::scan`] returns it: all that
/// [`QuoteSet::finish`] needs from that source. Offsets count characters of the source text.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceHit {
    /// Index of the source (as given to [`QuoteSet::scan`]).
    pub source: usize,
    /// `1 − d/m` over all fragments, in [0, 1].
    pub score: f64,
    /// Strict distance 0 over all fragments: `verified` here.
    pub verified: bool,
    /// Verified, or a score of at least the set's `min_score`: the source holds the quote.
    pub is_match: bool,
    /// Start of the match, in characters.
    pub start: usize,
    /// End of the match (exclusive), in characters.
    pub end: usize,
    /// The source's own words from `start` to `end`; empty unless `is_match`.
    pub matched_text: String,
    /// The sentence(s) around the match; empty unless `is_match`.
    pub context: String,
    /// Word-level differences (as [`Finding::differences`]).
    pub differences: String,
    /// Source text skipped at the quote's ellipses (as [`Finding::omitted`]).
    pub omitted: String,
    /// Attribution interruptions inside the match, character spans.
    pub attribution_gaps: Vec<(usize, usize)>,
}

/// Keep only the hits of one quote that can change its [`Finding`]: every match, and the
/// best-scoring non-matches (with their ties), which give `best_score`/`best_source`
/// when nothing matches. `finish` gives the same Finding before and after.
pub fn prune_hits(hits: &mut Vec<SourceHit>) {
    prune_hits_by(hits, |h| h);
}

/// [`prune_hits`] for hits carried with more (a page-text hit with its region).
pub fn prune_hits_by<T>(hits: &mut Vec<T>, hit: impl Fn(&T) -> &SourceHit) {
    let best_miss = hits
        .iter()
        .map(&hit)
        .filter(|h| !h.is_match)
        .map(|h| h.score)
        .fold(f64::NEG_INFINITY, f64::max);
    hits.retain(|t| {
        let h = hit(t);
        h.is_match || h.score >= best_miss
    });
}

/// Hasher for keys that are already 64-bit hashes.
#[derive(Default)]
struct HashedKey(u64);

impl Hasher for HashedKey {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ b as u64;
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map keyed by word or trigram hashes.
type HashMapU64<V> = HashMap<u64, V, BuildHasherDefault<HashedKey>>;

/// Where a hash occurs among the quotes: (quote, fragment, word position).
type QuoteEntry = (u32, u32, u32);

/// The quotes of a run, indexed once (their word trigrams and words), to be matched
/// against sources one at a time.
pub struct QuoteSet {
    quotes: Vec<PreparedQuote>,
    min_score: f64,
    /// Word trigram hash → where it starts in the quotes.
    trigrams: HashMapU64<Vec<QuoteEntry>>,
    /// Eligible word hash → where it stands in the quotes.
    words: HashMapU64<Vec<QuoteEntry>>,
    /// Index of each quote's first fragment in a flat per-fragment array.
    frag_base: Vec<usize>,
}

impl QuoteSet {
    /// Prepare and index `quotes`, with `DEFAULT_MIN_SCORE` (0.80).
    pub fn new(quotes: &[&str]) -> QuoteSet {
        QuoteSet::with_min_score(quotes, DEFAULT_MIN_SCORE)
    }

    /// Like [`QuoteSet::new`] with another lowest score for `approximate`.
    pub fn with_min_score(quotes: &[&str], min_score: f64) -> QuoteSet {
        let quotes: Vec<PreparedQuote> = quotes.iter().map(|q| prepare_quote(q)).collect();
        let mut trigrams: HashMapU64<Vec<QuoteEntry>> = HashMapU64::default();
        let mut words: HashMapU64<Vec<QuoteEntry>> = HashMapU64::default();
        let mut frag_base = Vec::with_capacity(quotes.len());
        let mut base = 0;
        for (qi, q) in quotes.iter().enumerate() {
            frag_base.push(base);
            base += q.frags.len();
            for (fi, f) in q.frags.iter().enumerate() {
                for (i, &t) in f.trigrams.iter().enumerate() {
                    trigrams
                        .entry(t)
                        .or_default()
                        .push((qi as u32, fi as u32, i as u32));
                }
                for (i, &h) in f.hashes.iter().enumerate() {
                    if f.eligible[i] {
                        words
                            .entry(h)
                            .or_default()
                            .push((qi as u32, fi as u32, i as u32));
                    }
                }
            }
        }
        frag_base.push(base);
        QuoteSet {
            quotes,
            min_score,
            trigrams,
            words,
            frag_base,
        }
    }

    /// Number of quotes.
    pub fn len(&self) -> usize {
        self.quotes.len()
    }

    /// True when the set has no quotes.
    pub fn is_empty(&self) -> bool {
        self.quotes.is_empty()
    }

    /// Scans one source text: for every quote that may occur in it, the best match in
    /// this source (or nothing). `source` is the index the hits carry. Memory is
    /// O(text + quotes) and nothing is kept after the call.
    pub fn scan(&self, source: usize, text: &str) -> Vec<(usize, SourceHit)> {
        let sk = SourceKey::new(text);
        let src = Source::new(text, &sk);
        // Source positions of every trigram and eligible word that some quote has.
        let mut tri_at: HashMapU64<Vec<u32>> = HashMapU64::default();
        for (p, t) in sk.trigrams().enumerate() {
            if self.trigrams.contains_key(&t) {
                tri_at.entry(t).or_default().push(p as u32);
            }
        }
        let mut word_at: HashMapU64<Vec<u32>> = HashMapU64::default();
        for (p, &h) in sk.hashes.iter().enumerate() {
            if self.words.contains_key(&h) {
                word_at.entry(h).or_default().push(p as u32);
            }
        }
        // Trigram pairs of all quotes, sorted by quote, fragment, quote word, source word.
        let mut tri_pairs: Vec<(u32, u32, u32, u32)> = Vec::new();
        for (t, at) in &tri_at {
            if at.len() > TRIGRAM_SOURCE_CAP {
                continue;
            }
            for &(q, fi, i) in self.trigrams.get(t).map_or(&[][..], Vec::as_slice) {
                tri_pairs.extend(at.iter().map(|&p| (q, fi, i, p)));
            }
        }
        tri_pairs.sort_unstable();
        // Eligible quote words present per fragment (a word window needs `word_floor`).
        let mut present = vec![0usize; self.frag_base.last().copied().unwrap_or(0)];
        for (h, at) in &word_at {
            if at.len() > WORD_SOURCE_CAP {
                continue;
            }
            for &(q, fi, _) in self.words.get(h).map_or(&[][..], Vec::as_slice) {
                present[self.frag_base[q as usize] + fi as usize] += 1;
            }
        }
        let mut out = Vec::new();
        let mut k = 0;
        for (qi, q) in self.quotes.iter().enumerate() {
            let from = k;
            while k < tri_pairs.len() && tri_pairs[k].0 as usize == qi {
                k += 1;
            }
            let base = self.frag_base[qi];
            let word_candidate = q
                .frags
                .iter()
                .enumerate()
                .any(|(fi, f)| present[base + fi] >= f.word_floor);
            if from == k && !word_candidate {
                continue;
            }
            let mut tri: Pairs = vec![Vec::new(); q.frags.len()];
            for &(_, fi, i, p) in &tri_pairs[from..k] {
                tri[fi as usize].push((i, p));
            }
            let words = || -> Pairs {
                q.frags
                    .iter()
                    .map(|f| {
                        let mut pairs = Vec::new();
                        for (i, h) in f.hashes.iter().enumerate() {
                            if let Some(at) = word_at.get(h)
                                && f.eligible[i]
                                && at.len() <= WORD_SOURCE_CAP
                            {
                                pairs.extend(at.iter().map(|&p| (i as u32, p)));
                            }
                        }
                        pairs
                    })
                    .collect()
            };
            if let Some(hit) = search_source(&src, source, q, &tri, &words, self.min_score) {
                out.push((qi, hit));
            }
        }
        out
    }

    /// Turns the hits collected for quote `quote` (from any number of [`QuoteSet::scan`]
    /// calls, in any order) into its [`Finding`], as [`Corpus::locate`] would: `claimed`
    /// is the source the document names for it, `available(i)` says whether source `i`'s
    /// text could be had. Misattribution, `also_found_in`, notes and
    /// `best_score`/`best_source` follow from the hits.
    pub fn finish(
        &self,
        quote: usize,
        mut hits: Vec<SourceHit>,
        claimed: Option<usize>,
        available: &dyn Fn(usize) -> bool,
    ) -> Finding {
        let mut finding = empty_finding();
        let Some(q) = self.quotes.get(quote) else {
            finding.note = "quote index out of range".into();
            return finding;
        };
        if q.frags.is_empty() {
            finding.note = "quote has no words".into();
            return finding;
        }
        // Best first: score, then the claimed source, then input order.
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then((Some(b.source) == claimed).cmp(&(Some(a.source) == claimed)))
                .then(a.source.cmp(&b.source))
        });
        if let Some(best) = hits.first() {
            finding.best_score = best.score;
            finding.best_source = Some(best.source);
        }
        let holders: Vec<&SourceHit> = hits.iter().filter(|h| h.is_match).collect();
        let quality = |h: &SourceHit| {
            if h.verified {
                Verdict::Verified
            } else {
                Verdict::Approximate
            }
        };
        let reported: Option<&SourceHit> = match claimed {
            Some(c) if available(c) => {
                if let Some(h) = holders.iter().find(|h| h.source == c) {
                    finding.verdict = quality(h);
                    if let Some(better) = holders.first().filter(|b| b.source != c) {
                        finding.note = format!(
                            "a closer match is in source {} (score {:.3})",
                            better.source, better.score
                        );
                    }
                    Some(h)
                } else if let Some(h) = holders.first() {
                    finding.verdict = Verdict::Misattributed;
                    Some(h)
                } else {
                    finding.verdict = Verdict::NotFound;
                    None
                }
            }
            Some(_) => {
                if let Some(h) = holders.first() {
                    finding.verdict = quality(h);
                    finding.note = "claimed source unavailable; found in another source".into();
                    Some(h)
                } else {
                    finding.verdict = Verdict::SourceUnavailable;
                    None
                }
            }
            None => {
                let h = holders.first().copied();
                finding.verdict = h.map_or(Verdict::NotFound, quality);
                h
            }
        };
        if let Some(h) = reported {
            finding.source = Some(h.source);
            finding.score = h.score;
            finding.start = h.start;
            finding.end = h.end;
            finding.matched_text = h.matched_text.clone();
            finding.context = h.context.clone();
            finding.differences = h.differences.clone();
            finding.omitted = h.omitted.clone();
            finding.attribution_gaps = h.attribution_gaps.clone();
            let mut also: Vec<usize> = holders
                .iter()
                .map(|o| o.source)
                .filter(|&s| s != h.source)
                .collect();
            also.sort_unstable();
            finding.also_found_in = also;
        }
        finding
    }
}

/// All source article texts of a run, indexed once (loose keys and one word-trigram
/// index over all sources).
pub struct Corpus {
    texts: Vec<Option<String>>,
    keys: Vec<Option<SourceKey>>,
    index: TrigramIndex,
}

impl Corpus {
    /// Index all source texts of a run; `None` marks a source whose text could not be had.
    /// The texts are copied (a `Corpus` owns them, for matched text and context).
    pub fn build(texts: &[Option<&str>]) -> Corpus {
        Corpus::build_owned(texts.iter().map(|t| t.map(str::to_owned)).collect())
    }

    /// Like [`Corpus::build`], taking ownership of the texts.
    pub fn build_owned(texts: Vec<Option<String>>) -> Corpus {
        let keys: Vec<Option<SourceKey>> = texts
            .iter()
            .map(|t| t.as_deref().map(SourceKey::new))
            .collect();
        let hashes: Vec<Option<Vec<u64>>> = keys
            .iter()
            .map(|k| k.as_ref().map(|k| k.hashes.clone()))
            .collect();
        let index = TrigramIndex::build(&hashes);
        Corpus { texts, keys, index }
    }

    /// Number of sources (available or not).
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// True when the corpus has no sources.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The text of source `i`, if it could be had.
    pub fn text(&self, i: usize) -> Option<&str> {
        self.texts.get(i)?.as_deref()
    }

    /// Locate `quote`; `claimed` is the index of the source the document names for it.
    /// Uses `DEFAULT_MIN_SCORE` (0.80).
    pub fn locate(&self, quote: &str, claimed: Option<usize>) -> Finding {
        self.locate_with(quote, claimed, DEFAULT_MIN_SCORE)
    }

    /// Like [`Corpus::locate`] with another lowest score for `approximate`.
    pub fn locate_with(&self, quote: &str, claimed: Option<usize>, min_score: f64) -> Finding {
        let set = QuoteSet::with_min_score(&[quote], min_score);
        let claimed_ok = claimed.filter(|&c| c < self.texts.len());
        let hits = set
            .quotes
            .first()
            .map_or_else(Vec::new, |q| self.hits(q, min_score));
        let mut finding = set.finish(0, hits, claimed_ok, &|i| self.text(i).is_some());
        if claimed.is_some() && claimed_ok.is_none() && finding.note.is_empty() {
            finding.note = "claimed source index out of range".into();
        }
        finding
    }

    /// The hits of one quote in every source that may hold it, found through the index;
    /// the same as [`QuoteSet::scan`] of each source would give.
    fn hits(&self, q: &PreparedQuote, min_score: f64) -> Vec<SourceHit> {
        let nf = q.frags.len();
        // Trigram pairs: (source, fragment, quote word, source word).
        let mut tri: Vec<(u32, u32, u32, u32)> = Vec::new();
        // Eligible words present: (source, fragment), once per quote word.
        let mut present: Vec<(u32, u32)> = Vec::new();
        for (fi, f) in q.frags.iter().enumerate() {
            for (i, &t) in f.trigrams.iter().enumerate() {
                for run in source_runs(self.index.trigram_postings(t)) {
                    if run.len() <= TRIGRAM_SOURCE_CAP {
                        tri.extend(run.iter().map(|e| (e.1, fi as u32, i as u32, e.2)));
                    }
                }
            }
            for (i, &h) in f.hashes.iter().enumerate() {
                if !f.eligible[i] {
                    continue;
                }
                for run in source_runs(self.index.word_postings(h)) {
                    if run.len() <= WORD_SOURCE_CAP {
                        present.push((run[0].1, fi as u32));
                    }
                }
            }
        }
        tri.sort_unstable();
        present.sort_unstable();
        let mut sources: Vec<u32> = tri.iter().map(|e| e.0).collect();
        for run in present.chunk_by(|a, b| a == b) {
            let (s, fi) = run[0];
            if run.len() >= q.frags[fi as usize].word_floor {
                sources.push(s);
            }
        }
        sources.sort_unstable();
        sources.dedup();
        let mut out = Vec::new();
        for s in sources {
            let (Some(Some(text)), Some(Some(sk))) =
                (self.texts.get(s as usize), self.keys.get(s as usize))
            else {
                continue;
            };
            let src = Source::new(text, sk);
            let lo = tri.partition_point(|e| e.0 < s);
            let hi = tri.partition_point(|e| e.0 <= s);
            let mut pairs: Pairs = vec![Vec::new(); nf];
            for &(_, fi, i, p) in &tri[lo..hi] {
                pairs[fi as usize].push((i, p));
            }
            let words = || -> Pairs {
                q.frags
                    .iter()
                    .map(|f| {
                        let mut pairs = Vec::new();
                        for (i, &h) in f.hashes.iter().enumerate() {
                            let run = in_source(self.index.word_postings(h), s);
                            if f.eligible[i] && run.len() <= WORD_SOURCE_CAP {
                                pairs.extend(run.iter().map(|e| (i as u32, e.2)));
                            }
                        }
                        pairs
                    })
                    .collect()
            };
            out.extend(search_source(
                &src, s as usize, q, &pairs, &words, min_score,
            ));
        }
        out
    }
}

/// A finding with nothing found.
pub(crate) fn empty_finding() -> Finding {
    Finding {
        verdict: Verdict::NotFound,
        source: None,
        score: 0.0,
        start: 0,
        end: 0,
        matched_text: String::new(),
        context: String::new(),
        differences: String::new(),
        omitted: String::new(),
        attribution_gaps: Vec::new(),
        also_found_in: Vec::new(),
        note: String::new(),
        best_score: 0.0,
        best_source: None,
    }
}

#[cfg(test)]
mod tests;
