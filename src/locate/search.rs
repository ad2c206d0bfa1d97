//! Search of one quote in one source (docs/matching.md §3–§5).
//!
//! Takes a source (its text, loose key and word hashes, [`SourceKey`]), a prepared quote
//! ([`prepare_quote`]: per fragment between ellipses the loose and strict keys, word and
//! trigram hashes, Myers patterns) and the evidence that the quote may stand there (per
//! fragment the `(quote word, source word)` pairs of shared word trigrams, and on demand
//! of shared single words), and returns the best placement of the whole quote in that
//! source as a [`SourceHit`], or nothing. It depends on nothing outside this one source,
//! so sources can be searched one at a time ([`super::QuoteSet`]) or from one index over
//! all of them ([`super::Corpus`]) with the same results.
//!
//! Candidate filter, per source and fragment: windows of nearby diagonals of shared word
//! trigrams with at least [`MIN_TRIGRAM_SHARE`] of the fragment's trigrams as votes; when
//! no fragment has one, windows of shared words (of at least [`ELIGIBLE_WORD`] bytes)
//! holding at least half of the fragment's such words. Then, per fragment: exact search of
//! the loose key (`memchr::memmem`); else pieces interrupted only by an attribution; else
//! (keys of at least [`MIN_FUZZY_KEY`] bytes) semi-global edit distance with Myers'
//! bit-vectors on the windows, the span snapped to whole words placed by the quote's edge
//! words. Every span is judged on the strict key (diacritics kept). Fragments are chained
//! in order (gaps of at most [`MAX_ELLIPSIS_GAP`] characters).

use memchr::memmem;

use super::align::{
    WordOp, align_words, char_distance, is_attribution_gap, small_distance, summarize,
};
use super::context;
use super::index::{Window, cluster, trigram_hash, word_hash};
use super::myers;
use super::normalize::{self, Fold, Key, normalize, split_ellipses};
use super::{MAX_ELLIPSIS_GAP, MIN_FUZZY_KEY, SourceHit};

/// Largest stretch of source key, in bytes, searched for the next piece after an
/// attribution interruption.
const MAX_ATTRIBUTION_KEY: usize = 200;
/// Windows verified with Myers per source and fragment.
const WINDOWS_PER_SOURCE: usize = 3;
/// Exact occurrences kept per source and fragment (for chaining ellipsis fragments).
const MAX_EXACT_OCCURRENCES: usize = 8;
/// Loose-key score margin below `min_score` for which the strict judgement is still run
/// (attribution gaps found by the word alignment are then not charged).
const LOOSE_MARGIN: f64 = 0.15;
/// How many source words before (after) an approximate span are searched for the quote's
/// first (last) words, so that a word dropped or added next to the edge does not clip or
/// widen the span.
const EDGE_WORDS: usize = 4;
/// Cost of a source word skipped inside the edge matching (see [`matching_weight`]).
const EDGE_GAP: f64 = 0.25;
/// Least similarity of two words that counts in the edge matching.
const EDGE_MIN_SIM: f64 = 0.5;
/// Words an attribution chain backs off from its longest exact piece: the piece may have
/// run into the attribution's own verb (`Nissan,’ said X. ‘said that…`).
const ATTRIBUTION_BACKOFF: usize = 3;
/// Key bytes beyond its own length in which a short fragment is searched approximately
/// right after the previous fragment (or right before the next one).
const SHORT_GAP_SLACK: usize = 48;
/// A source window is searched only if it holds at least this share of the fragment's word
/// trigrams (q-gram lemma: `e` word edits break at most `3e` trigrams, so up to about a
/// quarter of the words may be edited).
pub const MIN_TRIGRAM_SHARE: f64 = 0.25;
/// Words shorter than this many key bytes are not used by the word filter.
pub const ELIGIBLE_WORD: usize = 4;
/// A word trigram occurring more often than this in one source is ignored there (stock
/// phrases and repeated boilerplate carry no signal).
pub const TRIGRAM_SOURCE_CAP: usize = 64;
/// A word occurring more often than this in one source is ignored by the word filter.
pub const WORD_SOURCE_CAP: usize = 16;

/// A source's search data: its loose key, key word ranges and word hashes.
pub(super) struct SourceKey {
    /// The loose key with its map to the text.
    pub key: Key,
    /// Word ranges in the key.
    pub words: Vec<(usize, usize)>,
    /// One hash per word.
    pub hashes: Vec<u64>,
}

impl SourceKey {
    /// Normalise `text` and hash its words.
    pub fn new(text: &str) -> SourceKey {
        let key = normalize(text, Fold::Loose);
        let words = key.words();
        let hashes = words
            .iter()
            .map(|&(a, b)| word_hash(&key.bytes()[a..b]))
            .collect();
        SourceKey { key, words, hashes }
    }

    /// Word trigram hashes; entry `p` starts at word `p`.
    pub fn trigrams(&self) -> impl Iterator<Item = u64> + '_ {
        self.hashes
            .windows(3)
            .map(|t| trigram_hash(t[0], t[1], t[2]))
    }
}

/// One source as searched: its text with the search data.
pub(super) struct Source<'a> {
    text: &'a str,
    key: &'a Key,
    words: &'a [(usize, usize)],
}

impl<'a> Source<'a> {
    /// A view of `text` with its search data `sk` (built from that same text).
    pub fn new(text: &'a str, sk: &'a SourceKey) -> Source<'a> {
        Source {
            text,
            key: &sk.key,
            words: &sk.words,
        }
    }
}

/// A quote ready to be searched: its fragments between ellipses.
pub(super) struct PreparedQuote {
    /// The fragments with words, in order.
    pub frags: Vec<Fragment>,
}

/// Per fragment, `(quote word, source word)` position pairs, sorted.
pub(super) type Pairs = Vec<Vec<(u32, u32)>>;

/// One part of a quote between ellipses.
pub(super) struct Fragment {
    /// The fragment's text (entity-decoded quote).
    text: String,
    loose: Key,
    strict: Key,
    strict_chars: Vec<char>,
    /// Word ranges in the loose key.
    words: Vec<(usize, usize)>,
    /// One hash per word.
    pub hashes: Vec<u64>,
    /// Word trigram hashes; entry `i` starts at word `i`.
    pub trigrams: Vec<u64>,
    /// Whether each word takes part in the word filter.
    pub eligible: Vec<bool>,
    /// Trigram votes a window needs.
    trigram_floor: usize,
    /// Distinct eligible words a window needs (and the source must hold).
    pub word_floor: usize,
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
    /// Loose-key byte span of an approximate hit (which may be trimmed when chaining).
    key_span: Option<(usize, usize)>,
}

/// The best placement of a whole quote in one source (byte offsets).
#[derive(Debug, Clone)]
struct SourceMatch {
    score: f64,
    exact: bool,
    start: usize,
    end: usize,
    gaps: Vec<(usize, usize)>,
    omitted: Vec<String>,
    differences: Vec<String>,
}

/// Decode entities, split at ellipses, build keys; fragments without words are dropped.
pub(super) fn prepare_quote(quote: &str) -> PreparedQuote {
    let decoded = html_escape::decode_html_entities(quote);
    let frags = split_ellipses(&decoded)
        .into_iter()
        .filter_map(|p| {
            let text = decoded[p.start..p.end].to_string();
            let loose = normalize(&text, Fold::Loose);
            if loose.is_empty() {
                return None;
            }
            let strict = normalize(&text, Fold::Strict);
            let words = loose.words();
            let hashes: Vec<u64> = words
                .iter()
                .map(|&(a, b)| word_hash(&loose.bytes()[a..b]))
                .collect();
            let trigrams: Vec<u64> = hashes
                .windows(3)
                .map(|t| trigram_hash(t[0], t[1], t[2]))
                .collect();
            // Short words (`de`, `in`, `the`) are everywhere: the word filter looks only at
            // words of at least ELIGIBLE_WORD bytes, unless the fragment has none.
            let long = |&(a, b): &(usize, usize)| b - a >= ELIGIBLE_WORD;
            let any_long = words.iter().any(long);
            let eligible: Vec<bool> = words.iter().map(|w| !any_long || long(w)).collect();
            let n_eligible = eligible.iter().filter(|&&e| e).count();
            Some(Fragment {
                trigram_floor: ((trigrams.len() as f64 * MIN_TRIGRAM_SHARE).ceil() as usize).max(1),
                word_floor: n_eligible.div_ceil(2).max(1),
                trigrams,
                eligible,
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
        .collect();
    PreparedQuote { frags }
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
    let word_ranges = src.words;
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
        && let Some(span) = snap_to_words(src, f, a + s.start, a + s.end)
    {
        hits.push(approximate_hit(src, f, span));
    }
    hits
}

/// Judge an approximate placement (a loose-key span on word bounds), keeping its key span.
fn approximate_hit(src: &Source, f: &Fragment, span: (usize, usize)) -> Hit {
    let mut h = judge(src, f, &[span], true);
    h.key_span = Some(span);
    h
}

/// Widen a loose-key span `[s, e)` found at character level to whole source words, and
/// let the quote's edge words place the edges. The character distance alone would rather
/// substitute `More`→`than` than drop `than` (clipping a correct edge word), or substitute
/// `op moeder`→`lokaal op` than add `moeder` (taking in a wrong one). So the start is the
/// first source word of the best word matching of the quote's first few words, searched
/// up to [`EDGE_WORDS`] words either side of the character-level start (likewise the end).
/// A key word joined by the dash rule (`wet- en` → `weten`) may be entered at the text's
/// own word break.
fn snap_to_words(src: &Source, f: &Fragment, s: usize, e: usize) -> Option<(usize, usize)> {
    let words = src.words;
    let key = src.key.bytes();
    let js = words.partition_point(|w| w.1 <= s);
    let je = words.partition_point(|w| w.0 < e);
    if js >= je || f.words.is_empty() {
        return None;
    }
    let q = f.loose.bytes();
    let qw: Vec<&[u8]> = f.words.iter().map(|&(a, b)| &q[a..b]).collect();
    let sw = |j: usize| &key[words[j].0..words[j].1];
    let l = qw.len().min(EDGE_WORDS + 2);
    // Start: source words [j, hi) against the quote's first `l` words.
    let lo = js.saturating_sub(EDGE_WORDS);
    let hi = (js + EDGE_WORDS + l).min(words.len());
    let sims = similarities(&qw[..l], (lo..hi).map(sw));
    let width = hi - lo;
    let first = best_edge((lo..=(js + EDGE_WORDS).min(je - 1)).rev(), |j| {
        matching_weight(l, hi - j, |i, t| sims[i * width + j - lo + t])
    })
    .unwrap_or(js);
    // End: source words [lo2, k] against the quote's last `l` words.
    let lo2 = first.max((je - 1).saturating_sub(EDGE_WORDS + l));
    let hi2 = (je + EDGE_WORDS).min(words.len());
    let sims = similarities(&qw[qw.len() - l..], (lo2..hi2).map(sw));
    let width = hi2 - lo2;
    let last = best_edge(first.max((je - 1).saturating_sub(EDGE_WORDS))..hi2, |k| {
        matching_weight(l, (k + 1).saturating_sub(lo2), |i, t| sims[i * width + t])
    })
    .unwrap_or(je - 1);
    // Entering a dash-joined key word at a break of the text: where the character-level
    // span enters it, or where the quote's edge word is its tail (head).
    let (q0, ql) = (qw[0], qw[qw.len() - 1]);
    let mut start = words[first].0;
    if first == js && s > start {
        if let Some(b) = (start + 1..=s).rev().find(|&b| text_break(src, b)) {
            start = b;
        }
    } else if first > 0 && sw(first) != q0 {
        let b = words[first - 1].1;
        if b - words[first - 1].0 > q0.len()
            && key[b - q0.len()..b] == *q0
            && text_break(src, b - q0.len())
        {
            start = b - q0.len();
        }
    }
    let mut end = words[last].1;
    if last + 1 == je && e < end {
        if let Some(b) = (e..end).find(|&b| text_break(src, b)) {
            end = b;
        }
    } else if last + 1 < words.len() && sw(last) != ql {
        let a = words[last + 1].0;
        if words[last + 1].1 - a > ql.len()
            && key[a..a + ql.len()] == *ql
            && text_break(src, a + ql.len())
        {
            end = a + ql.len();
        }
    }
    (start < end).then_some((start, end))
}

/// The candidate (in the order given) with the highest weight; the first of equals.
fn best_edge(cands: impl Iterator<Item = usize>, weight: impl Fn(usize) -> f64) -> Option<usize> {
    let mut best: Option<(f64, usize)> = None;
    for c in cands {
        let w = weight(c);
        if best.is_none_or(|(bw, _)| w > bw + 1e-9) {
            best = Some((w, c));
        }
    }
    best.map(|b| b.1)
}

/// True when key byte `b` (inside a key word) follows white space in the text: a word
/// break that the dash rule joined.
fn text_break(src: &Source, b: usize) -> bool {
    let map = &src.key.map;
    let (Some(&x), Some(&y)) = (map.get(b.wrapping_sub(1)), map.get(b)) else {
        return false;
    };
    src.text
        .get(x as usize..y as usize)
        .is_some_and(|t| t.chars().any(char::is_whitespace))
}

/// [`word_similarity`] of each quote word with each source word, row-major.
fn similarities<'k>(q: &[&[u8]], s: impl Iterator<Item = &'k [u8]>) -> Vec<f64> {
    let s: Vec<&[u8]> = s.collect();
    q.iter()
        .flat_map(|a| s.iter().map(move |b| word_similarity(a, b)))
        .collect()
}

/// Weight of the best order-preserving matching of `nq` quote words with `ns` source
/// words (`sim(i, j)`): the similarities of the matched pairs less [`EDGE_GAP`] per source
/// word skipped between two matched ones (source words before the first and after the
/// last match are free). Similarities count from [`EDGE_MIN_SIM`] up: a chance likeness
/// (`by`/`security`) must not pull an edge away.
fn matching_weight(nq: usize, ns: usize, sim: impl Fn(usize, usize) -> f64) -> f64 {
    let w = ns + 1;
    // b[i][j]: best over matchings of the first i quote words with the first j source
    // words of (weight + EDGE_GAP · 1-based position of the last matched source word).
    let mut b = vec![f64::NEG_INFINITY; (nq + 1) * w];
    let mut best = 0.0f64;
    for i in 0..nq {
        for j in 0..ns {
            let mut here = b[i * w + j + 1].max(b[(i + 1) * w + j]);
            let sim = sim(i, j);
            if sim > 0.0 {
                let prev = b[i * w + j];
                let m = sim
                    + if prev.is_finite() {
                        (prev - EDGE_GAP * j as f64).max(0.0)
                    } else {
                        0.0
                    };
                best = best.max(m);
                here = here.max(m + EDGE_GAP * (j + 1) as f64);
            }
            b[(i + 1) * w + j + 1] = here;
        }
    }
    best
}

/// 1 − normalised character distance of two key words, or 0 below [`EDGE_MIN_SIM`].
fn word_similarity(a: &[u8], b: &[u8]) -> f64 {
    if a == b {
        return 1.0;
    }
    let sim = 1.0 - small_distance(a, b) as f64 / a.len().max(b.len()).max(1) as f64;
    if sim >= EDGE_MIN_SIM { sim } else { 0.0 }
}

/// First loose-key byte produced at or after text byte `at`.
fn key_pos(src: &Source, at: usize) -> usize {
    src.key.map.partition_point(|&m| (m as usize) < at)
}

/// An approximate hit with its start moved to the first source word at or after text
/// byte `at` (the end of the previous fragment), judged again.
fn trim_start(src: &Source, f: &Fragment, h: &Hit, at: usize) -> Option<Hit> {
    let (_, ke) = h.key_span?;
    let k = key_pos(src, at);
    let words = src.words;
    let j = words.partition_point(|w| w.0 < k);
    let ns = words.get(j)?.0;
    (ns < ke).then(|| approximate_hit(src, f, (ns, ke)))
}

/// An approximate hit with its end moved to the last source word that ends before text
/// byte `at` (the start of the next fragment), judged again.
fn trim_end(src: &Source, f: &Fragment, h: &Hit, at: usize) -> Option<Hit> {
    let (ks, _) = h.key_span?;
    let k = key_pos(src, at);
    let words = src.words;
    let j = words.partition_point(|w| w.1 <= k);
    let ne = words.get(j.checked_sub(1)?)?.1;
    (ne > ks).then(|| approximate_hit(src, f, (ks, ne)))
}

/// A short fragment (exact search only) that was not found: search it approximately in
/// the key right after text byte `after` or right before text byte `before`, accepting a
/// placement whose own score reaches `min_score`.
fn short_gap_hit(
    src: &Source,
    f: &Fragment,
    after: Option<usize>,
    before: Option<usize>,
    min_score: f64,
) -> Option<Hit> {
    let key = src.key.bytes();
    let reach = f.loose.len() + f.loose.len() / 4 + SHORT_GAP_SLACK;
    let (a, b) = match (after, before) {
        (Some(at), _) => {
            let a = key_pos(src, at);
            (a, (a + reach).min(key.len()))
        }
        (None, Some(at)) => {
            let b = key_pos(src, at);
            (b.saturating_sub(reach), b)
        }
        (None, None) => return None,
    };
    let s = myers::locate(&f.myers, &f.myers_rev, key.get(a..b)?)?;
    if s.end <= s.start || (1.0 - s.d as f64 / f.loose.len() as f64) < min_score {
        return None;
    }
    let span = snap_to_words(src, f, a + s.start, a + s.end)?;
    let h = approximate_hit(src, f, span);
    let m = f.strict_chars.len().max(1);
    (1.0 - h.d as f64 / m as f64 >= min_score).then_some(h)
}

/// Short fragments (searched exactly) that were not found get an approximate search right
/// after each hit of the previous fragment, or right before each hit of the next one:
/// `aisles as well… we yet seats` against the source's own `as well… we got seats`.
fn add_gap_hits(src: &Source, frags: &[Fragment], cands: &mut [Vec<Hit>], min_score: f64) {
    for fi in 0..frags.len() {
        let f = &frags[fi];
        if !cands[fi].is_empty() || f.loose.len() >= MIN_FUZZY_KEY {
            continue;
        }
        let mut found: Vec<Hit> = Vec::new();
        if fi > 0 {
            for h in &cands[fi - 1] {
                found.extend(short_gap_hit(src, f, Some(h.end), None, min_score));
            }
        }
        if found.is_empty()
            && let Some(next) = cands.get(fi + 1)
        {
            for h in next {
                found.extend(short_gap_hit(src, f, None, Some(h.start), min_score));
            }
        }
        found.sort_by_key(|h| (h.start, h.end));
        found.dedup_by_key(|h| (h.start, h.end));
        cands[fi] = found;
    }
}

/// An approximate hit may reach into the span of a neighbouring fragment's hit (a word
/// added right after `…` is cheaper to substitute for the source's previous word than to
/// insert). Add variants trimmed to the neighbour's edge, so the fragments can be chained.
fn add_trimmed_hits(src: &Source, frags: &[Fragment], cands: &mut [Vec<Hit>]) {
    let mut extra: Vec<(usize, Hit)> = Vec::new();
    for i in 0..frags.len() {
        for j in i + 1..frags.len() {
            for a in &cands[i] {
                for b in &cands[j] {
                    if a.end <= b.start || a.start >= b.start || a.end >= b.end {
                        continue;
                    }
                    extra.extend(trim_start(src, &frags[j], b, a.end).map(|h| (j, h)));
                    extra.extend(trim_end(src, &frags[i], a, b.start).map(|h| (i, h)));
                }
            }
        }
    }
    for (fi, h) in extra {
        if !cands[fi]
            .iter()
            .any(|c| (c.start, c.end) == (h.start, h.end))
        {
            cands[fi].push(h);
        }
    }
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
    // The longest piece may have run into the attribution (`Nissan,’ said X. ‘said that`):
    // back off a few words.
    for k in (lo.saturating_sub(ATTRIBUTION_BACKOFF).max(1)..=lo).rev() {
        let first = &q[..prefix_end(k)];
        for p in memmem::find_iter(key, first).take(MAX_EXACT_OCCURRENCES) {
            // On word bounds, or entering a dash-joined key word at a break of the text.
            let e = p + first.len();
            let enters_joined = on_word_bounds(key, e, e) && text_break(src, p);
            if !on_word_bounds(key, p, e) && !enters_joined {
                continue;
            }
            if let Some(mut rest) = chain_rest(src, f, k, e, 0) {
                rest.insert(0, (p, e));
                return Some(rest);
            }
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
    let gap_start = src.key.input_span(src.text, after - 1, after).1;
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
        let kmax = f.words[word..]
            .iter()
            .take_while(|w| w.1 - from <= lcp && key.get(s + w.1 - from).is_none_or(|b| *b == b' '))
            .count()
            + word;
        if kmax == word {
            continue;
        }
        let gap_end = src.key.map[s] as usize;
        let gap = src.text.get(gap_start..gap_end).unwrap_or("");
        if !gap.chars().any(normalize::is_quote_mark) || !is_attribution_gap(gap) {
            continue;
        }
        // Longest piece first; shorter ones in case it ran into the next attribution.
        for k in ((word + 1).max(kmax.saturating_sub(ATTRIBUTION_BACKOFF))..=kmax).rev() {
            let e = s + f.words[k - 1].1 - from;
            if k == f.words.len() {
                return Some(vec![(s, e)]);
            }
            if let Some(mut rest) = chain_rest(src, f, k, e, depth + 1) {
                rest.insert(0, (s, e));
                return Some(rest);
            }
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
    let text = src.text;
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
            key_span: None,
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
        key_span: None,
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
fn chain(src: &Source, frags: &[Fragment], cands: &[Vec<Hit>]) -> Option<SourceMatch> {
    let m_total: usize = frags.iter().map(|f| f.strict_chars.len()).sum();
    if m_total == 0 {
        return None;
    }
    let text = src.text;
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
        score,
        exact: d_total == 0,
        start: first.start,
        end: last.end,
        gaps: placed.iter().flat_map(|(_, h)| h.gaps.clone()).collect(),
        omitted,
        differences,
    })
}

/// Search prepared quote `q` in source `src` (index `si`): `trigrams` are the shared word
/// trigrams per fragment; `words` gives the shared eligible words per fragment, asked for
/// only when no fragment has a trigram window. `None` when no window qualifies or no
/// fragment is found.
pub(super) fn search_source(
    src: &Source,
    si: usize,
    q: &PreparedQuote,
    trigrams: &[Vec<(u32, u32)>],
    words: &dyn Fn() -> Pairs,
    min_score: f64,
) -> Option<SourceHit> {
    let frags = &q.frags;
    let n = src.words.len();
    let mut wins: Vec<Vec<Window>> = frags
        .iter()
        .zip(trigrams)
        .map(|(f, p)| windows(p, f.words.len(), n, false, f.trigram_floor))
        .collect();
    if wins.iter().all(Vec::is_empty) {
        let pairs = words();
        wins = frags
            .iter()
            .zip(&pairs)
            .map(|(f, p)| windows(p, f.words.len(), n, true, f.word_floor))
            .collect();
        if wins.iter().all(Vec::is_empty) {
            return None;
        }
    }
    let mut cands: Vec<Vec<Hit>> = frags
        .iter()
        .zip(&wins)
        .map(|(f, w)| {
            if w.is_empty() {
                Vec::new()
            } else {
                fragment_hits(src, f, w, min_score)
            }
        })
        .collect();
    // Fragments without a window of their own: the whole text, once another is found.
    if cands.iter().any(|c| !c.is_empty()) {
        for ((f, w), c) in frags.iter().zip(&wins).zip(cands.iter_mut()) {
            if w.is_empty() {
                *c = fragment_hits(src, f, &[], min_score);
            }
        }
    }
    add_gap_hits(src, frags, &mut cands, min_score);
    add_trimmed_hits(src, frags, &mut cands);
    let m = chain(src, frags, &cands)?;
    Some(into_hit(src, si, m, min_score))
}

/// Candidate windows of one fragment in one source from its pairs: at most
/// [`WINDOWS_PER_SOURCE`], each with at least `floor` votes.
fn windows(
    pairs: &[(u32, u32)],
    w: usize,
    n_words: usize,
    distinct: bool,
    floor: usize,
) -> Vec<Window> {
    if pairs.is_empty() {
        return Vec::new();
    }
    cluster(pairs, w, n_words, distinct)
        .into_iter()
        .filter(|win| win.votes >= floor)
        .take(WINDOWS_PER_SOURCE)
        .collect()
}

/// The per-source result in characters, with the source's own words and their context
/// when it is a match.
fn into_hit(src: &Source, si: usize, m: SourceMatch, min_score: f64) -> SourceHit {
    let text = src.text;
    let chars_to = |b: usize| text[..b].chars().count();
    let is_match = m.exact || m.score >= min_score;
    let start = chars_to(m.start);
    SourceHit {
        source: si,
        score: m.score,
        verified: m.exact,
        is_match,
        start,
        end: start + text[m.start..m.end].chars().count(),
        matched_text: if is_match {
            text[m.start..m.end].to_string()
        } else {
            String::new()
        },
        context: if is_match {
            context::context(text, m.start, m.end)
        } else {
            String::new()
        },
        differences: m.differences.join("; "),
        omitted: m.omitted.join(" … "),
        attribution_gaps: m
            .gaps
            .iter()
            .map(|&(a, b)| {
                let ca = chars_to(a);
                (ca, ca + text[a..b].chars().count())
            })
            .collect(),
    }
}
