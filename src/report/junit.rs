//! `--format junit`: the run as JUnit XML, which GitLab (`artifacts:reports:junit`) and
//! Jenkins (the JUnit plugin) read: `<testsuites>` holding a `links` and a `quotes`
//! `<testsuite>`, one `<testcase>` per row. A row whose status or verdict `--fail-on` names
//! has a `<failure>`; a `blocked` or `duplicate` link that does not fail is `<skipped>`.
//!
//! Takes a [`RunReport`]; returns the document. Everything that comes from outside (URLs,
//! titles, errors, quotes) is escaped, and characters XML 1.0 does not allow (most control
//! characters) are replaced by U+FFFD, so a hostile page title cannot break the file.

use crate::check::LinkStatus;
use crate::report::summary::{RunReport, Severity, describe_link, describe_quote, one_line};

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
    outcome: Outcome,
}

enum Outcome {
    Pass,
    Failure { kind: String, message: String },
    Skipped { message: String },
}

fn suite(out: &mut String, name: &str, cases: &[Case]) {
    let failures = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Failure { .. }))
        .count();
    let skipped = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Skipped { .. }))
        .count();
    out.push_str(&format!(
        "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n",
        cases.len()
    ));
    for case in cases {
        let open = format!(
            "    <testcase classname=\"citecheck.{name}\" name=\"{}\" file=\"{}\" line=\"{}\"",
            escape_xml(&case.name),
            escape_xml(&case.file),
            case.line
        );
        match &case.outcome {
            Outcome::Pass => out.push_str(&format!("{open}/>\n")),
            Outcome::Failure { kind, message } => out.push_str(&format!(
                "{open}>\n      <failure type=\"{}\" message=\"{}\">{}:{}: {}</failure>\n    </testcase>\n",
                escape_xml(kind),
                escape_xml(message),
                escape_xml(&case.file),
                case.line,
                escape_xml(message)
            )),
            Outcome::Skipped { message } => out.push_str(&format!(
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                escape_xml(message)
            )),
        }
    }
    out.push_str("  </testsuite>\n");
}

/// Renders the document.
pub fn render_junit(report: &RunReport) -> String {
    let links: Vec<Case> = report
        .link_rows()
        .iter()
        .map(|r| Case {
            name: format!("{} {}", r.id, one_line(&r.url, 300)),
            file: report.link_file(r).to_string(),
            line: r.line,
            outcome: match report.link_severity(r) {
                Severity::Fail => Outcome::Failure {
                    kind: r.status_str().to_string(),
                    message: describe_link(r),
                },
                _ if matches!(r.status, LinkStatus::Blocked | LinkStatus::Duplicate) => {
                    Outcome::Skipped {
                        message: describe_link(r),
                    }
                }
                _ => Outcome::Pass,
            },
        })
        .collect();
    let quotes: Vec<Case> = report
        .quote_rows()
        .iter()
        .map(|r| Case {
            name: format!("{} {}", r.id, one_line(&r.quote, 100)),
            file: report.quotes_file.clone(),
            line: r.line,
            outcome: match report.quote_severity(r) {
                Severity::Fail => Outcome::Failure {
                    kind: r.verdict.as_str().to_string(),
                    message: describe_quote(r),
                },
                _ => Outcome::Pass,
            },
        })
        .collect();
    let all = links.iter().chain(&quotes);
    let failures = all
        .clone()
        .filter(|c| matches!(c.outcome, Outcome::Failure { .. }))
        .count();
    let skipped = all
        .filter(|c| matches!(c.outcome, Outcome::Skipped { .. }))
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"citecheck {}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n",
        report.command,
        links.len() + quotes.len()
    ));
    suite(&mut out, "links", &links);
    suite(&mut out, "quotes", &quotes);
    out.push_str("</testsuites>\n");
    out
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
