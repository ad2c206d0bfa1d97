//! `--format markdown`, and the text appended to `$GITHUB_STEP_SUMMARY`: a summary table
//! (links per status, quotes per verdict) and a table of problems, each pointing at its file
//! and line.
//!
//! [`MarkdownWriter`] takes rows as the run makes them and keeps only the problems it will
//! list; [`render_markdown`] renders a finished [`RunReport`]. Both give GitHub-flavoured
//! Markdown. Every cell is escaped: page
//! titles, URLs and quotes are untrusted text, and a `|` or a `<script>` in a title must not
//! break the table or turn into HTML.

use crate::check::LinkRecord;
use crate::report::quotes::QuoteRow;
use crate::report::summary::{RunReport, Severity, Tally, one_line, quote_finding};

/// Problems listed at most; GitHub caps a step summary at 1 MiB.
pub const MAX_PROBLEM_ROWS: usize = 500;

/// A table cell: one line, Markdown and HTML specials escaped.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' | '\n' | '\t' => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // `_` is left alone: it cannot open emphasis inside a word in GFM, and `\_` would
            // show up in autolinked URLs and in status names such as soft_404.
            '|' | '\\' | '`' | '*' | '[' | ']' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Fail => "error",
        Severity::Warn => "warning",
        Severity::Pass => "note",
    }
}

/// The Markdown of a run, gathered as it goes: only the problem rows that will be listed
/// (at most [`MAX_PROBLEM_ROWS`] of links and as many of quotes) are kept; the others are
/// counted.
#[derive(Debug, Default)]
pub struct MarkdownWriter {
    link_problems: Vec<[String; 6]>,
    quote_problems: Vec<[String; 6]>,
}

impl MarkdownWriter {
    /// Takes note of a links.csv row (rows come in input order).
    pub fn link(&mut self, report: &RunReport, r: &LinkRecord) {
        if self.link_problems.len() >= MAX_PROBLEM_ROWS || !report.is_link_problem(r) {
            return;
        }
        let what = match r.http_status {
            Some(code) => format!("{} ({code})", r.status_str()),
            None => r.status_str().to_string(),
        };
        let mut detail = one_line(&r.error, 200);
        if !r.archived_url.is_empty() {
            detail.push_str(&format!("; archived copy: {}", r.archived_url));
        }
        if r.checked_from == crate::check::CheckedFrom::Archive {
            detail.push_str(&format!(" [from the archive: {}]", r.capture_date));
        }
        self.link_problems.push([
            severity_word(report.link_severity(r)).to_string(),
            format!("{}:{}", report.link_file(r), r.line),
            r.id.clone(),
            what,
            one_line(&r.url, 200),
            detail,
        ]);
    }

    /// Takes note of a report.csv row.
    pub fn quote(&mut self, report: &RunReport, r: &QuoteRow) {
        if self.quote_problems.len() >= MAX_PROBLEM_ROWS || !report.is_quote_problem(r) {
            return;
        }
        self.quote_problems.push([
            severity_word(report.quote_severity(r)).to_string(),
            format!("{}:{}", report.quotes_file, r.line),
            r.id.clone(),
            r.verdict.as_str().to_string(),
            one_line(&r.quote, 100),
            quote_finding(r),
        ]);
    }

    #[cfg(test)]
    /// Problem rows held.
    pub fn held(&self) -> usize {
        self.link_problems.len() + self.quote_problems.len()
    }

    /// The summary and the problems; `tally` holds the counts of the rows given.
    pub fn finish(&self, report: &RunReport, tally: &Tally) -> String {
        let summary = tally.summary(report);
        let mut md = format!("## citecheck {}\n\n", summary.command);
        let verdict = if summary.passed() {
            "**Passed**".to_string()
        } else {
            format!(
                "**Failed**: {} finding{} that `--fail-on` names",
                summary.failures,
                if summary.failures == 1 { "" } else { "s" }
            )
        };
        md.push_str(&verdict);
        if summary.warnings > 0 {
            md.push_str(&format!(
                "; {} warning{}",
                summary.warnings,
                if summary.warnings == 1 { "" } else { "s" }
            ));
        }
        md.push_str(".\n\n");

        let mut tables = Vec::new();
        if let Some(links) = &summary.links {
            tables.push(("links", "status", links));
        }
        if let Some(quotes) = &summary.quotes {
            tables.push(("quotes", "verdict", quotes));
        }
        for (what, column, counts) in tables {
            let total: usize = counts.iter().map(|(_, n)| n).sum();
            md.push_str(&format!("| {what}: {column} | count |\n| --- | ---: |\n"));
            for (name, n) in counts.iter().filter(|(_, n)| *n > 0) {
                let flag = if summary.fail_on.contains(name) {
                    " (fails)"
                } else {
                    ""
                };
                md.push_str(&format!("| {}{flag} | {n} |\n", cell(name)));
            }
            md.push_str(&format!("| **total** | **{total}** |\n\n"));
        }
        let archived = tally.from_archive;
        if archived > 0 {
            md.push_str(&format!(
                "{archived} link{} reported from the archive's latest capture (no request made; \
                 `capture_date` says when).\n\n",
                if archived == 1 { "" } else { "s" }
            ));
        }
        if summary.cached > 0 {
            md.push_str(&format!(
                "{} link{} reused from the cache (not fetched again).\n\n",
                summary.cached,
                if summary.cached == 1 { "" } else { "s" }
            ));
        }

        let problems = tally.link_problems + tally.quote_problems;
        if problems == 0 {
            md.push_str("No problems found.\n");
            return md;
        }
        md.push_str(&format!("### Problems ({problems})\n\n"));
        md.push_str("| | where | id | status | url or quote | detail |\n");
        md.push_str("| --- | --- | --- | --- | --- | --- |\n");
        for row in self
            .link_problems
            .iter()
            .chain(&self.quote_problems)
            .take(MAX_PROBLEM_ROWS)
        {
            let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
            md.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        if problems > MAX_PROBLEM_ROWS {
            md.push_str(&format!(
                "\n… and {} more; see links.csv and report.csv.\n",
                problems - MAX_PROBLEM_ROWS
            ));
        }
        md
    }
}

#[cfg(test)]
/// Renders the summary and the problems of a finished run.
pub fn render_markdown(report: &RunReport) -> String {
    let mut writer = MarkdownWriter::default();
    let mut tally = Tally::default();
    for r in report.link_rows() {
        tally.link(report, r);
        writer.link(report, r);
    }
    for r in report.quote_rows() {
        tally.quote(report, r);
        writer.quote(report, r);
    }
    writer.finish(report, &tally)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::summary::tests::sample;

    #[test]
    fn cells_cannot_break_the_table_or_inject_html() {
        assert_eq!(
            cell("a | b\n<script>x</script> & [link](y) `c`"),
            "a \\| b &lt;script&gt;x&lt;/script&gt; &amp; \\[link\\](y) \\`c\\`"
        );
        assert_eq!(cell("soft_404 \\ ~x~ *y*"), "soft_404 \\\\ \\~x\\~ \\*y\\*");
    }

    #[test]
    fn summary_and_problems() {
        let md = render_markdown(&sample());
        assert!(
            md.starts_with("## citecheck run\n\n**Failed**: 3 findings"),
            "{md}"
        );
        assert!(md.contains("; 2 warnings."), "{md}");
        assert!(md.contains("| broken (fails) | 1 |"), "{md}");
        assert!(md.contains("| blocked | 1 |"), "{md}");
        assert!(md.contains("| **total** | **5** |"), "{md}");
        assert!(
            !md.contains("| soft_404") && !md.contains("| invalid"),
            "zero counts (soft_404, invalid) are left out: {md}"
        );
        assert!(md.contains("| not_found (fails) | 1 |"), "{md}");
        assert!(md.contains("1 link reused from the cache"), "{md}");
        assert!(md.contains("### Problems (4)"), "{md}");
        let problems: Vec<&str> = md
            .lines()
            .skip_while(|l| !l.starts_with("| --- | --- |"))
            .skip(1)
            .collect();
        assert_eq!(problems.len(), 4, "{md}");
        assert!(problems[0].starts_with("| error | sources.csv:3 | S2 | broken (404) | https://www.overheidvannu.nl/artikel-2 | HTTP 404 Not Found |"), "{}", problems[0]);
        assert!(problems[1].starts_with("| warning | sources.csv:4 | S3 | blocked (403) |"));
        assert!(problems[2].starts_with("| error | sources.csv:6 | S5 | timeout |"));
        assert!(
            problems[2].contains("within 2 s after 2 attempts"),
            "newline folded"
        );
        assert!(problems[3].starts_with("| error | quotes.csv:4 | Q3 | not_found |"));
        for row in &problems {
            // Six cells: seven unescaped bars.
            let bars = row.matches('|').count() - row.matches("\\|").count();
            assert_eq!(bars, 7, "{row}");
        }
    }

    #[test]
    fn a_quote_holding_colon_space_keeps_its_whole_detail() {
        let mut report = sample();
        report.links = None;
        let quotes = report.quotes.as_mut().unwrap();
        let row = quotes
            .iter_mut()
            .find(|r| r.verdict == crate::locate::Verdict::NotFound)
            .unwrap();
        row.quote = "De regel: wie betaalt, bepaalt: zo gaat dat".to_string();
        let expected = cell(&quote_finding(row));
        assert!(
            expected.starts_with("not found in any cited source"),
            "{expected}"
        );
        let md = render_markdown(&report);
        let line = md
            .lines()
            .find(|l| l.contains("| not_found |"))
            .unwrap_or_else(|| panic!("{md}"));
        assert!(
            line.ends_with(&format!("| {expected} |")),
            "detail is the finding, not a piece of the quote: {line}"
        );
    }

    #[test]
    fn a_clean_check_has_no_quote_table() {
        let mut report = sample();
        report.command = "check";
        report.quotes = None;
        report.links.as_mut().unwrap().truncate(1);
        let md = render_markdown(&report);
        assert!(
            md.starts_with("## citecheck check\n\n**Passed**.\n\n"),
            "{md}"
        );
        assert!(!md.contains("quotes:"), "{md}");
        assert!(md.ends_with("No problems found.\n"), "{md}");
    }

    #[test]
    fn long_lists_are_cut() {
        let mut report = sample();
        let broken = report.link_rows()[1].clone();
        report.links = Some(vec![broken; MAX_PROBLEM_ROWS + 7]);
        report.quotes = None;
        let md = render_markdown(&report);
        assert!(md.contains("… and 7 more"), "{}", &md[md.len() - 200..]);
    }
}
