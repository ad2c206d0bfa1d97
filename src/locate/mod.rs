//! Quote location: find each quotation in the archived article texts (matching.md).
//!
//! Takes all source article texts of a run once ([`Corpus::build`]: normalised loose keys
//! with offset maps and one word-trigram index over all sources) and, per quote and
//! optional claimed source, returns a [`Finding`]: the verdict, the source and character
//! span of the best match, the source's own words, their context, a word-level summary
//! of the differences, the text skipped at ellipses and the attribution interruptions
//! that were not charged.
//!
//! Per source and quote fragment (fragments are the parts of a quote between ellipses):
//! exact search of the loose key (`memchr::memmem`); else pieces interrupted only by an
//! attribution; else (keys of at least [`MIN_FUZZY_KEY`] bytes) semi-global edit distance
//! with Myers' bit-vectors on the candidate windows of the trigram index. Every span is
//! then judged on the strict key (diacritics kept): `verified` needs distance 0 there.
//! Fragments are chained in order (gaps of at most [`MAX_ELLIPSIS_GAP`] characters).
//!
//! Thresholds: `verified` = strict distance 0 over all fragments (attribution gaps and
//! ellipsis gaps not charged); `approximate` = `score = 1 − d/m >= min_score`
//! ([`DEFAULT_MIN_SCORE`]) with `d` the character edit distance on the strict key and `m`
//! the quote's strict key length, summed over fragments; keys under [`MIN_FUZZY_KEY`]
//! bytes are only searched exactly (their diacritics may still differ).

pub mod align;
pub mod context;
pub mod index;
pub mod myers;
pub mod normalize;
pub mod quotemarks;
pub mod speaker;

use memchr::memmem;

use self::align::{WordOp, align_words, char_distance, is_attribution_gap, summarize};
use self::index::{TrigramIndex, Window, word_hash};
use self::normalize::{Fold, Key, normalize, split_ellipses};

/// Default lowest score for `approximate` (matching.md §6; calibrate on labelled fixtures).
pub const DEFAULT_MIN_SCORE: f64 = 0.80;
/// Keys (per fragment) shorter than this many bytes must match exactly.
pub const MIN_FUZZY_KEY: usize = 20;
/// Largest gap, in characters, between two fragments of an ellipsis quote.
pub const MAX_ELLIPSIS_GAP: usize = 500;
/// Largest stretch of source key, in bytes, searched for the next piece after an
/// attribution interruption.
const MAX_ATTRIBUTION_KEY: usize = 200;
/// Sources examined per quote, best-voted first (the claimed source always is).
const MAX_CANDIDATE_SOURCES: usize = 16;
/// A source is examined only if its best window has at least this share of the best
/// window's trigram votes.
const MIN_VOTE_SHARE: f64 = 0.25;
/// Windows verified with Myers per source and fragment.
const WINDOWS_PER_SOURCE: usize = 3;
/// Exact occurrences kept per source and fragment (for chaining ellipsis fragments).
const MAX_EXACT_OCCURRENCES: usize = 8;
/// Loose-key score margin below `min_score` for which the strict judgement is still run
/// (attribution gaps found by the word alignment are then not charged).
const LOOSE_MARGIN: f64 = 0.15;

/// The verdict of one quote (contract.md, `report.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every word stands in a source in the same order, typography set aside.
    Verified,
    /// A close match; `score` says how close.
    Approximate,
    /// Found in another source, not in the claimed one.
    Misattributed,
    /// The claimed source could not be had and no other source holds it.
    SourceUnavailable,
    /// No available source holds it.
    NotFound,
}

impl Verdict {
    /// The verdict as written in `report.csv`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::Approximate => "approximate",
            Verdict::Misattributed => "misattributed",
            Verdict::SourceUnavailable => "source_unavailable",
            Verdict::NotFound => "not_found",
        }
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

/// Which candidate filter a search round uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    /// Shared word trigrams (the main filter).
    Trigrams,
    /// Shared single words, when no trigram window holds the quote.
    Words,
    /// Every source, when no word of the quote occurs anywhere.
    All,
}

/// One available source: its text and loose key.
struct Source {
    text: String,
    key: Key,
}

/// All source article texts of a run, indexed once.
pub struct Corpus {
    sources: Vec<Option<Source>>,
    word_counts: Vec<usize>,
    index: TrigramIndex,
}

/// One part of a quote between ellipses.
struct Fragment {
    /// The fragment's text (entity-decoded quote).
    text: String,
    loose: Key,
    strict: Key,
    strict_chars: Vec<char>,
    /// Word ranges in the loose key.
    words: Vec<(usize, usize)>,
    hashes: Vec<u64>,
    myers: myers::Pattern,
    /// The reversed loose key, to find where a match starts.
    myers_rev: myers::Pattern,
    finder: memmem::Finder<'static>,
}

/// A fragment found at one place of one source.
#[derive(Debug, Clone)]
struct Hit {
    /// Byte span in the source text.
    start: usize,
    end: usize,
    /// Strict character distance (attribution gaps removed).
    d: usize,
    /// Attribution gaps, byte spans in the source text.
    gaps: Vec<(usize, usize)>,
    differences: String,
}

/// The best placement of a whole quote in one source.
#[derive(Debug, Clone)]
struct SourceMatch {
    source: usize,
    score: f64,
    exact: bool,
    start: usize,
    end: usize,
    gaps: Vec<(usize, usize)>,
    omitted: Vec<String>,
    differences: Vec<String>,
}

impl Corpus {
    /// Index all source texts of a run; `None` marks a source whose text could not be had.
    /// The texts are copied (a `Corpus` owns them, for matched text and context).
    pub fn build(texts: &[Option<&str>]) -> Corpus {
        Corpus::build_owned(texts.iter().map(|t| t.map(str::to_owned)).collect())
    }

    /// Like [`Corpus::build`], taking ownership of the texts.
    pub fn build_owned(texts: Vec<Option<String>>) -> Corpus {
        let sources: Vec<Option<Source>> = texts
            .into_iter()
            .map(|t| {
                t.map(|text| {
                    let key = normalize(&text, Fold::Loose);
                    Source { text, key }
                })
            })
            .collect();
        let hashes: Vec<Option<Vec<u64>>> = sources
            .iter()
            .map(|s| {
                s.as_ref().map(|s| {
                    s.key
                        .words()
                        .iter()
                        .map(|&(a, b)| word_hash(&s.key.bytes()[a..b]))
                        .collect()
                })
            })
            .collect();
        let word_counts = hashes
            .iter()
            .map(|h| h.as_ref().map_or(0, Vec::len))
            .collect();
        let index = TrigramIndex::build(&hashes);
        Corpus {
            sources,
            word_counts,
            index,
        }
    }

    /// Number of sources (available or not).
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// True when the corpus has no sources.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The text of source `i`, if it could be had.
    pub fn text(&self, i: usize) -> Option<&str> {
        self.sources.get(i)?.as_ref().map(|s| s.text.as_str())
    }

    /// Locate `quote`; `claimed` is the index of the source the document names for it.
    /// Uses [`DEFAULT_MIN_SCORE`].
    pub fn locate(&self, quote: &str, claimed: Option<usize>) -> Finding {
        self.locate_with(quote, claimed, DEFAULT_MIN_SCORE)
    }

    /// Like [`Corpus::locate`] with another lowest score for `approximate`.
    pub fn locate_with(&self, quote: &str, claimed: Option<usize>, min_score: f64) -> Finding {
        let frags = prepare_quote(quote);
        let mut finding = empty_finding();
        let claimed_ok = claimed.filter(|&c| c < self.sources.len());
        if claimed.is_some() && claimed_ok.is_none() {
            finding.note = "claimed source index out of range".into();
        }
        if frags.is_empty() {
            finding.note = "quote has no words".into();
            return finding;
        }
        let mut examined = vec![false; self.sources.len()];
        let mut matches: Vec<SourceMatch> = Vec::new();
        for tier in [Tier::Trigrams, Tier::Words, Tier::All] {
            let Some(cands) = self.candidate_sources(&frags, claimed_ok, tier) else {
                continue;
            };
            for (s, wins) in cands {
                if std::mem::replace(&mut examined[s], true) {
                    continue;
                }
                matches.extend(self.match_source(s, &frags, &wins, min_score));
            }
            // Later tiers only when nothing holds the quote yet; the exhaustive tier only
            // when no word of the quote occurs anywhere.
            if tier != Tier::Trigrams || matches.iter().any(|m| m.exact || m.score >= min_score) {
                break;
            }
        }
        self.decide(matches, claimed_ok, min_score, finding)
    }

    /// Sources to examine in a tier, each with the windows of each fragment in it;
    /// `None` when the tier's index yields no window at all.
    fn candidate_sources(
        &self,
        frags: &[Fragment],
        claimed: Option<usize>,
        tier: Tier,
    ) -> Option<Vec<(usize, Vec<Vec<Window>>)>> {
        let per_frag: Vec<Vec<Window>> = frags
            .iter()
            .map(|f| match tier {
                Tier::Trigrams => self.index.windows(&f.hashes, &self.word_counts),
                Tier::Words => self.index.word_windows(&f.hashes, &self.word_counts),
                Tier::All => Vec::new(),
            })
            .collect();
        // Best window votes per source.
        let mut best_votes = vec![0usize; self.sources.len()];
        for w in per_frag.iter().flatten() {
            if let Some(v) = best_votes.get_mut(w.source) {
                *v = (*v).max(w.votes);
            }
        }
        let mut votes: Vec<(usize, usize)> = best_votes
            .into_iter()
            .enumerate()
            .filter(|v| v.1 > 0)
            .collect();
        let mut chosen: Vec<usize> = if tier == Tier::All {
            // Examine every source (exact search, or Myers over the whole text).
            (0..self.sources.len())
                .filter(|&i| self.sources[i].is_some())
                .collect()
        } else if votes.is_empty() {
            if tier == Tier::Trigrams
                && let Some(c) = claimed
                && self.sources[c].is_some()
            {
                // The claimed source is always examined (whole text).
                return Some(vec![(c, vec![Vec::new(); frags.len()])]);
            }
            return None;
        } else {
            votes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let floor = (votes[0].1 as f64 * MIN_VOTE_SHARE).ceil() as usize;
            votes
                .iter()
                .filter(|v| v.1 >= floor.max(1))
                .take(MAX_CANDIDATE_SOURCES)
                .map(|v| v.0)
                .collect()
        };
        if let Some(c) = claimed
            && self.sources[c].is_some()
            && !chosen.contains(&c)
        {
            chosen.push(c);
        }
        chosen.sort_unstable();
        Some(
            chosen
                .into_iter()
                .map(|s| {
                    let wins = per_frag
                        .iter()
                        .map(|ws| {
                            ws.iter()
                                .filter(|w| w.source == s)
                                .take(WINDOWS_PER_SOURCE)
                                .cloned()
                                .collect()
                        })
                        .collect();
                    (s, wins)
                })
                .collect(),
        )
    }

    /// The best placement of all fragments in source `si`, if any fragment was found.
    fn match_source(
        &self,
        si: usize,
        frags: &[Fragment],
        wins: &[Vec<Window>],
        min_score: f64,
    ) -> Option<SourceMatch> {
        let src = self.sources.get(si)?.as_ref()?;
        let cands: Vec<Vec<Hit>> = frags
            .iter()
            .zip(wins)
            .map(|(f, w)| fragment_hits(src, f, w, min_score))
            .collect();
        chain(src, si, frags, &cands)
    }

    /// Turn the per-source matches into the verdict (contract.md).
    fn decide(
        &self,
        mut matches: Vec<SourceMatch>,
        claimed: Option<usize>,
        min_score: f64,
        mut finding: Finding,
    ) -> Finding {
        // Best first: score, then the claimed source, then input order.
        matches.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then((Some(b.source) == claimed).cmp(&(Some(a.source) == claimed)))
                .then(a.source.cmp(&b.source))
        });
        if let Some(best) = matches.first() {
            finding.best_score = best.score;
            finding.best_source = Some(best.source);
        }
        let holds = |m: &SourceMatch| m.exact || m.score >= min_score;
        let holders: Vec<&SourceMatch> = matches.iter().filter(|m| holds(m)).collect();
        let quality = |m: &SourceMatch| {
            if m.exact {
                Verdict::Verified
            } else {
                Verdict::Approximate
            }
        };
        let claimed_available = claimed.is_some_and(|c| self.sources[c].is_some());
        let reported: Option<&SourceMatch> = match claimed {
            Some(c) if claimed_available => {
                if let Some(m) = holders.iter().find(|m| m.source == c) {
                    finding.verdict = quality(m);
                    if let Some(better) = holders.first().filter(|b| b.source != c) {
                        finding.note = format!(
                            "a closer match is in source {} (score {:.3})",
                            better.source, better.score
                        );
                    }
                    Some(m)
                } else if let Some(m) = holders.first() {
                    finding.verdict = Verdict::Misattributed;
                    Some(m)
                } else {
                    finding.verdict = Verdict::NotFound;
                    None
                }
            }
            Some(_) => {
                if let Some(m) = holders.first() {
                    finding.verdict = quality(m);
                    finding.note = "claimed source unavailable; found in another source".into();
                    Some(m)
                } else {
                    finding.verdict = Verdict::SourceUnavailable;
                    None
                }
            }
            None => {
                let m = holders.first().copied();
                finding.verdict = m.map_or(Verdict::NotFound, quality);
                m
            }
        };
        if let Some(m) = reported {
            let Some(src) = self.sources[m.source].as_ref() else {
                return finding;
            };
            let text = &src.text;
            let chars_to = |b: usize| text[..b].chars().count();
            finding.source = Some(m.source);
            finding.score = m.score;
            finding.start = chars_to(m.start);
            finding.end = finding.start + text[m.start..m.end].chars().count();
            finding.matched_text = text[m.start..m.end].to_string();
            finding.context = context::context(text, m.start, m.end);
            finding.differences = m.differences.join("; ");
            finding.omitted = m.omitted.join(" … ");
            finding.attribution_gaps = m
                .gaps
                .iter()
                .map(|&(a, b)| {
                    let ca = chars_to(a);
                    (ca, ca + text[a..b].chars().count())
                })
                .collect();
            let mut also: Vec<usize> = holders
                .iter()
                .map(|h| h.source)
                .filter(|&s| s != m.source)
                .collect();
            also.sort_unstable();
            finding.also_found_in = also;
        }
        finding
    }
}

/// A finding with nothing found.
fn empty_finding() -> Finding {
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

/// Decode entities, split at ellipses, build keys; fragments without words are dropped.
fn prepare_quote(quote: &str) -> Vec<Fragment> {
    let decoded = html_escape::decode_html_entities(quote);
    split_ellipses(&decoded)
        .into_iter()
        .filter_map(|p| {
            let text = decoded[p.start..p.end].to_string();
            let loose = normalize(&text, Fold::Loose);
            if loose.is_empty() {
                return None;
            }
            let strict = normalize(&text, Fold::Strict);
            let words = loose.words();
            let hashes = words
                .iter()
                .map(|&(a, b)| word_hash(&loose.bytes()[a..b]))
                .collect();
            Some(Fragment {
                strict_chars: strict.text.chars().collect(),
                myers: myers::Pattern::new(loose.bytes()),
                myers_rev: myers::Pattern::new(
                    &loose.bytes().iter().rev().copied().collect::<Vec<u8>>(),
                ),
                finder: memmem::Finder::new(loose.bytes()).into_owned(),
                text,
                loose,
                strict,
                words,
                hashes,
            })
        })
        .collect()
}

/// True when key bytes `[s, e)` start and end at word boundaries of `key`.
fn on_word_bounds(key: &[u8], s: usize, e: usize) -> bool {
    (s == 0 || key[s - 1] == b' ') && (e == key.len() || key.get(e) == Some(&b' '))
}

/// All places of fragment `f` in `src`: exact occurrences; else an exact chain of pieces
/// interrupted by attributions; else the best approximate span in the windows.
fn fragment_hits(src: &Source, f: &Fragment, wins: &[Window], min_score: f64) -> Vec<Hit> {
    let key = src.key.bytes();
    let pat = f.loose.bytes();
    let short = pat.len() < MIN_FUZZY_KEY;
    let mut hits: Vec<Hit> = f
        .finder
        .find_iter(key)
        .filter(|&p| !short || on_word_bounds(key, p, p + pat.len()))
        .take(MAX_EXACT_OCCURRENCES)
        .map(|p| judge(src, f, &[(p, p + pat.len())], false))
        .collect();
    if !hits.is_empty() {
        return hits;
    }
    if let Some(pieces) = attribution_chain(src, f) {
        hits.push(judge(src, f, &pieces, false));
        return hits;
    }
    if short {
        return hits;
    }
    // Approximate: Myers over the candidate windows, or the whole text when none.
    let word_ranges = src.key.words();
    let spans: Vec<(usize, usize)> = if wins.is_empty() {
        vec![(0, key.len())]
    } else {
        wins.iter()
            .filter_map(|w| {
                let a = word_ranges.get(w.word_lo)?.0;
                let b = word_ranges.get(w.word_hi.checked_sub(1)?)?.1;
                Some((a, b))
            })
            .collect()
    };
    // Distance first (Myers); the start only for the best window that can pass.
    let mut best: Option<(usize, usize, usize)> = None; // (d, window start, window end)
    for (a, b) in spans {
        if let Some((d, ..)) = f.myers.best_ends(&key[a..b])
            && best.is_none_or(|bs| d < bs.0)
        {
            best = Some((d, a, b));
        }
    }
    if let Some((d, a, b)) = best
        && 1.0 - d as f64 / pat.len() as f64 >= min_score - LOOSE_MARGIN
        && let Some(s) = myers::locate(&f.myers, &f.myers_rev, &key[a..b])
        && s.end > s.start
    {
        hits.push(judge(src, f, &[(a + s.start, a + s.end)], true));
    }
    hits
}

/// Pieces of the fragment that stand exactly in the source, in order, separated only by
/// attribution interruptions (`‘…,’ zegt X. ‘…’`). Key byte spans, or `None`.
fn attribution_chain(src: &Source, f: &Fragment) -> Option<Vec<(usize, usize)>> {
    let key = src.key.bytes();
    let q = f.loose.bytes();
    let w = f.words.len();
    if w < 2 {
        return None;
    }
    // Longest word prefix of the fragment that occurs anywhere (binary search: a prefix
    // of an occurring prefix occurs too).
    let prefix_end = |k: usize| f.words[k - 1].1;
    let occurs = |k: usize| memmem::find(key, &q[..prefix_end(k)]).is_some();
    if !occurs(1) {
        return None;
    }
    let (mut lo, mut hi) = (1, w - 1);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if occurs(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let first = &q[..prefix_end(lo)];
    for p in memmem::find_iter(key, first).take(MAX_EXACT_OCCURRENCES) {
        if let Some(mut rest) = chain_rest(src, f, lo, p + first.len(), 0) {
            rest.insert(0, (p, p + first.len()));
            return Some(rest);
        }
    }
    None
}

/// Continue an attribution chain: fragment words from `word` on must follow key byte
/// `after` once an attribution gap is passed.
fn chain_rest(
    src: &Source,
    f: &Fragment,
    word: usize,
    after: usize,
    depth: usize,
) -> Option<Vec<(usize, usize)>> {
    if depth > 3 || after == 0 {
        return None;
    }
    let key = src.key.bytes();
    let q = f.loose.bytes();
    let region_end = (after + MAX_ATTRIBUTION_KEY).min(key.len());
    let region = key.get(after..region_end)?;
    let from = f.words[word].0;
    let first_word = &q[from..f.words[word].1];
    // Where the previous piece ends in the text.
    let gap_start = src.key.input_span(&src.text, after - 1, after).1;
    for off in memmem::find_iter(region, first_word) {
        let s = after + off;
        if key[s - 1] != b' ' {
            continue;
        }
        // Extend the piece as far as quote and source agree, back to a word end.
        let lcp = q[from..]
            .iter()
            .zip(&key[s..])
            .take_while(|(a, b)| a == b)
            .count();
        let k = f.words[word..]
            .iter()
            .take_while(|w| w.1 - from <= lcp && key.get(s + w.1 - from).is_none_or(|b| *b == b' '))
            .count()
            + word;
        if k == word {
            continue;
        }
        let gap_end = src.key.map[s] as usize;
        let gap = src.text.get(gap_start..gap_end).unwrap_or("");
        if !gap.chars().any(normalize::is_quote_mark) || !is_attribution_gap(gap) {
            continue;
        }
        let e = s + f.words[k - 1].1 - from;
        if k == f.words.len() {
            return Some(vec![(s, e)]);
        }
        if let Some(mut rest) = chain_rest(src, f, k, e, depth + 1) {
            rest.insert(0, (s, e));
            return Some(rest);
        }
    }
    None
}

/// Strict key of the given byte pieces of `text`, joined by single spaces; the map holds
/// absolute byte offsets in `text`.
fn strict_key_of(text: &str, pieces: &[(usize, usize)]) -> Key {
    let mut out = Key::default();
    for &(a, b) in pieces {
        let k = normalize(&text[a..b], Fold::Strict);
        if k.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.text.push(' ');
            out.map.push(a as u32);
        }
        out.text.push_str(&k.text);
        out.map.extend(k.map.iter().map(|&m| m + a as u32));
    }
    out
}

/// Display words of a key: the original text of each key word.
fn display_words<'t>(key: &Key, text: &'t str) -> Vec<&'t str> {
    key.words()
        .into_iter()
        .map(|(a, b)| {
            let (s, e) = key.input_span(text, a, b);
            text.get(s..e).unwrap_or("")
        })
        .collect()
}

/// Key words as strings.
fn key_words(key: &Key) -> Vec<&str> {
    key.text.split(' ').filter(|w| !w.is_empty()).collect()
}

/// Judge a placement (loose-key byte pieces of the source) on the strict key: distance,
/// differences, and (when `find_gaps`) attribution interruptions that are not charged.
fn judge(src: &Source, f: &Fragment, key_pieces: &[(usize, usize)], find_gaps: bool) -> Hit {
    let text = &src.text;
    let mut pieces: Vec<(usize, usize)> = key_pieces
        .iter()
        .map(|&(a, b)| src.key.input_span(text, a, b))
        .collect();
    let start = pieces.first().map_or(0, |p| p.0);
    let end = pieces.last().map_or(0, |p| p.1);
    let mut strict = strict_key_of(text, &pieces);
    if strict.text == f.strict.text {
        return Hit {
            start,
            end,
            d: 0,
            gaps: gaps_between(&pieces),
            differences: String::new(),
        };
    }
    let qwords = key_words(&f.strict);
    // The word alignment of the whole span, reused for the differences when no
    // attribution gap is cut out.
    let mut ops: Option<Vec<WordOp>> = None;
    if find_gaps {
        let swords = key_words(&strict);
        let all = align_words(&qwords, &swords);
        let word_spans: Vec<(usize, usize)> = strict
            .words()
            .into_iter()
            .map(|(a, b)| strict.input_span(text, a, b))
            .collect();
        let cut = attribution_cuts(text, &all, &word_spans);
        if cut.is_empty() {
            ops = Some(all);
        } else {
            pieces = subtract(&pieces, &cut);
            strict = strict_key_of(text, &pieces);
        }
    }
    let gaps = gaps_between(&pieces);
    let schars: Vec<char> = strict.text.chars().collect();
    let d = char_distance(&f.strict_chars, &schars);
    let differences = if d == 0 {
        String::new()
    } else {
        let swords = key_words(&strict);
        let ops = ops.unwrap_or_else(|| align_words(&qwords, &swords));
        summarize(
            &ops,
            &display_words(&f.strict, &f.text),
            &display_words(&strict, text),
        )
    };
    Hit {
        start,
        end,
        d,
        gaps,
        differences,
    }
}

/// Byte spans of runs of source words missing from the quote, between aligned words, whose
/// text is only an attribution interruption. `word_spans`: byte spans of the source words.
fn attribution_cuts(
    text: &str,
    ops: &[WordOp],
    word_spans: &[(usize, usize)],
) -> Vec<(usize, usize)> {
    let mut cut = Vec::new();
    for (k, op) in ops.iter().enumerate() {
        // Start of a run of dropped source words with aligned words on both sides.
        let WordOp::Dropped(j) = *op else { continue };
        if k == 0 || matches!(ops[k - 1], WordOp::Dropped(_) | WordOp::Added(_)) {
            continue;
        }
        let mut e = k;
        while e < ops.len() && matches!(ops[e], WordOp::Dropped(_)) {
            e += 1;
        }
        if e == ops.len() || matches!(ops[e], WordOp::Added(_)) {
            continue;
        }
        let WordOp::Dropped(last) = ops[e - 1] else {
            continue;
        };
        if j == 0 || last + 1 >= word_spans.len() {
            continue;
        }
        let (gs, ge) = (word_spans[j - 1].1, word_spans[last + 1].0);
        if gs < ge && is_attribution_gap(&text[gs..ge]) {
            cut.push((gs, ge));
        }
    }
    cut
}

/// The byte gaps between consecutive pieces.
fn gaps_between(pieces: &[(usize, usize)]) -> Vec<(usize, usize)> {
    pieces
        .windows(2)
        .map(|w| (w[0].1, w[1].0))
        .filter(|g| g.0 < g.1)
        .collect()
}

/// Remove the (sorted, disjoint) `cuts` from the (sorted, disjoint) `pieces`.
fn subtract(pieces: &[(usize, usize)], cuts: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for &(a, b) in pieces {
        let mut s = a;
        for &(ca, cb) in cuts {
            if cb <= s || ca >= b {
                continue;
            }
            if ca > s {
                out.push((s, ca));
            }
            s = s.max(cb);
        }
        if s < b {
            out.push((s, b));
        }
    }
    out
}

/// Chain the fragments' hits in order (DP maximising the matched strict characters),
/// allowing a fragment to stay unplaced (charged in full).
fn chain(src: &Source, si: usize, frags: &[Fragment], cands: &[Vec<Hit>]) -> Option<SourceMatch> {
    let m_total: usize = frags.iter().map(|f| f.strict_chars.len()).sum();
    if m_total == 0 {
        return None;
    }
    let text = &src.text;
    // Flattened nodes: (fragment, hit index). best[n] = (value, predecessor node).
    let nodes: Vec<(usize, usize)> = cands
        .iter()
        .enumerate()
        .flat_map(|(fi, hs)| (0..hs.len()).map(move |hi| (fi, hi)))
        .collect();
    let value = |fi: usize, hi: usize| -> i64 {
        frags[fi].strict_chars.len() as i64 - cands[fi][hi].d as i64
    };
    let mut best: Vec<(i64, Option<usize>)> = Vec::with_capacity(nodes.len());
    for (n, &(fi, hi)) in nodes.iter().enumerate() {
        let h = &cands[fi][hi];
        let mut b = (value(fi, hi), None);
        for (p, &(pf, ph)) in nodes[..n].iter().enumerate() {
            if pf >= fi {
                continue;
            }
            let prev = &cands[pf][ph];
            if prev.end > h.start || text[prev.end..h.start].chars().count() > MAX_ELLIPSIS_GAP {
                continue;
            }
            let v = best[p].0 + value(fi, hi);
            if v > b.0 {
                b = (v, Some(p));
            }
        }
        best.push(b);
    }
    // Best end node: highest value, then leftmost start.
    let mut end_node: Option<usize> = None;
    for n in 0..nodes.len() {
        let better = match end_node {
            None => true,
            Some(e) => {
                let (hn, he) = (
                    &cands[nodes[n].0][nodes[n].1],
                    &cands[nodes[e].0][nodes[e].1],
                );
                best[n].0 > best[e].0 || (best[n].0 == best[e].0 && hn.start < he.start)
            }
        };
        if better {
            end_node = Some(n);
        }
    }
    let mut path = Vec::new();
    let mut cur = end_node;
    while let Some(n) = cur {
        path.push(n);
        cur = best[n].1;
    }
    path.reverse();
    let placed: Vec<(usize, &Hit)> = path
        .iter()
        .map(|&n| (nodes[n].0, &cands[nodes[n].0][nodes[n].1]))
        .collect();
    let (first, last) = (placed.first()?.1, placed.last()?.1);
    let mut d_total: usize = placed.iter().map(|(_, h)| h.d).sum();
    let mut differences = Vec::new();
    let mut fi_next = 0;
    for &(fi, h) in &placed {
        for f in &frags[fi_next..fi] {
            d_total += f.strict_chars.len();
            differences.push(format!("missing \"{}\"", f.text.trim()));
        }
        fi_next = fi + 1;
        if !h.differences.is_empty() {
            differences.push(h.differences.clone());
        }
    }
    for f in &frags[fi_next..] {
        d_total += f.strict_chars.len();
        differences.push(format!("missing \"{}\"", f.text.trim()));
    }
    let omitted = placed
        .windows(2)
        .map(|w| {
            text[w[0].1.end..w[1].1.start]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|g| g.chars().any(char::is_alphanumeric))
        .collect();
    let score = (1.0 - d_total as f64 / m_total as f64).clamp(0.0, 1.0);
    Some(SourceMatch {
        source: si,
        score,
        exact: d_total == 0,
        start: first.start,
        end: last.end,
        gaps: placed.iter().flat_map(|(_, h)| h.gaps.clone()).collect(),
        omitted,
        differences,
    })
}

#[cfg(test)]
mod tests;
