//! One report.csv row ([`QuoteRow`]) from a quote's finding and the source it stood in.

use std::collections::HashMap;

use crate::input::Quote;
use crate::locate::speaker::{Attribution, attribute};
use crate::locate::{Finding, SourceText, Verdict};
use crate::report::quotes::{QuoteRegion, QuoteRow};

/// Why a quote that failed failed: the claimed source and where the quote was found instead
/// (`misattributed`), the claimed source's link outcome (`source_unavailable`), the nearest
/// miss (`not_found`). Empty for a match.
fn failure_note(
    quote: &Quote,
    finding: &Finding,
    source: Option<&SourceText>,
    sources: &HashMap<usize, &SourceText>,
) -> String {
    let claimed_url = quote.source.as_deref().unwrap_or_default();
    let claimed = || {
        let key = crate::input::url::parse_cited(claimed_url)
            .ok()
            .map(|u| crate::input::url::duplicate_key(&u));
        sources
            .values()
            .find(|s| s.url == claimed_url || Some(&s.key) == key.as_ref())
            .copied()
    };
    match finding.verdict {
        Verdict::Misattributed => format!(
            "the claimed source {claimed_url} does not hold it; found in {}",
            source.map(|s| s.url.as_str()).unwrap_or("another source")
        ),
        Verdict::SourceUnavailable => match claimed() {
            Some(s) => format!(
                "the claimed source {claimed_url} could not be read: {}",
                s.link
            ),
            None => format!("the claimed source {claimed_url} is not in the sources file"),
        },
        Verdict::NotFound if finding.best_score > 0.0 => {
            let nearest = finding
                .best_source
                .and_then(|i| sources.get(&i))
                .map(|s| s.url.as_str())
                .unwrap_or("a source");
            format!("nearest miss: score {:.3} in {nearest}", finding.best_score)
        }
        _ => String::new(),
    }
}

/// One report.csv row from a finding (`region`: where on the page a page-text hit stood;
/// `None` for an article hit).
pub(crate) fn quote_row(
    quote: &Quote,
    finding: &Finding,
    region: Option<crate::extract::Region>,
    sources: &HashMap<usize, &SourceText>,
    text: Option<&str>,
) -> QuoteRow {
    let source = finding.source.and_then(|i| sources.get(&i)).copied();
    let name = |i: &usize| sources.get(i).map(|s| s.url.clone());
    let found = matches!(
        finding.verdict,
        Verdict::Verified | Verdict::Approximate | Verdict::Misattributed
    );
    let attribution = match (found, text) {
        (true, Some(text)) => attribute(
            text,
            source.and_then(|s| s.title.as_deref()),
            finding.start,
            finding.end,
        ),
        _ => Attribution::default(),
    };
    let mut note = match attribution.note {
        Some(why) if finding.note.is_empty() => why,
        Some(why) => format!("{}; {why}", finding.note),
        None => finding.note.clone(),
    };
    // A quote that is not verified says why (contract: `note`).
    let why = failure_note(quote, finding, source, sources);
    if !why.is_empty() {
        note = if note.is_empty() {
            why
        } else {
            format!("{why}; {note}")
        };
    }
    let speaker = attribution.speaker;
    QuoteRow {
        id: quote.id.clone(),
        theme: quote.theme.clone(),
        quote: quote.text.clone(),
        verdict: finding.verdict,
        source_url: source
            .filter(|_| found)
            .map(|s| s.url.clone())
            .unwrap_or_default(),
        score: found.then_some(finding.score),
        start: found.then_some(finding.start),
        end: found.then_some(finding.end),
        matched_text: if found {
            finding.matched_text.clone()
        } else {
            String::new()
        },
        context: if found {
            finding.context.clone()
        } else {
            String::new()
        },
        speaker: speaker.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
        speaker_confidence: speaker
            .as_ref()
            .map(|s| s.confidence.to_string())
            .unwrap_or_default(),
        speaker_role: speaker.and_then(|s| s.role).unwrap_or_default(),
        claimed_source: quote.source.clone().unwrap_or_default(),
        note,
        via: source
            .filter(|_| found)
            .and_then(|s| s.via.clone())
            .unwrap_or_default(),
        differences: finding.differences.clone(),
        omitted: finding.omitted.clone(),
        also_found_in: finding
            .also_found_in
            .iter()
            .filter_map(name)
            .collect::<Vec<_>>()
            .join(" "),
        best_score: (!found && finding.best_score > 0.0).then_some(finding.best_score),
        best_source: if found {
            String::new()
        } else {
            finding
                .best_source
                .as_ref()
                .and_then(name)
                .unwrap_or_default()
        },
        text_path: source
            .filter(|_| found)
            .and_then(|s| match region {
                Some(_) => s.page_text_path.clone(),
                None => s.text_path.clone(),
            })
            .unwrap_or_default(),
        region: match (found, region) {
            (false, _) => None,
            (true, None) => Some(QuoteRegion::Article),
            (true, Some(_)) => Some(QuoteRegion::Page),
        },
        line: quote.line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(index: usize, url: &str, link: &str) -> SourceText {
        SourceText {
            index,
            url: url.into(),
            key: url.into(),
            available: link.is_empty(),
            via: None,
            text_path: None,
            title: None,
            page_text_path: None,
            link: link.into(),
        }
    }

    fn quote(claimed: Option<&str>) -> Quote {
        Quote {
            id: "Q1".into(),
            theme: String::new(),
            text: "De wijk krijgt een nieuw plein met bomen en bankjes.".into(),
            source: claimed.map(str::to_string),
            line: 2,
        }
    }

    #[test]
    fn every_failing_verdict_says_why() {
        let a = source(0, "https://a.example/1", "");
        let b = source(1, "https://b.example/2", "broken: HTTP 404 (not_found)");
        let sources: HashMap<usize, &SourceText> = [(0, &a), (1, &b)].into_iter().collect();

        let mut misattributed = crate::locate::empty_finding();
        misattributed.verdict = Verdict::Misattributed;
        misattributed.source = Some(0);
        let row = quote_row(
            &quote(Some("https://b.example/2")),
            &misattributed,
            None,
            &sources,
            None,
        );
        assert_eq!(
            row.note,
            "the claimed source https://b.example/2 does not hold it; found in https://a.example/1"
        );

        let mut unavailable = crate::locate::empty_finding();
        unavailable.verdict = Verdict::SourceUnavailable;
        let row = quote_row(
            &quote(Some("https://b.example/2")),
            &unavailable,
            None,
            &sources,
            None,
        );
        assert_eq!(
            row.note,
            "the claimed source https://b.example/2 could not be read: broken: HTTP 404 (not_found)"
        );

        let mut missing = crate::locate::empty_finding();
        missing.best_score = 0.61;
        missing.best_source = Some(0);
        let row = quote_row(&quote(None), &missing, None, &sources, None);
        assert_eq!(row.note, "nearest miss: score 0.610 in https://a.example/1");
        assert_eq!(row.best_source, "https://a.example/1");

        let mut verified = crate::locate::empty_finding();
        verified.verdict = Verdict::Verified;
        verified.source = Some(0);
        let row = quote_row(&quote(None), &verified, None, &sources, None);
        assert_eq!(row.note, "");
    }
}
