//! citecheck: does what a document cites still stand?
//!
//! # Layout
//!
//! ```text
//! input ──▶ check ──▶ archive ──▶ extract ──▶ locate ──▶ report
//! (CSV)    (http)    (WARC,text)  (article)   (quotes)   (CSV)
//! ```
//!
//! The modules (private; their entry points and rows are re-exported at the root):
//!
//! - `input`: `sources.csv`, `quotes.csv`, and documents for `ingest` ([`ingest_file`]).
//! - `http`: one client, per-host gates, retries, redirects by hand, body decoding.
//! - `check`: a followed URL becomes a `links.csv` row ([`LinkRecord`]) with a
//!   [`LinkStatus`] and a [`Reason`].
//! - `archive`: WARC files ([`WarcWriter`], [`read_records`]), article texts, the manifest
//!   and the CDXJ index.
//! - `extract`: the main article text of a page ([`extract_article`]).
//! - `locate`: where each quote stands ([`QuoteSet`], [`Corpus`]) and its [`Verdict`].
//! - `report`: links.csv and report.csv ([`QuoteRow`]), the `--format` renderings (JSON,
//!   Markdown, JUnit, GitHub annotations) and the editor's HTML page.
//! - `wire`: the exchange types `http` produces and `archive` stores (a leaf both use).
//! - `pipeline`: the order of stages per command ([`execute`]); `cli` the raw flags
//!   ([`Cli`]), which resolve into `config`, the validated settings ([`Config`]).
//! - `names`: the one place a domain enum meets its names in the files.
//! - `external_sort`: sorting more lines than memory may hold (the link cache, the CDXJ
//!   index).
//!
//! Imports point down only (no cycles; `python3 scripts/module_graph.py` checks):
//! `cli → config → {check, http, locate}`, `http → wire ← archive`. docs/architecture.md has
//! the map of stages, types and owners.
//!
//! A failed link or a quote not found is a value in a row; only what stops a whole run
//! (bad arguments, unreadable input, an unwritable report) is an [`Error`].

#![warn(missing_docs)]

// Every module is private: what a user of the crate needs is re-exported below, by name.
mod archive;
mod check;
mod cli;
mod config;
mod cpu;
mod error;
mod external_sort;
mod extract;
mod http;
mod input;
mod locate;
mod names;
mod pipeline;
mod progress;
mod report;
mod wire;

// The command line and one run of a command: what the binary uses.
pub use cli::Cli;
pub use config::{Config, FailOn};
pub use error::{Error, Result};
pub use pipeline::{Outcome, execute};
pub use progress::LogWriter;

// The stages' entry points and the rows they produce.
pub use archive::{
    RecordRef, WarcRecord, WarcWriter, read_record_at, read_records, recover_open_file,
};
pub use check::{LinkRecord, LinkStatus, Reason};
pub use extract::{Article, extract_article, page_title};
pub use input::document::{Document, IngestError, ingest_document, ingest_file};
pub use input::{Quote, Source};
pub use locate::{Corpus, Finding, QuoteSet, SourceHit, Verdict, prune_hits};
pub use report::quotes::{QuoteRegion, QuoteRow};
pub use wire::RawExchange;

/// Internals that the crate's own examples, integration tests and fuzz targets reach into
/// (parsers, digests, the speaker evaluation). Not a stable interface.
#[doc(hidden)]
pub mod dev {
    pub use crate::archive::sha1_digest;
    pub use crate::archive::store::sha256_hex;
    pub use crate::archive::warc::http_payload;
    pub use crate::extract::{extract_with_page, html5lib_tree, parse_only};
    pub use crate::http::body::decode_text;
    pub use crate::input::csv_rows::RowReader;
    pub use crate::locate::normalize::{Fold, normalize, split_ellipses, unit_end};
    pub use crate::locate::speaker::set as speaker_set;
    pub use crate::report::html::escape;
}
