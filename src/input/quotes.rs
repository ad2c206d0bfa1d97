//! `quotes.csv`: column `quote` (required); optional `id` (the data row number otherwise),
//! `theme`, and `source` (the URL the quote is claimed to come from).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use super::csv_rows::{RowProblem, RowReader};
use crate::error::{Error, Result};

/// One quotation to locate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// The `id` column, or the data row number.
    pub id: String,
    /// The `theme` column.
    pub theme: String,
    /// The quotation as written.
    pub text: String,
    /// The claimed source URL, if any.
    pub source: Option<String>,
    /// Where it stands in the file.
    pub line: usize,
}

/// Opens the file and finds the `quote` column: fails when the file as a whole is unusable.
fn open_rows(path: &Path) -> Result<(RowReader<BufReader<File>>, usize)> {
    let file = File::open(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let rows = RowReader::new(path, BufReader::new(file))?;
    let quote_col = rows.column("quote").ok_or_else(|| Error::Input {
        path: path.to_path_buf(),
        reason: format!(
            "no 'quote' column in the header (found: {})",
            rows.header_list()
        ),
    })?;
    Ok((rows, quote_col))
}

/// Reads every quote; malformed rows come back as located problems beside them.
pub fn read_quotes(path: &Path) -> Result<(Vec<Quote>, Vec<RowProblem>)> {
    let (mut rows, quote_col) = open_rows(path)?;
    let (id_col, theme_col, source_col) = (
        rows.column("id"),
        rows.column("theme"),
        rows.column("source"),
    );
    let mut quotes = Vec::new();
    let mut problems = Vec::new();
    while let Some(item) = rows.next_row()? {
        let row = match item {
            Ok(row) => row,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let text = row.get(Some(quote_col));
        if text.is_empty() {
            problems.push(RowProblem {
                path: path.to_path_buf(),
                line: row.line,
                reason: "empty \"quote\" field; row skipped".into(),
            });
            continue;
        }
        let id = match row.get(id_col) {
            "" => row.number.to_string(),
            id => id.to_string(),
        };
        let source = Some(row.get(source_col))
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        quotes.push(Quote {
            id,
            theme: row.get(theme_col).to_string(),
            text: text.to_string(),
            source,
            line: row.line,
        });
    }
    Ok((quotes, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_optional_columns_and_reports_empty_quotes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quotes.csv");
        std::fs::write(
            &path,
            "id,theme,quote,source\nQ1,T,\"‘Wij zijn, zegt hij’\",https://a.nl/\nQ2,T,,\n,,Zonder id,\n",
        )
        .unwrap();
        let (quotes, problems) = read_quotes(&path).unwrap();
        assert_eq!(quotes.len(), 2);
        assert_eq!(quotes[0].text, "‘Wij zijn, zegt hij’");
        assert_eq!(quotes[0].source.as_deref(), Some("https://a.nl/"));
        assert_eq!(quotes[1].id, "3");
        assert_eq!(quotes[1].source, None);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 3);
    }
}
