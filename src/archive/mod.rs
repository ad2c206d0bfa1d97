//! ARCHIVE stage storage: WARC 1.1 files, the CDXJ index, extracted texts and the manifest.
//!
//! Takes complete HTTP exchanges and extracted article texts from the fetch/extract stages and
//! keeps them in the archive folder (docs/archive.md §1):
//!
//! ```text
//! archive/
//!   citecheck-<YYYYmmddHHMMSS>-<serial>.warc.gz   one or more per run, each up to
//!                                                 --warc-max-size (".open" while written)
//!   text/<slug>-<hash>.txt                        article text, exactly as extracted
//!   manifest.jsonl                                one JSON line per capture (ManifestEntry)
//!   index.cdxj                                    optional CDXJ index, bytewise sorted
//!   shots/<slug>-<hash>.<quote>.png, shots.jsonl  pictures of located quotes (--screenshots)
//! ```
//!
//! All of it is synchronous `std::fs` code meant to run on one dedicated writer thread.
//! - [`warc`]: the WARC writer/reader and crash recovery of `.open` files.
//! - [`cdxj`]: SURT keys and CDXJ index lines.
//! - [`store`]: the folder as a whole: texts, manifest, recovery on open.
//! - `slot_table`: the store's table of cited URLs, grown without copying.
//! - [`wayback`]: the Internet Archive availability API and snapshot URLs.
//! - [`session`]: one run's writer thread, from captures to records, texts and manifest lines.
//! - [`wacz`]: the folder packed as one WACZ file, for replay in a browser.
//! - [`shots`]: a picture of each located quote in its archived page (`--screenshots`).

pub mod cdxj;
pub mod files;
pub mod history;
pub mod merge;
pub mod paths;
pub mod session;
pub mod shots;
mod slot_table;
pub mod store;
pub mod wacz;
pub mod warc;
pub mod wayback;

crate::names::named_enum! {
    /// Where a capture's exchanges come from. [`CaptureOrigin::as_str`] is the manifest's
    /// `source` value.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum CaptureOrigin {
        /// The cited URL, fetched live.
        Live = "live",
        /// A web-archive snapshot of a dead link.
        Wayback = "wayback",
        /// Evidence that is no cited page: soft-404 probes and web-archive look-ups. Such a
        /// capture gets WARC records but no manifest line, so this name never reaches the
        /// manifest.
        Lookup = "lookup",
    }
}

pub use store::ManifestEntry;
pub use warc::{
    RecordRef, WarcRecord, WarcWriter, read_record_at, read_records, recover_open_file, sha1_digest,
};
