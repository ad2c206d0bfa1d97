//! Word 4-gram F1 of an extracted text against a reference (the benchmark's metric), for
//! tests and the benchmark examples.
//!
//! Takes two texts and returns normalised (tp, fp, fn) counts of shared word 4-grams; the
//! benchmark averages precision and recall of those over pages.

use std::collections::HashMap;

/// Unicode word tokens (letters, digits, marks, underscore), like Python's `\w+`.
pub fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let word = c.is_alphanumeric() || c == '_' || is_mark(c);
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&text[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

fn is_mark(c: char) -> bool {
    // Combining diacritical marks, enough for the benchmark's scripts.
    matches!(c, '\u{300}'..='\u{36f}' | '\u{1ab0}'..='\u{1aff}' | '\u{20d0}'..='\u{20ff}')
}

fn shingles<'t>(tokens: &[&'t str]) -> HashMap<Vec<&'t str>, i64> {
    let mut m = HashMap::new();
    if tokens.len() < 4 {
        if !tokens.is_empty() {
            *m.entry(tokens.to_vec()).or_insert(0) += 1;
        }
        return m;
    }
    for w in tokens.windows(4) {
        *m.entry(w.to_vec()).or_insert(0) += 1;
    }
    m
}

/// Normalised (tp, fp, fn) of word 4-gram multisets of `truth` and `pred`.
pub fn page_counts(truth: &str, pred: &str) -> (f64, f64, f64) {
    let (t, p) = (tokens(truth), tokens(pred));
    let (ts, ps) = (shingles(&t), shingles(&p));
    let mut tp = 0i64;
    let mut fn_ = 0i64;
    for (k, &c) in &ts {
        let o = ps.get(k).copied().unwrap_or(0);
        tp += c.min(o);
        fn_ += (c - o).max(0);
    }
    let fp: i64 = ps
        .iter()
        .map(|(k, &c)| (c - ts.get(k).copied().unwrap_or(0)).max(0))
        .sum();
    let s = (tp + fp + fn_) as f64;
    if s == 0.0 {
        return (0.0, 0.0, 0.0);
    }
    (tp as f64 / s, fp as f64 / s, fn_ as f64 / s)
}

/// Precision, recall and F1 over pages, as the benchmark aggregates them.
pub fn aggregate(counts: &[(f64, f64, f64)]) -> (f64, f64, f64) {
    let prec = |&(tp, fp, fn_): &(f64, f64, f64)| {
        if fp == 0.0 && fn_ == 0.0 {
            1.0
        } else if tp == 0.0 && fp == 0.0 {
            0.0
        } else {
            tp / (tp + fp)
        }
    };
    let rec = |&(tp, fp, fn_): &(f64, f64, f64)| {
        if fp == 0.0 && fn_ == 0.0 {
            1.0
        } else if tp == 0.0 && fn_ == 0.0 {
            0.0
        } else {
            tp / (tp + fn_)
        }
    };
    let ps: Vec<f64> = counts
        .iter()
        .filter(|c| c.0 + c.1 > 0.0)
        .map(prec)
        .collect();
    let rs: Vec<f64> = counts.iter().filter(|c| c.0 + c.2 > 0.0).map(rec).collect();
    let mean = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let (p, r) = (mean(&ps), mean(&rs));
    let f = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    (p, r, f)
}
