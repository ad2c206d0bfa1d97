//! Times `extract_article` over all benchmark pages held in memory.
//!
//! `cargo run --release --example extract_speed [DATA_DIR] [ROUNDS]`: loads every
//! `html/*.html.gz` (decompressed once, up front), runs the extractor over all pages a few
//! rounds and prints the median round as pages per second.

use std::io::Read;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let data = args
        .next()
        .or_else(|| {
            std::env::var("CITECHECK_BENCH")
                .ok()
                .map(|b| format!("{b}/article-extraction"))
        })
        .ok_or_else(|| {
            std::io::Error::other(
                "usage: extract_speed DATA [ROUNDS] (DATA: the article-extraction set; or set CITECHECK_BENCH)",
            )
        })?;
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let truth: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(format!(
        "{data}/ground-truth.json"
    ))?)
    .map_err(std::io::Error::other)?;
    let mut pages: Vec<(String, Option<String>)> = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(format!("{data}/html"))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let Some(id) = name.strip_suffix(".html.gz") else {
            continue;
        };
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&path)?).read_to_end(&mut bytes)?;
        let url = truth[id]["url"].as_str().map(str::to_string);
        pages.push((String::from_utf8_lossy(&bytes).into_owned(), url));
    }
    let mb: f64 = pages.iter().map(|(p, _)| p.len() as f64).sum::<f64>() / 1e6;
    let mut times = Vec::new();
    let mut chars = 0usize;
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        chars = 0;
        for (html, url) in &pages {
            let a = citecheck::extract_article(html, url.as_deref());
            chars += a.text.len();
        }
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    // What `run` does with each page: the article text and the whole page text from one
    // parse (the page text is the quotes' fallback).
    let mut page_times = Vec::new();
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        for (html, url) in &pages {
            std::hint::black_box(citecheck::dev::extract_with_page(html, url.as_deref()));
        }
        page_times.push(t.elapsed().as_secs_f64());
    }
    page_times.sort_by(f64::total_cmp);
    let page_median = page_times[page_times.len() / 2];
    // html5ever's parse alone (the parser the extractor used before it had its own), for
    // reference: the whole extraction now takes less than that parse.
    let mut parse_times = Vec::new();
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        for (html, _) in &pages {
            let doc = scraper::Html::parse_document(html);
            std::hint::black_box(&doc);
        }
        parse_times.push(t.elapsed().as_secs_f64());
    }
    parse_times.sort_by(f64::total_cmp);
    let parse_median = parse_times[parse_times.len() / 2];
    println!(
        "html5ever parse alone (for reference): {:.1} pages/s, {:.2} ms/page",
        pages.len() as f64 / parse_median,
        1000.0 * parse_median / pages.len() as f64
    );
    println!(
        "extract_article: {} pages ({mb:.1} MB) in {median:.3} s (median of {rounds}): {:.1} pages/s, {:.2} ms/page; {chars} text bytes",
        pages.len(),
        pages.len() as f64 / median,
        1000.0 * median / pages.len() as f64
    );
    println!(
        "extract_with_page (as in `run`): {:.1} pages/s, {:.2} ms/page ({:+.1} % time)",
        pages.len() as f64 / page_median,
        1000.0 * page_median / pages.len() as f64,
        100.0 * (page_median / median - 1.0)
    );
    // The pipeline extracts pages in parallel (one blocking task per page): the same pages
    // over every core, for the throughput a run gets.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut par_times = Vec::new();
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        std::thread::scope(|scope| {
            for part in pages.chunks(pages.len().div_ceil(threads)) {
                scope.spawn(move || {
                    for (html, url) in part {
                        std::hint::black_box(citecheck::extract_article(html, url.as_deref()));
                    }
                });
            }
        });
        par_times.push(t.elapsed().as_secs_f64());
    }
    par_times.sort_by(f64::total_cmp);
    let par_median = par_times[par_times.len() / 2];
    println!(
        "extract_article on {threads} threads: {:.1} pages/s",
        pages.len() as f64 / par_median
    );
    Ok(())
}
