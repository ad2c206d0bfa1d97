//! The HTTP layer every stage shares: one client, per-host politeness, single attempts with
//! caps, retries with backoff, redirects followed by hand (so each hop is recorded, remapped
//! and archived), and body decoding (content encodings, charsets).

pub mod body;
pub mod budget;
pub mod client;
pub mod fetch;
pub mod gate;
pub mod remap;

pub use client::build_client;
pub use fetch::{FetchOutcome, FetchSettings, Fetcher, TransportError};
pub use remap::Remap;
