//! Timing of the quote location stage: 1,000 quotes against 1,000 articles of ~5 KB.
//!
//! `cargo run --release --example bench`. Synthetic Dutch-like text from a Zipf-weighted
//! vocabulary; quotes are exact extracts, edited extracts (dropped word, changed word,
//! accent), ellipsis quotes and absent sentences.

use std::time::Instant;

use citecheck::{Corpus, Verdict};

/// Small deterministic generator (xorshift64*), so the example needs no extra crate.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn main() {
    if std::env::args().any(|a| a == "--pair") {
        single_pair();
        return;
    }
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let syll = [
        "ge", "meen", "te", "be", "leid", "over", "heid", "sa", "men", "wer", "ken", "pro", "vin",
        "cie", "raad", "wet", "ge", "ving", "burg", "er", "zorg", "jeugd", "tijd", "plan", "stad",
        "dorp", "wijk", "huis", "ver", "trou", "wen", "amb", "te", "naar", "keu", "ze", "wél",
    ];
    let stop = [
        "de", "het", "een", "en", "van", "in", "is", "dat", "op", "te", "met", "voor", "niet",
        "zijn", "we", "je", "ook", "maar", "om", "als",
    ];
    let mut vocab: Vec<String> = stop.iter().map(|s| s.to_string()).collect();
    while vocab.len() < 4000 {
        let n = 1 + rng.below(3);
        let w: String = (0..n).map(|_| syll[rng.below(syll.len())]).collect();
        vocab.push(w);
    }
    // Zipf-ish: pick index = floor(V^u) - 1.
    let word = |rng: &mut Rng| -> String {
        let u = (rng.next() % 1_000_000) as f64 / 1_000_000.0;
        let i = ((vocab.len() as f64).powf(u) as usize).saturating_sub(1);
        vocab[i.min(vocab.len() - 1)].clone()
    };
    let mut articles = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let mut t = String::new();
        while t.len() < 5000 {
            let len = 6 + rng.below(14);
            let open = rng.below(4) == 0;
            if open {
                t.push('‘');
            }
            for k in 0..len {
                let mut w = word(&mut rng);
                if k == 0 {
                    w = w[..1].to_uppercase() + &w[1..];
                }
                t.push_str(&w);
                t.push(if k + 1 < len && rng.below(12) == 0 {
                    ','
                } else {
                    ' '
                });
                if rng.below(12) == 0 {
                    t.push('\n');
                }
            }
            t.pop();
            t.push('.');
            if open {
                t.push_str("’ zegt wethouder Jansen.");
            }
            t.push(' ');
        }
        articles.push(t);
    }
    let mut quotes: Vec<(String, usize)> = Vec::new();
    for q in 0..1000 {
        let a = rng.below(articles.len());
        let words: Vec<&str> = articles[a].split_whitespace().collect();
        let len = 8 + rng.below(30);
        let s = rng.below(words.len() - len);
        let mut w: Vec<String> = words[s..s + len].iter().map(|x| x.to_string()).collect();
        match q % 10 {
            0..=4 => {}
            5 => {
                w.remove(len / 2);
            }
            6 => w[len / 3] = "anders".into(),
            7 => {
                w.remove(len / 2);
                w[2] = "gewijzigd".into();
                w.remove(len / 4);
            }
            8 => w.insert(len / 2, "(…)".into()),
            _ => {
                w = (0..len).map(|_| word(&mut rng)).collect();
            }
        }
        quotes.push((format!("‘{}’", w.join(" ")), a));
    }
    let total: usize = articles.iter().map(String::len).sum();
    let t0 = Instant::now();
    let texts: Vec<Option<&str>> = articles.iter().map(|a| Some(a.as_str())).collect();
    let corpus = Corpus::build(&texts);
    let t_build = t0.elapsed();
    let t1 = Instant::now();
    let mut counts = [0usize; 5];
    let mut wrong_source = 0;
    let mut per_class = [0f64; 10];
    let mut found_class = [0usize; 10];
    for (i, (q, a)) in quotes.iter().enumerate() {
        let tq = Instant::now();
        let f = corpus.locate(q, Some(*a));
        per_class[i % 10] += tq.elapsed().as_secs_f64() * 1e3;
        let k = match f.verdict {
            Verdict::Verified => 0,
            Verdict::Approximate => 1,
            Verdict::Misattributed => 2,
            Verdict::SourceUnavailable => 3,
            Verdict::NotFound => 4,
        };
        counts[k] += 1;
        if k < 2 {
            found_class[i % 10] += 1;
        }
        if k < 2 && f.source != Some(*a) {
            wrong_source += 1;
        }
    }
    let t_locate = t1.elapsed();
    println!(
        "corpus {} articles, {:.1} MB; build {:.0} ms; locate 1000 quotes {:.0} ms \
         ({:.1} µs/quote, {:.2} µs per quote×article pair); total {:.0} ms",
        articles.len(),
        total as f64 / 1e6,
        t_build.as_secs_f64() * 1e3,
        t_locate.as_secs_f64() * 1e3,
        t_locate.as_secs_f64() * 1e6 / quotes.len() as f64,
        t_locate.as_secs_f64() * 1e6 / (quotes.len() * articles.len()) as f64,
        (t_build + t_locate).as_secs_f64() * 1e3
    );
    println!(
        "verified {} approximate {} misattributed {} unavailable {} not_found {} (wrong source {})",
        counts[0], counts[1], counts[2], counts[3], counts[4], wrong_source
    );
    println!("found per class: {found_class:?}");
    println!(
        "ms per quote class (0-4 exact, 5 drop, 6 change, 7 three edits, 8 ellipsis, 9 absent): {per_class:.0?}"
    );
    single_pair();
}

/// One 33-word quote (straight marks, line-wrap hyphen, `wel` for `wél`, three words
/// dropped) against one ~14 KB article: the pair of docs/matching.md §9.
fn single_pair() {
    let filler = "Dit is een alinea over iets heel anders, zoals de begroting van het waterschap. ";
    let passage = "‘We moeten als gemeenten en provincies veel meer van elkaar leren, want \
        de opgaven in de regio worden steeds groter en ingewikkel-\nder. Dat vraagt wél om \
        een andere houding van bestuurders en ambtenaren, die durven loslaten en vertrouwen \
        geven aan de uitvoering,’ aldus de wethouder.";
    let text = format!("{}{}{}", filler.repeat(90), passage, filler.repeat(80));
    let q = "\"We moeten als gemeenten en provincies meer van elkaar leren, want de opgaven \
        in de regio worden groter en ingewikkelder. Dat vraagt wel om een andere houding van \
        bestuurders, die durven loslaten en vertrouwen geven aan de uitvoering\"";
    let corpus = Corpus::build(&[Some(&text)]);
    let n = 2000;
    let t = Instant::now();
    let mut score = 0.0;
    for _ in 0..n {
        score = corpus.locate(q, Some(0)).score;
    }
    let per = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    let t = Instant::now();
    for _ in 0..100 {
        let _ = Corpus::build(&[Some(&text)]);
    }
    let build = t.elapsed().as_secs_f64() * 1e6 / 100.0;
    println!(
        "single pair ({} KB article): locate {per:.1} µs/quote (score {score:.3}); build {build:.0} µs",
        text.len() / 1000
    );
}
