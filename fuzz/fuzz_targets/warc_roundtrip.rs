//! WARC write → read round trips (src/archive/warc.rs): any exchange written is read back
//! whole, with its block digest, target URI and payload as written, and no torn tail.
#![no_main]

use citecheck::RawExchange as Exchange;
use citecheck::dev::sha1_digest;
use citecheck::{WarcWriter, read_record_at, read_records};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Split the input into the parts of an exchange at 0xFF bytes.
    let mut parts = data.split(|b| *b == 0xff);
    let url_tail = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let request_head = parts.next().unwrap_or_default().to_vec();
    let response_head = parts.next().unwrap_or_default().to_vec();
    let body: Vec<u8> = parts.flatten().copied().collect();
    let exchange = Exchange {
        request_url: format!("https://www.overheidvannu.nl/{url_tail}"),
        request_head,
        response_head,
        body,
        truncated: data.first() == Some(&b'T'),
        peer_ip: None,
        date: jiff::Timestamp::UNIX_EPOCH,
    };
    let dir = tempfile::tempdir().unwrap();
    let mut writer = WarcWriter::create(dir.path(), &[("software", "fuzz")]).unwrap();
    let Ok(reference) = writer.write_exchange(&exchange) else {
        return;
    };
    let text = writer
        .write_text(
            &exchange.request_url,
            &url_tail,
            Some(&reference.record_id),
            exchange.date,
        )
        .unwrap();
    let path = writer.finish().unwrap();
    let contents = read_records(&path).unwrap();
    assert!(contents.torn_tail.is_none(), "{:?}", contents.torn_tail);
    for record in &contents.records {
        assert_eq!(
            record.header("WARC-Block-Digest"),
            Some(sha1_digest(&record.block).as_str())
        );
    }
    let record = read_record_at(&path, reference.offset, reference.length).unwrap();
    assert_eq!(record.record_id(), Some(reference.record_id.as_str()));
    assert_eq!(
        record.header("WARC-Target-URI"),
        Some(reference.target_uri.as_str())
    );
    assert!(record.block.ends_with(&exchange.body));
    let resource = read_record_at(&path, text.offset, text.length).unwrap();
    assert_eq!(resource.block, url_tail.as_bytes());
});
