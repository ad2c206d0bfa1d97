//! `links.csv`: one row per sources row, in input order (contract). The required columns come
//! first; the added ones (docs/links.md §1) after them.

use std::collections::BTreeMap;
use std::io::Write;

use crate::check::LinkRecord;

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
];

/// Writes link rows in input order while they arrive in any order: a row is held only until
/// every row before it has been written.
pub struct LinkCsvWriter<W: Write> {
    csv: csv::Writer<W>,
    next: usize,
    waiting: BTreeMap<usize, LinkRecord>,
}

impl<W: Write> LinkCsvWriter<W> {
    /// Writes the header.
    pub fn new(out: W) -> csv::Result<LinkCsvWriter<W>> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(LINK_COLUMNS)?;
        Ok(LinkCsvWriter {
            csv,
            next: 0,
            waiting: BTreeMap::new(),
        })
    }

    /// Accepts a row; writes it and any rows it was holding up.
    pub fn push(&mut self, record: LinkRecord) -> csv::Result<()> {
        self.waiting.insert(record.index, record);
        while let Some(record) = self.waiting.remove(&self.next) {
            write_row(&mut self.csv, &record)?;
            self.next += 1;
        }
        Ok(())
    }

    /// Rows held back (for memory bounds in tests).
    pub fn held(&self) -> usize {
        self.waiting.len()
    }

    /// Drops rows held back behind one that never came (an interrupted run), so the file
    /// stays an in-order prefix of the sources, as `--resume` expects.
    pub fn drop_held(&mut self) -> usize {
        std::mem::take(&mut self.waiting).len()
    }

    /// Writes whatever is left (there should be nothing) and flushes.
    pub fn finish(mut self) -> csv::Result<()> {
        for (_, record) in std::mem::take(&mut self.waiting) {
            write_row(&mut self.csv, &record)?;
        }
        self.csv.flush()?;
        Ok(())
    }
}

fn write_row<W: Write>(csv: &mut csv::Writer<W>, r: &LinkRecord) -> csv::Result<()> {
    let num = |n: Option<u16>| n.map(|n| n.to_string()).unwrap_or_default();
    csv.write_record([
        r.id.as_str(),
        r.url.as_str(),
        r.status_str(),
        &num(r.http_status),
        &r.final_url,
        &r.redirects.to_string(),
        &r.archived_url,
        &r.title,
        &r.error,
        &r.reason,
        &r.redirect_chain,
        &r.attempts.to_string(),
        &r.content_type,
        &r.fetched_at,
        &r.duplicate_of,
        &r.changed,
        if r.cached { "true" } else { "false" },
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
                    status: Some(LinkStatus::Ok),
                    http_status: Some(200),
                    title: "Titel, met komma".into(),
                    ..LinkRecord::default()
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
}
