//! One report.csv row ([`QuoteRow`]) from a quote's finding and the source it stood in.

use std::collections::HashMap;

use crate::input::Quote;
use crate::locate::speaker::{Attribution, attribute};
use crate::locate::{Finding, SourceText, Verdict};
use crate::report::quotes::QuoteRow;

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
    let note = match attribution.note {
        Some(why) if finding.note.is_empty() => why,
        Some(why) => format!("{}; {why}", finding.note),
        None => finding.note.clone(),
    };
    let speaker = attribution.speaker;
    QuoteRow {
        id: quote.id.clone(),
        theme: quote.theme.clone(),
        quote: quote.text.clone(),
        verdict: finding.verdict.as_str().to_string(),
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
            (false, _) => String::new(),
            (true, None) => "article".into(),
            (true, Some(_)) => "page".into(),
        },
        line: quote.line,
    }
}
