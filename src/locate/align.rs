//! Word-level explanation of a match (docs/matching.md §5).
//!
//! Takes the words of a quote and of the matched source span and returns an alignment
//! (same / changed / added / dropped words, by dynamic programming whose substitution
//! cost is the normalised character distance between the words), a one-line summary of
//! the differences, the character-level edit distance used for the score, and the test
//! whether a stretch of source text between two quoted pieces is only an attribution
//! (`‘…,’ zegt X. ‘…’`).

use super::myers::Pattern;
use super::normalize::is_quote_mark;

/// Levenshtein distance between two char sequences: Myers' bit-vectors over the chars
/// renumbered as bytes (plain DP when both sides have over 255 distinct characters).
/// Only equality matters, so the pattern's distinct characters get ids 1..=255 and every
/// character of the other side that is not among them gets id 0.
pub fn char_distance(a: &[char], b: &[char]) -> usize {
    if a.is_empty() {
        return b.len();
    }
    if b.is_empty() {
        return a.len();
    }
    for (p, t) in [(a, b), (b, a)] {
        let mut alphabet: Vec<char> = p.to_vec();
        alphabet.sort_unstable();
        alphabet.dedup();
        if alphabet.len() > 255 {
            continue;
        }
        let id = |c: &char| alphabet.binary_search(c).map_or(0, |i| i as u8 + 1);
        let pat: Vec<u8> = p.iter().map(id).collect();
        let txt: Vec<u8> = t.iter().map(id).collect();
        return Pattern::new(&pat).global_distance(&txt);
    }
    small_distance(a, b)
}

/// Plain two-row Levenshtein DP, for short sequences (words).
pub fn small_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    if a.is_empty() {
        return b.len();
    }
    if b.is_empty() {
        return a.len();
    }
    const STACK: usize = 48;
    let w = b.len() + 1;
    let mut buf = [0usize; 2 * STACK];
    let mut heap;
    let rows: &mut [usize] = if w <= STACK {
        &mut buf[..2 * w]
    } else {
        heap = vec![0usize; 2 * w];
        &mut heap
    };
    let (mut prev, mut cur) = rows.split_at_mut(w);
    for (j, p) in prev.iter_mut().enumerate() {
        *p = j;
    }
    for (i, x) in a.iter().enumerate() {
        cur[0] = i + 1;
        for j in 1..w {
            cur[j] = (prev[j - 1] + (*x != b[j - 1]) as usize)
                .min(prev[j] + 1)
                .min(cur[j - 1] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// One step of a word alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordOp {
    /// Quote word `.0` equals source word `.1`.
    Same(usize, usize),
    /// Quote word `.0` stands as a different source word `.1`.
    Changed(usize, usize),
    /// Quote word `.0` is not in the source.
    Added(usize),
    /// Source word `.0` is missing from the quote.
    Dropped(usize),
}

/// Align quote words with source words. A substitution costs the normalised character
/// distance (0 for equal words, at most 1), a gap costs 1; ties prefer the diagonal.
pub fn align_words(quote: &[&str], source: &[&str]) -> Vec<WordOp> {
    let (n, m) = (quote.len(), source.len());
    let qc: Vec<Vec<char>> = quote.iter().map(|w| w.chars().collect()).collect();
    let sc: Vec<Vec<char>> = source.iter().map(|w| w.chars().collect()).collect();
    // Substitution costs, computed once, only in a band around the diagonal: the two
    // word lists are the two sides of a character-level match, so they stay close.
    // Outside the band a substitution costs more than two gaps.
    let band = n.abs_diff(m) + ((n + m) / 16).max(3);
    let mut subs = vec![3.0f64; n * m];
    for i in 0..n {
        let center = i * m / n.max(1);
        for j in center.saturating_sub(band)..(center + band + 1).min(m) {
            subs[i * m + j] = 0.0;
            if quote[i] != source[j] {
                let d = small_distance(&qc[i], &sc[j]) as f64;
                subs[i * m + j] = d / qc[i].len().max(sc[j].len()).max(1) as f64;
            }
        }
    }
    let sub = |i: usize, j: usize| -> f64 { subs[i * m + j] };
    let w = m + 1;
    let mut cost = vec![0.0f64; (n + 1) * w];
    for i in 0..=n {
        for j in 0..=m {
            cost[i * w + j] = if i == 0 {
                j as f64
            } else if j == 0 {
                i as f64
            } else {
                let diag = cost[(i - 1) * w + j - 1] + sub(i - 1, j - 1);
                let up = cost[(i - 1) * w + j] + 1.0;
                let left = cost[i * w + j - 1] + 1.0;
                diag.min(up).min(left)
            };
        }
    }
    let mut ops = Vec::with_capacity(n.max(m));
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        let here = cost[i * w + j];
        if i > 0 && j > 0 {
            let s = sub(i - 1, j - 1);
            if (cost[(i - 1) * w + j - 1] + s - here).abs() < 1e-9 {
                ops.push(if s == 0.0 {
                    WordOp::Same(i - 1, j - 1)
                } else {
                    WordOp::Changed(i - 1, j - 1)
                });
                i -= 1;
                j -= 1;
                continue;
            }
        }
        if i > 0 && (j == 0 || (cost[(i - 1) * w + j] + 1.0 - here).abs() < 1e-9) {
            ops.push(WordOp::Added(i - 1));
            i -= 1;
        } else {
            ops.push(WordOp::Dropped(j - 1));
            j -= 1;
        }
    }
    ops.reverse();
    ops
}

/// Summarise an alignment: `changed "wél"→"wel"; dropped "echt"; added "heel"`, with runs
/// of the same kind joined. Quote words are named first in `changed`.
pub fn summarize(ops: &[WordOp], quote: &[&str], source: &[&str]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut k = 0;
    while k < ops.len() {
        let kind = std::mem::discriminant(&ops[k]);
        let mut e = k;
        while e < ops.len() && std::mem::discriminant(&ops[e]) == kind {
            e += 1;
        }
        let run = &ops[k..e];
        let pick = |words: &[&str], f: fn(&WordOp) -> Option<usize>| -> String {
            run.iter()
                .filter_map(f)
                .filter_map(|i| words.get(i).copied())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let q_of: fn(&WordOp) -> Option<usize> = |o| match *o {
            WordOp::Changed(q, _) | WordOp::Added(q) => Some(q),
            _ => None,
        };
        let s_of: fn(&WordOp) -> Option<usize> = |o| match *o {
            WordOp::Changed(_, s) | WordOp::Dropped(s) => Some(s),
            _ => None,
        };
        match ops[k] {
            WordOp::Same(..) => {}
            WordOp::Changed(..) => parts.push(format!(
                "changed \"{}\"→\"{}\"",
                pick(quote, q_of),
                pick(source, s_of)
            )),
            WordOp::Added(..) => parts.push(format!("added \"{}\"", pick(quote, q_of))),
            WordOp::Dropped(..) => parts.push(format!("dropped \"{}\"", pick(source, s_of))),
        }
        k = e;
    }
    parts.join("; ")
}

/// Say-verbs (surface forms) and `aldus`/`volgens` that make a clause an attribution.
const SAY_WORDS: &[&str] = &[
    "zegt",
    "zei",
    "zeggen",
    "zeiden",
    "zo",
    "aldus",
    "volgens",
    "vertelt",
    "vertelde",
    "stelt",
    "stelde",
    "legt",
    "legde",
    "licht",
    "lichtte",
    "vult",
    "vulde",
    "voegt",
    "voegde",
    "merkt",
    "merkte",
    "geeft",
    "gaf",
    "benadrukt",
    "benadrukte",
    "vindt",
    "vond",
    "meent",
    "meende",
    "erkent",
    "erkende",
    "waarschuwt",
    "waarschuwde",
    "concludeert",
    "concludeerde",
    "schrijft",
    "schreef",
    "antwoordt",
    "antwoordde",
    "reageert",
    "reageerde",
    "verklaart",
    "verklaarde",
    "beaamt",
    "beaamde",
    "vervolgt",
    "vervolgde",
    "onderstreept",
    "onderstreepte",
    "betoogt",
    "betoogde",
    "constateert",
    "constateerde",
    "verzucht",
    "verzuchtte",
    "lacht",
    "lachte",
    "roept",
    "riep",
    "vraagt",
    "vroeg",
    "denkt",
    "dacht",
    "weet",
    "wist",
    "says",
    "said",
    "adds",
    "added",
    "according",
    "explains",
    "explained",
];

/// Longest attribution clause, in words and characters.
const MAX_CLAUSE_WORDS: usize = 14;
const MAX_CLAUSE_CHARS: usize = 140;

/// True when `gap` (the source text between two quoted pieces) is only: closing mark and
/// punctuation, a short clause holding a say-verb, punctuation and an opening mark.
pub fn is_attribution_gap(gap: &str) -> bool {
    let g = gap.trim();
    let is_edge = |c: char| c.is_whitespace() || is_quote_mark(c) || ",.;:!?–—-".contains(c);
    let lead_end = g.find(|c: char| !is_edge(c)).unwrap_or(g.len());
    let trail_start = g
        .rfind(|c: char| !is_edge(c))
        .map(|i| i + g[i..].chars().next().map_or(1, char::len_utf8))
        .unwrap_or(lead_end);
    if trail_start <= lead_end {
        return false;
    }
    let (lead, clause, trail) = (&g[..lead_end], &g[lead_end..trail_start], &g[trail_start..]);
    if !lead.chars().any(is_quote_mark) || !trail.chars().any(is_quote_mark) {
        return false;
    }
    if clause.chars().count() > MAX_CLAUSE_CHARS || clause.chars().any(|c| c == '\n') {
        return false;
    }
    let words: Vec<String> = clause
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .collect();
    words.len() <= MAX_CLAUSE_WORDS && words.iter().any(|w| SAY_WORDS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_distance_basics() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(char_distance(&c("wél"), &c("wel")), 1);
        assert_eq!(char_distance(&c(""), &c("abc")), 3);
        assert_eq!(char_distance(&c("kitten"), &c("sitting")), 3);
        assert_eq!(char_distance(&c("één wél"), &c("een wel")), 3);
        assert_eq!(small_distance(&c("één wél"), &c("een wel")), 3);
        // More distinct characters than byte ids on one side, or on both.
        let many: Vec<char> = (0x4E00u32..0x4F80).filter_map(char::from_u32).collect();
        let mut other = many.clone();
        other[5] = 'x';
        assert_eq!(char_distance(&many, &other), 1);
        assert_eq!(char_distance(&many, &c("x一丁")), many.len() - 1);
        assert_eq!(char_distance(&c("丁x"), &many), many.len() - 1);
        let mixed: Vec<char> = many.iter().rev().step_by(3).copied().collect();
        assert_eq!(char_distance(&many, &mixed), small_distance(&many, &mixed));
    }

    #[test]
    fn alignment_names_changes_drops_and_additions() {
        let q = ["het", "is", "wél", "heel", "mooi", "hier"];
        let s = ["het", "is", "wel", "echt", "heel", "mooi"];
        let ops = align_words(&q, &s);
        assert_eq!(
            summarize(&ops, &q, &s),
            "changed \"wél\"→\"wel\"; dropped \"echt\"; added \"hier\""
        );
        let same = align_words(&q, &q);
        assert_eq!(summarize(&same, &q, &q), "");
    }

    #[test]
    fn attribution_gaps() {
        assert!(is_attribution_gap(",’ zegt directeur Jan de Vries. ‘"));
        assert!(is_attribution_gap("’, aldus minister Ollongren. ‘"));
        assert!(is_attribution_gap(",” legt Anne Jansen uit. “"));
        assert!(is_attribution_gap(",’ zegt X, ‘"));
        assert!(!is_attribution_gap(", zegt X, "));
        assert!(!is_attribution_gap(" en toen gingen we naar huis "));
        assert!(!is_attribution_gap(",’ dat is het. ‘"));
        assert!(!is_attribution_gap(
            ",’ zegt hij. Daarna volgt een lange uitweiding over de geschiedenis van de \
             gemeente, de provincie en het rijk, met veel details die er niet toe doen. ‘"
        ));
    }
}
