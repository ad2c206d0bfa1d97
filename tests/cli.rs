//! End-to-end tests: the real binary against the fixture site on 127.0.0.1 (no other
//! network). One integration binary, one link step, one module per area.

// Test code: an unwrap that fails is a failed test (clippy.toml allows it in #[test] fns;
// this covers the helpers too).
#![allow(clippy::unwrap_used)]

mod archive;
mod commands;
mod common;
mod faults;
mod formats;
mod hardening;
mod ingest;
mod inputs;
mod links;
mod offline;
mod quotes;
mod verify;
