//! A forgiving CSV row reader shared by the sources and quotes files.
//!
//! The `csv` crate alone lets one unbalanced quote swallow every row after it. Here each
//! record is gathered line by line while its quote marks are unbalanced (a quoted field may
//! span a few lines); a record still open after [`MAX_RECORD_LINES`] lines or at the end of the
//! file is reported at its first line and skipped, and reading resumes on the next line.
//! Also handled: a UTF-8 BOM, CRLF, `;`-separated files (detected from the header), NUL
//! bytes and invalid UTF-8 (reported per line).

use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// How many physical lines one quoted record may span before it counts as unbalanced.
pub const MAX_RECORD_LINES: usize = 20;
/// Longest physical line accepted; longer lines are reported and skipped.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// One data record with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line number of the record's first line (the header is line 1).
    pub line: usize,
    /// 1-based data row number (malformed rows count too, so ids stay stable).
    pub number: usize,
    /// Field values by header position.
    pub fields: Vec<String>,
}

impl Row {
    /// The value of column `index`, trimmed; empty when the row is short.
    pub fn get(&self, index: Option<usize>) -> &str {
        index
            .and_then(|i| self.fields.get(i))
            .map(|s| s.trim())
            .unwrap_or("")
    }
}

/// A located problem with one row: `file:line: reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// What is wrong and what was done.
    pub reason: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.reason)
    }
}

/// Reads records one at a time from any buffered reader.
pub struct RowReader<R> {
    path: PathBuf,
    input: R,
    /// Physical lines read ahead (line number, bytes).
    pending: VecDeque<(usize, Vec<u8>)>,
    next_line: usize,
    rows_seen: usize,
    eof: bool,
    delimiter: u8,
    /// Column names from the header, lower-cased and trimmed.
    pub headers: Vec<String>,
}

impl<R: BufRead> RowReader<R> {
    /// Reads the header line. A missing or empty header is fatal: nothing can be matched to
    /// column names without it.
    pub fn new(path: &Path, input: R) -> Result<RowReader<R>> {
        let mut reader = RowReader {
            path: path.to_path_buf(),
            input,
            pending: VecDeque::new(),
            next_line: 1,
            rows_seen: 0,
            eof: false,
            delimiter: b',',
            headers: Vec::new(),
        };
        let header = loop {
            match reader.physical_line()? {
                None => {
                    return Err(Error::Input {
                        path: path.to_path_buf(),
                        reason: "the file is empty; expected a header row".into(),
                    });
                }
                Some((_, bytes)) if bytes.iter().all(|b| b.is_ascii_whitespace()) => continue,
                Some((line, mut bytes)) => {
                    if bytes.starts_with(b"\xEF\xBB\xBF") {
                        bytes.drain(..3);
                    }
                    break (line, bytes);
                }
            }
        };
        if header.1.starts_with(b"\xFF\xFE") || header.1.starts_with(b"\xFE\xFF") {
            return Err(Error::Input {
                path: path.to_path_buf(),
                reason: "the file is UTF-16; save it as UTF-8".into(),
            });
        }
        if header.1.len() > MAX_LINE_BYTES {
            return Err(Error::Input {
                path: path.to_path_buf(),
                reason: format!(
                    "line {}: the header is longer than {MAX_LINE_BYTES} bytes",
                    header.0
                ),
            });
        }
        let text = std::str::from_utf8(&header.1).map_err(|_| Error::Input {
            path: path.to_path_buf(),
            reason: format!("line {}: the header is not UTF-8", header.0),
        })?;
        if text.contains('\0') {
            return Err(Error::Input {
                path: path.to_path_buf(),
                reason: "the header holds NUL bytes; is this a binary file?".into(),
            });
        }
        if !text.contains(',') && text.contains(';') {
            reader.delimiter = b';';
        } else if !text.contains(',') && text.contains('\t') {
            reader.delimiter = b'\t';
        }
        let fields = parse_record(text, reader.delimiter).ok_or_else(|| Error::Input {
            path: path.to_path_buf(),
            reason: format!("line {}: the header is not valid CSV", header.0),
        })?;
        reader.headers = fields.iter().map(|f| f.trim().to_lowercase()).collect();
        Ok(reader)
    }

    /// The header's column names for a message, control characters escaped (a stray
    /// `\u{1}` would otherwise make `url` look present).
    pub fn header_list(&self) -> String {
        self.headers
            .iter()
            .map(|h| h.escape_debug().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The index of a column, by case-insensitive name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn physical_line(&mut self) -> Result<Option<(usize, Vec<u8>)>> {
        if let Some(line) = self.pending.pop_front() {
            return Ok(Some(line));
        }
        if self.eof {
            return Ok(None);
        }
        // At most MAX_LINE_BYTES + 1 bytes of a line are kept (enough to tell it is too
        // long); the rest is read and dropped, so a file without newlines cannot fill memory.
        let mut buf = Vec::new();
        let limit = u64::try_from(MAX_LINE_BYTES + 1).unwrap_or(u64::MAX);
        let read_error = |source| Error::Read {
            path: self.path.clone(),
            source,
        };
        let n = (&mut self.input)
            .take(limit)
            .read_until(b'\n', &mut buf)
            .map_err(read_error)?;
        if n == 0 {
            self.eof = true;
            return Ok(None);
        }
        if buf.last() != Some(&b'\n') && buf.len() > MAX_LINE_BYTES {
            skip_past_newline(&mut self.input).map_err(read_error)?;
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        let line = self.next_line;
        self.next_line += 1;
        Ok(Some((line, buf)))
    }

    /// The next record, or a located problem with it; `None` at the end of the file.
    pub fn next_row(&mut self) -> Result<Option<std::result::Result<Row, RowProblem>>> {
        let (first_line, first) = loop {
            match self.physical_line()? {
                None => return Ok(None),
                Some((_, bytes)) if bytes.iter().all(|b| b.is_ascii_whitespace()) => continue,
                Some(line) => break line,
            }
        };
        self.rows_seen += 1;
        let number = self.rows_seen;
        let path = self.path.clone();
        let problem = |reason: String| RowProblem {
            path: path.clone(),
            line: first_line,
            reason,
        };
        if first.len() > MAX_LINE_BYTES {
            return Ok(Some(Err(problem(format!(
                "line is longer than {MAX_LINE_BYTES} bytes; row skipped"
            )))));
        }
        let mut record = first;
        let mut taken = Vec::new();
        while quotes_open(&record) {
            if taken.len() + 1 >= MAX_RECORD_LINES {
                break;
            }
            match self.physical_line()? {
                Some(next) => {
                    record.push(b'\n');
                    record.extend_from_slice(&next.1);
                    taken.push(next);
                }
                None => break,
            }
        }
        if quotes_open(&record) {
            // Give the swallowed lines back: they are rows of their own.
            for line in taken.into_iter().rev() {
                self.pending.push_front(line);
            }
            return Ok(Some(Err(problem(
                "unbalanced quote mark (\"); row skipped".into(),
            ))));
        }
        if record.contains(&0) {
            return Ok(Some(Err(problem(
                "NUL byte in the row (binary data?); row skipped".into(),
            ))));
        }
        let Ok(text) = std::str::from_utf8(&record) else {
            return Ok(Some(Err(problem(
                "not valid UTF-8 (save the file as UTF-8); row skipped".into(),
            ))));
        };
        match parse_record(text, self.delimiter) {
            Some(fields) => Ok(Some(Ok(Row {
                line: first_line,
                number,
                fields,
            }))),
            None => Ok(Some(Err(problem("not valid CSV; row skipped".into())))),
        }
    }
}

/// Reads and drops bytes up to and including the next newline (or the end of the input).
fn skip_past_newline(input: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok(());
        }
        match memchr::memchr(b'\n', available) {
            Some(pos) => {
                input.consume(pos + 1);
                return Ok(());
            }
            None => {
                let len = available.len();
                input.consume(len);
            }
        }
    }
}

/// Whether a record's double quotes leave a quoted field open (odd count: `""` pairs cancel).
fn quotes_open(record: &[u8]) -> bool {
    memchr::memchr_iter(b'"', record).count() % 2 == 1
}

/// Parses one complete record with the `csv` crate's rules. A record without any quote mark
/// (nearly every row of a URL list) is split directly: building a `csv::Reader` per row cost
/// a tenth of a 10,000-URL check (bench/profile.md).
fn parse_record(text: &str, delimiter: u8) -> Option<Vec<String>> {
    if !text.contains('"') {
        return Some(text.split(delimiter as char).map(str::to_string).collect());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => Some(record.iter().map(str::to_string).collect()),
        Ok(false) => Some(Vec::new()),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> (Vec<String>, Vec<Row>, Vec<String>) {
        let mut reader = RowReader::new(Path::new("t.csv"), text.as_bytes()).unwrap();
        let mut rows = Vec::new();
        let mut problems = Vec::new();
        while let Some(item) = reader.next_row().unwrap() {
            match item {
                Ok(row) => rows.push(row),
                Err(p) => problems.push(p.to_string()),
            }
        }
        (reader.headers.clone(), rows, problems)
    }

    #[test]
    fn bom_crlf_and_multiline_quoted_fields() {
        let (headers, rows, problems) =
            rows("\u{feff}ID,Quote\r\nQ1,\"a\r\nb\"\r\nQ2,\"say \"\"hi\"\"\"\r\n");
        assert_eq!(headers, vec!["id", "quote"]);
        assert!(problems.is_empty());
        assert_eq!(rows[0].fields, vec!["Q1", "a\nb"]);
        assert_eq!(rows[1].fields, vec!["Q2", "say \"hi\""]);
        assert_eq!((rows[1].line, rows[1].number), (4, 2));
    }

    #[test]
    fn unbalanced_quote_skips_only_its_own_line() {
        let mut text = String::from("id,url\nS1,\"https://a.nl/\nS2,https://b.nl/\n");
        for i in 3..30 {
            text.push_str(&format!("S{i},https://c.nl/{i}\n"));
        }
        let (_, rows, problems) = rows(&text);
        assert_eq!(
            problems,
            vec!["t.csv:2: unbalanced quote mark (\"); row skipped"]
        );
        assert_eq!(rows[0].fields, vec!["S2", "https://b.nl/"]);
        assert_eq!(rows[0].line, 3);
        assert_eq!(rows.len(), 28);
    }

    #[test]
    fn fast_path_agrees_with_the_csv_crate() {
        for line in ["a,b,,c", "https://x.nl/a?b=1,S1", "één,twee", ",", "x"] {
            let fast = parse_record(line, b',').unwrap();
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(line.as_bytes());
            let slow: Vec<String> = reader
                .records()
                .next()
                .unwrap()
                .unwrap()
                .iter()
                .map(str::to_string)
                .collect();
            assert_eq!(fast, slow, "{line}");
        }
    }

    #[test]
    fn semicolon_files_are_detected() {
        let (headers, rows, _) = rows("id;url\nS1;https://a.nl/x,y\n");
        assert_eq!(headers, vec!["id", "url"]);
        assert_eq!(rows[0].fields, vec!["S1", "https://a.nl/x,y"]);
    }

    #[test]
    fn nul_bytes_and_bad_utf8_are_located() {
        let mut reader = RowReader::new(
            Path::new("t.csv"),
            &b"url\nhttps://a\0\n\xff\xfe\nhttps://b/\n"[..],
        )
        .unwrap();
        let a = reader.next_row().unwrap().unwrap().unwrap_err();
        assert!(a.to_string().starts_with("t.csv:2: NUL byte"));
        let b = reader.next_row().unwrap().unwrap().unwrap_err();
        assert!(b.to_string().starts_with("t.csv:3: not valid UTF-8"));
        let c = reader.next_row().unwrap().unwrap().unwrap();
        assert_eq!(c.fields, vec!["https://b/"]);
    }

    #[test]
    fn overlong_lines_are_skipped_without_holding_them() {
        let long = "x".repeat(MAX_LINE_BYTES * 2 + 7);
        // With and without a newline after the long line, and a short row after it.
        let text = format!("url\nhttps://a/\n{long}\nhttps://b/\n{long}");
        let mut reader = RowReader::new(Path::new("t.csv"), text.as_bytes()).unwrap();
        let mut seen = Vec::new();
        while let Some(item) = reader.next_row().unwrap() {
            seen.push(match item {
                Ok(row) => row.fields.join("|"),
                Err(p) => p.to_string(),
            });
        }
        assert_eq!(
            seen,
            vec![
                "https://a/".to_string(),
                format!("t.csv:3: line is longer than {MAX_LINE_BYTES} bytes; row skipped"),
                "https://b/".to_string(),
                format!("t.csv:5: line is longer than {MAX_LINE_BYTES} bytes; row skipped"),
            ]
        );
        // Only the head of a long line is kept.
        let text = format!("url\n{long}");
        let mut reader = RowReader::new(Path::new("t.csv"), text.as_bytes()).unwrap();
        let (_, bytes) = reader.physical_line().unwrap().unwrap();
        assert_eq!(bytes.len(), MAX_LINE_BYTES + 1);
        assert!(reader.physical_line().unwrap().is_none());
    }

    #[test]
    fn utf16_files_are_named_as_such() {
        let mut bytes = vec![0xff, 0xfe];
        bytes.extend(
            "url\r\nhttps://a/\r\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        let err = RowReader::new(Path::new("t.csv"), &bytes[..])
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "t.csv: the file is UTF-16; save it as UTF-8"
        );
    }

    #[test]
    fn header_list_escapes_control_characters() {
        let reader = RowReader::new(Path::new("t.csv"), &b"id,u\x01rl\n"[..]).unwrap();
        assert_eq!(reader.header_list(), "id, u\\u{1}rl");
    }

    #[test]
    fn empty_file_is_fatal() {
        assert!(RowReader::new(Path::new("t.csv"), &b""[..]).is_err());
        assert!(RowReader::new(Path::new("t.csv"), &b"\n\n"[..]).is_err());
    }
}
