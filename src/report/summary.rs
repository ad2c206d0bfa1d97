//! One run as a whole, for the combined renderings (`--format json|markdown|junit`, GitHub
//! annotations, the step summary): takes the rows of links.csv and report.csv with the
//! `--fail-on` set and returns the counts and, per row, how serious it is.
//!
//! Every renderer asks the same questions here, so a row that fails the exit code is an
//! error everywhere: a JUnit `<failure>`, an `::error` annotation, an `error` line in the
//! Markdown problems.

use crate::check::{LinkRecord, LinkStatus};
use crate::config::FailOn;
use crate::locate::Verdict;
use crate::report::quotes::{QuoteRegion, QuoteRow};

/// How many of `values` there are of each of `all`, in the order of `all` (zeros included):
/// the one count behind every summary (stderr, JSON, Markdown, JUnit, report.html).
pub fn count<T: Copy + PartialEq>(
    all: &[T],
    values: impl IntoIterator<Item = T>,
) -> Vec<(T, usize)> {
    let mut counts: Vec<(T, usize)> = all.iter().map(|v| (*v, 0)).collect();
    for value in values {
        if let Some(slot) = counts.iter_mut().find(|(v, _)| *v == value) {
            slot.1 += 1;
        }
    }
    counts
}

/// Links per status, every status in [`LinkStatus::ALL`] order.
pub fn link_counts(rows: &[LinkRecord]) -> Vec<(LinkStatus, usize)> {
    count(&LinkStatus::ALL, rows.iter().map(|r| r.status))
}

/// Quotes per verdict, every verdict in [`Verdict::ALL`] order.
pub fn verdict_counts(rows: &[QuoteRow]) -> Vec<(Verdict, usize)> {
    count(&Verdict::ALL, rows.iter().map(|r| r.verdict))
}

/// How a row stands with respect to the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// `--fail-on` names its status or verdict: it makes the exit code 1.
    Fail,
    /// Worth a look but not failing: a `blocked` link, an `approximate` quote.
    Warn,
    /// Fine (or, like a duplicate, nothing to say beyond its original).
    Pass,
}

/// The rows of one run and what makes it fail.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// `run`, `check` or `verify`.
    pub command: &'static str,
    /// The links.csv rows in input order; `None` when links were not checked (`verify`).
    pub links: Option<Vec<LinkRecord>>,
    /// The report.csv rows in input order; `None` when quotes were not located (`check`).
    pub quotes: Option<Vec<QuoteRow>>,
    /// What makes the exit code 1.
    pub fail_on: FailOn,
    /// The sources file as the user named it (annotations and problems point into it).
    pub sources_file: String,
    /// The quotes file as the user named it.
    pub quotes_file: String,
    /// Rows of the sources and quotes files skipped as malformed: failures when `--fail-on`
    /// names `input`.
    pub skipped_rows: usize,
}

/// The counts of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// `run`, `check` or `verify`.
    pub command: &'static str,
    /// Links per status, every status in [`LinkStatus::ALL`] order; `None` when not checked.
    pub links: Option<Vec<(&'static str, usize)>>,
    /// Quotes per verdict, every verdict in [`Verdict::ALL`] order; `None` when not located.
    pub quotes: Option<Vec<(&'static str, usize)>>,
    /// Links reused from `--cache`.
    pub cached: usize,
    /// The names `--fail-on` holds.
    pub fail_on: Vec<&'static str>,
    /// Rows whose status or verdict `--fail-on` names.
    pub failures: usize,
    /// Rows worth a look that do not fail the run.
    pub warnings: usize,
}

impl Summary {
    /// No failures: the exit code is 0.
    pub fn passed(&self) -> bool {
        self.failures == 0
    }
}

impl RunReport {
    /// The input file a link row came from: its own (`check README.md`), or the sources
    /// file.
    pub fn link_file<'a>(&'a self, row: &'a LinkRecord) -> &'a str {
        row.file.as_deref().unwrap_or(&self.sources_file)
    }

    #[cfg(test)]
    /// The links.csv rows (empty when not checked).
    pub fn link_rows(&self) -> &[LinkRecord] {
        self.links.as_deref().unwrap_or_default()
    }

    #[cfg(test)]
    /// The report.csv rows (empty when not located).
    pub fn quote_rows(&self) -> &[QuoteRow] {
        self.quotes.as_deref().unwrap_or_default()
    }

    /// How serious a link row is.
    pub fn link_severity(&self, record: &LinkRecord) -> Severity {
        match record.status {
            s if self.fail_on.fails_link(s) => Severity::Fail,
            LinkStatus::Blocked => Severity::Warn,
            _ => Severity::Pass,
        }
    }

    /// How serious a quote row is.
    pub fn quote_severity(&self, row: &QuoteRow) -> Severity {
        if self.fail_on.fails_verdict(row.verdict) {
            Severity::Fail
        } else if row.verdict == Verdict::Approximate {
            Severity::Warn
        } else {
            Severity::Pass
        }
    }

    /// Whether a link belongs in a list of problems: anything failing, and any status but
    /// `ok`, `redirected` and `duplicate`.
    pub fn is_link_problem(&self, record: &LinkRecord) -> bool {
        self.link_severity(record) == Severity::Fail
            || !matches!(
                record.status,
                LinkStatus::Ok | LinkStatus::Redirected | LinkStatus::Duplicate
            )
    }

    /// Whether a quote belongs in a list of problems: anything failing, and any verdict but
    /// `verified` and `approximate`.
    pub fn is_quote_problem(&self, row: &QuoteRow) -> bool {
        self.quote_severity(row) == Severity::Fail
            || !matches!(row.verdict, Verdict::Verified | Verdict::Approximate)
    }

    #[cfg(test)]
    /// The counts.
    pub fn summary(&self) -> Summary {
        let mut tally = Tally::default();
        self.link_rows().iter().for_each(|r| tally.link(self, r));
        self.quote_rows().iter().for_each(|r| tally.quote(self, r));
        tally.summary(self)
    }
}

/// The counts of a run, kept as rows go by (the rows themselves are not kept): what
/// [`Summary`] is made of, for a run of any length.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Links per status, in [`LinkStatus::ALL`] order.
    links: [usize; LinkStatus::ALL.len()],
    /// Quotes per verdict, in [`Verdict::ALL`] order.
    quotes: [usize; Verdict::ALL.len()],
    cached: usize,
    failures: usize,
    warnings: usize,
    /// Problem rows (see [`RunReport::is_link_problem`]) and failing / skipped JUnit cases.
    pub(crate) link_problems: usize,
    pub(crate) quote_problems: usize,
    pub(crate) link_failures: usize,
    pub(crate) link_skipped: usize,
    pub(crate) quote_failures: usize,
    pub(crate) link_rows: usize,
    pub(crate) quote_rows: usize,
    /// Links reported from the archive's latest capture (`checked_from = archive`).
    pub(crate) from_archive: usize,
}

impl Tally {
    fn severity(&mut self, severity: Severity) {
        match severity {
            Severity::Fail => self.failures += 1,
            Severity::Warn => self.warnings += 1,
            Severity::Pass => {}
        }
    }

    /// Counts a links.csv row.
    pub fn link(&mut self, report: &RunReport, record: &LinkRecord) {
        self.link_rows += 1;
        if let Some(i) = LinkStatus::ALL.iter().position(|a| *a == record.status) {
            self.links[i] += 1;
        }
        self.cached += usize::from(record.cached);
        self.from_archive += usize::from(record.checked_from == crate::check::CheckedFrom::Archive);
        let severity = report.link_severity(record);
        self.severity(severity);
        self.link_problems += usize::from(report.is_link_problem(record));
        match junit_outcome(severity, record.status) {
            CaseOutcome::Failure => self.link_failures += 1,
            CaseOutcome::Skipped => self.link_skipped += 1,
            CaseOutcome::Pass => {}
        }
    }

    /// Counts a report.csv row.
    pub fn quote(&mut self, report: &RunReport, row: &QuoteRow) {
        self.quote_rows += 1;
        if let Some(i) = Verdict::ALL.iter().position(|a| *a == row.verdict) {
            self.quotes[i] += 1;
        }
        let severity = report.quote_severity(row);
        self.severity(severity);
        self.quote_problems += usize::from(report.is_quote_problem(row));
        self.quote_failures += usize::from(severity == Severity::Fail);
    }

    /// Skipped (malformed) input rows, when `--fail-on input` makes them failures.
    fn input_failures(&self, report: &RunReport) -> usize {
        if report.fail_on.fails_input() {
            report.skipped_rows
        } else {
            0
        }
    }

    /// The counts, for the stages `report` says ran.
    pub fn summary(&self, report: &RunReport) -> Summary {
        Summary {
            command: report.command,
            links: report.links.as_ref().map(|_| {
                LinkStatus::ALL
                    .iter()
                    .zip(self.links)
                    .map(|(s, n)| (s.as_str(), n))
                    .collect()
            }),
            quotes: report.quotes.as_ref().map(|_| {
                Verdict::ALL
                    .iter()
                    .zip(self.quotes)
                    .map(|(v, n)| (v.as_str(), n))
                    .collect()
            }),
            cached: self.cached,
            fail_on: report.fail_on.names(),
            failures: self.failures + self.input_failures(report),
            warnings: self.warnings,
        }
    }
}

/// How a row shows in JUnit: a failure, a skipped case or a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CaseOutcome {
    Pass,
    Failure,
    Skipped,
}

/// A link row's JUnit outcome: failing rows fail; a `blocked` or `duplicate` one that does
/// not fail is skipped.
pub(crate) fn junit_outcome(severity: Severity, status: LinkStatus) -> CaseOutcome {
    match severity {
        Severity::Fail => CaseOutcome::Failure,
        _ if matches!(status, LinkStatus::Blocked | LinkStatus::Duplicate) => CaseOutcome::Skipped,
        _ => CaseOutcome::Pass,
    }
}

/// At most `max` characters of `text` on one line, with `…` when cut (never splits a char).
pub fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// A sentence on a link row: `S2 https://x/a is broken (HTTP 404): HTTP 404 Not Found`.
pub fn describe_link(record: &LinkRecord) -> String {
    let mut text = format!("{} {} is {}", record.id, record.url, record.status_str());
    if let Some(code) = record.http_status {
        text.push_str(&format!(" (HTTP {code})"));
    }
    if !record.error.is_empty() {
        text.push_str(": ");
        text.push_str(&one_line(&record.error, 300));
    }
    if !record.archived_url.is_empty() {
        text.push_str(&format!("; archived copy: {}", record.archived_url));
    }
    if record.checked_from == crate::check::CheckedFrom::Archive {
        if record.capture_date.is_empty() {
            text.push_str(" [from the archive]");
        } else {
            text.push_str(&format!(
                " [from the archive's capture of {}]",
                record.capture_date
            ));
        }
    }
    text
}

/// A sentence on a quote row: `Q3 “Het begint met…”: not found in any cited source`.
pub fn describe_quote(row: &QuoteRow) -> String {
    format!(
        "{} “{}”: {}",
        row.id,
        one_line(&row.quote, 80),
        quote_finding(row)
    )
}

/// What [`describe_quote`] says after the quote itself: the verdict in words, the region and
/// the note. Separate so that a table with its own id and quote columns need not cut the
/// description apart (a quote may itself hold `": "`).
pub fn quote_finding(row: &QuoteRow) -> String {
    let score = |s: Option<f64>| s.map(|s| format!("{s:.3}")).unwrap_or_default();
    let what = match row.verdict {
        Verdict::Verified => format!("verified in {}", row.source_url),
        Verdict::Approximate => format!(
            "close but not verbatim in {} (score {})",
            row.source_url,
            score(row.score)
        ),
        Verdict::Misattributed => {
            format!("found in {}, not in its claimed source", row.source_url)
        }
        Verdict::SourceUnavailable => {
            "its claimed source could not be had, and no other source holds it".to_string()
        }
        Verdict::NotFound if !row.best_source.is_empty() => format!(
            "not found in any cited source (closest: {} in {})",
            score(row.best_score),
            row.best_source
        ),
        Verdict::NotFound => "not found in any cited source".to_string(),
    };
    let mut text = what;
    if row.region == Some(QuoteRegion::Page) {
        text.push_str(" (in the page text, outside its article text)");
    }
    if !row.note.is_empty() {
        text.push_str(&format!(" ({})", one_line(&row.note, 200)));
    }
    text
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small run with one row of each kind the renderers treat differently.
    pub(crate) fn sample() -> RunReport {
        let link = |i: usize, status: LinkStatus, http: Option<u16>, error: &str| LinkRecord {
            index: i,
            line: i + 2,
            id: format!("S{}", i + 1),
            url: format!("https://www.overheidvannu.nl/artikel-{}", i + 1),
            http_status: http,
            final_url: format!("https://www.overheidvannu.nl/artikel-{}", i + 1),
            title: "Samenwerken <in> de \"regio\" & verder | deel 1".into(),
            error: error.into(),
            attempts: 1,
            ..LinkRecord::new(status)
        };
        let mut cached = link(0, LinkStatus::Ok, Some(200), "");
        cached.cached = true;
        let mut duplicate = link(3, LinkStatus::Duplicate, Some(200), "same URL as row S1");
        duplicate.duplicate_of = "S1".into();
        let quote = |i: usize, verdict: Verdict, score: Option<f64>| QuoteRow {
            id: format!("Q{}", i + 1),
            theme: "samenwerking".into(),
            quote: "Het begint met een kop koffie, zegt ze: ‘echt waar’".into(),
            source_url: if score.is_some() {
                "https://www.overheidvannu.nl/artikel-1".into()
            } else {
                String::new()
            },
            score,
            start: score.map(|_| 10),
            end: score.map(|_| 60),
            line: i + 2,
            ..QuoteRow::new(verdict)
        };
        RunReport {
            command: "run",
            links: Some(vec![
                cached,
                link(1, LinkStatus::Broken, Some(404), "HTTP 404 Not Found"),
                link(
                    2,
                    LinkStatus::Blocked,
                    Some(403),
                    "HTTP 403 Forbidden; the page may well exist",
                ),
                duplicate,
                link(
                    4,
                    LinkStatus::Timeout,
                    None,
                    "no complete answer within 2 s\r\nafter 2 attempts",
                ),
            ]),
            quotes: Some(vec![
                quote(0, Verdict::Verified, Some(1.0)),
                quote(1, Verdict::Approximate, Some(0.93456)),
                quote(2, Verdict::NotFound, None),
            ]),
            fail_on: FailOn::parse("default").unwrap(),
            sources_file: "sources.csv".into(),
            quotes_file: "quotes.csv".into(),
            skipped_rows: 0,
        }
    }

    #[test]
    fn counts_and_severities() {
        let report = sample();
        let s = report.summary();
        let links = s.links.clone().unwrap();
        assert_eq!(links.len(), 9);
        let count = |name: &str| links.iter().find(|(n, _)| *n == name).unwrap().1;
        assert_eq!(
            (
                count("ok"),
                count("broken"),
                count("blocked"),
                count("duplicate"),
                count("timeout")
            ),
            (1, 1, 1, 1, 1)
        );
        assert_eq!(
            s.quotes.clone().unwrap(),
            vec![
                ("verified", 1),
                ("approximate", 1),
                ("misattributed", 0),
                ("source_unavailable", 0),
                ("not_found", 1)
            ]
        );
        // broken, timeout, not_found fail; blocked and approximate warn.
        assert_eq!((s.failures, s.warnings, s.cached), (3, 2, 1));
        assert!(!s.passed());
        assert!(s.fail_on.contains(&"broken") && !s.fail_on.contains(&"blocked"));

        let mut none = report.clone();
        none.fail_on = FailOn::parse("none").unwrap();
        assert!(none.summary().passed());
        let mut blocked = report.clone();
        blocked.fail_on = FailOn::parse("blocked").unwrap();
        assert_eq!(blocked.summary().failures, 1);
        assert_eq!(blocked.summary().warnings, 1, "approximate still warns");
    }

    #[test]
    fn problems_leave_out_fine_rows() {
        let report = sample();
        let links: Vec<&str> = report
            .link_rows()
            .iter()
            .filter(|r| report.is_link_problem(r))
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(links, ["S2", "S3", "S5"]);
        let quotes: Vec<&str> = report
            .quote_rows()
            .iter()
            .filter(|r| report.is_quote_problem(r))
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(quotes, ["Q3"]);
        let mut strict = report.clone();
        strict.fail_on = FailOn::parse("all").unwrap();
        assert_eq!(
            strict
                .quote_rows()
                .iter()
                .filter(|r| strict.is_quote_problem(r))
                .count(),
            2,
            "approximate fails under --fail-on all"
        );
    }

    #[test]
    fn descriptions_are_one_line_and_cut_on_char_boundaries() {
        let report = sample();
        let timeout = describe_link(&report.link_rows()[4]);
        assert_eq!(
            timeout,
            "S5 https://www.overheidvannu.nl/artikel-5 is timeout: no complete answer within 2 s after 2 attempts"
        );
        assert!(describe_link(&report.link_rows()[1]).contains("is broken (HTTP 404): HTTP 404"));
        assert_eq!(one_line("ééééé", 3), "éé…");
        assert_eq!(one_line(" a\n b ", 3), "a b");
        let q = describe_quote(&report.quote_rows()[1]);
        assert!(q.contains("(score 0.935)"), "{q}");
    }
}
