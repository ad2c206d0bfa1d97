//! The quote stage: the quotes scanned for in every source text as it passes, then turned
//! into verdicts and written to report.csv in input order.

use std::collections::HashMap;

use crate::config::{Config, Mode};
use crate::error::{Error, Result};
use crate::input::url::{duplicate_key, parse_cited};
use crate::input::{Quote, read_quotes};
use crate::locate::{Finding, QuoteSet, SourceHit, Verdict, prune_hits, prune_hits_by};
use crate::report::open_output;
use crate::report::quotes::QuoteRow;

use super::{Outcome, csv_error};
use crate::locate::SourceText;
use crate::report::quote_row::quote_row;

/// The quote stage while the sources stream past: the quotes, indexed once, and the best
/// hits per quote so far. Each source's text is scanned as soon as it is had (extracted,
/// rescued, or read from the archive) and then dropped, so memory grows with the quotes and
/// their hits, not with the number of pages (docs/matching.md; bench/pipeline-profile.md).
pub(super) struct QuoteStage {
    quotes: Vec<Quote>,
    set: QuoteSet,
    hits: std::sync::Mutex<Vec<Vec<SourceHit>>>,
    /// Duplicate keys of the sources the quotes claim.
    claimed: std::collections::HashSet<String>,
    /// Sources (rows) whose text gave a hit.
    hit_sources: std::sync::Mutex<std::collections::HashSet<usize>>,
    /// The best hits per quote in the page texts (the fallback), with the region each
    /// stood in.
    page_hits: std::sync::Mutex<Vec<Vec<(SourceHit, crate::extract::Region)>>>,
    /// Source texts scanned: none means no quote could be found anywhere.
    scanned: std::sync::atomic::AtomicUsize,
    /// Rows of the quotes file skipped as malformed (findings under `--fail-on input`).
    skipped_rows: usize,
    /// Texts extracted again from the WARC that a read-only `verify` could not write back,
    /// by their path in the archive: the report's offsets and speakers come from these, not
    /// from the stale file (rare: only damaged text files are kept here).
    unsaved: std::sync::Mutex<HashMap<String, String>>,
}

impl QuoteStage {
    /// Keeps a text that stands for the file at `rel_path` in the archive, which could not be
    /// written back (read-only `verify`).
    pub(super) fn keep_unsaved(&self, rel_path: &str, text: &str) {
        self.unsaved
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(rel_path.to_string(), text.to_string());
    }

    /// Reads the quotes file. In `run`, a missing default quotes.csv means there is no quote
    /// to locate; a missing file named with `--quotes`, or one whose every row is malformed,
    /// cannot be used (exit 2). Malformed rows are skipped, located, and counted.
    pub(super) fn open(config: &Config) -> Result<Option<std::sync::Arc<QuoteStage>>> {
        if config.mode == Mode::Check {
            return Ok(None);
        }
        if config.mode == Mode::Run && !config.quotes_given && !config.quotes.exists() {
            tracing::warn!(
                "{}: not found; no quotes to locate, report.csv not written",
                config.quotes.display()
            );
            return Ok(None);
        }
        let (quotes, problems) = read_quotes(&config.quotes)?;
        for problem in &problems {
            tracing::warn!("{problem}");
        }
        if quotes.is_empty() && !problems.is_empty() {
            return Err(Error::Input {
                path: config.quotes.clone(),
                reason: format!(
                    "no usable row: all {} data rows are malformed (see the warnings above)",
                    problems.len()
                ),
            });
        }
        crate::report::publish::annotate_problems(config, &problems, config.fail_on.fails_input())?;
        let texts: Vec<&str> = quotes.iter().map(|q| q.text.as_str()).collect();
        let set = QuoteSet::new(&texts);
        let hits = std::sync::Mutex::new(vec![Vec::new(); quotes.len()]);
        let page_hits = std::sync::Mutex::new(vec![Vec::new(); quotes.len()]);
        let claimed = quotes
            .iter()
            .filter_map(|q| q.source.as_deref().and_then(|s| parse_cited(s).ok()))
            .map(|u| duplicate_key(&u))
            .collect();
        Ok(Some(std::sync::Arc::new(QuoteStage {
            quotes,
            set,
            hits,
            page_hits,
            claimed,
            hit_sources: std::sync::Mutex::default(),
            unsaved: std::sync::Mutex::default(),
            scanned: std::sync::atomic::AtomicUsize::new(0),
            skipped_rows: problems.len(),
        })))
    }

    /// Whether the quote stage's end needs this source: a quote claims it, or its text gave
    /// a hit (scanned before). Only those are kept, so memory does not grow with the pages.
    pub(super) fn wants(&self, source: &SourceText) -> bool {
        self.claimed.contains(&source.key)
            || self
                .hit_sources
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&source.index)
    }

    /// Scans one source's text (`source` = its row in the sources file) and keeps the hits
    /// that can still matter.
    pub fn scan(&self, source: usize, text: &str) {
        self.scanned
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let found = self.set.scan(source, text);
        if found.is_empty() {
            return;
        }
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        let mut kept = false;
        for (quote, hit) in found {
            if let Some(list) = hits.get_mut(quote) {
                list.push(hit);
                prune_hits(list);
                kept |= list.iter().any(|h| h.source == source);
            }
        }
        drop(hits);
        self.keep_source(source, kept);
    }

    /// Marks `source` as needed at the end when one of its hits survived the pruning. A
    /// near miss that is already beaten (most pages give one for a quote found nowhere)
    /// does not keep its source: that kept every page's entry to the end, 244 bytes a page
    /// in a `verify` of 300,000 large pages.
    fn keep_source(&self, source: usize, kept: bool) {
        if kept {
            self.hit_sources
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(source);
        }
    }

    /// Scans one source's page text (the fallback for quotes no article text holds) and
    /// keeps the hits that can still matter, each with the region it stood in. Only the
    /// blocks outside the article text (`article`, scanned already) are read: a quote the
    /// article holds is found there, and the rest is usually a small part of the page.
    /// `true` when a hit of this page text was kept: the report may then name its file.
    pub fn scan_page(&self, source: usize, page: &crate::extract::PageText, article: &str) -> bool {
        let outside = page.outside(article);
        let found = self.set.scan(source, &outside.text);
        if found.is_empty() {
            return false;
        }
        let mut hits = self.page_hits.lock().unwrap_or_else(|e| e.into_inner());
        let mut kept = false;
        for (quote, hit) in found {
            if let Some(list) = hits.get_mut(quote) {
                let mut hit = hit;
                (hit.start, hit.end) = outside.page_span(hit.start, hit.end);
                let region = page.region_at(hit.start, hit.end);
                list.push((hit, region));
                prune_hits_by(list, |(h, _)| h);
                kept |= list.iter().any(|(h, _)| h.source == source);
            }
        }
        drop(hits);
        self.keep_source(source, kept);
        kept
    }
}

/// The note of a `not_found` quote when not one source text could be had.
const NOTHING_READ: &str = "no source text could be read (every cited page failed: see links.csv), so nothing was searched";

/// The quote stage's end: every quote's hits turned into its verdict, written to report.csv
/// in input order.
pub(super) async fn locate_quotes(
    config: &Config,
    stage: std::sync::Arc<QuoteStage>,
    sources: &[SourceText],
) -> Result<(Outcome, Option<Vec<QuoteRow>>)> {
    let bar = crate::progress::stage_bar("locate", Some(stage.quotes.len() as u64));
    let skipped_rows = stage.skipped_rows;
    let sources = sources.to_vec();
    let archive = config.archive.clone();
    let rows = tokio::task::spawn_blocking(move || {
        let by_index: HashMap<usize, &SourceText> = sources.iter().map(|s| (s.index, s)).collect();
        let mut by_key: HashMap<String, usize> =
            sources.iter().map(|s| (s.key.clone(), s.index)).collect();
        // A claimed source that is not among the cited URLs was never fetched: it counts as a
        // source that could not be had (ids past every row of the sources file).
        let mut next_extra = usize::MAX / 2;
        for quote in &stage.quotes {
            if let Some(claimed) = quote.source.as_deref().and_then(|s| parse_cited(s).ok()) {
                by_key.entry(duplicate_key(&claimed)).or_insert_with(|| {
                    next_extra += 1;
                    next_extra
                });
            }
        }
        let available = |i: usize| by_index.get(&i).is_some_and(|s| s.available);
        let nothing_read = stage.scanned.load(std::sync::atomic::Ordering::Relaxed) == 0;
        let mut hits = std::mem::take(&mut *stage.hits.lock().unwrap_or_else(|e| e.into_inner()));
        let mut page_hits =
            std::mem::take(&mut *stage.page_hits.lock().unwrap_or_else(|e| e.into_inner()));
        let mut texts: HashMap<String, Option<String>> =
            std::mem::take(&mut *stage.unsaved.lock().unwrap_or_else(|e| e.into_inner()))
                .into_iter()
                .map(|(path, text)| (path, Some(text)))
                .collect();
        let mut rows = stage
            .quotes
            .iter()
            .enumerate()
            .map(|(q, quote)| {
                let claimed = quote
                    .source
                    .as_deref()
                    .and_then(|s| parse_cited(s).ok())
                    .and_then(|u| by_key.get(&duplicate_key(&u)).copied());
                let found = hits.get_mut(q).map(std::mem::take).unwrap_or_default();
                let mut finding = stage.set.finish(q, found, claimed, &available);
                let page = page_hits.get_mut(q).map(std::mem::take).unwrap_or_default();
                let region = page_fallback(&stage.set, q, &mut finding, page, claimed, &available);
                if nothing_read && finding.verdict == Verdict::NotFound && finding.note.is_empty() {
                    finding.note = NOTHING_READ.into();
                }
                bar.inc(1);
                // The winner's text, read back from the archive for the speaker (once per file:
                // quotes often share a source), without following a symlink.
                let found = matches!(
                    finding.verdict,
                    Verdict::Verified | Verdict::Approximate | Verdict::Misattributed
                );
                let text = finding
                    .source
                    .filter(|_| found)
                    .and_then(|i| by_index.get(&i))
                    .and_then(|s| match region {
                        Some(_) => s.page_text_path.as_deref(),
                        None => s.text_path.as_deref(),
                    })
                    .and_then(|p| {
                        texts
                            .entry(p.to_string())
                            .or_insert_with(|| {
                                let path = std::path::Path::new(p);
                                let file = crate::archive::files::open_inside(&archive, path);
                                std::io::read_to_string(file.ok()?).ok()
                            })
                            .clone()
                    });
                if let (Some(_), Some(page)) = (region, &text) {
                    fit_to_page_text(&mut finding, &quote.text, page);
                }
                quote_row(quote, &finding, region, &by_index, text.as_deref())
            })
            .collect::<Vec<QuoteRow>>();
        note_earlier_matches(&archive, &stage.quotes, &mut rows);
        rows
    })
    .await
    .map_err(|e| Error::Write {
        path: config.report.clone(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let out = open_output(&config.report)?;
    crate::report::quotes::write_csv_with_guard(out, &rows, !config.raw_csv)
        .map_err(|e| csv_error(&config.report, e))?;
    let counts: Vec<(Verdict, usize)> = crate::report::summary::verdict_counts(&rows)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    let summary: Vec<String> = counts
        .iter()
        .map(|(v, n)| format!("{n} {}", v.as_str()))
        .collect();
    eprintln!(
        "{} quotes: {}",
        rows.len(),
        if summary.is_empty() {
            "none".into()
        } else {
            summary.join(", ")
        }
    );
    let findings = counts.iter().any(|(v, _)| config.fail_on.fails_verdict(*v))
        || (skipped_rows > 0 && config.fail_on.fails_input());
    Ok((
        Outcome {
            findings,
            stopped: false,
            skipped_rows,
        },
        Some(rows),
    ))
}

/// A `not_found` quote that the capture before the latest of a page whose text changed
/// (`changed`) held: the note says so, with both capture dates. A quote that claims a
/// source is searched for in that page only; one that claims none in every changed page (one
/// scan of each earlier text for all such quotes at once), and the note names the page.
/// Only such quotes cost anything: one pass over the manifest, and each earlier text read
/// from the WARC once.
fn note_earlier_matches(archive: &std::path::Path, quotes: &[Quote], rows: &mut [QuoteRow]) {
    let lost = |row: &QuoteRow| row.verdict == Verdict::NotFound;
    if !rows.iter().any(lost) {
        return;
    }
    let pages = match crate::archive::history::changed_pages(archive) {
        Ok(pages) => pages,
        Err(e) => {
            tracing::warn!("archive: earlier captures: {e}");
            return;
        }
    };
    if pages.is_empty() {
        return;
    }
    let mut keys: Vec<&String> = pages.keys().collect();
    keys.sort();
    let mut texts: HashMap<&str, Option<String>> = HashMap::new();
    let mut text_of = |key: &str| -> Option<String> {
        texts
            .entry(pages.get_key_value(key)?.0.as_str())
            .or_insert_with(|| {
                let change = &pages[key];
                crate::archive::history::text_of(archive, &change.before)
                    .map_err(|e| {
                        tracing::warn!("archive: earlier text of {}: {e}", change.now.cited_url)
                    })
                    .ok()
            })
            .clone()
    };
    // Best earlier hit per row: (page key, verified, score).
    let mut found: Vec<Option<(String, bool, f64)>> = vec![None; rows.len()];
    let mut unclaimed: Vec<usize> = Vec::new();
    for (r, (row, quote)) in rows.iter().zip(quotes).enumerate() {
        if !lost(row) {
            continue;
        }
        if row.claimed_source.is_empty() {
            unclaimed.push(r);
            continue;
        }
        let key = crate::archive::store::url_key(&row.claimed_source);
        let Some(text) = pages.contains_key(&key).then(|| text_of(&key)).flatten() else {
            continue;
        };
        let set = QuoteSet::new(&[quote.text.as_str()]);
        if let Some((_, hit)) = set.scan(0, &text).into_iter().find(|(_, h)| h.is_match) {
            found[r] = Some((key, hit.verified, hit.score));
        }
    }
    if !unclaimed.is_empty() {
        let texts: Vec<&str> = unclaimed.iter().map(|&r| quotes[r].text.as_str()).collect();
        let set = QuoteSet::new(&texts);
        for key in &keys {
            let Some(text) = text_of(key) else { continue };
            for (q, hit) in set.scan(0, &text) {
                let Some(&r) = unclaimed.get(q).filter(|_| hit.is_match) else {
                    continue;
                };
                if found[r].as_ref().is_none_or(|(_, _, s)| hit.score > *s) {
                    found[r] = Some(((*key).clone(), hit.verified, hit.score));
                }
            }
        }
    }
    let day = |t: &str| t.get(..10).unwrap_or(t).to_string();
    for (row, hit) in rows.iter_mut().zip(found) {
        let Some((key, verified, _)) = hit else {
            continue;
        };
        let change = &pages[&key];
        let was = if verified { "verified" } else { "approximate" };
        let page = if row.claimed_source.is_empty() {
            format!(" in {}", change.now.cited_url)
        } else {
            String::new()
        };
        let said = format!(
            "was {was}{page} in the capture of {}; not in the capture of {}",
            day(&change.before.fetched_at),
            day(&change.now.fetched_at),
        );
        row.note = if row.note.is_empty() {
            said
        } else {
            format!("{said}; {}", row.note)
        };
    }
}

/// The page-text fallback (contract: `region`): when no article text gave the quote a
/// match (`not_found`, `source_unavailable`), the page texts' hits decide instead, with the
/// same rules, and the finding then says where on the page it stood. A match in any article
/// text always stands: a teaser in one page's sidebar never takes a quote from the page
/// whose article holds it. Returns the region of the reported page hit, `None` when the
/// article finding stands.
fn page_fallback(
    set: &QuoteSet,
    quote: usize,
    finding: &mut Finding,
    page: Vec<(SourceHit, crate::extract::Region)>,
    claimed: Option<usize>,
    available: &dyn Fn(usize) -> bool,
) -> Option<crate::extract::Region> {
    if !matches!(
        finding.verdict,
        Verdict::NotFound | Verdict::SourceUnavailable
    ) || !page.iter().any(|(h, _)| h.is_match)
    {
        return None;
    }
    let regions: HashMap<usize, crate::extract::Region> =
        page.iter().map(|(h, r)| (h.source, *r)).collect();
    let hits = page.into_iter().map(|(h, _)| h).collect();
    let on_page = set.finish(quote, hits, claimed, available);
    if !matches!(
        on_page.verdict,
        Verdict::Verified | Verdict::Approximate | Verdict::Misattributed
    ) {
        return None;
    }
    let region = on_page
        .source
        .and_then(|s| regions.get(&s).copied())
        .unwrap_or(crate::extract::Region::Body);
    let mut note = page_note(region);
    if !on_page.note.is_empty() {
        note = format!("{note}; {}", on_page.note);
    }
    *finding = on_page;
    finding.note = note;
    Some(region)
}

/// Makes a page hit's span, words and context those of the page text file itself: a hit
/// found across two blocks outside the article text (with an article block between them on
/// the page) is searched again in the whole page text.
fn fit_to_page_text(finding: &mut Finding, quote: &str, page: &str) {
    let span: String = page
        .chars()
        .skip(finding.start)
        .take(finding.end.saturating_sub(finding.start))
        .collect();
    if span == finding.matched_text {
        return;
    }
    let set = QuoteSet::new(&[quote]);
    if let Some((_, hit)) = set.scan(0, page).into_iter().find(|(_, h)| h.is_match) {
        if finding.verdict != Verdict::Misattributed {
            finding.verdict = if hit.verified {
                Verdict::Verified
            } else {
                Verdict::Approximate
            };
        }
        finding.score = hit.score;
        finding.start = hit.start;
        finding.end = hit.end;
        finding.matched_text = hit.matched_text;
        finding.context = hit.context;
        finding.differences = hit.differences;
        finding.omitted = hit.omitted;
        finding.attribution_gaps = hit.attribution_gaps;
    } else {
        finding.matched_text = span;
    }
}

/// The note of a quote found in a page text outside its article text.
fn page_note(region: crate::extract::Region) -> String {
    match region {
        crate::extract::Region::Body => "found in the page text, not in its article text \
             (a part of the page the article extraction left out)"
            .into(),
        r => format!(
            "found in the page's {}, not in its article text",
            r.describe()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(text: &str) -> QuoteStage {
        let quotes = vec![Quote {
            id: "Q1".into(),
            theme: String::new(),
            text: text.into(),
            source: None,
            line: 2,
        }];
        QuoteStage {
            set: QuoteSet::new(&[text]),
            hits: std::sync::Mutex::new(vec![Vec::new()]),
            page_hits: std::sync::Mutex::new(vec![Vec::new()]),
            quotes,
            claimed: Default::default(),
            hit_sources: Default::default(),
            unsaved: Default::default(),
            scanned: std::sync::atomic::AtomicUsize::new(0),
            skipped_rows: 0,
        }
    }

    #[test]
    fn beaten_near_misses_do_not_keep_their_sources() {
        let quote =
            "de provincie betaalt het nieuwe fietspad samen met de vier gemeenten in de regio";
        let stage = stage(quote);
        let words: Vec<&str> = quote.split(' ').collect();
        // Source 0 holds most of the quote's words; every later source fewer: near misses
        // that cannot beat the first one.
        for source in 0..40 {
            let shared = words.len().saturating_sub(3 + source / 8).max(3);
            let text = format!(
                "Het college sprak dinsdag over de begroting. {} en verder niets over de wijk.",
                words[..shared].join(" ").replace("fietspad", "voetpad")
            );
            stage.scan(source, &text);
        }
        let kept = stage.hit_sources.lock().unwrap().clone();
        assert!(kept.contains(&0), "{kept:?}");
        assert!(
            kept.len() < 10,
            "{} of 40 sources kept: {kept:?}",
            kept.len()
        );
        let hits = stage.hits.lock().unwrap();
        assert!(hits[0].iter().all(|h| kept.contains(&h.source)));
    }
}
