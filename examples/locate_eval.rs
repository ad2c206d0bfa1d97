//! Accuracy and timing run of the quote locator on a labelled set (bench/locate/).
//!
//! `cargo run --release --example locate_eval -- CORPUS.json SET.jsonl PRED.jsonl [--pairs N]`
//!
//! Reads the corpus (a JSON list of article texts) and the set (JSON lines with at least
//! `id`, `quote` and `source`), builds one [`Corpus`] over all texts and locates every quote
//! without a claimed source. Writes one JSON line per quote (`id, verdict, source, start,
//! end, score, best_score, best_source, differences`) and prints the timings of the build
//! and of the location separately. With `--pairs N` it also times N quote × article pairs:
//! N quotes spread over the set (every k-th), each against a corpus of its own source alone (negatives against
//! one source picked from their id), the per-pair figure to set beside single-pair peers.

use std::error::Error;
use std::fs;
use std::io::{BufWriter, Write};
use std::time::{Duration, Instant};

use citecheck::Corpus;
use serde_json::{Value, json};

#[path = "support/stats.rs"]
mod stats;
use stats::print_stats;

/// One quote of the set.
struct Item {
    id: String,
    quote: String,
    source: Option<usize>,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let pairs = args
        .iter()
        .position(|a| a == "--pairs")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse::<usize>())
        .transpose()?;
    let files: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--pairs"))
        .map(|(_, a)| a)
        .collect();
    let [corpus_path, set_path, pred_path] = files[..] else {
        return Err("usage: locate_eval CORPUS.json SET.jsonl PRED.jsonl [--pairs N]".into());
    };
    let texts: Vec<String> = serde_json::from_str(&fs::read_to_string(corpus_path)?)?;
    let items = read_set(set_path)?;
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();

    let t0 = Instant::now();
    let refs: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
    let corpus = Corpus::build(&refs);
    let build = t0.elapsed();

    let mut out = BufWriter::new(fs::File::create(pred_path)?);
    let mut times = Vec::with_capacity(items.len());
    let t1 = Instant::now();
    for it in &items {
        let t = Instant::now();
        let f = corpus.locate(&it.quote, None);
        times.push(t.elapsed());
        let line = json!({
            "id": it.id,
            "verdict": f.verdict.as_str(),
            "source": f.source,
            "start": f.start,
            "end": f.end,
            "score": f.score,
            "best_score": f.best_score,
            "best_source": f.best_source,
            "differences": f.differences,
            "us": times.last().map_or(0, Duration::as_micros),
        });
        writeln!(out, "{line}")?;
    }
    let total = t1.elapsed();
    out.flush()?;
    println!(
        "corpus: {} texts, {} chars; quotes: {}",
        texts.len(),
        chars,
        items.len()
    );
    println!("build_ms {:.1}", ms(build));
    println!("locate_total_ms {:.1}", ms(total));
    print_stats("locate_per_quote", &mut times);
    println!(
        "locate_per_pair_amortised_us {:.3}",
        ms(total) * 1000.0 / (items.len().max(1) * texts.len().max(1)) as f64
    );

    if let Some(n) = pairs {
        let mut build_t = Vec::new();
        let mut locate_t = Vec::new();
        // Every k-th quote, so that all classes are in the sample.
        let step = (items.len() / n.max(1)).max(1);
        for it in items.iter().step_by(step).take(n) {
            let s = it.source.unwrap_or_else(|| {
                it.id.bytes().fold(0usize, |h, b| h * 31 + b as usize) % texts.len().max(1)
            });
            let Some(text) = texts.get(s) else { continue };
            let t = Instant::now();
            let one = Corpus::build(&[Some(text.as_str())]);
            build_t.push(t.elapsed());
            let t = Instant::now();
            let f = one.locate(&it.quote, None);
            locate_t.push(t.elapsed());
            std::hint::black_box(f);
        }
        println!("pairs {}", locate_t.len());
        print_stats("pair_build", &mut build_t);
        print_stats("pair_locate", &mut locate_t);
    }
    Ok(())
}

/// Read the set: one JSON object per line.
fn read_set(path: &str) -> Result<Vec<Item>, Box<dyn Error>> {
    let mut items = Vec::new();
    for line in fs::read_to_string(path)?.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)?;
        items.push(Item {
            id: v["id"].as_str().unwrap_or_default().to_string(),
            quote: v["quote"].as_str().unwrap_or_default().to_string(),
            source: v["source"].as_u64().map(|s| s as usize),
        });
    }
    Ok(items)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
