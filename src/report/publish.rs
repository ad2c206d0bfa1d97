//! What a run shows besides links.csv and report.csv (which are always written): the
//! `--format` rendering on stdout or in `--output`, GitHub annotations under
//! `GITHUB_ACTIONS=true`, and the Markdown summary appended to `$GITHUB_STEP_SUMMARY`.
//!
//! A [`Publisher`] takes the rows as the run makes them, with the resolved [`Publish`]
//! settings, and writes at the end; [`publish`] does the same for a finished [`RunReport`]. Data goes to
//! stdout or the named files only; annotations go to stdout unless stdout already carries
//! data (`--links -`, `--report -`, or `--format` without `--output`), then to stderr.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::check::LinkRecord;
use crate::config::{Config, Mode};
pub use crate::config::{OutputFormat, Publish};
use crate::error::{Error, Result};
use crate::input::csv_rows::RowProblem;
use crate::report::json::JsonWriter;
use crate::report::junit::JunitWriter;
use crate::report::markdown::MarkdownWriter;
use crate::report::quotes::QuoteRow;
use crate::report::spool::Spool;
use crate::report::summary::{RunReport, Tally};
use crate::report::{github, open_output};
#[cfg(test)]
use crate::report::{json, junit, markdown};

/// What the CI environment asks for, read from the environment once.
#[derive(Debug, Clone, Default)]
pub struct CiEnv {
    /// `GITHUB_ACTIONS=true`: print workflow commands.
    pub github_actions: bool,
    /// `$GITHUB_STEP_SUMMARY`: append the Markdown summary here.
    pub step_summary: Option<PathBuf>,
    /// `$GITHUB_WORKSPACE`: annotation paths are made relative to it.
    pub workspace: Option<PathBuf>,
}

impl CiEnv {
    /// Reads `GITHUB_ACTIONS`, `GITHUB_STEP_SUMMARY` and `GITHUB_WORKSPACE`.
    pub fn from_env() -> CiEnv {
        let path = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        CiEnv {
            github_actions: std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
            step_summary: path("GITHUB_STEP_SUMMARY"),
            workspace: path("GITHUB_WORKSPACE"),
        }
    }
}

#[cfg(test)]
/// Renders the run in a format; `None` for csv (the CSV files are the output).
pub fn render(format: OutputFormat, report: &RunReport) -> Option<Vec<u8>> {
    match format {
        OutputFormat::Csv => None,
        OutputFormat::Json => {
            let mut out = Vec::new();
            // Writing into a Vec fails only if the spool's temporary file does.
            json::write_json(&mut out, report).ok()?;
            Some(out)
        }
        OutputFormat::Markdown => Some(markdown::render_markdown(report).into_bytes()),
        OutputFormat::Junit => Some(junit::render_junit(report).into_bytes()),
    }
}

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// What a run publishes besides links.csv and report.csv, made as the rows come: the
/// `--format` document, the GitHub annotations and the step summary. Rows are rendered at
/// once into spools on disk (or, for Markdown, only the problems it lists are kept), so
/// memory does not grow with the run; [`Publisher::finish`] writes the documents, whose
/// counts come first, at the end. A file named by `--output` is written beside itself and
/// renamed into place: a run stopped half-way leaves the old file or none, never a torn one.
pub struct Publisher {
    /// What the run is (command, `--fail-on`, file names); rows are not kept in it.
    report: RunReport,
    settings: Publish,
    ci: CiEnv,
    tally: Tally,
    json: Option<JsonWriter>,
    junit: Option<JunitWriter>,
    /// For `--format markdown` and the step summary.
    markdown: Option<MarkdownWriter>,
    /// Annotation lines, with the sources and quotes files as annotations name them.
    annotations: Option<(Spool, String, String)>,
    /// The first failure of a spool: said by `finish`, so that the CSV files are finished
    /// whatever happens here.
    failed: Option<std::io::Error>,
}

impl Publisher {
    /// A publisher for a run described by `report` (its rows, if any, are not looked at:
    /// `links`/`quotes` say only whether that stage runs); `None` when nothing is published
    /// beyond the CSV files.
    pub fn new(report: RunReport, settings: &Publish, ci: CiEnv) -> Result<Option<Publisher>> {
        let wanted =
            settings.format != OutputFormat::Csv || ci.github_actions || ci.step_summary.is_some();
        if !wanted {
            return Ok(None);
        }
        let target = settings
            .output
            .clone()
            .unwrap_or_else(|| PathBuf::from("-"));
        let spool_error = |e| write_error(&target, e);
        let report = RunReport {
            links: report.links.map(|_| Vec::new()),
            quotes: report.quotes.map(|_| Vec::new()),
            ..report
        };
        let annotations = if ci.github_actions {
            let sources = github::workflow_path(&report.sources_file, ci.workspace.as_deref());
            let quotes = github::workflow_path(&report.quotes_file, ci.workspace.as_deref());
            Some((Spool::new().map_err(spool_error)?, sources, quotes))
        } else {
            None
        };
        Ok(Some(Publisher {
            json: match settings.format {
                OutputFormat::Json => Some(JsonWriter::new().map_err(spool_error)?),
                _ => None,
            },
            junit: match settings.format {
                OutputFormat::Junit => Some(JunitWriter::new().map_err(spool_error)?),
                _ => None,
            },
            markdown: (settings.format == OutputFormat::Markdown || ci.step_summary.is_some())
                .then(MarkdownWriter::default),
            annotations,
            report,
            settings: settings.clone(),
            ci,
            tally: Tally::default(),
            failed: None,
        }))
    }

    fn keep_error(&mut self, result: std::io::Result<()>) {
        if let Err(e) = result
            && self.failed.is_none()
        {
            self.failed = Some(e);
        }
    }

    /// Counts `rows` more rows of the input files skipped as malformed (failures under
    /// `--fail-on input`; each has its own annotation, see [`annotate_problems`]).
    pub fn skipped_rows(&mut self, rows: usize) {
        self.report.skipped_rows += rows;
    }

    /// The quote stage did not run after all (a stopped `run`): the documents hold the
    /// link rows only.
    pub fn without_quotes(&mut self) {
        self.report.quotes = None;
    }

    /// Takes a links.csv row (in input order).
    pub fn link(&mut self, r: &LinkRecord) {
        let report = &self.report;
        self.tally.link(report, r);
        if let Some(m) = &mut self.markdown {
            m.link(report, r);
        }
        let mut results = Vec::new();
        if let Some(json) = &mut self.json {
            results.push(json.link(r));
        }
        if let Some(junit) = &mut self.junit {
            results.push(junit.link(report, r));
        }
        if let Some((spool, sources, _)) = &mut self.annotations
            && let Some(a) =
                github::link_annotation(report, sources, self.ci.workspace.as_deref(), r)
        {
            results.push(spool.push(format!("{a}\n").as_bytes()));
        }
        results.into_iter().for_each(|r| self.keep_error(r));
    }

    /// Takes a report.csv row (in input order, after the links).
    pub fn quote(&mut self, r: &QuoteRow) {
        let report = &self.report;
        self.tally.quote(report, r);
        if let Some(m) = &mut self.markdown {
            m.quote(report, r);
        }
        let mut results = Vec::new();
        if let Some(json) = &mut self.json {
            results.push(json.quote(r));
        }
        if let Some(junit) = &mut self.junit {
            results.push(junit.quote(report, r));
        }
        if let Some((spool, _, quotes)) = &mut self.annotations
            && let Some(a) = github::quote_annotation(report, quotes, r)
        {
            results.push(spool.push(format!("{a}\n").as_bytes()));
        }
        results.into_iter().for_each(|r| self.keep_error(r));
    }

    /// Writes the `--format` document, the annotations and the step summary.
    pub fn finish(self) -> Result<()> {
        let target = self
            .settings
            .output
            .clone()
            .unwrap_or_else(|| PathBuf::from("-"));
        if let Some(e) = self.failed {
            return Err(write_error(&target, e));
        }
        let report = &self.report;
        // Rendered once, for `--format markdown` and the step summary alike.
        let markdown = self
            .markdown
            .as_ref()
            .map(|m| m.finish(report, &self.tally));
        let document = |out: &mut dyn Write| -> std::io::Result<()> {
            if let Some(json) = self.json {
                json.finish(self.tally.summary(report), out)?;
            } else if let Some(junit) = self.junit {
                junit.finish(report, &self.tally, out)?;
            } else if let (OutputFormat::Markdown, Some(m)) = (self.settings.format, &markdown) {
                out.write_all(m.as_bytes())?;
            }
            out.flush()
        };
        if self.settings.format != OutputFormat::Csv {
            write_replacing(&target, document)?;
        }
        if let Some((spool, _, _)) = self.annotations {
            if self.settings.stdout_has_data {
                // stderr cannot usefully fail here; a closed stderr loses only the annotations.
                let _ = spool.copy_to(&mut std::io::stderr().lock());
            } else {
                let mut stdout = std::io::stdout().lock();
                spool
                    .copy_to(&mut stdout)
                    .and_then(|()| stdout.flush())
                    .map_err(|e| write_error(Path::new("-"), e))?;
            }
        }
        if let (Some(path), Some(m)) = (&self.ci.step_summary, &markdown) {
            github::append_step_summary(path, m).map_err(|e| write_error(path, e))?;
        }
        Ok(())
    }
}

/// Under `GITHUB_ACTIONS=true`: one annotation per malformed row an input file had (skipped),
/// at its file and line; an error when `--fail-on` counts them (`input`), else a warning.
pub fn annotate_problems(config: &Config, problems: &[RowProblem], fail: bool) -> Result<()> {
    let ci = CiEnv::from_env();
    if !ci.github_actions || problems.is_empty() {
        return Ok(());
    }
    let lines: String = problems
        .iter()
        .map(|p| {
            let annotation = github::Annotation {
                level: if fail {
                    github::Level::Error
                } else {
                    github::Level::Warning
                },
                file: github::workflow_path(&p.path.to_string_lossy(), ci.workspace.as_deref()),
                line: p.line,
                title: "malformed row".into(),
                message: p.reason.clone(),
            };
            format!("{annotation}\n")
        })
        .collect();
    if config.publish.stdout_has_data {
        let _ = std::io::stderr().write_all(lines.as_bytes());
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(lines.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| write_error(Path::new("-"), e))
}

/// Writes a whole output: to stdout for `-`; to a regular file (or a new one) through a
/// temporary file beside it, renamed into place when complete; to anything else (a device
/// such as /dev/null, a pipe, a symbolic link) directly.
pub(crate) fn write_replacing(
    target: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let in_place = target.as_os_str() == "-"
        || std::fs::symlink_metadata(target).is_ok_and(|m| !m.file_type().is_file());
    if in_place {
        let mut out = open_output(target)?;
        return write(&mut out).map_err(|e| write_error(target, e));
    }
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let result = (|| {
        std::fs::create_dir_all(&dir)?;
        let file = tempfile::NamedTempFile::new_in(&dir)?;
        crate::archive::files::set_default_mode(file.as_file())?;
        let mut out = std::io::BufWriter::new(file);
        write(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.persist(target).map_err(|e| e.error)?;
        Ok(())
    })();
    result.map_err(|e| write_error(target, e))
}

#[cfg(test)]
/// Writes the rendering, the annotations and the step summary of a finished run.
pub fn publish(report: &RunReport, settings: &Publish, ci: &CiEnv) -> Result<()> {
    let Some(mut publisher) = Publisher::new(report.clone(), settings, ci.clone())? else {
        return Ok(());
    };
    report.link_rows().iter().for_each(|r| publisher.link(r));
    report.quote_rows().iter().for_each(|r| publisher.quote(r));
    publisher.finish()
}

/// The pipeline's hook: a publisher for a `run`, `check` or `verify` as `config` and the
/// environment ask (`None` when only the CSV files are written). `links` and `quotes` say
/// whether those stages run.
pub fn publisher_for(config: &Config, links: bool, quotes: bool) -> Result<Option<Publisher>> {
    let report = RunReport {
        command: match config.mode {
            Mode::Run => "run",
            Mode::Check => "check",
            Mode::Verify => "verify",
        },
        links: links.then(Vec::new),
        quotes: quotes.then(Vec::new),
        fail_on: config.fail_on.clone(),
        sources_file: config.sources.display().to_string(),
        quotes_file: config.quotes.display().to_string(),
        skipped_rows: 0,
    };
    Publisher::new(report, &config.publish, CiEnv::from_env())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_stream_on_stdout() {
        let p = Publish::resolve(OutputFormat::Json, None, false, false).unwrap();
        assert!(p.stdout_has_data && p.output.is_none());
        let p = Publish::resolve(OutputFormat::Csv, None, false, false).unwrap();
        assert!(!p.stdout_has_data);
        let p = Publish::resolve(OutputFormat::Csv, None, true, false).unwrap();
        assert!(p.stdout_has_data);
        let p = Publish::resolve(OutputFormat::Junit, Some("r.xml".into()), true, false).unwrap();
        assert!(p.stdout_has_data, "--links - still carries data");
        let p = Publish::resolve(
            OutputFormat::Markdown,
            Some("report.markdown".into()),
            false,
            false,
        )
        .unwrap();
        assert!(!p.stdout_has_data);
        let e = Publish::resolve(OutputFormat::Json, None, true, false).unwrap_err();
        assert!(e.contains("--links -"), "{e}");
        let e = Publish::resolve(OutputFormat::Json, Some("-".into()), false, true).unwrap_err();
        assert!(e.contains("--report -"), "{e}");
        assert!(Publish::resolve(OutputFormat::Csv, Some("x".into()), false, false).is_err());
        let e = Publish::resolve(OutputFormat::Csv, None, true, true).unwrap_err();
        assert!(e.contains("--links - and --report -"), "{e}");
    }

    #[test]
    fn commands_write_different_csv_files() {
        let dash = Path::new("-");
        let file = Path::new("report.csv");
        // `check` does not write report.csv, so `--report -` does not take stdout.
        let p = Publish::for_command(Mode::Check, false, OutputFormat::Json, None, file, dash);
        assert!(p.is_ok());
        let p = Publish::for_command(Mode::Run, false, OutputFormat::Json, None, file, dash);
        assert!(p.is_err());
        // `verify` and `run --offline` write links.csv too (from the archive).
        let p = Publish::for_command(Mode::Verify, true, OutputFormat::Json, None, dash, file);
        assert!(p.is_err());
        let p = Publish::for_command(Mode::Run, true, OutputFormat::Json, None, dash, file);
        assert!(p.is_err());
    }

    fn settings(format: OutputFormat, output: &Path) -> Publish {
        Publish::resolve(format, Some(output.to_path_buf()), false, false).unwrap()
    }

    fn quiet_ci() -> CiEnv {
        CiEnv::default()
    }

    #[test]
    fn a_run_stopped_half_way_leaves_the_old_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run.json");
        std::fs::write(&out, "old\n").unwrap();
        let report = crate::report::summary::tests::sample();
        // Rows go in, the run dies before the end: the old file is untouched, and nothing
        // is left beside it.
        let mut publisher = Publisher::new(
            report.clone(),
            &settings(OutputFormat::Json, &out),
            quiet_ci(),
        )
        .unwrap()
        .unwrap();
        report.link_rows().iter().for_each(|r| publisher.link(r));
        drop(publisher);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        // A write that fails half-way (a full disk) leaves the old file and no temporary.
        let err = write_replacing(&out, |w| {
            w.write_all(b"{\n  \"summary\": ")?;
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        // A finished run replaces it with the whole document.
        for format in [
            OutputFormat::Json,
            OutputFormat::Junit,
            OutputFormat::Markdown,
        ] {
            publish(&report, &settings(format, &out), &quiet_ci()).unwrap();
            assert_eq!(
                std::fs::read(&out).unwrap(),
                render(format, &report).unwrap(),
                "{format:?}"
            );
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        }
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_written_in_place() {
        use std::os::unix::fs::FileTypeExt;
        let report = crate::report::summary::tests::sample();
        let null = Path::new("/dev/null");
        if null.exists() {
            publish(&report, &settings(OutputFormat::Junit, null), &quiet_ci()).unwrap();
            assert!(
                std::fs::symlink_metadata(null)
                    .unwrap()
                    .file_type()
                    .is_char_device()
            );
        }
    }

    #[test]
    fn memory_does_not_grow_with_the_rows() {
        let dir = tempfile::tempdir().unwrap();
        let sample = crate::report::summary::tests::sample();
        let broken = sample.link_rows()[1].clone();
        for format in [
            OutputFormat::Json,
            OutputFormat::Junit,
            OutputFormat::Markdown,
        ] {
            let out = dir.path().join(format!("{format:?}"));
            let ci = CiEnv {
                github_actions: false,
                step_summary: Some(dir.path().join("step-summary")),
                workspace: None,
            };
            let settings = settings(format, &out);
            let mut publisher = Publisher::new(sample.clone(), &settings, ci)
                .unwrap()
                .unwrap();
            let rows = 3 * markdown::MAX_PROBLEM_ROWS;
            for i in 0..rows {
                let mut row = broken.clone();
                row.index = i;
                row.line = i + 2;
                publisher.link(&row);
            }
            // Only what the Markdown lists is held; every other row went to a spool on disk.
            assert_eq!(
                publisher.markdown.as_ref().unwrap().held(),
                markdown::MAX_PROBLEM_ROWS
            );
            assert_eq!(publisher.tally.link_rows, rows);
            publisher.finish().unwrap();
            let text = std::fs::read_to_string(&out).unwrap();
            match format {
                OutputFormat::Json => {
                    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(doc["links"].as_array().unwrap().len(), rows);
                    assert_eq!(doc["summary"]["links"]["broken"], rows);
                }
                OutputFormat::Junit => {
                    assert_eq!(text.matches("<testcase ").count(), rows);
                    assert!(text.contains(&format!("tests=\"{rows}\" failures=\"{rows}\"")));
                }
                _ => assert!(text.contains(&format!("### Problems ({rows})")), "{text}"),
            }
        }
    }

    #[test]
    fn csv_renders_nothing_and_the_others_something() {
        let report = crate::report::summary::tests::sample();
        assert!(render(OutputFormat::Csv, &report).is_none());
        for f in [
            OutputFormat::Json,
            OutputFormat::Markdown,
            OutputFormat::Junit,
        ] {
            assert!(!render(f, &report).unwrap().is_empty(), "{f:?}");
        }
    }
}
