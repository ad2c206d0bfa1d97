//! `sources.csv`: column `url` (required; `link`, `href` or `uri` are read as its name too),
//! `id` (optional; the data row number otherwise).
//! Read as a stream, one [`Source`] at a time, so a list of 100,000 URLs is never held whole.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::csv_rows::{RowProblem, RowReader};
use crate::error::{Error, Result};

/// The names the URL column may have, in the order they are looked for.
pub const URL_COLUMNS: [&str; 4] = ["url", "link", "href", "uri"];

/// One cited URL, as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// 0-based position among the rows written to links.csv.
    pub index: usize,
    /// The `id` column, or the data row number.
    pub id: String,
    /// The URL as cited (trimmed).
    pub url: String,
    /// Where it stands in the file.
    pub line: usize,
    /// The input it came from, when that is not the sources file (`check README.md`).
    pub file: Option<std::sync::Arc<str>>,
}

/// Streams the rows of a sources file.
pub struct SourceReader {
    rows: RowReader<Box<dyn BufRead + Send>>,
    url_col: usize,
    id_col: Option<usize>,
    emitted: usize,
}

impl SourceReader {
    /// Opens the file and checks its header has a `url` column.
    pub fn open(path: &Path) -> Result<SourceReader> {
        let file = File::open(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_reader(path, Box::new(BufReader::new(file)))
    }

    /// Reads from any source (tests, stdin).
    pub fn from_reader(path: &Path, input: Box<dyn BufRead + Send>) -> Result<SourceReader> {
        let rows = RowReader::new(path, input)?;
        let url_col = URL_COLUMNS.iter().find_map(|name| rows.column(name));
        let url_col = url_col.ok_or_else(|| Error::Input {
            path: path.to_path_buf(),
            reason: if rows.headers.iter().any(|h| h.contains("://")) {
                "line 1 looks like a URL, not a header: add a first line `url` \
                 (or `id,url`)"
                    .to_string()
            } else {
                format!(
                    "no URL column in the header: name it `url` (or `link`, `href`, `uri`) \
                     (found: {})",
                    rows.header_list()
                )
            },
        })?;
        let id_col = rows.column("id");
        Ok(SourceReader {
            rows,
            url_col,
            id_col,
            emitted: 0,
        })
    }

    /// The next source, a located problem with a row, or `None` at the end.
    pub fn next_source(&mut self) -> Result<Option<std::result::Result<Source, RowProblem>>> {
        let Some(item) = self.rows.next_row()? else {
            return Ok(None);
        };
        let row = match item {
            Ok(row) => row,
            Err(problem) => return Ok(Some(Err(problem))),
        };
        let url = row.get(Some(self.url_col));
        if url.is_empty() {
            return Ok(Some(Err(RowProblem {
                path: self.rows.path().to_path_buf(),
                line: row.line,
                reason: "empty \"url\" field; row skipped".into(),
            })));
        }
        let id = match row.get(self.id_col) {
            "" => row.number.to_string(),
            id => id.to_string(),
        };
        let source = Source {
            index: self.emitted,
            id,
            url: url.to_string(),
            line: row.line,
            file: None,
        };
        self.emitted += 1;
        Ok(Some(Ok(source)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_default_to_row_numbers_and_bad_rows_are_located() {
        let text = "url,note\nhttps://a.nl/,x\n,empty\n\"https://b.nl/,broken\nhttps://c.nl/,y\n";
        let mut reader =
            SourceReader::from_reader(Path::new("sources.csv"), Box::new(text.as_bytes())).unwrap();
        let mut ok = Vec::new();
        let mut bad = Vec::new();
        while let Some(item) = reader.next_source().unwrap() {
            match item {
                Ok(s) => ok.push((s.index, s.id, s.url)),
                Err(p) => bad.push(p.to_string()),
            }
        }
        assert_eq!(
            ok,
            vec![
                (0, "1".to_string(), "https://a.nl/".to_string()),
                (1, "4".to_string(), "https://c.nl/".to_string())
            ]
        );
        assert_eq!(
            bad,
            vec![
                "sources.csv:3: empty \"url\" field; row skipped",
                "sources.csv:4: unbalanced quote mark (\"); row skipped"
            ]
        );
    }

    #[test]
    fn missing_url_column_is_fatal() {
        let Err(err) =
            SourceReader::from_reader(Path::new("s.csv"), Box::new(&b"address\nx\n"[..]))
        else {
            panic!("no URL column");
        };
        assert!(
            err.to_string()
                .contains("name it `url` (or `link`, `href`, `uri`)")
        );
        for name in ["link", "HREF", "uri"] {
            let text = format!("id,{name}\nA,https://a.nl/\n");
            let mut reader =
                SourceReader::from_reader(Path::new("s.csv"), Box::new(std::io::Cursor::new(text)))
                    .unwrap();
            let source = reader.next_source().unwrap().unwrap().unwrap();
            assert_eq!(
                (source.id.as_str(), source.url.as_str()),
                ("A", "https://a.nl/")
            );
        }
        let Err(err) = SourceReader::from_reader(
            Path::new("s.csv"),
            Box::new(&b"https://a.nl/x\nhttps://b.nl/\n"[..]),
        ) else {
            panic!("a file of bare URLs has no header");
        };
        assert!(
            err.to_string()
                .contains("line 1 looks like a URL, not a header")
        );
    }
}
