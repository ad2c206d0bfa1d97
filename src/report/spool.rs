//! Rendered rows kept on disk, not in memory, until the document they belong to can be
//! written: a JSON array, a JUnit suite or a list of annotations whose header needs counts
//! that are known only at the end of the run.
//!
//! A spool is an anonymous temporary file (gone when dropped, also when the process dies),
//! written through a buffer and copied out once.

use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};

/// An append-only temporary file of rendered bytes.
pub(crate) struct Spool {
    file: BufWriter<File>,
    /// Items appended (rows, cases, lines).
    items: usize,
}

impl Spool {
    /// A new, empty spool in the system's temporary folder.
    pub(crate) fn new() -> io::Result<Spool> {
        Ok(Spool {
            file: BufWriter::new(tempfile::tempfile()?),
            items: 0,
        })
    }

    /// Appends one item's bytes.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.items += 1;
        self.file.write_all(bytes)
    }

    /// Appends bytes to the current item (a separator, say).
    pub(crate) fn extend(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }

    /// Items appended so far.
    pub(crate) fn items(&self) -> usize {
        self.items
    }

    /// Copies everything appended to `out`, and drops the file.
    pub(crate) fn copy_to(self, out: &mut dyn Write) -> io::Result<()> {
        let mut file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        io::copy(&mut file, out)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_goes_in_comes_out_once_in_order() {
        let mut spool = Spool::new().unwrap();
        spool.push(b"een").unwrap();
        spool.extend(b",").unwrap();
        spool.push(&vec![b'x'; 100_000]).unwrap();
        assert_eq!(spool.items(), 2);
        let mut out = Vec::new();
        spool.copy_to(&mut out).unwrap();
        assert_eq!(out.len(), 4 + 100_000);
        assert!(out.starts_with(b"een,x"));
    }
}
