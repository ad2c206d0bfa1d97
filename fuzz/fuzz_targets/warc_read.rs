//! The WARC reader and crash recovery (src/archive/warc.rs) on any bytes: no panic, and what
//! recovery keeps reads back with no torn tail.
#![no_main]

use citecheck::{read_records, recover_open_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.warc.gz");
    std::fs::write(&path, data).unwrap();
    let _ = read_records(&path);
    let open = dir.path().join("g.warc.gz.open");
    std::fs::write(&open, data).unwrap();
    if let Ok(recovery) = recover_open_file(&open)
        && let Some(kept) = recovery.final_path
    {
        let contents = read_records(&kept).unwrap();
        assert!(contents.torn_tail.is_none(), "{:?}", contents.torn_tail);
        assert_eq!(contents.records.len(), recovery.records_kept);
    }
});
