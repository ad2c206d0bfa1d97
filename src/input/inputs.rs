//! The inputs of `check`/`run` (`citecheck check README.md 'docs/**/*.html' -`): what the
//! URLs to check are read from, as lychee reads them.
//!
//! - No input: the sources file (`--sources`, default `sources.csv`), as before.
//! - A `.csv` file, or any input whose first line is a header with a `url` column (or
//!   `link`, `href`, `uri`): its rows, streamed ([`SourceReader`]).
//! - An HTML file: the `href` of every link and the `cite` of every quotation
//!   ([`crate::extract::page_links`]); relative links are resolved against the page's
//!   `<base href>`, and skipped (with a warning) when it has none.
//! - Markdown, plain text (a list of URLs, or prose with URLs in it) and PDF: the URLs the
//!   document reader finds ([`super::document::ingest_file`]), every one of them.
//! - A glob (`docs/*.md`, `**/*.html`): each file it matches, in sorted order; a glob that
//!   matches nothing is a usage error.
//! - An http(s) URL: the page is fetched by the caller (through the normal client, so
//!   `--remap` applies) and read as an HTML file whose base is its final URL.
//! - `-`: standard input, read as any of the above by its content.
//!
//! Each found URL keeps the input and line it came from: the row's id is `FILE:LINE` (with
//! `#2`, `#3`… for further links on the same line), and GitHub annotations point there. A
//! CSV's rows keep their `id` column, or their row number when the CSV is the only input
//! (so `check sources.csv` and `check --sources sources.csv` write the same rows).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::csv_rows::RowProblem;
use super::document::{DocumentKind, document_kind, ingest_file};
use super::sources::{Source, SourceReader, URL_COLUMNS};
use crate::error::{Error, Result};

/// One input as the user named it, before it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputArg {
    /// `-`: standard input.
    Stdin,
    /// An http(s) URL: a page whose links are checked.
    Url(String),
    /// A file (given by name, or matched by a glob).
    File(PathBuf),
}

/// The inputs of a run, read (documents, stdin, fetched pages) or named (CSV files, which
/// are streamed): every pass over them ([`InputSet::open`]) gives the same rows.
#[derive(Debug, Clone)]
pub struct InputSet {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    /// A CSV file, read as a stream on each pass.
    Csv {
        path: PathBuf,
        /// The input's name, when it was given as an input (for annotations and ids).
        file: Option<Arc<str>>,
        /// Rows without an `id` get `FILE:LINE` instead of their row number.
        file_ids: bool,
    },
    /// URLs found in a document, a page or stdin.
    Listed(Arc<[Listed]>),
}

/// One URL found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    id: String,
    url: String,
    line: usize,
    file: Arc<str>,
}

impl InputSet {
    /// The sources file alone (no inputs given).
    pub fn sources_file(path: &Path) -> InputSet {
        InputSet {
            parts: vec![Part::Csv {
                path: path.to_path_buf(),
                file: None,
                file_ids: false,
            }],
        }
    }

    /// Reads the inputs that are files or stdin; `fetched` holds the pages of the URL
    /// inputs, in their order (`(url, final url, decoded page)`), fetched by the caller.
    pub fn read(args: &[InputArg], fetched: Vec<(String, String, String)>) -> Result<InputSet> {
        let several = args.len() > 1;
        let mut fetched = fetched.into_iter();
        let mut parts = Vec::new();
        for arg in args {
            let part = match arg {
                InputArg::File(path) => read_file(path, several)?,
                InputArg::Stdin => {
                    let mut bytes = Vec::new();
                    std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(
                        |source| Error::Read {
                            path: "-".into(),
                            source,
                        },
                    )?;
                    read_bytes("-", Path::new("-"), &bytes, None, several)?
                }
                InputArg::Url(_) => {
                    let Some((url, final_url, html)) = fetched.next() else {
                        return Err(Error::Usage("an input page was not fetched".into()));
                    };
                    let base = url::Url::parse(&final_url).ok();
                    Part::Listed(html_links(&url, &html, base.as_ref()).into())
                }
            };
            parts.push(part);
        }
        Ok(InputSet { parts })
    }

    /// A new pass over every row, from the first. The first input is opened now, so that a
    /// missing or headless sources file is said before anything else happens (the CSV
    /// inputs after it were checked when they were named).
    pub fn open(&self) -> Result<Sources> {
        let mut sources = Sources {
            parts: self.parts.iter().cloned().collect(),
            current: None,
            emitted: 0,
        };
        sources.advance()?;
        Ok(sources)
    }

    /// The name for messages about the inputs as a whole: the CSV file when it is the only
    /// input, else `inputs`.
    pub fn name(&self) -> PathBuf {
        match self.parts.as_slice() {
            [Part::Csv { path, .. }] => path.clone(),
            _ => PathBuf::from("inputs"),
        }
    }

    /// Whether a second pass reads the same rows: every CSV input is a regular file (not a
    /// pipe).
    pub fn rereadable(&self) -> bool {
        self.parts.iter().all(|p| match p {
            Part::Csv { path, .. } => std::fs::metadata(path).is_ok_and(|m| m.is_file()),
            Part::Listed(_) => true,
        })
    }
}

/// The inputs as the user named them: globs expanded (sorted), URLs and `-` told apart.
pub fn classify(inputs: &[String]) -> Result<Vec<InputArg>> {
    let mut out = Vec::new();
    for input in inputs {
        if input == "-" {
            out.push(InputArg::Stdin);
        } else if input.starts_with("http://") || input.starts_with("https://") {
            out.push(InputArg::Url(input.clone()));
        } else if !Path::new(input).exists() && input.contains(['*', '?', '[']) {
            let paths = glob::glob(input)
                .map_err(|e| Error::Usage(format!("{input}: not a valid glob: {e}")))?;
            let mut files: Vec<PathBuf> = paths
                .filter_map(std::result::Result::ok)
                .filter(|p| p.is_file())
                .collect();
            if files.is_empty() {
                return Err(Error::Usage(format!("{input}: the glob matches no file")));
            }
            files.sort();
            out.extend(files.into_iter().map(InputArg::File));
        } else if Path::new(input).is_dir() {
            return Err(Error::Usage(format!(
                "{input} is a folder: name its files, e.g. '{}/**/*.md'",
                input.trim_end_matches('/')
            )));
        } else {
            out.push(InputArg::File(PathBuf::from(input)));
        }
    }
    Ok(out)
}

fn read_file(path: &Path, several: bool) -> Result<Part> {
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path.display().to_string();
    if is_csv && !first_line(&bytes).contains("://") {
        // Checked now (a missing URL column is said before any request), streamed later.
        SourceReader::from_reader(path, Box::new(std::io::Cursor::new(first_line(&bytes))))?;
        return Ok(Part::Csv {
            path: path.to_path_buf(),
            file: Some(name.into()),
            file_ids: several,
        });
    }
    read_bytes(&name, path, &bytes, None, several)
}

/// The first line of a file, without a BOM.
fn first_line(bytes: &[u8]) -> String {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let end = memchr::memchr(b'\n', body).unwrap_or(body.len());
    String::from_utf8_lossy(&body[..end]).trim().to_string()
}

/// Whether a first line is a CSV header naming a URL column.
fn is_csv_header(line: &str) -> bool {
    !line.contains("://")
        && line
            .split([',', ';', '\t'])
            .any(|f| URL_COLUMNS.contains(&f.trim().trim_matches('"').to_lowercase().as_str()))
}

/// A document's URLs: CSV by its header, HTML by its markup or extension, else what the
/// document reader finds (Markdown, text, PDF).
fn read_bytes(
    name: &str,
    path: &Path,
    bytes: &[u8],
    base: Option<&url::Url>,
    several: bool,
) -> Result<Part> {
    let file: Arc<str> = name.into();
    if is_csv_header(&first_line(bytes)) {
        let mut reader =
            SourceReader::from_reader(path, Box::new(std::io::Cursor::new(bytes.to_vec())))?;
        let mut rows = Vec::new();
        while let Some(item) = reader.next_source()? {
            match item {
                Ok(source) => rows.push(Listed {
                    id: if several && source.id.parse::<usize>().is_ok() {
                        format!("{name}:{}", source.line)
                    } else {
                        source.id
                    },
                    url: source.url,
                    line: source.line,
                    file: file.clone(),
                }),
                Err(problem) => tracing::warn!("{problem}"),
            }
        }
        return Ok(Part::Listed(rows.into()));
    }
    if bytes.is_empty() {
        return Ok(Part::Listed(Vec::new().into()));
    }
    if document_kind(path, bytes) == DocumentKind::Html {
        let (html, _) = crate::http::body::decode_text(bytes, None);
        return Ok(Part::Listed(html_links(name, &html, base).into()));
    }
    let doc = ingest_file(path, bytes).map_err(|e| Error::Input {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let text = String::from_utf8_lossy(bytes);
    let lines = locate_lines(&text, doc.urls.iter().map(|u| (u.url.as_str(), u.line)));
    let found = doc
        .urls
        .into_iter()
        .zip(lines)
        .map(|(u, line)| (u.url, line));
    Ok(Part::Listed(with_ids(&file, found).into()))
}

/// The links of an HTML page, resolved against its `<base href>` (itself resolved against
/// `base`, the page's own URL when it was fetched).
fn html_links(name: &str, html: &str, base: Option<&url::Url>) -> Vec<Listed> {
    let (links, base_href) = crate::extract::page_links(html);
    let base = match (base_href, base) {
        (Some(href), Some(page)) => page.join(&href).ok(),
        (Some(href), None) => url::Url::parse(&href).ok(),
        (None, page) => page.cloned(),
    };
    let mut relative = 0;
    let mut found = Vec::new();
    let mut lines = Lines::new(html);
    for link in links {
        let href = link.href.as_str();
        let lower = href.to_ascii_lowercase();
        if href.starts_with('#')
            || ["mailto:", "tel:", "javascript:", "data:", "sms:"]
                .iter()
                .any(|s| lower.starts_with(s))
        {
            continue;
        }
        let url = match url::Url::parse(href) {
            Ok(url) => url,
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                match base.as_ref().and_then(|b| b.join(href).ok()) {
                    Some(url) => url,
                    None => {
                        relative += 1;
                        continue;
                    }
                }
            }
            // Kept as written: the row says it is invalid.
            Err(_) => {
                found.push((href.to_string(), lines.at(link.offset)));
                continue;
            }
        };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        // A link to a place in the page itself is not a cited page.
        if base.as_ref().is_some_and(|b| {
            let mut a = url.clone();
            let mut b = b.clone();
            a.set_fragment(None);
            b.set_fragment(None);
            a == b
        }) && url.fragment().is_some()
        {
            continue;
        }
        let written = if url::Url::parse(href).is_ok() {
            href.to_string()
        } else {
            url.to_string()
        };
        found.push((written, lines.at(link.offset)));
    }
    if relative > 0 {
        tracing::warn!(
            "{name}: {relative} relative link(s) skipped: the page has no <base href> to resolve them against"
        );
    }
    with_ids(&name.into(), found.into_iter())
}

/// 1-based lines of byte offsets in one text, counted on from the previous offset: links come
/// in document order, so a page's lines are counted once, not once per link.
struct Lines<'t> {
    text: &'t [u8],
    offset: usize,
    line: usize,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        Lines {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    fn at(&mut self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        if end < self.offset {
            (self.offset, self.line) = (0, 1);
        }
        self.line += memchr::memchr_iter(b'\n', &self.text[self.offset..end]).count();
        self.offset = end;
        self.line
    }
}

/// The line in `text` where each URL stands, looked up in order from the previous one (the
/// document reader's line numbers refer to its converted text for Markdown); the reader's
/// own line when the URL is not found as written.
fn locate_lines<'a>(text: &str, urls: impl Iterator<Item = (&'a str, usize)>) -> Vec<usize> {
    let mut from = 0;
    let mut out = Vec::new();
    let mut lines = Lines::new(text);
    for (url, fallback) in urls {
        match text.get(from..).and_then(|rest| rest.find(url)) {
            Some(at) => {
                from += at + url.len();
                out.push(lines.at(from - url.len()));
            }
            None => out.push(fallback),
        }
    }
    out
}

/// `FILE:LINE` ids, with `#2`, `#3`… for further URLs on one line.
fn with_ids(file: &Arc<str>, found: impl Iterator<Item = (String, usize)>) -> Vec<Listed> {
    let mut out: Vec<Listed> = Vec::new();
    let mut same_line = 0;
    for (url, line) in found {
        same_line = match out.last() {
            Some(prev) if prev.line == line => same_line + 1,
            _ => 1,
        };
        out.push(Listed {
            id: if same_line == 1 {
                format!("{file}:{line}")
            } else {
                format!("{file}:{line}#{same_line}")
            },
            url,
            line,
            file: file.clone(),
        });
    }
    out
}

/// One pass over the rows of an [`InputSet`]: [`Source`]s numbered across all inputs.
pub struct Sources {
    parts: VecDeque<Part>,
    current: Option<Current>,
    emitted: usize,
}

enum Current {
    Csv(Box<SourceReader>, Option<Arc<str>>, bool),
    Listed(Arc<[Listed]>, usize),
}

impl Sources {
    /// Opens the next input; `false` when there is none.
    fn advance(&mut self) -> Result<bool> {
        let Some(part) = self.parts.pop_front() else {
            return Ok(false);
        };
        self.current = Some(match part {
            Part::Csv {
                path,
                file,
                file_ids,
            } => Current::Csv(Box::new(SourceReader::open(&path)?), file, file_ids),
            Part::Listed(rows) => Current::Listed(rows, 0),
        });
        Ok(true)
    }

    /// The next source, a located problem with a row, or `None` at the end.
    pub fn next_source(&mut self) -> Result<Option<std::result::Result<Source, RowProblem>>> {
        loop {
            if self.current.is_none() && !self.advance()? {
                return Ok(None);
            }
            let Some(current) = &mut self.current else {
                return Ok(None);
            };
            let next = match current {
                Current::Csv(reader, file, file_ids) => match reader.next_source()? {
                    None => None,
                    Some(Err(problem)) => return Ok(Some(Err(problem))),
                    Some(Ok(mut source)) => {
                        if *file_ids
                            && let Some(name) = file
                            && source.id.parse::<usize>().is_ok()
                        {
                            source.id = format!("{name}:{}", source.line);
                        }
                        source.file = file.clone();
                        Some(source)
                    }
                },
                Current::Listed(rows, at) => rows.get(*at).map(|row| {
                    *at += 1;
                    Source {
                        index: 0,
                        id: row.id.clone(),
                        url: row.url.clone(),
                        line: row.line,
                        file: Some(row.file.clone()),
                    }
                }),
            };
            match next {
                Some(mut source) => {
                    source.index = self.emitted;
                    self.emitted += 1;
                    return Ok(Some(Ok(source)));
                }
                None => self.current = None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(set: &InputSet) -> Vec<(usize, String, String, usize)> {
        let mut sources = set.open().unwrap();
        let mut out = Vec::new();
        while let Some(item) = sources.next_source().unwrap() {
            let s = item.unwrap();
            out.push((s.index, s.id, s.url, s.line));
        }
        out
    }

    #[test]
    fn text_markdown_and_html_give_located_ids() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("urls.txt");
        std::fs::write(
            &list,
            "https://a.example/x\n\nhttps://b.example/y\nhttps://a.example/x\n",
        )
        .unwrap();
        let md = dir.path().join("notes.markdown");
        std::fs::write(
            &md,
            "# Notes\n\n> A quoted line\n> that goes on.\n\nSee [the report](https://c.example/r) and <https://d.example/>.\n",
        )
        .unwrap();
        let html = dir.path().join("page.html");
        std::fs::write(
            &html,
            "<!DOCTYPE html>\n<p><a href=\"https://e.example/\">e</a>\n<a href=\"/rel\">r</a> <a href=\"#top\">t</a> <a href=\"mailto:x@y.z\">m</a></p>\n",
        )
        .unwrap();
        let args = classify(&[
            list.display().to_string(),
            md.display().to_string(),
            html.display().to_string(),
        ])
        .unwrap();
        let set = InputSet::read(&args, Vec::new()).unwrap();
        let got = rows(&set);
        let list_name = list.display().to_string();
        let md_name = md.display().to_string();
        let html_name = html.display().to_string();
        assert_eq!(
            got,
            vec![
                (0, format!("{list_name}:1"), "https://a.example/x".into(), 1),
                (1, format!("{list_name}:3"), "https://b.example/y".into(), 3),
                (2, format!("{list_name}:4"), "https://a.example/x".into(), 4),
                (3, format!("{md_name}:6"), "https://c.example/r".into(), 6),
                (4, format!("{md_name}:6#2"), "https://d.example/".into(), 6),
                (5, format!("{html_name}:2"), "https://e.example/".into(), 2),
            ]
        );
        // Every pass gives the same rows.
        assert_eq!(rows(&set), got);
    }

    #[test]
    fn fetched_pages_resolve_relative_links_and_csv_keeps_its_ids() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("list.csv");
        std::fs::write(&csv, "id,link\nA,https://a.example/\n,https://b.example/\n").unwrap();
        let page = "<html><body>\n<a href=\"/one\">1</a>\n<a href=\"two#x\">2</a><a href=\"#top\">t</a></body></html>";
        let args = vec![
            InputArg::File(csv.clone()),
            InputArg::Url("https://site.example/dir/page".into()),
        ];
        let fetched = vec![(
            "https://site.example/dir/page".to_string(),
            "https://site.example/dir/page".to_string(),
            page.to_string(),
        )];
        let set = InputSet::read(&args, fetched).unwrap();
        let got = rows(&set);
        let name = csv.display().to_string();
        assert_eq!(
            got,
            vec![
                (0, "A".into(), "https://a.example/".into(), 2),
                (1, format!("{name}:3"), "https://b.example/".into(), 3),
                (
                    2,
                    "https://site.example/dir/page:2".into(),
                    "https://site.example/one".into(),
                    2
                ),
                (
                    3,
                    "https://site.example/dir/page:3".into(),
                    "https://site.example/dir/two#x".into(),
                    3
                ),
            ]
        );
        // Alone, a CSV's rows are numbered as with --sources.
        let set = InputSet::read(&[InputArg::File(csv)], Vec::new()).unwrap();
        assert_eq!(rows(&set)[1].1, "2");
    }

    #[test]
    fn globs_expand_sorted_and_empty_globs_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.markdown", "a.markdown", "c.txt"] {
            std::fs::write(dir.path().join(name), "https://x.example/\n").unwrap();
        }
        let pattern = format!("{}/*.markdown", dir.path().display());
        let args = classify(&[pattern, "-".into(), "https://h.example/".into()]).unwrap();
        assert_eq!(
            args,
            vec![
                InputArg::File(dir.path().join("a.markdown")),
                InputArg::File(dir.path().join("b.markdown")),
                InputArg::Stdin,
                InputArg::Url("https://h.example/".into()),
            ]
        );
        assert!(classify(&[format!("{}/*.pdf", dir.path().display())]).is_err());
        assert!(classify(&[dir.path().display().to_string()]).is_err());
    }
}
