//! Right / wrong / blank per cause on our Dutch speaker test set (tuning and held-out
//! parts apart).
//!
//! `cargo run --example speaker_eval [-- --verbose]`

use citecheck::dev::speaker_set::{self as set, Judgement};

fn main() {
    let verbose = std::env::args().any(|a| a == "--verbose");
    for (part, text) in [("tune", set::TUNE), ("held", set::HELD)] {
        let cases = set::parse(text);
        let (by_cause, named, unnamed) = set::tally(&cases);
        println!("== {part}: {} quotes", cases.len());
        println!(
            "{:<18} {:>5} {:>5} {:>5}",
            "cause", "right", "wrong", "blank"
        );
        for (cause, t) in &by_cause {
            println!("{cause:<18} {:>5} {:>5} {:>5}", t.right, t.wrong, t.blank);
        }
        let pct = |n: usize, d: usize| 100.0 * n as f64 / d.max(1) as f64;
        println!(
            "named speaker: {}/{} right ({:.0}%), {} wrong ({:.0}%), {} blank",
            named.right,
            named.total(),
            pct(named.right, named.total()),
            named.wrong,
            pct(named.wrong, named.total()),
            named.blank
        );
        println!(
            "nobody named: {}/{} right, {} invented",
            unnamed.right,
            unnamed.total(),
            unnamed.wrong
        );
        if verbose && part == "tune" {
            for c in &cases {
                let (o, got) = set::judge(c);
                if o != Judgement::Right {
                    println!(
                        "  {o:?} {} [{}] {:?}: expected {:?}, got {got:?}",
                        c.article, c.cause, c.needle, c.expected
                    );
                }
            }
        }
    }
}
