//! Fatal errors: the run cannot go on (exit code 2). A failed link or a quote not found is
//! never one of these: those are values in the report rows.

use std::path::PathBuf;

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
    /// An input file could not be read at all.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An input file is not usable as a whole (no header, no required column, binary).
    #[error("{path}: {reason}")]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An output file or the archive could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// The crate's result type for fatal errors.
pub type Result<T, E = Error> = std::result::Result<T, E>;
