//! citecheck: does what a document cites still stand?
//!
//! # Layout
//!
//! ```text
//! input ──▶ check ──▶ archive ──▶ extract ──▶ locate ──▶ report
//! (CSV)    (http)    (WARC,text)  (article)   (quotes)   (CSV)
//! ```
//!
//! - [`input`]: `sources.csv`, `quotes.csv`, and documents for `ingest`.
//! - [`http`]: one client, per-host gates, retries, redirects by hand, body decoding.
//! - [`check`]: a followed URL becomes a `links.csv` row with a [`check::LinkStatus`].
//! - [`archive`]: WARC files, article texts, the manifest and the CDXJ index.
//! - [`extract`]: the main article text of a page.
//! - [`report`]: links.csv and report.csv, the `--format` renderings (JSON, Markdown, JUnit,
//!   GitHub annotations) and the editor's HTML page.
//! - [`wire`]: the exchange types [`http`] produces and [`archive`] stores (a leaf both use).
//! - [`pipeline`]: the order of stages per command; [`cli`] the raw flags, which resolve
//!   into [`config`], the validated settings.
//!
//! Imports point down only (no cycles; `python3 scripts/module_graph.py` checks):
//! `cli → config → {check, http, locate}`, `http → wire ← archive`. docs/architecture.md has
//! the map of stages, types and owners.
//!
//! A failed link or a quote not found is a value in a row; only what stops a whole run
//! (bad arguments, unreadable input, an unwritable report) is an [`error::Error`].

pub mod archive;
pub mod check;
pub mod cli;
pub mod config;
pub mod cpu;
pub mod error;
pub mod extract;
pub mod http;
pub mod input;
pub mod locate;
mod names;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod wire;
