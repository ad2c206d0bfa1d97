//! Approximate substring search: Sellers' semi-global edit distance (docs/matching.md §4).
//!
//! Takes a pattern (a quote key) and a text (a source key window), both as bytes, and
//! returns the smallest edit distance of the whole pattern against any substring of the
//! text, with where that substring ends ([`Pattern::best_ends`], Myers' 1999 bit-vector algorithm
//! in Hyyrö's multi-block form, 64 DP cells per `u64`) and where it starts ([`span`], a
//! plain dynamic programme over a narrow window that also applies the tie rules).
//!
//! Tie rules, in order: smallest distance, then leftmost start, then shortest span.
//! There is no distance cut-off `k`: the true distance is always found, however large,
//! and the caller decides with the score threshold.

/// Bit-parallel state for one pattern, reusable over many texts.
pub struct Pattern {
    /// Symbol of each byte value: 0 for bytes not in the pattern, else 1 + its rank among
    /// the pattern's distinct bytes (keeps `peq` small: a run holds many patterns); the
    /// byte itself when the pattern holds all 256 values.
    symbol: [u8; 256],
    /// `peq[s * blocks + b]`: bit `i` set when pattern byte `64 b + i` has symbol `s`.
    peq: Vec<u64>,
    blocks: usize,
    m: usize,
}

impl Pattern {
    /// Precompute the match masks for `pattern`.
    pub fn new(pattern: &[u8]) -> Pattern {
        let m = pattern.len();
        let blocks = m.div_ceil(64).max(1);
        let mut present = [false; 256];
        for &c in pattern {
            present[c as usize] = true;
        }
        let distinct = present.iter().filter(|&&p| p).count();
        let mut symbol = [0u8; 256];
        let rows = if distinct < 256 {
            let mut n = 0u8;
            for (c, _) in present.iter().enumerate().filter(|p| *p.1) {
                n += 1;
                symbol[c] = n;
            }
            n as usize + 1
        } else {
            // Every byte value occurs: no spare symbol for "absent", one row per byte.
            for (c, sym) in symbol.iter_mut().enumerate() {
                *sym = c as u8;
            }
            256
        };
        let mut peq = vec![0u64; rows * blocks];
        for (i, &c) in pattern.iter().enumerate() {
            peq[symbol[c as usize] as usize * blocks + i / 64] |= 1u64 << (i % 64);
        }
        Pattern {
            symbol,
            peq,
            blocks,
            m,
        }
    }

    /// Pattern length in bytes.
    pub fn len(&self) -> usize {
        self.m
    }

    /// Run Myers over `text`, calling `f(j, d)` with the distance `d = D[m][j]` for every
    /// end column `j` in `1..=text.len()` (the substring ends before byte `j`).
    fn scan(&self, text: &[u8], first_hin: i32, mut f: impl FnMut(usize, usize)) {
        let blocks = self.blocks;
        let mut pv = vec![!0u64; blocks];
        let mut mv = vec![0u64; blocks];
        let last_high = 1u64 << ((self.m.max(1) - 1) % 64);
        let mut score = self.m as isize;
        for (j, &c) in text.iter().enumerate() {
            let c = self.symbol[c as usize] as usize;
            let eqs = &self.peq[c * blocks..(c + 1) * blocks];
            // Semi-global: row 0 is all zeros (the match may start anywhere), no carry into
            // block 0. Anchored at the text start: row 0 is `j`, a +1 carry.
            let mut hin = first_hin;
            for b in 0..blocks {
                let high = if b + 1 == blocks {
                    last_high
                } else {
                    1u64 << 63
                };
                hin = advance_block(&mut pv[b], &mut mv[b], eqs[b], hin, high);
            }
            score += hin as isize;
            f(j + 1, score.max(0) as usize);
        }
    }

    /// The smallest distance over all end columns, the leftmost end achieving it, and the
    /// rightmost end achieving it within `m + d` bytes of the leftmost (the same place);
    /// `None` for an empty pattern or text.
    pub fn best_ends(&self, text: &[u8]) -> Option<(usize, usize, usize)> {
        if self.m == 0 || text.is_empty() {
            return None;
        }
        let mut best: Option<(usize, usize, usize)> = None;
        let m = self.m;
        self.scan(text, 0, |j, d| match best {
            Some((bd, first, _)) if d == bd && j <= first + m + d => {
                best = Some((bd, first, j));
            }
            Some((bd, ..)) if d >= bd => {}
            _ => best = Some((d, j, j)),
        });
        best
    }

    /// `D[m][j]` for every `j` in `0..=text.len()` (for tests and diagnostics).
    #[cfg(test)]
    pub fn last_row(&self, text: &[u8]) -> Vec<usize> {
        let mut row = vec![self.m];
        self.scan(text, 0, |_, d| row.push(d));
        row
    }

    /// Edit distance of the pattern against each prefix `text[..j]`, as
    /// `(smallest distance, largest j achieving it)`; `None` for an empty text.
    pub fn best_prefix(&self, text: &[u8]) -> Option<(usize, usize)> {
        let mut best: Option<(usize, usize)> = None;
        self.scan(text, 1, |j, d| {
            if best.is_none_or(|(bd, _)| d <= bd) {
                best = Some((d, j));
            }
        });
        best
    }

    /// Global edit distance (Levenshtein) between the pattern and the whole `text`.
    pub fn global_distance(&self, text: &[u8]) -> usize {
        let mut last = self.m;
        self.scan(text, 1, |_, d| last = d);
        last
    }
}

/// One column step of one 64-row block (Myers 1999, Hyyrö 2003).
/// `hin`/return: horizontal delta entering at the top / leaving at row `high`.
#[inline(always)]
fn advance_block(pv: &mut u64, mv: &mut u64, eq: u64, hin: i32, high: u64) -> i32 {
    let p = *pv;
    let m = *mv;
    let hin_neg = (hin < 0) as u64;
    let xv = eq | m;
    let eq = eq | hin_neg;
    let xh = ((eq & p).wrapping_add(p) ^ p) | eq;
    let mut ph = m | !(xh | p);
    let mut mh = p & xh;
    let hout = if ph & high != 0 {
        1
    } else if mh & high != 0 {
        -1
    } else {
        0
    };
    ph <<= 1;
    mh <<= 1;
    mh |= hin_neg;
    ph |= (hin > 0) as u64;
    *pv = mh | !(xv | ph);
    *mv = ph & xv;
    hout
}

/// Result of [`span`]: distance and the matched text range `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Edit distance between the pattern and `text[start..end]`.
    pub d: usize,
    /// Start byte in the text.
    pub start: usize,
    /// End byte (exclusive) in the text.
    pub end: usize,
}

/// Plain O(m·n) semi-global DP with the tie rules (smallest d, leftmost start, longest
/// span). Meant for a narrow window (`[end − m − d, end]` after [`Pattern::best_ends`]).
#[cfg(test)]
pub fn span(pattern: &[u8], text: &[u8]) -> Span {
    let n = text.len();
    // (distance, start) per column, lexicographically minimised.
    let mut prev: Vec<(u32, u32)> = (0..=n as u32).map(|j| (0, j)).collect();
    let mut cur = prev.clone();
    for (i, &pc) in pattern.iter().enumerate() {
        cur[0] = (i as u32 + 1, 0);
        for j in 1..=n {
            let sub = (prev[j - 1].0 + (pc != text[j - 1]) as u32, prev[j - 1].1);
            let del = (prev[j].0 + 1, prev[j].1);
            let ins = (cur[j - 1].0 + 1, cur[j - 1].1);
            cur[j] = sub.min(del).min(ins);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let mut best = Span {
        d: pattern.len(),
        start: 0,
        end: 0,
    };
    for (j, &(d, s)) in prev.iter().enumerate() {
        let (d, s) = (d as usize, s as usize);
        if (d, s, std::cmp::Reverse(j - s))
            < (best.d, best.start, std::cmp::Reverse(best.end - best.start))
        {
            best = Span {
                d,
                start: s,
                end: j,
            };
        }
    }
    best
}

/// Find the best approximate occurrence of `pattern` in `text`: Myers for the distance
/// and the ends; the rightmost end of the best place; then Myers again, on the reversed
/// pattern (`rev`) and text anchored at that end, for the leftmost start.
pub fn locate(pat: &Pattern, rev: &Pattern, text: &[u8]) -> Option<Span> {
    let (d, _, end) = pat.best_ends(text)?;
    let lo = end.saturating_sub(pat.len() + d);
    let back: Vec<u8> = text[lo..end].iter().rev().copied().collect();
    let (d2, j) = rev.best_prefix(&back)?;
    Some(Span {
        d: d2,
        start: end - j,
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reference: full DP last row.
    fn plain_last_row(p: &[u8], t: &[u8]) -> Vec<usize> {
        let mut prev: Vec<usize> = vec![0; t.len() + 1];
        for (i, &pc) in p.iter().enumerate() {
            let mut cur = vec![i + 1; t.len() + 1];
            for j in 1..=t.len() {
                cur[j] = (prev[j - 1] + (pc != t[j - 1]) as usize)
                    .min(prev[j] + 1)
                    .min(cur[j - 1] + 1);
            }
            prev = cur;
        }
        if p.is_empty() {
            return vec![0; t.len() + 1];
        }
        prev
    }

    fn levenshtein(a: &[u8], b: &[u8]) -> usize {
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, &x) in a.iter().enumerate() {
            let mut cur = vec![i + 1; b.len() + 1];
            for j in 1..=b.len() {
                cur[j] = (prev[j - 1] + (x != b[j - 1]) as usize)
                    .min(prev[j] + 1)
                    .min(cur[j - 1] + 1);
            }
            prev = cur;
        }
        prev[b.len()]
    }

    #[test]
    fn exact_and_edited() {
        let text = b"de kat zat op de mat en keek rond";
        let p = Pattern::new(b"zat op de mat");
        assert_eq!(p.best_ends(text), Some((0, 20, 20)));
        let rev = |b: &[u8]| Pattern::new(&b.iter().rev().copied().collect::<Vec<_>>());
        let s = locate(&p, &rev(b"zat op de mat"), text).unwrap();
        assert_eq!((s.d, s.start, s.end), (0, 7, 20));
        let p2 = Pattern::new(b"zat op mat");
        let s2 = locate(&p2, &rev(b"zat op mat"), text).unwrap();
        assert_eq!((s2.d, &text[s2.start..s2.end]), (3, &b"zat op de mat"[..]));
    }

    #[test]
    fn every_byte_value_in_the_pattern() {
        let pat: Vec<u8> = (0..=255u8).collect();
        let p = Pattern::new(&pat);
        let mut text = pat.clone();
        text[7] = 3;
        assert_eq!(p.global_distance(&text), 1);
        assert_eq!(p.best_ends(&pat), Some((0, 256, 256)));
    }

    #[test]
    fn leftmost_start_on_ties() {
        // "xman" against "yman": substitute x→y (start 0) or delete x (start 1): both d=1.
        let s = span(b"xman", b"yman");
        assert_eq!((s.d, s.start, s.end), (1, 0, 4));
    }

    #[test]
    fn long_pattern_multi_block_large_distance() {
        // A 200-byte pattern with 45 edits: far beyond a naive small k.
        let base: Vec<u8> = (0..600u32)
            .map(|i| b"abcdefghij klmnop"[(i * 7 % 17) as usize])
            .collect();
        let mut pat = base[200..400].to_vec();
        for k in 0..45 {
            let idx = (k * 4 + 1) % pat.len();
            pat[idx] = b'z';
        }
        let p = Pattern::new(&pat);
        let row = p.last_row(&base);
        assert_eq!(row, plain_last_row(&pat, &base));
        let r = Pattern::new(&pat.iter().rev().copied().collect::<Vec<_>>());
        let s = locate(&p, &r, &base).unwrap();
        assert!(s.d <= 45);
        assert_eq!(levenshtein(&pat, &base[s.start..s.end]), s.d);
    }

    proptest! {
        #[test]
        fn myers_agrees_with_plain_dp(
            text in proptest::collection::vec(prop::sample::select(b"abcd ".to_vec()), 0..300),
            from in 0usize..300, len in 1usize..200,
            edits in proptest::collection::vec((0usize..200, 0u8..3, prop::sample::select(b"abcdx".to_vec())), 0..30),
        ) {
            // Plant an edited copy of a piece of the text, or a random pattern if too short.
            let mut pat: Vec<u8> = if text.is_empty() { b"abc".to_vec() } else {
                let s = from % text.len();
                text[s..(s + len).min(text.len())].to_vec()
            };
            for (pos, kind, c) in edits {
                if pat.is_empty() { break; }
                let p = pos % pat.len();
                match kind { 0 => pat[p] = c, 1 => { pat.remove(p); }, _ => pat.insert(p, c) }
            }
            prop_assume!(!pat.is_empty());
            let p = Pattern::new(&pat);
            let expect = plain_last_row(&pat, &text);
            prop_assert_eq!(p.last_row(&text), expect.clone());
            let r = Pattern::new(&pat.iter().rev().copied().collect::<Vec<_>>());
            prop_assert_eq!(p.global_distance(&text), levenshtein(&pat, &text));
            if let Some(s) = locate(&p, &r, &text) {
                let min = *expect[1..].iter().min().unwrap();
                prop_assert_eq!(s.d, min.min(pat.len()));
                prop_assert_eq!(levenshtein(&pat, &text[s.start..s.end]), s.d);
            }
        }
    }
}
