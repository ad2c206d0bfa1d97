//! `citecheck ingest`: the command (files, `--force`, stdout, PDF/HTML/Markdown) and the
//! evaluation on our own documents.

mod commands;
mod documents;
#[path = "../common/ingest_eval.rs"]
pub mod ingest_eval;
#[path = "../common/pdf.rs"]
pub mod pdf;
mod seed;
