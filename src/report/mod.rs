//! Report stage: rows to files. CSV is written as rows arrive (links in input order through
//! a re-ordering buffer), to a file or to stdout (`-`). Writers take any `io::Write`, so tests
//! render into a `Vec<u8>`.

pub mod change;
pub mod csv_guard;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod links;
pub mod markdown;
pub mod publish;
pub(crate) mod quote_row;
pub mod quotes;
pub mod rerender;
pub(crate) mod spool;
pub mod summary;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Opens an output: `-` is stdout, anything else a file (its folder created).
pub fn open_output(path: &Path) -> Result<Box<dyn Write + Send>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(BufWriter::new(io::stdout())));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })?;
    }
    let file = File::create(path).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Box::new(BufWriter::new(file)))
}
