//! Times our HTML parser against html5ever (through `scraper`) on the benchmark pages, in
//! one process: the parse alone, no extraction.
//!
//! `cargo run --release --example parse_speed HTML_DIR… [--rounds N]`: loads every
//! `*.html.gz` / `*.html` of each folder (decompressed once, up front), parses all pages a
//! few alternating rounds with each parser and prints the fastest round per folder as pages per second,
//! and the speed ratio.

use std::io::Read;

fn load(dir: &str) -> std::io::Result<Vec<String>> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut pages = Vec::new();
    for path in entries {
        let name = path.to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        if name.ends_with(".html.gz") {
            flate2::read::GzDecoder::new(std::fs::File::open(&path)?).read_to_end(&mut bytes)?;
        } else if name.ends_with(".html") {
            bytes = std::fs::read(&path)?;
        } else {
            continue;
        }
        pages.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    Ok(pages)
}

/// One run of `f` over all pages, in seconds.
fn run(pages: &[String], f: impl Fn(&str) -> usize) -> f64 {
    let t = std::time::Instant::now();
    for p in pages {
        std::hint::black_box(f(p));
    }
    t.elapsed().as_secs_f64()
}

fn main() -> std::io::Result<()> {
    let mut dirs = Vec::new();
    let mut rounds = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--rounds" {
            rounds = args.next().and_then(|r| r.parse().ok()).unwrap_or(rounds);
        } else {
            dirs.push(a);
        }
    }
    if dirs.is_empty() {
        eprintln!("usage: parse_speed HTML_DIR… [--rounds N]");
        std::process::exit(2);
    }
    let (mut ours_all, mut theirs_all, mut n_all) = (0.0, 0.0, 0usize);
    for dir in &dirs {
        let pages = load(dir)?;
        let mb: f64 = pages.iter().map(|p| p.len() as f64).sum::<f64>() / 1e6;
        // Rounds alternate between the parsers and the fastest round of each counts: on a
        // shared machine, other work only ever adds time.
        // `PARSE_SPEED_OURS_ONLY=1` skips html5ever (for profiling our parser alone).
        let skip = std::env::var_os("PARSE_SPEED_OURS_ONLY").is_some();
        let (mut ours, mut theirs) = (f64::MAX, f64::MAX);
        for _ in 0..rounds {
            ours = ours.min(run(&pages, citecheck::dev::parse_only));
            if !skip {
                theirs = theirs.min(run(&pages, |p| {
                    scraper::Html::parse_document(p).tree.nodes().count()
                }));
            }
        }
        let n = pages.len() as f64;
        println!(
            "{dir}: {} pages ({mb:.1} MB): ours {:.0} pages/s ({:.2} ms/page), html5ever {:.0} pages/s ({:.2} ms/page): {:.1}x",
            pages.len(),
            n / ours,
            1000.0 * ours / n,
            n / theirs,
            1000.0 * theirs / n,
            theirs / ours
        );
        ours_all += ours;
        theirs_all += theirs;
        n_all += pages.len();
    }
    println!(
        "all {n_all} pages: ours {:.0} pages/s, html5ever {:.0} pages/s: {:.1}x (fastest of {rounds} alternating rounds per folder)",
        n_all as f64 / ours_all,
        n_all as f64 / theirs_all,
        theirs_all / ours_all
    );
    Ok(())
}
