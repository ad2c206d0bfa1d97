//! `report.html` from files: reads `links.csv` and `report.csv` back (by column name, so
//! extra or reordered columns do no harm), loads the archived texts the quote rows point at,
//! and writes the page of [`crate::report::html::render`]. Serves `citecheck report` and the
//! `--html` option of `run`/`check`/`verify`; it never touches the network.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::archive::paths::inside_archive;
use crate::check::{LinkRecord, LinkStatus};
use crate::config::Mode;
use crate::error::{Error, Result};
use crate::locate::Verdict;
use crate::report::csv_guard;
use crate::report::html::{ReportInput, render};
use crate::report::quotes::{QuoteRegion, QuoteRow};

/// The files `report.html` is made from, and where it goes: `citecheck report`'s options, or
/// a run's files with `--html`.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    /// The links.csv of a run.
    pub links: PathBuf,
    /// The report.csv of a run.
    pub report: PathBuf,
    /// The archive folder whose texts the report's offsets refer to.
    pub archive: PathBuf,
    /// Where the page goes (`-` for stdout).
    pub html: PathBuf,
}

/// A run's input files, named in the page's summary.
#[derive(Debug, Clone)]
pub struct RunFiles {
    /// The sources file.
    pub sources: PathBuf,
    /// The quotes file.
    pub quotes: PathBuf,
}

/// Largest archived text read for a passage; a bigger file is no article text.
const MAX_TEXT_BYTES: u64 = 20 * 1024 * 1024;

/// What one page is rendered from.
#[derive(Debug, Clone, Default)]
pub struct HtmlJob {
    /// `links.csv`, if there is one to show.
    pub links: Option<PathBuf>,
    /// `report.csv`, if there is one to show.
    pub report: Option<PathBuf>,
    /// The archive folder the quote rows' `text_path` is relative to.
    pub archive: PathBuf,
    /// The input files named in the summary, as (role, name).
    pub files: Vec<(String, String)>,
    /// Where the page goes (`-` for stdout).
    pub html: PathBuf,
}

/// How times read in the summary: `2025-05-01 10:12:03 UTC`.
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S UTC";

/// The current time for the summary.
pub fn now_utc() -> String {
    jiff::Timestamp::now().strftime(TIME_FORMAT).to_string()
}

/// A CSV file's rows as a header-indexed table.
struct Table {
    columns: HashMap<String, usize>,
    rows: Vec<csv::StringRecord>,
}

impl Table {
    fn read(path: &Path, required: &[&str]) -> Result<Table> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .map_err(|e| read_error(path, e))?;
        let columns = header_columns(path, &mut reader, required)?;
        let mut rows = Vec::new();
        for (n, record) in reader.records().enumerate() {
            match record {
                Ok(record) => rows.push(record),
                // A torn row is reported and skipped, as for the input files.
                Err(e) => tracing::warn!("{}:{}: {e}; row skipped", path.display(), n + 2),
            }
        }
        Ok(Table { columns, rows })
    }

    /// A cell as the run had it: the formula guard's `'` ([`csv_guard`]) taken off again.
    fn get<'r>(&self, row: &'r csv::StringRecord, column: &str) -> &'r str {
        self.columns
            .get(column)
            .and_then(|&i| row.get(i))
            .map(csv_guard::unguard)
            .unwrap_or("")
    }

    /// A typed cell: `None`, with a warning that the row is skipped, for a name this version
    /// does not know (a hand-edited file): such a row cannot be counted or judged.
    fn named<T>(
        &self,
        path: &Path,
        row: &csv::StringRecord,
        column: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Option<T> {
        let text = self.get(row, column);
        let value = parse(text);
        if value.is_none() {
            tracing::warn!(
                "{}:{}: unknown {column} '{text}'; row skipped",
                path.display(),
                row.position().map_or(0, |p| p.line()),
            );
        }
        value
    }
}

/// The columns of a CSV file's header by name (a BOM and spaces set aside); an error when
/// one of `required` is missing.
fn header_columns<R: std::io::Read>(
    path: &Path,
    reader: &mut csv::Reader<R>,
    required: &[&str],
) -> Result<HashMap<String, usize>> {
    let headers = reader.headers().map_err(|e| read_error(path, e))?;
    let columns: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim_start_matches('\u{feff}').trim().to_string(), i))
        .collect();
    if let Some(missing) = required.iter().find(|c| !columns.contains_key(**c)) {
        return Err(Error::Input {
            path: path.to_path_buf(),
            reason: format!("no `{missing}` column"),
        });
    }
    Ok(columns)
}

fn read_error(path: &Path, e: csv::Error) -> Error {
    let reason = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(source) => Error::Read {
            path: path.to_path_buf(),
            source,
        },
        _ => Error::Input {
            path: path.to_path_buf(),
            reason,
        },
    }
}

/// The rows of a `links.csv`.
pub fn read_links(path: &Path) -> Result<Vec<LinkRecord>> {
    Ok(LinkRows::open(path, false)?.collect())
}

/// The rows of a `links.csv` one at a time (`--resume` streams an earlier run's file), each
/// with its position among the rows as `index`. With `drop_torn`, a row the file ends in
/// without a newline (a run that died while writing it) is not given.
pub struct LinkRows {
    path: std::path::PathBuf,
    reader: csv::Reader<std::fs::File>,
    columns: HashMap<String, usize>,
    record: csv::StringRecord,
    next_index: usize,
    /// Where a torn last row would end: the file's length when it lacks a final newline.
    torn_at: Option<u64>,
}

impl LinkRows {
    /// Opens the file and checks its header.
    pub fn open(path: &Path, drop_torn: bool) -> Result<LinkRows> {
        use std::io::{Read, Seek, SeekFrom};
        let read = |source| Error::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(read)?;
        let len = file.metadata().map_err(read)?.len();
        let mut last = [0u8; 1];
        let torn_at = if drop_torn && len > 0 {
            file.seek(SeekFrom::End(-1)).map_err(read)?;
            file.read_exact(&mut last).map_err(read)?;
            file.seek(SeekFrom::Start(0)).map_err(read)?;
            (last[0] != b'\n').then_some(len)
        } else {
            None
        };
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
        let columns = header_columns(path, &mut reader, &["url", "status"])?;
        Ok(LinkRows {
            path: path.to_path_buf(),
            reader,
            columns,
            record: csv::StringRecord::new(),
            next_index: 0,
            torn_at,
        })
    }

    fn get(&self, column: &str) -> &str {
        self.columns
            .get(column)
            .and_then(|&i| self.record.get(i))
            .map(csv_guard::unguard)
            .unwrap_or("")
    }
}

impl Iterator for LinkRows {
    type Item = LinkRecord;

    fn next(&mut self) -> Option<LinkRecord> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {}
                // A torn row is reported and skipped, as for the input files.
                Err(e) => {
                    tracing::warn!(
                        "{}:{}: {e}; row skipped",
                        self.path.display(),
                        self.next_index + 2
                    );
                    continue;
                }
            }
            if self
                .torn_at
                .is_some_and(|len| self.reader.position().byte() >= len)
            {
                return None;
            }
            let index = self.next_index;
            self.next_index += 1;
            let status = self.get("status");
            let Some(status) = LinkStatus::from_name(status) else {
                tracing::warn!(
                    "{}:{}: unknown status '{status}'; row skipped",
                    self.path.display(),
                    self.record.position().map_or(0, |p| p.line()),
                );
                continue;
            };
            let get = |c: &str| self.get(c).to_string();
            return Some(LinkRecord {
                index,
                id: get("id"),
                url: get("url"),
                http_status: self.get("http_status").parse().ok(),
                final_url: get("final_url"),
                redirects: self.get("redirects").parse().unwrap_or(0),
                archived_url: get("archived_url"),
                title: get("title"),
                error: get("error"),
                // An unknown reason only loses its name: the row itself still counts.
                reason: crate::check::Reason::from_name(self.get("reason")),
                redirect_chain: get("redirect_chain"),
                attempts: self.get("attempts").parse().unwrap_or(0),
                content_type: get("content_type"),
                fetched_at: get("fetched_at"),
                duplicate_of: get("duplicate_of"),
                changed: self.get("changed").parse().ok(),
                cached: self.get("cached") == "true",
                checked_from: crate::check::CheckedFrom::from_name(self.get("checked_from"))
                    .unwrap_or_default(),
                capture_date: get("capture_date"),
                ..LinkRecord::new(status)
            });
        }
    }
}

/// The rows of a `report.csv`.
pub fn read_quote_rows(path: &Path) -> Result<Vec<QuoteRow>> {
    let table = Table::read(path, &["quote", "verdict"])?;
    Ok(table
        .rows
        .iter()
        .filter_map(|row| {
            let get = |c: &str| table.get(row, c).to_string();
            let num = |c: &str| table.get(row, c).parse::<usize>().ok();
            let score = |c: &str| table.get(row, c).parse::<f64>().ok();
            Some(QuoteRow {
                id: get("id"),
                theme: get("theme"),
                quote: get("quote"),
                verdict: table.named(path, row, "verdict", Verdict::from_name)?,
                source_url: get("source_url"),
                score: score("score"),
                start: num("start"),
                end: num("end"),
                matched_text: get("matched_text"),
                context: get("context"),
                speaker: get("speaker"),
                speaker_role: get("speaker_role"),
                claimed_source: get("claimed_source"),
                note: get("note"),
                via: get("via"),
                differences: get("differences"),
                omitted: get("omitted"),
                also_found_in: get("also_found_in"),
                best_score: score("best_score"),
                best_source: get("best_source"),
                text_path: get("text_path"),
                speaker_confidence: get("speaker_confidence"),
                region: QuoteRegion::from_name(table.get(row, "region")),
                line: 0,
            })
        })
        .collect())
}

/// `rel` under `archive`, only for a plain relative path (no `..`, no root): the report is
/// input, and its paths must not reach outside the archive.
/// The same rule as the archive's own readers ([`inside_archive`]).
pub fn archive_file(archive: &Path, rel: &str) -> Option<PathBuf> {
    inside_archive(archive, rel)
}

/// The archived texts the rows point at, by `text_path`; a missing or unreadable file is
/// warned about and left out (the page then shows the `context` column).
pub fn load_texts(archive: &Path, rows: &[QuoteRow]) -> HashMap<String, String> {
    let mut texts = HashMap::new();
    for row in rows {
        if row.text_path.is_empty() || texts.contains_key(&row.text_path) {
            continue;
        }
        let Some(path) = archive_file(archive, &row.text_path) else {
            tracing::warn!(
                "report: text_path {:?} is not inside the archive",
                row.text_path
            );
            continue;
        };
        // No symlink is followed: a text file (or `text/`) pointing outside the archive
        // must not put a file from elsewhere into the page.
        let read =
            crate::archive::files::read_inside(archive, Path::new(&row.text_path), MAX_TEXT_BYTES);
        match read {
            // Texts are written as UTF-8; a damaged byte must not cost the whole passage.
            Ok(bytes) => {
                texts.insert(
                    row.text_path.clone(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                );
            }
            Err(e) => tracing::warn!("report: cannot read {}: {e}", path.display()),
        }
    }
    texts
}

/// Renders the page for `job` with the time `generated_at`.
pub fn render_job(job: &HtmlJob, generated_at: &str) -> Result<String> {
    let links = match &job.links {
        Some(path) => read_links(path)?,
        None => Vec::new(),
    };
    let quotes = match &job.report {
        Some(path) => read_quote_rows(path)?,
        None => Vec::new(),
    };
    let texts = load_texts(&job.archive, &quotes);
    let earlier = load_earlier(&job.archive, &links, &quotes);
    let shots = load_shots(&job.archive, &job.html, &quotes);
    let checked_at = links
        .iter()
        .filter_map(|l| l.fetched_at.parse::<jiff::Timestamp>().ok())
        .min()
        .map(|t| t.strftime(TIME_FORMAT).to_string())
        .unwrap_or_default();
    Ok(render(&ReportInput {
        generated_at: generated_at.to_string(),
        checked_at,
        files: job.files.clone(),
        links,
        quotes,
        texts,
        earlier,
        shots,
    }))
}

/// The pictures of the located quotes (`archive/shots/shots.jsonl`, the latest per quote),
/// linked relative to the report's folder. A line whose file is not a plain
/// `shots/….png` inside the archive, or is missing, is left out.
fn load_shots(
    archive: &Path,
    html: &Path,
    quotes: &[QuoteRow],
) -> HashMap<String, crate::report::html::ShotLink> {
    use crate::archive::shots::{latest_entries, quote_id};
    let mut out = HashMap::new();
    if !quotes.iter().any(|q| q.start.is_some()) {
        return out;
    }
    let entries = match latest_entries(archive) {
        Ok(entries) => entries,
        Err(e) => {
            tracing::warn!("report: screenshots in {}: {e}", archive.display());
            return out;
        }
    };
    if entries.is_empty() {
        return out;
    }
    let report_dir = match html.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) if html.as_os_str() != "-" => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    for (index, row) in quotes.iter().enumerate() {
        let id = quote_id(&row.id, index);
        let key = (crate::archive::store::url_key(&row.source_url), id.clone());
        let Some(entry) = entries.get(&key) else {
            continue;
        };
        let plain = entry.path.strip_prefix("shots/").is_some_and(|name| {
            name.ends_with(".png")
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        });
        let file = archive_file(archive, &entry.path).filter(|_| plain);
        let Some(file) = file.filter(|_| {
            crate::archive::files::open_inside(archive, Path::new(&entry.path)).is_ok()
        }) else {
            tracing::warn!("report: screenshot {:?} is not in the archive", entry.path);
            continue;
        };
        if let Some(href) = relative_href(&report_dir, &file) {
            out.insert(
                crate::report::html::shot_key(&row.source_url, &id),
                crate::report::html::ShotLink {
                    href,
                    capture_fetched_at: entry.capture_fetched_at.clone(),
                },
            );
        }
    }
    out
}

/// `target` as a link from a page in `from_dir`: a relative path (both made absolute
/// without following links), each segment percent-encoded.
fn relative_href(from_dir: &Path, target: &Path) -> Option<String> {
    use std::path::Component;
    let from = std::path::absolute(from_dir).ok()?;
    let to = std::path::absolute(target).ok()?;
    let normal = |p: &Path| -> Option<Vec<String>> {
        let mut parts: Vec<String> = Vec::new();
        for c in p.components() {
            match c {
                Component::Normal(s) => parts.push(s.to_str()?.to_string()),
                Component::ParentDir => {
                    parts.pop();
                }
                _ => {}
            }
        }
        Some(parts)
    };
    let (from, to) = (normal(&from)?, normal(&to)?);
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let parts: Vec<String> = std::iter::repeat_n("..".to_string(), from.len() - common)
        .chain(
            to[common..]
                .iter()
                .map(|s| percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()),
        )
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// For each located quote's page whose text changed (`changed` in links.csv), the capture
/// before the latest and its text, read from the archive; a page that cannot be read back
/// is said in the log and shows no change.
fn load_earlier(
    archive: &Path,
    links: &[LinkRecord],
    quotes: &[QuoteRow],
) -> HashMap<String, crate::report::html::Earlier> {
    let changed: std::collections::HashSet<&str> = links
        .iter()
        .filter(|l| l.changed == Some(true))
        .map(|l| l.url.as_str())
        .collect();
    let wanted: std::collections::HashSet<&str> = quotes
        .iter()
        .filter(|q| q.start.is_some() && changed.contains(q.source_url.as_str()))
        .map(|q| q.source_url.as_str())
        .collect();
    let mut out = HashMap::new();
    if wanted.is_empty() {
        return out;
    }
    let pages = match crate::archive::history::changed_pages(archive) {
        Ok(pages) => pages,
        Err(e) => {
            tracing::warn!("report: earlier captures in {}: {e}", archive.display());
            return out;
        }
    };
    for url in wanted {
        let Some(change) = pages.get(&crate::archive::store::url_key(url)) else {
            continue;
        };
        match crate::archive::history::text_of(archive, &change.before) {
            Ok(text) => {
                out.insert(
                    url.to_string(),
                    crate::report::html::Earlier {
                        fetched_at: change.before.fetched_at.clone(),
                        now_fetched_at: change.now.fetched_at.clone(),
                        text,
                    },
                );
            }
            Err(e) => tracing::warn!("report: earlier text of {url}: {e}"),
        }
    }
    out
}

/// Writes the page: to stdout for `-`, else through a temporary file beside the target so
/// that a reader never sees half a page.
pub fn write_html(path: &Path, html: &str) -> Result<()> {
    let write_error = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if path.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(html.as_bytes())
            .and_then(|()| out.flush())
            .map_err(write_error);
    }
    let dir = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(write_error)?;
            dir
        }
        None => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(write_error)?;
    crate::archive::files::set_default_mode(file.as_file()).map_err(write_error)?;
    file.write_all(html.as_bytes()).map_err(write_error)?;
    file.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
}

/// A CSV the page can be made from: a file that exists (`-` went to stdout and is gone).
fn readable(path: &Path, what: &str) -> Option<PathBuf> {
    if path.as_os_str() == "-" {
        tracing::warn!("--html: {what} went to stdout; the page leaves it out");
        return None;
    }
    path.is_file().then(|| path.to_path_buf())
}

fn file_name(path: &Path) -> String {
    path.display().to_string()
}

/// The `--html` hook of `run`, `check` and `verify`: after the CSVs are written, the page is
/// made from them. `check` shows links only; a `run` without a quotes file shows no quotes
/// (report.csv, if any, is then from another run).
pub fn write_after_run(mode: Mode, run: &RunFiles, args: &ReportFiles) -> Result<()> {
    let with_quotes = match mode {
        Mode::Check => false,
        Mode::Run => run.quotes.is_file(),
        Mode::Verify => true,
    };
    let mut files = vec![("sources".to_string(), file_name(&run.sources))];
    if with_quotes {
        files.push(("quotes".to_string(), file_name(&run.quotes)));
    }
    let job = HtmlJob {
        links: readable(&args.links, "links.csv"),
        report: with_quotes
            .then(|| readable(&args.report, "report.csv"))
            .flatten(),
        archive: args.archive.clone(),
        files,
        html: args.html.clone(),
    };
    let page = render_job(&job, &now_utc())?;
    write_html(&job.html, &page)
}

/// `citecheck report`: the page again from the CSVs and the archive.
pub fn report_command(args: &ReportFiles) -> Result<()> {
    let links = args.links.is_file().then(|| args.links.clone());
    let report = args.report.is_file().then(|| args.report.clone());
    if links.is_none() && report.is_none() {
        return Err(Error::Input {
            path: args.report.clone(),
            reason: format!(
                "not found, nor {}: nothing to render (run `citecheck run` first)",
                args.links.display()
            ),
        });
    }
    for (path, found) in [(&args.links, &links), (&args.report, &report)] {
        if found.is_none() {
            tracing::warn!("{}: not found; the page leaves it out", path.display());
        }
    }
    let mut files = Vec::new();
    if let Some(path) = &links {
        files.push(("links".to_string(), file_name(path)));
    }
    if let Some(path) = &report {
        files.push(("report".to_string(), file_name(path)));
    }
    files.push(("archive".to_string(), file_name(&args.archive)));
    let job = HtmlJob {
        links,
        report,
        archive: args.archive.clone(),
        files,
        html: args.html.clone(),
    };
    let page = render_job(&job, &now_utc())?;
    write_html(&job.html, &page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::links::LinkCsvWriter;
    use crate::report::quotes::write_csv;

    #[test]
    fn csvs_written_by_the_run_read_back_into_the_same_rows() {
        let dir = tempfile::tempdir().unwrap();
        let links_path = dir.path().join("links.csv");
        let mut writer = LinkCsvWriter::new(std::fs::File::create(&links_path).unwrap()).unwrap();
        writer
            .push(LinkRecord {
                index: 0,
                id: "S1".into(),
                url: "https://www.example.nl/a".into(),
                http_status: Some(200),
                redirects: 2,
                title: "Pagina, \"niet\" gevonden".into(),
                redirect_chain: "301 https://www.example.nl/a -> 200 https://www.example.nl/"
                    .into(),
                fetched_at: "2025-05-01T10:00:00Z".into(),
                ..LinkRecord::new(LinkStatus::Soft404)
            })
            .unwrap();
        writer.finish().unwrap();
        let links = read_links(&links_path).unwrap();
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].status, LinkStatus::Soft404);
        assert_eq!(links[0].http_status, Some(200));
        assert_eq!(links[0].redirects, 2);
        assert_eq!(links[0].title, "Pagina, \"niet\" gevonden");
        assert_eq!(links[0].fetched_at, "2025-05-01T10:00:00Z");

        let report_path = dir.path().join("report.csv");
        let row = QuoteRow {
            id: "Q1".into(),
            quote: "‘Samen, ja’".into(),
            score: Some(0.95),
            start: Some(3),
            end: Some(12),
            text_path: "text/a.txt".into(),
            ..QuoteRow::new(Verdict::Approximate)
        };
        write_csv(std::fs::File::create(&report_path).unwrap(), &[row]).unwrap();
        let rows = read_quote_rows(&report_path).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].quote, "‘Samen, ja’");
        assert_eq!((rows[0].start, rows[0].end), (Some(3), Some(12)));
        assert_eq!(rows[0].score, Some(0.95));
        assert_eq!(rows[0].best_score, None);
    }

    #[test]
    fn guarded_cells_read_back_as_the_run_had_them() {
        let dir = tempfile::tempdir().unwrap();
        let links_path = dir.path().join("links.csv");
        let title = "=HYPERLINK(\"http://evil.example/\",\"x\")";
        let mut writer =
            LinkCsvWriter::with_guard(std::fs::File::create(&links_path).unwrap(), true).unwrap();
        writer
            .push(LinkRecord {
                index: 0,
                id: "'@S1".into(),
                url: "https://a.nl/".into(),
                title: title.into(),
                ..LinkRecord::new(LinkStatus::Ok)
            })
            .unwrap();
        writer.finish().unwrap();
        let written = std::fs::read_to_string(&links_path).unwrap();
        assert!(written.contains("\"'=HYPERLINK("), "{written}");
        let links = read_links(&links_path).unwrap();
        assert_eq!(links[0].title, title);
        assert_eq!(links[0].id, "'@S1");
        assert_eq!(links[0].status, LinkStatus::Ok);

        let report_path = dir.path().join("report.csv");
        let row = QuoteRow {
            id: "Q1".into(),
            theme: "-thema".into(),
            quote: "@iedereen: kom".into(),
            ..QuoteRow::new(Verdict::Verified)
        };
        crate::report::quotes::write_csv_with_guard(
            std::fs::File::create(&report_path).unwrap(),
            &[row],
            true,
        )
        .unwrap();
        let rows = read_quote_rows(&report_path).unwrap();
        assert_eq!(rows[0].theme, "-thema");
        assert_eq!(rows[0].quote, "@iedereen: kom");
    }

    #[test]
    fn rows_with_unknown_names_are_skipped_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let links = dir.path().join("links.csv");
        std::fs::write(
            &links,
            "id,url,status,reason,changed\n\
             S1,https://a.nl/1,gebroken,not_found,\n\
             S2,https://a.nl/2,broken,onbekend,true\n\
             S3,https://a.nl/3,ok,,false\n",
        )
        .unwrap();
        let rows = read_links(&links).unwrap();
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.index, r.status, r.reason, r.changed))
            .collect();
        // Positions stay those of the file: `--resume` matches rows to sources by them.
        assert_eq!(
            got,
            [
                (1, LinkStatus::Broken, None, Some(true)),
                (2, LinkStatus::Ok, None, Some(false))
            ]
        );
        let report = dir.path().join("report.csv");
        std::fs::write(
            &report,
            "id,quote,verdict,region\nQ1,a,weird<>,page\nQ2,b,approximate,page\nQ3,c,verified,elders\n",
        )
        .unwrap();
        let rows = read_quote_rows(&report).unwrap();
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.id.as_str(), r.verdict, r.region))
            .collect();
        assert_eq!(
            got,
            [
                ("Q2", Verdict::Approximate, Some(QuoteRegion::Page)),
                ("Q3", Verdict::Verified, None)
            ]
        );
    }

    #[test]
    fn a_csv_without_the_needed_columns_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "id,url\nS1,https://a.nl/\n").unwrap();
        let err = read_links(&path).unwrap_err();
        assert!(err.to_string().contains("no `status` column"), "{err}");
    }

    #[test]
    fn text_paths_stay_inside_the_archive() {
        let archive = Path::new("/srv/archive");
        assert_eq!(
            archive_file(archive, "text/ab.txt"),
            Some(PathBuf::from("/srv/archive/text/ab.txt"))
        );
        assert_eq!(archive_file(archive, "../etc/passwd"), None);
        assert_eq!(archive_file(archive, "/etc/passwd"), None);
        assert_eq!(archive_file(archive, "text/../../x"), None);
        assert_eq!(archive_file(archive, ""), None);
    }

    #[test]
    fn the_page_is_made_from_files_and_passages_come_from_the_archive() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("archive");
        std::fs::create_dir_all(archive.join("text")).unwrap();
        let text = "Één zin vooraf. ‘Wij werken samen,’ zegt de wethouder.";
        std::fs::write(archive.join("text/a.txt"), text).unwrap();
        let matched = "Wij werken samen";
        let start = text.chars().position(|c| c == 'W').unwrap();
        let report = dir.path().join("report.csv");
        write_csv(
            std::fs::File::create(&report).unwrap(),
            &[QuoteRow {
                quote: matched.into(),
                start: Some(start),
                end: Some(start + matched.chars().count()),
                matched_text: matched.into(),
                text_path: "text/a.txt".into(),
                ..QuoteRow::new(Verdict::Verified)
            }],
        )
        .unwrap();
        let job = HtmlJob {
            report: Some(report),
            archive,
            html: dir.path().join("out/report.html"),
            ..HtmlJob::default()
        };
        let page = render_job(&job, "2025-05-01 10:00:00 UTC").unwrap();
        assert!(page.contains("Één zin vooraf. ‘<mark>Wij werken samen</mark>,’ zegt"));
        write_html(&job.html, &page).unwrap();
        assert_eq!(std::fs::read_to_string(&job.html).unwrap(), page);
    }

    #[test]
    fn pictures_are_linked_from_the_report_folder() {
        let (a, b) = (Path::new("/w/out"), Path::new("/w/archive/shots/x.png"));
        assert_eq!(relative_href(a, b).unwrap(), "../archive/shots/x.png");
        let here = Path::new("/w/archief met spatie/shots/y.png");
        assert_eq!(
            relative_href(Path::new("/w"), here).unwrap(),
            "archief%20met%20spatie/shots/y.png"
        );
        assert_eq!(
            relative_href(Path::new("/w/a/../b"), Path::new("/w/b/x.png")).unwrap(),
            "x.png"
        );
    }

    /// A shots.jsonl line is input: a path outside `shots/`, or to no file, shows nothing.
    #[test]
    fn only_pictures_in_the_archive_s_shots_folder_are_shown() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("archive");
        std::fs::create_dir_all(archive.join("shots")).unwrap();
        std::fs::write(archive.join("shots/a.png"), b"\x89PNG").unwrap();
        let line = |id: &str, path: &str| {
            format!(
                "{{\"cited_url\":\"https://a.nl/x\",\"quote_id\":\"{id}\",\"path\":\"{path}\",\
                 \"sha256\":\"\",\"record_id\":\"\",\"warc_file\":\"\",\"offset\":0,\"length\":0,\
                 \"rendered_from\":\"\",\"capture_fetched_at\":\"2026-12-07T10:00:00Z\",\"taken_at\":\"\"}}\n"
            )
        };
        let lines = [
            line("Q1", "shots/a.png"),
            line("Q2", "../secret.png"),
            line("Q3", "shots/missing.png"),
            line("Q4", "text/a.png"),
        ]
        .concat();
        std::fs::write(archive.join("shots/shots.jsonl"), lines).unwrap();
        let rows: Vec<QuoteRow> = ["Q1", "Q2", "Q3", "Q4"]
            .iter()
            .map(|id| QuoteRow {
                id: id.to_string(),
                source_url: "https://a.nl/x".into(),
                start: Some(0),
                ..QuoteRow::new(Verdict::Verified)
            })
            .collect();
        let shots = load_shots(&archive, &dir.path().join("report.html"), &rows);
        assert_eq!(shots.len(), 1, "{shots:?}");
        let shot = &shots[&crate::report::html::shot_key("https://a.nl/x", "Q1")];
        assert_eq!(shot.href, "archive/shots/a.png");
    }
}
