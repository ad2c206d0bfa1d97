//! `report.csv`: one row per quote, in input order (contract). Required columns first, the
//! added ones (docs/matching.md) after them.

use std::io::Write;

use serde::Serialize;

use crate::locate::Verdict;
use crate::report::csv_guard;

crate::names::named_enum! {
    /// Where on the cited page a found quote stands (`report.csv`'s `region`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum QuoteRegion {
        /// In the article text.
        Article = "article",
        /// Only elsewhere in the page's visible text.
        Page = "page",
    }
}

/// One `report.csv` row.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteRow {
    /// The quote's id.
    pub id: String,
    /// Its theme.
    pub theme: String,
    /// The quotation as given.
    pub quote: String,
    /// verified, approximate, misattributed, source_unavailable or not_found.
    pub verdict: Verdict,
    /// The cited URL whose text holds the quote.
    pub source_url: String,
    /// How close, in [0, 1].
    pub score: Option<f64>,
    /// Character offset of the match in the source's archived text.
    pub start: Option<usize>,
    /// End (exclusive) of the match.
    pub end: Option<usize>,
    /// The source's own words.
    pub matched_text: String,
    /// The surrounding sentence(s).
    pub context: String,
    /// Who the source names as saying it.
    pub speaker: String,
    /// The speaker's role or function, when the source gives one.
    pub speaker_role: String,
    /// The URL the quotes file claims the quote comes from (its `source` column).
    pub claimed_source: String,
    /// Remarks (e.g. the claimed source could not be had).
    pub note: String,
    /// The web-archive snapshot the text came from, when the live page was dead.
    pub via: String,
    /// Word-level differences for approximate matches.
    pub differences: String,
    /// Text skipped at the quote's ellipses.
    pub omitted: String,
    /// Other cited URLs that hold the quote too.
    pub also_found_in: String,
    /// For a quote not found: the best candidate's score and source.
    pub best_score: Option<f64>,
    /// The best candidate's source.
    pub best_source: String,
    /// The archived text file the offsets refer to (the page text file for a page hit).
    pub text_path: String,
    /// How the speaker was found (`adjacent_verb`, `previous_sentence`, `pronoun`, …).
    pub speaker_confidence: String,
    /// `article` when the match stands in the article text, `page` when only elsewhere in
    /// the page's visible text; `None` (empty) when not found.
    pub region: Option<QuoteRegion>,
    /// Line of the quote in the quotes file (for annotations).
    #[serde(skip)]
    pub line: usize,
}

impl QuoteRow {
    /// A row with this verdict and every other column empty, to fill in.
    pub fn new(verdict: Verdict) -> QuoteRow {
        QuoteRow {
            id: String::new(),
            theme: String::new(),
            quote: String::new(),
            verdict,
            source_url: String::new(),
            score: None,
            start: None,
            end: None,
            matched_text: String::new(),
            context: String::new(),
            speaker: String::new(),
            speaker_role: String::new(),
            claimed_source: String::new(),
            note: String::new(),
            via: String::new(),
            differences: String::new(),
            omitted: String::new(),
            also_found_in: String::new(),
            best_score: None,
            best_source: String::new(),
            text_path: String::new(),
            speaker_confidence: String::new(),
            region: None,
            line: 0,
        }
    }
}

/// Column names, in order.
pub const QUOTE_COLUMNS: &[&str] = &[
    "id",
    "theme",
    "quote",
    "verdict",
    "source_url",
    "score",
    "start",
    "end",
    "matched_text",
    "context",
    "speaker",
    "speaker_role",
    "claimed_source",
    "note",
    "via",
    "differences",
    "omitted",
    "also_found_in",
    "best_score",
    "best_source",
    "text_path",
    "speaker_confidence",
    "region",
];

/// Scores with three decimals: enough to tell 0.993 from 1, stable in snapshots.
pub fn format_score(score: Option<f64>) -> String {
    score.map(|s| format!("{s:.3}")).unwrap_or_default()
}

/// Writes the rows (already in input order), text cells guarded against formulas
/// ([`write_csv_with_guard`] with `false` is `--raw-csv`).
#[cfg(test)]
pub fn write_csv<W: Write>(out: W, rows: &[QuoteRow]) -> csv::Result<()> {
    write_csv_with_guard(out, rows, true)
}

/// Writes the rows; `guard` says whether text cells get the formula guard.
pub fn write_csv_with_guard<W: Write>(out: W, rows: &[QuoteRow], guard: bool) -> csv::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(QUOTE_COLUMNS)?;
    let num = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_default();
    // Text cells only: scores and offsets are never negative and verdicts and regions are
    // plain names, so none of them ever looks like a formula.
    let text = |s: &str| csv_guard::cell(s, guard);
    for r in rows {
        csv.write_record([
            text(&r.id),
            text(&r.theme),
            text(&r.quote),
            r.verdict.as_str().to_string(),
            text(&r.source_url),
            format_score(r.score),
            num(r.start),
            num(r.end),
            text(&r.matched_text),
            text(&r.context),
            text(&r.speaker),
            text(&r.speaker_role),
            text(&r.claimed_source),
            text(&r.note),
            text(&r.via),
            text(&r.differences),
            text(&r.omitted),
            text(&r.also_found_in),
            format_score(r.best_score),
            text(&r.best_source),
            text(&r.text_path),
            text(&r.speaker_confidence),
            r.region.map_or("", QuoteRegion::as_str).to_string(),
        ])?;
    }
    csv.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_columns_lead_and_quotes_are_escaped() {
        let mut out = Vec::new();
        write_csv(
            &mut out,
            &[QuoteRow {
                id: "Q1".into(),
                quote: "‘Wij zijn, zegt hij, \"klaar\"’".into(),
                score: Some(0.99312),
                start: Some(10),
                end: Some(42),
                ..QuoteRow::new(Verdict::Approximate)
            }],
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(
            "id,theme,quote,verdict,source_url,score,start,end,matched_text,context,speaker,"
        ));
        assert!(
            text.contains("Q1,,\"‘Wij zijn, zegt hij, \"\"klaar\"\"’\",approximate,,0.993,10,42,")
        );
    }

    #[test]
    fn formula_cells_are_guarded_unless_raw() {
        let row = QuoteRow {
            id: "-Q1".into(),
            theme: "@thema".into(),
            quote: "=1+1 is twee".into(),
            score: Some(1.0),
            start: Some(0),
            end: Some(12),
            speaker: "\tJan".into(),
            ..QuoteRow::new(Verdict::Verified)
        };
        let mut out = Vec::new();
        write_csv_with_guard(&mut out, std::slice::from_ref(&row), true).unwrap();
        let text = String::from_utf8(out).unwrap();
        let line = text.lines().nth(1).unwrap();
        assert!(
            line.starts_with("'-Q1,'@thema,'=1+1 is twee,verified,,1.000,0,12,,,'\tJan,"),
            "{line}"
        );
        let mut out = Vec::new();
        write_csv_with_guard(&mut out, &[row], false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.lines()
                .nth(1)
                .unwrap()
                .starts_with("-Q1,@thema,=1+1 is twee,verified,"),
            "{text}"
        );
    }
}
