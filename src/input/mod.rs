//! Input stage: the CSV files users give us (`sources.csv`, `quotes.csv`) and the documents
//! `ingest` reads. Rows come out as owned records ([`Source`], [`Quote`]); a malformed row is
//! reported with file and line and skipped, never fatal.

pub mod csv_rows;
pub mod document;
pub mod inputs;
pub(crate) mod layout;
pub(crate) mod markup;
mod model;
pub(crate) mod pairing;
pub(crate) mod pdf;
pub mod quotes;
pub mod repeats;
pub mod sources;
pub mod url;

pub use inputs::{InputArg, InputSet};
pub use quotes::{Quote, read_quotes};
pub use sources::{Source, SourceReader};
