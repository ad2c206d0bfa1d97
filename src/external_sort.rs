//! An external merge sort of byte records without line breaks, in bounded memory: the link
//! cache's compaction and the archive's CDXJ index both sort more lines than they may hold.
//!
//! Records are held up to a byte limit, then sorted and spilled to an anonymous temporary
//! file (gone when closed, also after a crash). Past [`MERGE_WAYS`] spilled runs, the runs
//! are merged into one first, so that a huge input never holds hundreds of files open.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

/// Sorted runs merged at once: past this many, the runs are first merged into one.
pub(crate) const MERGE_WAYS: usize = 64;

/// One sorted source of records for the merge.
type Records<'a> = Box<dyn Iterator<Item = io::Result<Vec<u8>>> + 'a>;

/// Records pushed in any order, given back sorted by [`ExternalSort::finish`].
#[derive(Debug)]
pub(crate) struct ExternalSort {
    dir: PathBuf,
    held: Vec<Vec<u8>>,
    held_bytes: usize,
    limit: usize,
    runs: Vec<File>,
    spilled: usize,
}

impl ExternalSort {
    /// Spills into temporary files in `dir` once `limit` bytes of records are held.
    pub(crate) fn new(dir: &Path, limit: usize) -> ExternalSort {
        ExternalSort {
            dir: dir.to_path_buf(),
            held: Vec::new(),
            held_bytes: 0,
            limit: limit.max(1),
            runs: Vec::new(),
            spilled: 0,
        }
    }

    /// Adds one record (it must hold no `\n`).
    pub(crate) fn push(&mut self, record: Vec<u8>) -> io::Result<()> {
        self.held_bytes += record.len() + std::mem::size_of::<Vec<u8>>();
        self.held.push(record);
        if self.held_bytes >= self.limit {
            self.spill()?;
        }
        Ok(())
    }

    /// Adds a file of `\n`-ended records that is already sorted, read from where it stands,
    /// as one more run (an index written earlier costs one pass, not a sort).
    pub(crate) fn push_sorted_file(&mut self, file: File) -> io::Result<()> {
        self.add_run(file)
    }

    /// Runs written to temporary files so far (including merges of runs).
    #[cfg(test)]
    pub(crate) fn spilled(&self) -> usize {
        self.spilled
    }

    fn spill(&mut self) -> io::Result<()> {
        self.held.sort_unstable();
        // Equal records are equal whichever is kept.
        self.held.dedup();
        let held = std::mem::take(&mut self.held);
        self.held_bytes = 0;
        let run = self.write_run(vec![Box::new(held.into_iter().map(Ok))])?;
        self.add_run(run)
    }

    fn add_run(&mut self, run: File) -> io::Result<()> {
        self.runs.push(run);
        if self.runs.len() >= MERGE_WAYS {
            let runs = std::mem::take(&mut self.runs);
            let merged = self.write_run(runs.into_iter().map(run_records).collect())?;
            self.runs.push(merged);
        }
        Ok(())
    }

    fn write_run(&mut self, sources: Vec<Records<'_>>) -> io::Result<File> {
        let mut file = tempfile::tempfile_in(&self.dir)?;
        {
            let mut w = BufWriter::new(&mut file);
            merge(sources, |record| {
                w.write_all(&record)?;
                w.write_all(b"\n")
            })?;
            w.flush()?;
        }
        file.seek(io::SeekFrom::Start(0))?;
        self.spilled += 1;
        Ok(file)
    }

    /// Every record pushed, in bytewise order (equal records may come more than once).
    pub(crate) fn finish(mut self, each: impl FnMut(Vec<u8>) -> io::Result<()>) -> io::Result<()> {
        self.held.sort_unstable();
        let held = std::mem::take(&mut self.held);
        let mut sources: Vec<Records<'_>> = vec![Box::new(held.into_iter().map(Ok))];
        sources.extend(self.runs.drain(..).map(run_records));
        merge(sources, each)
    }
}

fn run_records<'a>(run: File) -> Records<'a> {
    Box::new(BufReader::new(run).split(b'\n'))
}

/// k-way merge of sorted sources: the smallest head of every source next.
fn merge(
    mut sources: Vec<Records<'_>>,
    mut each: impl FnMut(Vec<u8>) -> io::Result<()>,
) -> io::Result<()> {
    let mut heads = std::collections::BinaryHeap::new();
    for (i, source) in sources.iter_mut().enumerate() {
        if let Some(record) = source.next() {
            heads.push(std::cmp::Reverse((record?, i)));
        }
    }
    while let Some(std::cmp::Reverse((record, i))) = heads.pop() {
        if let Some(next) = sources.get_mut(i).and_then(Iterator::next) {
            heads.push(std::cmp::Reverse((next?, i)));
        }
        each(record)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Many small runs, merged early past [`MERGE_WAYS`], plus a sorted file: the order of a
    /// whole in-memory sort, and no file left behind.
    #[test]
    fn spilled_runs_merge_like_a_full_sort() {
        let dir = tempfile::tempdir().unwrap();
        let mut sort = ExternalSort::new(dir.path(), 100);
        let mut want = Vec::new();
        for i in 0..3000u32 {
            let record = format!("r{:05}", (i * 7919) % 2000).into_bytes();
            want.push(record.clone());
            sort.push(record).unwrap();
        }
        let mut sorted = tempfile::tempfile_in(dir.path()).unwrap();
        sorted.write_all(b"a\nm\nr00007\nzz\n").unwrap();
        sorted.seek(io::SeekFrom::Start(0)).unwrap();
        sort.push_sorted_file(sorted).unwrap();
        want.extend([&b"a"[..], b"m", b"r00007", b"zz"].map(<[u8]>::to_vec));
        assert!(sort.spilled() > MERGE_WAYS, "{}", sort.spilled());
        let mut got = Vec::new();
        sort.finish(|r| {
            got.push(r);
            Ok(())
        })
        .unwrap();
        want.sort();
        // Spilled runs drop equal records; what remains is in order and complete.
        got.dedup();
        want.dedup();
        assert_eq!(got, want);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
