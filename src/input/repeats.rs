//! Which cited URLs a sources file names more than once, found by a first pass over the file,
//! so that `check`/`run` keep the duplicate table (the first row's key and answer, for the
//! `duplicate` rows after it) only for those URLs, not for every row.
//!
//! Each row's [`duplicate_key`] is counted by a 64-bit hash. The hashes are sorted in runs
//! of at most [`RUN_HASHES`] (4 MB), spilled to temporary files past the first, and merged,
//! so the pass holds a fixed amount of memory however long the file is (a table of every
//! hash cost 35-50 MB at a million rows). A hash collision only makes a URL look repeated,
//! so its key and answer are kept although no duplicate comes: it costs memory, never a
//! wrong row.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};

use super::inputs::InputSet;
use super::url::{duplicate_key, parse_cited};

/// The duplicate keys that may repeat in a sources file.
#[derive(Debug, Default)]
pub struct Repeats {
    /// Hashes of keys seen twice or more; `None`: every key may repeat (no first pass).
    hashes: Option<HashSet<u64>>,
    /// Rows the pass found (those `keep` kept); `None` without a first pass.
    rows: Option<usize>,
    /// Rows skipped as malformed, by the pass.
    problems: usize,
    /// Usable rows, whoever `keep` kept.
    usable: usize,
    /// The first malformed row, located.
    first_problem: Option<String>,
}

impl Repeats {
    /// Reads `path` once through (a regular file only: a pipe cannot be read twice) and
    /// notes the keys that occur more than once. When the file cannot be read through,
    /// every key may repeat.
    #[cfg(test)]
    pub fn scan(path: &std::path::Path) -> Repeats {
        Repeats::scan_counting(path, &|_| true)
    }

    /// [`Repeats::scan`], also counting the rows whose URL `keep` keeps (a row whose URL
    /// does not parse is always counted: it gets an `invalid` row) and the malformed rows.
    #[cfg(test)]
    pub fn scan_counting(path: &std::path::Path, keep: &dyn Fn(&url::Url) -> bool) -> Repeats {
        if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            return Repeats::default();
        }
        let Ok(mut reader) = super::SourceReader::open(path) else {
            return Repeats::default();
        };
        Repeats::count(|| reader.next_source(), keep)
    }

    /// [`Repeats::scan_counting`] over a run's inputs (every CSV among them a regular file).
    pub fn scan_inputs(inputs: &InputSet, keep: &dyn Fn(&url::Url) -> bool) -> Repeats {
        if !inputs.rereadable() {
            return Repeats::default();
        }
        let Ok(mut sources) = inputs.open() else {
            return Repeats::default();
        };
        Repeats::count(|| sources.next_source(), keep)
    }

    /// The pass itself: every usable row's key hash into sorted runs (fixed memory), the
    /// rows `keep` keeps and the malformed ones counted.
    fn count(
        mut next: impl FnMut() -> crate::error::Result<
            Option<std::result::Result<super::Source, super::csv_rows::RowProblem>>,
        >,
        keep: &dyn Fn(&url::Url) -> bool,
    ) -> Repeats {
        let mut hashes = HashRuns::default();
        let (mut rows, mut problems, mut usable) = (0, 0, 0);
        let mut first_problem = None;
        loop {
            let pushed = match next() {
                Ok(Some(Ok(source))) => {
                    usable += 1;
                    match parse_cited(&source.url) {
                        Ok(url) => {
                            rows += usize::from(keep(&url));
                            hashes.push(key_hash(&duplicate_key(&url)))
                        }
                        Err(_) => {
                            rows += 1;
                            Ok(())
                        }
                    }
                }
                Ok(Some(Err(problem))) => {
                    problems += 1;
                    first_problem.get_or_insert_with(|| problem.to_string());
                    Ok(())
                }
                Ok(None) => break,
                Err(_) => return Repeats::default(),
            };
            if pushed.is_err() {
                return Repeats::default();
            }
        }
        match hashes.repeated() {
            Ok(repeated) => Repeats {
                hashes: Some(repeated),
                rows: Some(rows),
                problems,
                usable,
                first_problem,
            },
            Err(_) => Repeats::default(),
        }
    }

    /// Every data row is malformed (the pass found some, and no usable one): what to say.
    pub fn all_malformed(&self) -> Option<String> {
        (self.rows.is_some() && self.usable == 0 && self.problems > 0).then(|| {
            format!(
                "no usable row: all {} data rows are malformed (the first: {})",
                self.problems,
                self.first_problem.as_deref().unwrap_or("?")
            )
        })
    }

    /// The rows the first pass counted (`None`: no first pass, e.g. a pipe).
    pub fn rows(&self) -> Option<usize> {
        self.rows
    }

    /// The malformed rows the first pass skipped.
    #[cfg(test)]
    pub fn problems(&self) -> usize {
        self.problems
    }

    /// Whether the URL with duplicate key `key` may stand in more than one row. `false` is
    /// certain: that row has no duplicate.
    pub fn may_repeat(&self, key: &str) -> bool {
        self.hashes
            .as_ref()
            .is_none_or(|h| h.contains(&key_hash(key)))
    }
}

/// Hashes sorted per run: sorted and spilled to a temporary file once [`RUN_HASHES`] are
/// held.
#[derive(Default)]
struct HashRuns {
    held: Vec<u64>,
    spilled: Vec<File>,
}

/// Hashes held at once (4 MB) before a sorted run is spilled.
const RUN_HASHES: usize = 1 << 19;

impl HashRuns {
    fn push(&mut self, hash: u64) -> io::Result<()> {
        self.held.push(hash);
        if self.held.len() >= RUN_HASHES {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.held.sort_unstable();
        let mut out = BufWriter::new(tempfile::tempfile()?);
        for h in self.held.drain(..) {
            out.write_all(&h.to_le_bytes())?;
        }
        let mut file = out.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        self.spilled.push(file);
        Ok(())
    }

    /// The hashes pushed more than once (a merge of every run, in order).
    fn repeated(mut self) -> io::Result<HashSet<u64>> {
        let mut repeated = HashSet::new();
        if self.spilled.is_empty() {
            self.held.sort_unstable();
            for pair in self.held.windows(2) {
                if pair[0] == pair[1] {
                    repeated.insert(pair[0]);
                }
            }
            return Ok(repeated);
        }
        if !self.held.is_empty() {
            self.spill()?;
        }
        let mut runs: Vec<BufReader<File>> = self
            .spilled
            .into_iter()
            .map(|f| BufReader::with_capacity(1 << 14, f))
            .collect();
        let next = |run: &mut BufReader<File>| -> io::Result<Option<u64>> {
            let mut bytes = [0u8; 8];
            match run.read_exact(&mut bytes) {
                Ok(()) => Ok(Some(u64::from_le_bytes(bytes))),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
                Err(e) => Err(e),
            }
        };
        let mut heap = BinaryHeap::new();
        for (i, run) in runs.iter_mut().enumerate() {
            if let Some(h) = next(run)? {
                heap.push(Reverse((h, i)));
            }
        }
        let mut last = None;
        while let Some(Reverse((h, i))) = heap.pop() {
            if last == Some(h) {
                repeated.insert(h);
            }
            last = Some(h);
            if let Some(h) = next(&mut runs[i])? {
                heap.push(Reverse((h, i)));
            }
        }
        Ok(repeated)
    }
}

fn key_hash(key: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(raw: &str) -> String {
        duplicate_key(&parse_cited(raw).unwrap())
    }

    #[test]
    fn only_urls_named_twice_may_repeat() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sources.csv");
        std::fs::write(
            &path,
            "id,url\n\
             1,https://a.nl/x\n\
             2,https://b.nl/y%c3%a9\n\
             3,not a url\n\
             4,https://A.nl/x#top\n\
             5,\n\
             6,https://b.nl/y%C3%A9\n\
             7,https://c.nl/z\n",
        )
        .unwrap();
        let repeats = Repeats::scan(&path);
        assert_eq!((repeats.rows(), repeats.problems()), (Some(6), 1));
        assert!(repeats.all_malformed().is_none());
        let some = Repeats::scan_counting(&path, &|u| u.host_str() != Some("b.nl"));
        assert_eq!(some.rows(), Some(4));
        assert!(repeats.may_repeat(&key("https://a.nl/x")));
        assert!(repeats.may_repeat(&key("https://b.nl/y%C3%A9")));
        assert!(!repeats.may_repeat(&key("https://c.nl/z")));
        assert!(!repeats.may_repeat(&key("https://d.nl/")));
    }

    /// Past one run, the hashes are spilled in sorted runs and merged: the same answer as
    /// one sort in memory, repeats within a run, across runs and in the last (held) part.
    #[test]
    fn spilled_runs_find_the_same_repeats() {
        let mut runs = HashRuns::default();
        let n = 2 * RUN_HASHES + 1000;
        // Every multiple of 7 twice: once early, once late (other runs), and 5 three times
        // in the held tail.
        for i in 0..n as u64 {
            runs.push(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).unwrap();
        }
        for i in (0..n as u64).step_by(7) {
            runs.push(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).unwrap();
        }
        for _ in 0..2 {
            runs.push(5u64.wrapping_mul(0x9E37_79B9_7F4A_7C15)).unwrap();
        }
        assert!(runs.spilled.len() >= 2, "{} runs", runs.spilled.len());
        assert!(runs.held.len() < RUN_HASHES);
        let repeated = runs.repeated().unwrap();
        let want: HashSet<u64> = (0..n as u64)
            .filter(|i| i % 7 == 0 || *i == 5)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        assert_eq!(repeated, want);
    }

    #[test]
    fn without_a_first_pass_every_url_may_repeat() {
        let dir = tempfile::tempdir().unwrap();
        // A folder is no regular file; a missing file cannot be read.
        for path in [dir.path().to_path_buf(), dir.path().join("missing.csv")] {
            let repeats = Repeats::scan(&path);
            assert!(repeats.may_repeat(&key("https://c.nl/z")));
        }
    }
}
