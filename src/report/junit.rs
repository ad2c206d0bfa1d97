//! `--format junit`: the run as JUnit XML, which GitLab (`artifacts:reports:junit`) and
//! Jenkins (the JUnit plugin) read: `<testsuites>` holding a `links` and a `quotes`
//! `<testsuite>`, one `<testcase>` per row. A row whose status or verdict `--fail-on` names
//! has a `<failure>`; a `blocked` or `duplicate` link that does not fail is `<skipped>`.
//!
//! [`JunitWriter`] takes rows as the run makes them (the counts in the headers are written
//! at the end); [`render_junit`] renders a finished [`RunReport`] the same way. Everything that comes from outside (URLs,
//! titles, errors, quotes) is escaped, and characters XML 1.0 does not allow (most control
//! characters) are replaced by U+FFFD, so a hostile page title cannot break the file.

use std::io::Write;

use crate::check::LinkRecord;
use crate::report::quotes::QuoteRow;
use crate::report::spool::Spool;
use crate::report::summary::{
    CaseOutcome, RunReport, Severity, Tally, describe_link, describe_quote, junit_outcome, one_line,
};

/// Escapes text for element content and attribute values alike (attribute-safe: quotes
/// and white-space controls are written as references so that parsers keep them).
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            // XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// One `<testcase>`, before rendering.
struct Case {
    name: String,
    file: String,
    line: usize,
    outcome: CaseResult,
}

enum CaseResult {
    Pass,
    Failure { kind: String, message: String },
    Skipped { message: String },
}

/// A `<testcase>` element of suite `suite`, with its newline.
fn case_xml(suite: &str, case: &Case) -> String {
    let open = format!(
        "    <testcase classname=\"citecheck.{suite}\" name=\"{}\" file=\"{}\" line=\"{}\"",
        escape_xml(&case.name),
        escape_xml(&case.file),
        case.line
    );
    match &case.outcome {
        CaseResult::Pass => format!("{open}/>\n"),
        CaseResult::Failure { kind, message } => format!(
            "{open}>\n      <failure type=\"{}\" message=\"{}\">{}:{}: {}</failure>\n    </testcase>\n",
            escape_xml(kind),
            escape_xml(message),
            escape_xml(&case.file),
            case.line,
            escape_xml(message)
        ),
        CaseResult::Skipped { message } => format!(
            "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
            escape_xml(message)
        ),
    }
}

/// The JUnit document of a run, written as it goes: each row becomes its `<testcase>` at
/// once, in a spool on disk per suite; [`JunitWriter::finish`] writes the counts, which
/// come first in the document, and then copies the cases out.
pub struct JunitWriter {
    links: Spool,
    quotes: Spool,
}

impl JunitWriter {
    /// An empty document.
    pub fn new() -> std::io::Result<JunitWriter> {
        Ok(JunitWriter {
            links: Spool::new()?,
            quotes: Spool::new()?,
        })
    }

    /// Adds a links.csv row; `report` says what fails and names the sources file.
    pub fn link(&mut self, report: &RunReport, r: &LinkRecord) -> std::io::Result<()> {
        let outcome = match junit_outcome(report.link_severity(r), r.status) {
            CaseOutcome::Failure => CaseResult::Failure {
                kind: r.status_str().to_string(),
                message: describe_link(r),
            },
            CaseOutcome::Skipped => CaseResult::Skipped {
                message: describe_link(r),
            },
            CaseOutcome::Pass => CaseResult::Pass,
        };
        let case = Case {
            name: format!("{} {}", r.id, one_line(&r.url, 300)),
            file: report.link_file(r).to_string(),
            line: r.line,
            outcome,
        };
        self.links.push(case_xml("links", &case).as_bytes())
    }

    /// Adds a report.csv row.
    pub fn quote(&mut self, report: &RunReport, r: &QuoteRow) -> std::io::Result<()> {
        let outcome = match report.quote_severity(r) {
            Severity::Fail => CaseResult::Failure {
                kind: r.verdict.as_str().to_string(),
                message: describe_quote(r),
            },
            _ => CaseResult::Pass,
        };
        let case = Case {
            name: format!("{} {}", r.id, one_line(&r.quote, 100)),
            file: report.quotes_file.clone(),
            line: r.line,
            outcome,
        };
        self.quotes.push(case_xml("quotes", &case).as_bytes())
    }

    /// Writes the whole document; `tally` holds the counts of the rows given.
    pub fn finish(
        self,
        report: &RunReport,
        tally: &Tally,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let failures = tally.link_failures + tally.quote_failures;
        write!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"citecheck {}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{}\">\n",
            report.command,
            tally.link_rows + tally.quote_rows,
            tally.link_skipped
        )?;
        for (name, spool, tests, failures, skipped) in [
            (
                "links",
                self.links,
                tally.link_rows,
                tally.link_failures,
                tally.link_skipped,
            ),
            (
                "quotes",
                self.quotes,
                tally.quote_rows,
                tally.quote_failures,
                0,
            ),
        ] {
            writeln!(
                out,
                "  <testsuite name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">"
            )?;
            spool.copy_to(out)?;
            out.write_all(b"  </testsuite>\n")?;
        }
        out.write_all(b"</testsuites>\n")?;
        out.flush()
    }
}

#[cfg(test)]
/// Renders the document of a finished run.
pub fn render_junit(report: &RunReport) -> String {
    let render = || -> std::io::Result<Vec<u8>> {
        let mut writer = JunitWriter::new()?;
        let mut tally = Tally::default();
        for r in report.link_rows() {
            tally.link(report, r);
            writer.link(report, r)?;
        }
        for r in report.quote_rows() {
            tally.quote(report, r);
            writer.quote(report, r)?;
        }
        let mut out = Vec::new();
        writer.finish(report, &tally, &mut out)?;
        Ok(out)
    };
    // Only the temporary files can fail; the document is then said to be missing.
    match render() {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => format!("<!-- citecheck: no JUnit document: {e} -->\n"),
    }
}

/// Shared with the integration tests: one checker for both.
#[cfg(test)]
#[path = "../../tests/common/xml.rs"]
mod xml;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::summary::tests::sample;

    use super::xml;

    #[test]
    fn escaping_covers_markup_quotes_and_controls() {
        assert_eq!(
            escape_xml("a<b>&\"c\"'\n\u{1}\u{FFFF}é"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;&#10;\u{FFFD}\u{FFFD}é"
        );
    }

    #[test]
    fn suites_cases_failures_and_skips() {
        let mut report = sample();
        // A hostile title and URL must not break the document.
        report.links.as_mut().unwrap()[1].url =
            "https://x.nl/\"><script>alert(1)</script>&\u{0}".into();
        let text = render_junit(&report);
        let doc = xml::parse(&text).unwrap();
        assert_eq!(doc.name, "testsuites");
        assert_eq!(doc.attr("tests"), Some("8"));
        assert_eq!(doc.attr("failures"), Some("3"));
        assert_eq!(doc.attr("skipped"), Some("2"));
        let suites: Vec<&xml::Element> = doc.children("testsuite").collect();
        assert_eq!(suites.len(), 2);
        let (links, quotes) = (suites[0], suites[1]);
        assert_eq!(links.attr("name"), Some("links"));
        assert_eq!(
            (
                links.attr("tests"),
                links.attr("failures"),
                links.attr("skipped")
            ),
            (Some("5"), Some("2"), Some("2"))
        );
        let cases: Vec<&xml::Element> = links.children("testcase").collect();
        assert_eq!(cases.len(), 5);
        assert!(cases[0].children("failure").next().is_none());
        let failure = cases[1].children("failure").next().unwrap();
        assert_eq!(failure.attr("type"), Some("broken"));
        assert!(
            cases[1]
                .attr("name")
                .unwrap()
                .contains("\"><script>alert(1)</script>&\u{FFFD}")
        );
        assert!(
            failure.text().starts_with("sources.csv:3: S2 "),
            "{}",
            failure.text()
        );
        assert_eq!(cases[1].attr("line"), Some("3"));
        assert_eq!(cases[1].attr("file"), Some("sources.csv"));
        assert!(cases[2].children("skipped").next().is_some(), "blocked");
        assert!(cases[3].children("skipped").next().is_some(), "duplicate");
        let timeout = cases[4].children("failure").next().unwrap();
        assert!(
            timeout
                .attr("message")
                .unwrap()
                .contains("2 s after 2 attempts"),
            "{timeout:?}"
        );
        assert_eq!(quotes.attr("name"), Some("quotes"));
        let qcases: Vec<&xml::Element> = quotes.children("testcase").collect();
        assert_eq!(qcases.len(), 3);
        assert_eq!(qcases[2].attr("line"), Some("4"));
        assert_eq!(
            qcases[2].children("failure").next().unwrap().attr("type"),
            Some("not_found")
        );
        assert!(
            qcases[1].children("failure").next().is_none(),
            "approximate passes"
        );
    }

    #[test]
    fn fail_on_blocked_turns_the_skip_into_a_failure() {
        let mut report = sample();
        report.fail_on = crate::config::FailOn::parse("blocked,duplicate").unwrap();
        let doc = xml::parse(&render_junit(&report)).unwrap();
        assert_eq!(doc.attr("failures"), Some("2"));
        assert_eq!(doc.attr("skipped"), Some("0"));
    }

    #[test]
    fn an_empty_quotes_suite_is_still_there() {
        let mut report = sample();
        report.quotes = None;
        let doc = xml::parse(&render_junit(&report)).unwrap();
        let quotes = doc.children("testsuite").nth(1).unwrap();
        assert_eq!(quotes.attr("tests"), Some("0"));
    }
}
