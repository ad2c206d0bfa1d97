//! GitHub Actions: workflow commands that annotate the sources and quotes files
//! (`::error file=sources.csv,line=3,title=broken link::…`), and the Markdown step summary.
//!
//! Takes a [`RunReport`]; returns [`Annotation`]s: an error for each row `--fail-on` names, a
//! warning for each `blocked` link or `approximate` quote that does not fail. Escaping
//! follows GitHub's runner: in the message `%`, CR and LF become `%25`, `%0D`, `%0A`; in a
//! property also `:` and `,` become `%3A` and `%2C` (else a title with a colon would end the
//! property list, and a newline in a page title would start a new command).

use std::fmt;
use std::io::Write;
use std::path::Path;

use crate::check::LinkRecord;
use crate::report::quotes::QuoteRow;
use crate::report::summary::{RunReport, Severity, describe_link, describe_quote};

/// Escapes the message part of a workflow command.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`) of a workflow command.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// `error` or `warning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Fails the run.
    Error,
    /// Worth a look.
    Warning,
}

/// One workflow command pointing at a line of an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// Error or warning.
    pub level: Level,
    /// The file, relative to the repository root.
    pub file: String,
    /// 1-based line (the header is line 1); 0 when unknown.
    pub line: usize,
    /// Short title.
    pub title: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Annotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(f, "::{level} file={}", escape_property(&self.file))?;
        if self.line > 0 {
            write!(f, ",line={}", self.line)?;
        }
        write!(
            f,
            ",title={}::{}",
            escape_property(&self.title),
            escape_data(&self.message)
        )
    }
}

/// The path GitHub wants: relative to the workspace when under it, with `/` separators.
pub fn workflow_path(path: &str, workspace: Option<&Path>) -> String {
    let p = Path::new(path);
    let relative = workspace
        .filter(|_| p.is_absolute())
        .and_then(|ws| p.strip_prefix(ws).ok())
        .unwrap_or(p);
    let text = relative.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}

fn level(severity: Severity) -> Option<Level> {
    match severity {
        Severity::Fail => Some(Level::Error),
        Severity::Warn => Some(Level::Warning),
        Severity::Pass => None,
    }
}

/// The annotation of a links.csv row, if it gets one; `sources` is the sources file as
/// [`workflow_path`] gives it (a row read from another input file names its own).
pub fn link_annotation(
    report: &RunReport,
    sources: &str,
    workspace: Option<&Path>,
    r: &LinkRecord,
) -> Option<Annotation> {
    Some(Annotation {
        level: level(report.link_severity(r))?,
        file: match &r.file {
            Some(_) => workflow_path(report.link_file(r), workspace),
            None => sources.to_string(),
        },
        line: r.line,
        title: format!("{} link", r.status_str()),
        message: describe_link(r),
    })
}

/// The annotation of a report.csv row, if it gets one; `file` is the quotes file.
pub fn quote_annotation(report: &RunReport, file: &str, r: &QuoteRow) -> Option<Annotation> {
    Some(Annotation {
        level: level(report.quote_severity(r))?,
        file: file.to_string(),
        line: r.line,
        title: format!("quote {}", r.verdict),
        message: describe_quote(r),
    })
}

#[cfg(test)]
/// The annotations of a run, links first, in input order.
pub fn annotations(report: &RunReport, workspace: Option<&Path>) -> Vec<Annotation> {
    let sources = workflow_path(&report.sources_file, workspace);
    let quotes = workflow_path(&report.quotes_file, workspace);
    let links = report
        .link_rows()
        .iter()
        .filter_map(|r| link_annotation(report, &sources, workspace, r));
    let quotes = report
        .quote_rows()
        .iter()
        .filter_map(|r| quote_annotation(report, &quotes, r));
    links.chain(quotes).collect()
}

/// Appends the Markdown summary to the file `$GITHUB_STEP_SUMMARY` names.
pub fn append_step_summary(path: &Path, markdown: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(markdown.as_bytes())?;
    if !markdown.ends_with('\n') {
        file.write_all(b"\n")?;
    }
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::summary::tests::sample;

    #[test]
    fn escaping_as_the_runner_reads_it() {
        assert_eq!(
            escape_data("50% klaar\r\nnu: a,b"),
            "50%25 klaar%0D%0Anu: a,b"
        );
        assert_eq!(
            escape_property("50% klaar\r\nnu: a,b"),
            "50%25 klaar%0D%0Anu%3A a%2Cb"
        );
        // `%` first, else the escapes of the others would be escaped again.
        assert_eq!(escape_property("%3A"), "%253A");
    }

    #[test]
    fn errors_and_warnings_point_at_file_and_line() {
        let lines: Vec<String> = annotations(&sample(), None)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(lines.len(), 5, "{lines:#?}");
        assert_eq!(
            lines[0],
            "::error file=sources.csv,line=3,title=broken link::S2 https://www.overheidvannu.nl/artikel-2 is broken (HTTP 404): HTTP 404 Not Found"
        );
        assert!(lines[1].starts_with("::warning file=sources.csv,line=4,title=blocked link::S3 "));
        assert!(lines[2].starts_with("::error file=sources.csv,line=6,title=timeout link::"));
        assert!(
            lines[3].starts_with("::warning file=quotes.csv,line=3,title=quote approximate::Q2 ")
        );
        assert!(lines[4].starts_with("::error file=quotes.csv,line=4,title=quote not_found::Q3 "));
        for line in &lines {
            assert!(!line.contains('\n') && !line.contains('\r'), "{line}");
        }
    }

    #[test]
    fn newlines_and_percent_in_messages_are_escaped() {
        let mut report = sample();
        report.links.as_mut().unwrap()[1].error = "100% kapot\nregel twee".into();
        report.sources_file = "lijsten/bronnen, 2025:v1.csv".into();
        let first = annotations(&report, None)[0].to_string();
        assert!(
            first.starts_with("::error file=lijsten/bronnen%2C 2025%3Av1.csv,line=3,"),
            "{first}"
        );
        assert!(
            first.ends_with("HTTP 404): 100%25 kapot regel twee"),
            "{first}"
        );
    }

    #[test]
    fn paths_are_relative_to_the_workspace() {
        let ws = Path::new("/home/runner/work/repo/repo");
        assert_eq!(
            workflow_path(
                "/home/runner/work/repo/repo/docs/interbestuurlijk-samenwerken.txt",
                Some(ws)
            ),
            "docs/interbestuurlijk-samenwerken.txt"
        );
        assert_eq!(workflow_path("./sources.csv", Some(ws)), "sources.csv");
        assert_eq!(workflow_path("/elders/s.csv", Some(ws)), "/elders/s.csv");
    }

    #[test]
    fn the_step_summary_is_appended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("step-summary");
        std::fs::write(&path, "# eerder\n").unwrap();
        append_step_summary(&path, "## citecheck\n").unwrap();
        append_step_summary(&path, "tweede").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "# eerder\n## citecheck\ntweede\n"
        );
    }
}
