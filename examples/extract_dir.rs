//! Extracts the article text of every page of a benchmark set in one process, for fast
//! scoring rounds while tuning.
//!
//! `cargo run --release --example extract_dir SET_DIR OUT_DIR`: reads every
//! `SET_DIR/html/<id>.html.gz` and writes its article text to `OUT_DIR/<id>.txt`, as
//! `citecheck text -` prints it (no URL hint). `bench/score_extract.py --from-dir OUT_DIR`
//! then scores the saved texts.

use std::io::Read;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(set), Some(out)) = (args.next(), args.next()) else {
        return Err(std::io::Error::other("usage: extract_dir SET_DIR OUT_DIR"));
    };
    std::fs::create_dir_all(&out)?;
    let mut n = 0usize;
    for entry in std::fs::read_dir(format!("{set}/html"))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Some(id) = name.strip_suffix(".html.gz") else {
            continue;
        };
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&path)?).read_to_end(&mut bytes)?;
        let (html, _) = citecheck::dev::decode_text(&bytes, None);
        let article = citecheck::extract_article(&html, None);
        std::fs::write(format!("{out}/{id}.txt"), format!("{}\n", article.text))?;
        n += 1;
    }
    eprintln!("{n} pages");
    Ok(())
}
