//! Compares ways of getting text out of a PDF for `ingest`, on PDFs made here: a page in
//! two columns and a plain page. For each way: whether the two columns come out apart
//! (each column's quotation whole), and the time per document.
//!
//! `cargo run --release --example pdf_compare [ROUNDS]`
//!
//! - `pdf-extract plain`: `pdf_extract::extract_text_from_mem` (reading order of the
//!   content stream, no layout);
//! - `lopdf extract_text`: `lopdf::Document::extract_text` (text operators only);
//! - `citecheck ingest`: glyph positions from `pdf-extract` laid out on a character grid,
//!   then the layout rules (columns, headers) and the whole of `ingest`.

#[path = "../tests/common/pdf.rs"]
mod pdf;

use std::time::Instant;

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let (l, r) = (56.0, 320.0);
    let two_columns = pdf::write_pdf(&[vec![
        (l, 770.0, "Housing"),
        (r, 770.0, "Transport"),
        (l, 752.0, "The council leader set out the plan."),
        (r, 752.0, "Bus users were less patient. One said:"),
        (l, 740.0, "“We will build where people already live,"),
        (r, 740.0, "“The timetable is a work of fiction,"),
        (l, 728.0, "and for those who cannot buy,” she said."),
        (r, 728.0, "and we are its unwilling readers.”"),
    ]]);
    let left = "We will build where people already live, and for those who cannot buy,";
    let right = "The timetable is a work of fiction, and we are its unwilling readers.";
    let one_column = pdf::write_pdf(&[vec![
        (l, 770.0, "Housing"),
        (l, 752.0, "“We will build where people already live,"),
        (l, 740.0, "and for those who cannot buy,” she said."),
    ]]);
    println!(
        "{:<22} {:>14} {:>12} {:>14}",
        "way", "columns apart", "µs 2-column", "µs 1-column"
    );
    type Way = fn(&[u8]) -> String;
    let ways: [(&str, Way); 3] = [
        ("pdf-extract plain", |b| {
            pdf_extract::extract_text_from_mem(b).unwrap_or_default()
        }),
        ("lopdf extract_text", |b| {
            pdf_extract::Document::load_mem(b)
                .ok()
                .and_then(|d| {
                    let pages: Vec<u32> = d.get_pages().keys().copied().collect();
                    d.extract_text(&pages).ok()
                })
                .unwrap_or_default()
        }),
        ("citecheck ingest", |b| {
            citecheck::ingest_file(std::path::Path::new("x.pdf"), b)
                .map(|d| {
                    d.quotes
                        .iter()
                        .map(|q| format!("“{}”", q.text))
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default()
        }),
    ];
    for (name, way) in ways {
        let text = norm(&way(&two_columns));
        let apart = text.contains(left) && text.contains(right);
        let time = |bytes: &[u8]| {
            let start = Instant::now();
            for _ in 0..rounds {
                std::hint::black_box(way(bytes));
            }
            start.elapsed().as_secs_f64() * 1e6 / rounds as f64
        };
        println!(
            "{name:<22} {:>14} {:>12.0} {:>14.0}",
            if apart { "yes" } else { "no" },
            time(&two_columns),
            time(&one_column)
        );
    }
}
