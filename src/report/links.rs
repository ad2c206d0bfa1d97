//! `links.csv`: one row per sources row, in input order (contract). The required columns come
//! first; the added ones (docs/links.md §1) after them.

use std::collections::BTreeMap;
use std::io::Write;

use crate::check::LinkRecord;
use crate::report::csv_guard;

/// Column names, in order.
pub const LINK_COLUMNS: &[&str] = &[
    "id",
    "url",
    "status",
    "http_status",
    "final_url",
    "redirects",
    "archived_url",
    "title",
    "error",
    "reason",
    "redirect_chain",
    "attempts",
    "content_type",
    "fetched_at",
    "duplicate_of",
    "changed",
    "cached",
    "checked_from",
    "capture_date",
];

/// Writes link rows in input order while they arrive in any order: a row is held only until
/// every row before it has been written.
pub struct LinkCsvWriter<W: Write> {
    csv: csv::Writer<W>,
    /// The formula guard ([`csv_guard`]): on unless `--raw-csv`.
    guard: bool,
    next: usize,
    waiting: BTreeMap<usize, LinkRecord>,
}

impl<W: Write> LinkCsvWriter<W> {
    /// Writes the header; text cells are guarded against formulas (see
    /// [`LinkCsvWriter::with_guard`] for `--raw-csv`).
    #[cfg(test)]
    pub fn new(out: W) -> csv::Result<LinkCsvWriter<W>> {
        LinkCsvWriter::with_guard(out, true)
    }

    /// Writes the header; `guard` says whether text cells get the formula guard.
    pub fn with_guard(out: W, guard: bool) -> csv::Result<LinkCsvWriter<W>> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(LINK_COLUMNS)?;
        Ok(LinkCsvWriter {
            csv,
            guard,
            next: 0,
            waiting: BTreeMap::new(),
        })
    }

    #[cfg(test)]
    /// Accepts a row; writes it and any rows it was holding up.
    pub fn push(&mut self, record: LinkRecord) -> csv::Result<()> {
        self.push_then(record, |_| {})
    }

    /// [`LinkCsvWriter::push`], and `written` sees each row written, in file order.
    pub fn push_then(
        &mut self,
        record: LinkRecord,
        mut written: impl FnMut(&LinkRecord),
    ) -> csv::Result<()> {
        self.waiting.insert(record.index, record);
        while let Some(record) = self.waiting.remove(&self.next) {
            write_row(&mut self.csv, &record, self.guard)?;
            written(&record);
            self.next += 1;
        }
        Ok(())
    }

    /// Rows written so far.
    pub fn written(&self) -> usize {
        self.next
    }

    /// Hands the rows written so far to the file (at least once a second while a run goes).
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.csv.flush()
    }

    /// Rows held back (for memory bounds in tests).
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.waiting.len()
    }

    /// Drops rows held back behind one that never came (an interrupted run), so the file
    /// stays an in-order prefix of the sources, as `--resume` expects.
    pub fn drop_held(&mut self) -> usize {
        std::mem::take(&mut self.waiting).len()
    }

    #[cfg(test)]
    /// Writes whatever is left (there should be nothing) and flushes.
    pub fn finish(self) -> csv::Result<()> {
        self.finish_then(|_| {})
    }

    /// [`LinkCsvWriter::finish`], and `written` sees each row still written.
    pub fn finish_then(mut self, mut written: impl FnMut(&LinkRecord)) -> csv::Result<()> {
        for (_, record) in std::mem::take(&mut self.waiting) {
            write_row(&mut self.csv, &record, self.guard)?;
            written(&record);
        }
        self.csv.flush()?;
        Ok(())
    }
}

fn write_row<W: Write>(csv: &mut csv::Writer<W>, r: &LinkRecord, guard: bool) -> csv::Result<()> {
    let num = |n: Option<u16>| n.map(|n| n.to_string()).unwrap_or_default();
    // Text cells only: the numbers we format are never negative and the names of statuses
    // and reasons are plain words, so neither ever looks like a formula.
    let text = |s: &str| csv_guard::cell(s, guard);
    csv.write_record([
        text(&r.id),
        text(&r.url),
        r.status_str().to_string(),
        num(r.http_status),
        text(&r.final_url),
        r.redirects.to_string(),
        text(&r.archived_url),
        text(&r.title),
        text(&r.error),
        r.reason_str().to_string(),
        text(&r.redirect_chain),
        r.attempts.to_string(),
        text(&r.content_type),
        text(&r.fetched_at),
        text(&r.duplicate_of),
        r.changed.map(|c| c.to_string()).unwrap_or_default(),
        if r.cached { "true" } else { "false" }.to_string(),
        r.checked_from.as_str().to_string(),
        text(&r.capture_date),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::LinkStatus;

    #[test]
    fn rows_come_out_in_input_order() {
        let mut out = Vec::new();
        {
            let mut w = LinkCsvWriter::new(&mut out).unwrap();
            for i in [2usize, 0, 1] {
                w.push(LinkRecord {
                    index: i,
                    id: format!("S{}", i + 1),
                    url: format!("https://a.nl/{i}"),
                    http_status: Some(200),
                    title: "Titel, met komma".into(),
                    ..LinkRecord::new(LinkStatus::Ok)
                })
                .unwrap();
                if i == 2 {
                    assert_eq!(w.held(), 1);
                }
            }
            assert_eq!(w.held(), 0);
            w.finish().unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with(
                "id,url,status,http_status,final_url,redirects,archived_url,title,error"
            )
        );
        assert!(lines[1].starts_with("S1,https://a.nl/0,ok,200,"));
        assert!(lines[1].contains("\"Titel, met komma\""));
        assert!(lines[3].starts_with("S3,"));
    }

    fn one_row(guard: bool) -> String {
        let mut out = Vec::new();
        let mut w = LinkCsvWriter::with_guard(&mut out, guard).unwrap();
        w.push(LinkRecord {
            index: 0,
            id: "@S1".into(),
            url: "https://a.nl/x".into(),
            http_status: Some(200),
            title: "=HYPERLINK(\"http://evil.example/\",\"x\")".into(),
            error: "+cmd|' /C calc'!A0".into(),
            // `reason` is a typed name now (never a formula): the redirect chain carries it.
            redirect_chain: "-1".into(),
            attempts: 1,
            ..LinkRecord::new(LinkStatus::Ok)
        })
        .unwrap();
        w.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formula_cells_are_guarded_unless_raw() {
        let guarded = one_row(true);
        let row = guarded.lines().nth(1).unwrap();
        assert_eq!(
            row,
            "'@S1,https://a.nl/x,ok,200,,0,,\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\",'+cmd|' /C calc'!A0,,'-1,1,,,,,false,live,"
        );
        let raw = one_row(false);
        let row = raw.lines().nth(1).unwrap();
        assert!(row.starts_with("@S1,"), "{row}");
        assert!(row.contains(",\"=HYPERLINK("), "{row}");
        assert!(row.contains(",+cmd|"), "{row}");
    }
}
