//! Which cited URLs a sources file names more than once, found by a first pass over the file,
//! so that `check`/`run` keep the duplicate table (the first row's key and answer, for the
//! `duplicate` rows after it) only for those URLs, not for every row.
//!
//! Each row's [`duplicate_key`] is counted by a 64-bit hash (8 bytes per distinct URL during
//! the pass, dropped after it). A hash collision only makes a URL look repeated, so its key
//! and answer are kept although no duplicate comes: it costs memory, never a wrong row.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

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

    fn count(
        mut next: impl FnMut() -> crate::error::Result<
            Option<std::result::Result<super::Source, super::csv_rows::RowProblem>>,
        >,
        keep: &dyn Fn(&url::Url) -> bool,
    ) -> Repeats {
        let mut counts: HashMap<u64, bool> = HashMap::new();
        let (mut rows, mut problems, mut usable) = (0, 0, 0);
        let mut first_problem = None;
        loop {
            match next() {
                Ok(Some(Ok(source))) => {
                    usable += 1;
                    match parse_cited(&source.url) {
                        Ok(url) => {
                            counts
                                .entry(key_hash(&duplicate_key(&url)))
                                .and_modify(|again| *again = true)
                                .or_insert(false);
                            rows += usize::from(keep(&url));
                        }
                        Err(_) => rows += 1,
                    }
                }
                Ok(Some(Err(problem))) => {
                    problems += 1;
                    first_problem.get_or_insert_with(|| problem.to_string());
                }
                Ok(None) => break,
                Err(_) => return Repeats::default(),
            }
        }
        Repeats {
            hashes: Some(
                counts
                    .into_iter()
                    .filter_map(|(h, again)| again.then_some(h))
                    .collect(),
            ),
            rows: Some(rows),
            problems,
            usable,
            first_problem,
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
