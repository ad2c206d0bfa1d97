//! Streaming quote location on the benchmark set (bench/locate/): [`QuoteSet::scan`] one
//! source at a time, then [`QuoteSet::finish`], checked against [`Corpus::locate`].
//!
//! `cargo run --release --example locate_stream -- CORPUS.json SET.jsonl [--quotes N]`
//!
//! Reads the corpus (a JSON list of article texts) and the set (JSON lines with at least
//! `quote`), takes N quotes spread over the set (default 100) into one `QuoteSet`, and
//! prints: the time to scan the first ~5 KB of every corpus text against all N quotes
//! (best of three runs per text; mean, median, p99, max), the time of a streaming run over
//! the whole corpus (scan every text once, keep the pruned hits, finish every quote), and
//! how many of its Findings equal `Corpus::locate` (all of them, or it is a bug).

use std::error::Error;
use std::fs;
use std::time::{Duration, Instant};

use citecheck::{Corpus, QuoteSet, SourceHit, prune_hits};
use serde_json::Value;

#[path = "support/stats.rs"]
mod stats;
use stats::print_stats;

/// Bytes of text per timed scan.
const SCAN_BYTES: usize = 5_000;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = args
        .iter()
        .position(|a| a == "--quotes")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse::<usize>())
        .transpose()?
        .unwrap_or(100);
    let files: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--quotes"))
        .map(|(_, a)| a)
        .collect();
    let [corpus_path, set_path] = files[..] else {
        return Err("usage: locate_stream CORPUS.json SET.jsonl [--quotes N]".into());
    };
    let texts: Vec<String> = serde_json::from_str(&fs::read_to_string(corpus_path)?)?;
    let all: Vec<String> = fs::read_to_string(set_path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str::<Value>)
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .map(|v| v["quote"].as_str().unwrap_or_default().to_string())
        .collect();
    let step = (all.len() / n.max(1)).max(1);
    let quotes: Vec<&str> = all
        .iter()
        .step_by(step)
        .take(n)
        .map(String::as_str)
        .collect();

    let t = Instant::now();
    let set = QuoteSet::new(&quotes);
    println!(
        "quotes {}; quote_set_build_us {:.0}",
        quotes.len(),
        us(t.elapsed())
    );

    // One scan of a ~5 KB source against all quotes.
    let mut times = Vec::new();
    for text in &texts {
        let piece = head(text, SCAN_BYTES);
        if piece.len() < SCAN_BYTES * 4 / 5 {
            continue;
        }
        let best = (0..3)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(set.scan(0, piece));
                t.elapsed()
            })
            .min()
            .unwrap_or_default();
        times.push(best);
    }
    println!("scan_5kb_sources {}", times.len());
    print_stats("scan_5kb", &mut times);

    // A streaming run over the whole corpus, checked against the corpus.
    let t = Instant::now();
    let mut hits: Vec<Vec<SourceHit>> = vec![Vec::new(); quotes.len()];
    for (s, text) in texts.iter().enumerate() {
        for (q, h) in set.scan(s, text) {
            hits[q].push(h);
            prune_hits(&mut hits[q]);
        }
    }
    let kept: usize = hits.iter().map(Vec::len).sum();
    let findings: Vec<_> = hits
        .into_iter()
        .enumerate()
        .map(|(q, h)| set.finish(q, h, None, &|i| i < texts.len()))
        .collect();
    let stream = t.elapsed();
    let refs: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
    let t = Instant::now();
    let corpus = Corpus::build(&refs);
    let same = quotes
        .iter()
        .zip(&findings)
        .filter(|(q, f)| corpus.locate(q, None) == **f)
        .count();
    let indexed = t.elapsed();
    println!(
        "stream_run_ms {:.1} ({} texts, {} hits kept); corpus_build_and_locate_ms {:.1}",
        stream.as_secs_f64() * 1e3,
        texts.len(),
        kept,
        indexed.as_secs_f64() * 1e3
    );
    println!("findings_equal_to_corpus {same}/{}", quotes.len());
    if same != quotes.len() {
        return Err("streaming and corpus findings differ".into());
    }
    Ok(())
}

/// The first `bytes` bytes of `text`, cut back to a character boundary.
fn head(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
