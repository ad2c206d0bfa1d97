//! `--format json`: the whole run as ONE JSON document,
//! `{"summary": {...}, "links": [...], "quotes": [...]}`, described by
//! `docs/report.schema.json`.
//!
//! [`JsonWriter`] takes rows as the run makes them and renders each at once into a spool on
//! disk (the summary comes first but is known only at the end), so a run of a million links
//! holds none of them; [`write_json`] does the same for a finished [`RunReport`]. Rows carry exactly the CSV columns of
//! links.csv and report.csv, in the same order and under the same names, typed: numbers
//! are numbers, `changed`/`cached` are booleans, and an empty cell is `null`. Scores are
//! rounded to three decimals, as in the CSV.

use std::io::Write;

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;

use crate::check::LinkRecord;
use crate::report::links::LINK_COLUMNS;
use crate::report::quotes::{QUOTE_COLUMNS, QuoteRow};
use crate::report::spool::Spool;
#[cfg(test)]
use crate::report::summary::RunReport;
use crate::report::summary::Summary;

/// Columns holding `true`/`false`.
const BOOLEAN_COLUMNS: &[&str] = &["changed", "cached"];
/// Columns holding scores in [0, 1].
const SCORE_COLUMNS: &[&str] = &["score", "best_score"];

/// A JSON object whose keys keep the order they were given in.
#[derive(Debug, Clone, PartialEq)]
struct Ordered(Vec<(&'static str, Value)>);

impl Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct SummaryJson {
    command: &'static str,
    passed: bool,
    failures: usize,
    warnings: usize,
    cached: usize,
    fail_on: Vec<&'static str>,
    links: Option<Ordered>,
    quotes: Option<Ordered>,
}

fn counts(counts: &[(&'static str, usize)]) -> Ordered {
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let mut pairs = vec![("total", Value::from(total))];
    pairs.extend(counts.iter().map(|(name, n)| (*name, Value::from(*n))));
    Ordered(pairs)
}

fn summary_json(s: Summary) -> SummaryJson {
    SummaryJson {
        command: s.command,
        passed: s.passed(),
        failures: s.failures,
        warnings: s.warnings,
        cached: s.cached,
        fail_on: s.fail_on,
        links: s.links.as_deref().map(counts),
        quotes: s.quotes.as_deref().map(counts),
    }
}

/// A row as a JSON object with the given columns, typed (see the module doc).
fn row<T: Serialize>(record: &T, columns: &[&'static str]) -> Ordered {
    let mut map = match serde_json::to_value(record) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    Ordered(
        columns
            .iter()
            .map(|column| {
                let value = match map.remove(*column).unwrap_or(Value::Null) {
                    Value::String(s) if s.is_empty() => Value::Null,
                    Value::String(s) if BOOLEAN_COLUMNS.contains(column) => match s.as_str() {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        _ => Value::String(s),
                    },
                    Value::Number(n) if SCORE_COLUMNS.contains(column) => n
                        .as_f64()
                        .map(|f| Value::from((f * 1000.0).round() / 1000.0))
                        .unwrap_or(Value::Number(n)),
                    other => other,
                };
                (*column, value)
            })
            .collect(),
    )
}

/// `value` pretty-printed as serde_json does, as if nested `depth` levels deep: every line
/// after the first is indented by two spaces per level (a newline inside a JSON value is
/// always structure: strings escape theirs).
fn pretty_at<T: Serialize>(value: &T, depth: usize) -> std::io::Result<Vec<u8>> {
    let text = serde_json::to_vec_pretty(value)?;
    let indent = "  ".repeat(depth);
    let mut out = Vec::with_capacity(text.len() + text.len() / 8);
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
            out.extend_from_slice(indent.as_bytes());
        }
        out.extend_from_slice(line);
    }
    Ok(out)
}

/// One array of the document (`links` or `quotes`), its elements rendered as they come.
struct Array {
    spool: Spool,
}

impl Array {
    fn new() -> std::io::Result<Array> {
        Ok(Array {
            spool: Spool::new()?,
        })
    }

    fn push(&mut self, element: &Ordered) -> std::io::Result<()> {
        if self.spool.items() > 0 {
            self.spool.extend(b",\n")?;
        }
        let mut bytes = b"    ".to_vec();
        bytes.extend(pretty_at(element, 2)?);
        self.spool.push(&bytes)
    }

    /// `"name": [...]`, as serde_json's pretty printer writes a member of the top object.
    fn write(self, name: &str, out: &mut dyn Write) -> std::io::Result<()> {
        write!(out, "  \"{name}\": ")?;
        if self.spool.items() == 0 {
            return out.write_all(b"[]");
        }
        out.write_all(b"[\n")?;
        self.spool.copy_to(out)?;
        out.write_all(b"\n  ]")
    }
}

/// The JSON document of a run, written as it goes: rows are rendered into spools as they
/// come, and [`JsonWriter::finish`] writes the summary and then copies them out.
pub struct JsonWriter {
    links: Array,
    quotes: Array,
}

impl JsonWriter {
    /// An empty document.
    pub fn new() -> std::io::Result<JsonWriter> {
        Ok(JsonWriter {
            links: Array::new()?,
            quotes: Array::new()?,
        })
    }

    /// Adds a links.csv row (rows come in input order).
    pub fn link(&mut self, record: &LinkRecord) -> std::io::Result<()> {
        self.links.push(&row(record, LINK_COLUMNS))
    }

    /// Adds a report.csv row.
    pub fn quote(&mut self, record: &QuoteRow) -> std::io::Result<()> {
        self.quotes.push(&row(record, QUOTE_COLUMNS))
    }

    /// Writes the whole document (pretty-printed, with a final newline).
    pub fn finish(self, summary: Summary, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(b"{\n  \"summary\": ")?;
        out.write_all(&pretty_at(&summary_json(summary), 1)?)?;
        out.write_all(b",\n")?;
        self.links.write("links", out)?;
        out.write_all(b",\n")?;
        self.quotes.write("quotes", out)?;
        out.write_all(b"\n}\n")?;
        out.flush()
    }
}

#[cfg(test)]
/// Writes the document of a finished run (pretty-printed, with a final newline).
pub fn write_json<W: Write>(mut out: W, report: &RunReport) -> std::io::Result<()> {
    let mut writer = JsonWriter::new()?;
    for r in report.link_rows() {
        writer.link(r)?;
    }
    for r in report.quote_rows() {
        writer.quote(r)?;
    }
    writer.finish(report.summary(), &mut out)
}

/// Shared with the integration tests: one checker for both.
#[cfg(test)]
#[path = "../../tests/common/json_schema.rs"]
mod json_schema;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::summary::tests::sample;

    use super::json_schema;

    fn render(report: &RunReport) -> Value {
        let mut out = Vec::new();
        write_json(&mut out, report).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    fn schema() -> Value {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json"),
        )
        .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn rows_have_the_csv_columns_typed() {
        let doc = render(&sample());
        let links = doc["links"].as_array().unwrap();
        assert_eq!(links.len(), 5);
        let keys: Vec<&str> = links[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected: Vec<&str> = LINK_COLUMNS.to_vec();
        expected.sort_unstable();
        // serde_json's map sorts keys when read back; the order on the wire is checked below.
        assert_eq!(keys, expected);
        assert_eq!(links[0]["status"], "ok");
        assert_eq!(links[0]["http_status"], 200);
        assert_eq!(links[0]["redirects"], 0);
        assert_eq!(links[0]["cached"], true);
        assert_eq!(links[1]["cached"], false);
        assert_eq!(links[0]["archived_url"], Value::Null);
        assert_eq!(links[0]["changed"], Value::Null);
        assert_eq!(links[4]["http_status"], Value::Null);
        assert_eq!(links[3]["duplicate_of"], "S1");
        let quotes = doc["quotes"].as_array().unwrap();
        assert_eq!(quotes[1]["score"], 0.935);
        assert_eq!(quotes[1]["start"], 10);
        assert_eq!(quotes[2]["score"], Value::Null);
        assert_eq!(quotes[2]["source_url"], Value::Null);
        assert_eq!(
            quotes[0]["quote"],
            "Het begint met een kop koffie, zegt ze: ‘echt waar’"
        );
    }

    #[test]
    fn keys_keep_the_csv_order_and_summary_comes_first() {
        let mut out = Vec::new();
        write_json(&mut out, &sample()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("{\n  \"summary\": {\n    \"command\": \"run\""),
            "{text}"
        );
        let first_row = &text[text.find("\"links\": [").unwrap()..];
        let mut last = 0;
        for column in LINK_COLUMNS {
            let at = first_row.find(&format!("\"{column}\":")).unwrap();
            assert!(at > last || last == 0, "{column} out of order");
            last = at;
        }
    }

    /// The document as one serde_json value, pretty-printed whole: what the streaming writer
    /// must give byte for byte.
    fn whole_document(report: &RunReport) -> Vec<u8> {
        #[derive(Serialize)]
        struct Document {
            summary: SummaryJson,
            links: Vec<Ordered>,
            quotes: Vec<Ordered>,
        }
        let document = Document {
            summary: summary_json(report.summary()),
            links: report
                .link_rows()
                .iter()
                .map(|r| row(r, LINK_COLUMNS))
                .collect(),
            quotes: report
                .quote_rows()
                .iter()
                .map(|r| row(r, QUOTE_COLUMNS))
                .collect(),
        };
        let mut out = serde_json::to_vec_pretty(&document).unwrap();
        out.push(b'\n');
        out
    }

    #[test]
    fn streamed_bytes_equal_the_whole_document() {
        let mut report = sample();
        // Text that a naive re-indentation could break: newlines, quotes, braces.
        report.links.as_mut().unwrap()[1].title = "Twee\nregels {\"x\": [1]}\r\n\t".into();
        let mut cases = vec![report.clone()];
        let mut check = report.clone();
        check.quotes = None;
        cases.push(check);
        let mut empty = report;
        empty.links = Some(Vec::new());
        empty.quotes = Some(Vec::new());
        cases.push(empty);
        for case in cases {
            let mut streamed = Vec::new();
            write_json(&mut streamed, &case).unwrap();
            assert_eq!(
                String::from_utf8(streamed).unwrap(),
                String::from_utf8(whole_document(&case)).unwrap()
            );
        }
    }

    #[test]
    fn summary_counts() {
        let doc = render(&sample());
        let s = &doc["summary"];
        assert_eq!(s["passed"], false);
        assert_eq!(s["failures"], 3);
        assert_eq!(s["warnings"], 2);
        assert_eq!(s["cached"], 1);
        assert_eq!(s["links"]["total"], 5);
        assert_eq!(s["links"]["broken"], 1);
        assert_eq!(s["links"]["soft_404"], 0);
        assert_eq!(s["quotes"]["total"], 3);
        assert_eq!(s["quotes"]["not_found"], 1);
        assert!(
            s["fail_on"]
                .as_array()
                .unwrap()
                .contains(&Value::from("not_found"))
        );
    }

    #[test]
    fn typed_values_carry_their_csv_names() {
        use crate::check::{LinkStatus, Reason};
        use crate::report::quotes::QuoteRegion;
        let mut report = sample();
        let links = report.links.as_mut().unwrap();
        links[0].status = LinkStatus::Soft404;
        links[0].reason = Some(Reason::NotFoundTitle);
        links[0].changed = Some(false);
        report.quotes.as_mut().unwrap()[0].region = Some(QuoteRegion::Page);
        let doc = render(&report);
        // serde's own `snake_case` would say `soft404`; the CSV and the schema say `soft_404`.
        assert_eq!(doc["links"][0]["status"], "soft_404");
        assert_eq!(doc["links"][0]["reason"], "not_found_title");
        assert_eq!(doc["links"][0]["changed"], false);
        assert_eq!(doc["links"][1]["reason"], Value::Null);
        assert_eq!(doc["quotes"][0]["verdict"], "verified");
        assert_eq!(doc["quotes"][0]["region"], "page");
        assert_eq!(doc["quotes"][1]["region"], Value::Null);
        json_schema::validate(&schema(), &doc).unwrap();
    }

    #[test]
    fn documents_match_the_schema() {
        let schema = schema();
        let report = sample();
        json_schema::validate(&schema, &render(&report)).unwrap();
        // `check`: no quotes located; `verify`: no links checked.
        let mut check = report.clone();
        check.command = "check";
        check.quotes = None;
        let doc = render(&check);
        assert_eq!(doc["summary"]["quotes"], Value::Null);
        json_schema::validate(&schema, &doc).unwrap();
        let mut verify = report;
        verify.command = "verify";
        verify.links = None;
        json_schema::validate(&schema, &render(&verify)).unwrap();
    }

    #[test]
    fn the_schema_lists_exactly_the_csv_columns() {
        let schema = schema();
        for (def, columns) in [("link", LINK_COLUMNS), ("quote", QUOTE_COLUMNS)] {
            let props = schema["$defs"][def]["properties"].as_object().unwrap();
            let mut got: Vec<&str> = props.keys().map(String::as_str).collect();
            let mut want = columns.to_vec();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "$defs/{def}");
            let required: Vec<&str> = schema["$defs"][def]["required"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert_eq!(
                required.len(),
                columns.len(),
                "$defs/{def}: every column is required"
            );
        }
    }

    #[test]
    fn the_schema_rejects_what_it_should() {
        let schema = schema();
        let good = render(&sample());
        let mut bad = good.clone();
        bad["links"][0]["status"] = Value::from("gebroken");
        assert!(json_schema::validate(&schema, &bad).is_err());
        let mut bad = good.clone();
        bad["links"][0]["http_status"] = Value::from("200");
        assert!(json_schema::validate(&schema, &bad).is_err());
        let mut bad = good.clone();
        bad["quotes"][0].as_object_mut().unwrap().remove("verdict");
        assert!(json_schema::validate(&schema, &bad).is_err());
        let mut bad = good;
        bad["summary"]["extra"] = Value::from(1);
        assert!(json_schema::validate(&schema, &bad).is_err());
    }
}
