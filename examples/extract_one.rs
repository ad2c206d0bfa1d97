//! The benchmark harness's extractor: one HTML page on stdin, its article text on stdout.
//!
//! `cargo build --release --example extract_one`, then give the scorers
//! `--cmd target/release/examples/extract_one`. The scorers pass the page's URL in the
//! `BENCH_URL` environment variable (as `citecheck text URL` would know it after fetching);
//! `citecheck text -` itself takes no hint from the environment.

use std::io::{Read, Write};

fn main() -> std::io::Result<()> {
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes)?;
    let url = std::env::var("BENCH_URL").ok();
    let (html, _) = citecheck::dev::decode_text(&bytes, None);
    let article = citecheck::extract_article(&html, url.as_deref());
    let mut out = std::io::stdout().lock();
    out.write_all(article.text.as_bytes())?;
    out.write_all(b"\n")
}
