//! Prints the `ingest` figures on our own documents: quotations found, precision, right
//! source and right pairing rule, per document and per set (`tune`, `held_out`).
//!
//! `cargo run --example ingest_eval [DIR]` (default `tests/fixtures/ingest`).

#[path = "../tests/common/ingest_eval.rs"]
mod ingest_eval;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/fixtures/ingest".to_string());
    let figures = ingest_eval::evaluate(std::path::Path::new(&dir));
    print!("{}", ingest_eval::render(&figures));
    for (name, f) in &figures {
        for miss in &f.misses {
            println!("{name}: {miss}");
        }
    }
}
