//! What a run shows besides links.csv and report.csv (which are always written): the
//! `--format` rendering on stdout or in `--output`, GitHub annotations under
//! `GITHUB_ACTIONS=true`, and the Markdown summary appended to `$GITHUB_STEP_SUMMARY`.
//!
//! Takes a finished [`RunReport`] and the resolved [`Publish`] settings; writes. Data goes to
//! stdout or the named files only; annotations go to stdout unless stdout already carries
//! data (`--links -`, `--report -`, or `--format` without `--output`), then to stderr.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::check::LinkRecord;
use crate::config::{Config, Mode};
pub use crate::config::{OutputFormat, Publish};
use crate::error::{Error, Result};
use crate::input::csv_rows::RowProblem;
use crate::report::quotes::QuoteRow;
use crate::report::summary::RunReport;
use crate::report::{github, json, junit, markdown, open_output};

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

/// The `--format` rendering of a run (`None` for `csv`).
/// Whether anything will be published beyond the CSV files: only then are a run's rows kept
/// in memory for it (a 100,000-URL `check` holds none).
pub fn wants_rows(settings: &Publish) -> bool {
    let ci = CiEnv::from_env();
    settings.format != OutputFormat::Csv || ci.github_actions || ci.step_summary.is_some()
}

/// Renders the run in a format; `None` for csv (the CSV files are the output).
pub fn render(format: OutputFormat, report: &RunReport) -> Option<Vec<u8>> {
    match format {
        OutputFormat::Csv => None,
        OutputFormat::Json => {
            let mut out = Vec::new();
            // Writing into a Vec cannot fail.
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

/// Writes the rendering, the annotations and the step summary of a finished run.
pub fn publish(report: &RunReport, settings: &Publish, ci: &CiEnv) -> Result<()> {
    if let Some(bytes) = render(settings.format, report) {
        let target = settings
            .output
            .clone()
            .unwrap_or_else(|| PathBuf::from("-"));
        let mut out = open_output(&target)?;
        out.write_all(&bytes)
            .and_then(|()| out.flush())
            .map_err(|e| write_error(&target, e))?;
    }
    if ci.github_actions {
        let lines: String = github::annotations(report, ci.workspace.as_deref())
            .iter()
            .map(|a| format!("{a}\n"))
            .collect();
        if settings.stdout_has_data {
            // stderr cannot usefully fail here; a closed stderr loses only the annotations.
            let _ = std::io::stderr().write_all(lines.as_bytes());
        } else {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(lines.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| write_error(Path::new("-"), e))?;
        }
    }
    if let Some(path) = &ci.step_summary {
        github::append_step_summary(path, &markdown::render_markdown(report))
            .map_err(|e| write_error(path, e))?;
    }
    Ok(())
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

/// The pipeline's hook: the rows of a finished `run`, `check` or `verify` (`None` for a stage
/// that did not run), published as `config` and the environment ask.
pub fn publish_run(
    config: &Config,
    links: Option<Vec<LinkRecord>>,
    quotes: Option<Vec<QuoteRow>>,
    skipped_rows: usize,
) -> Result<()> {
    let report = RunReport {
        command: match config.mode {
            Mode::Run => "run",
            Mode::Check => "check",
            Mode::Verify => "verify",
        },
        links,
        quotes,
        fail_on: config.fail_on.clone(),
        sources_file: config.sources.display().to_string(),
        quotes_file: config.quotes.display().to_string(),
        skipped_rows,
    };
    publish(&report, &config.publish, &CiEnv::from_env())
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
