//! WARC 1.1 writing and reading (docs/archive.md §2).
//!
//! [`WarcWriter`] takes complete HTTP exchanges ([`RawExchange`]) and extracted article texts and
//! appends them to `<dir>/citecheck-<YYYYmmddHHMMSS>-<serial>.warc.gz.open`, one gzip member per
//! record, returning a [`RecordRef`] (file, offset and compressed length, digests) for the
//! manifest and the CDXJ index. [`WarcWriter::finish`] renames the file to `.warc.gz`.
//!
//! [`read_records`] / [`read_record_at`] read such files back member by member (so offsets are
//! known) and report a torn final member instead of failing; [`recover_open_file`] truncates a
//! `.open` file left by a crashed run to its last complete member and renames it.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use data_encoding::BASE32;
use flate2::Compression;
use sha1::{Digest, Sha1};

use crate::wire::RawExchange;

/// The `WARC-Profile` of a revisit record whose payload equals an earlier capture's.
pub const REVISIT_PROFILE: &str =
    "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest";

/// Suffix of a WARC file that is still being written (or was left by a crash).
pub const OPEN_SUFFIX: &str = ".open";

/// Where a written record sits and what it hashes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRef {
    /// `urn:uuid:…` without the angle brackets the header puts around it.
    pub record_id: String,
    /// File name only (the final `.warc.gz` name, never `.open`).
    pub warc_file: String,
    /// Byte offset of the record's gzip member in the file.
    pub offset: u64,
    /// Length of the compressed gzip member.
    pub length: u64,
    /// `WARC-Payload-Digest` (`sha1:<BASE32>`).
    pub payload_digest: String,
    /// `WARC-Block-Digest` (`sha1:<BASE32>`).
    pub block_digest: String,
    /// `WARC-Date` exactly as written (`2020-11-02T09:30:15.123456Z`).
    pub warc_date: String,
    /// `WARC-Target-URI` exactly as written.
    pub target_uri: String,
}

/// `sha1:` + uppercase RFC 4648 Base32 of the SHA-1 of `bytes` (32 characters, no padding).
pub fn sha1_digest(bytes: &[u8]) -> String {
    sha1_digest_of(&[bytes])
}

/// [`sha1_digest`] of the concatenation of `parts`.
pub fn sha1_digest_of(parts: &[&[u8]]) -> String {
    let mut hasher = Sha1::new();
    for part in parts {
        hasher.update(part);
    }
    format!("sha1:{}", BASE32.encode(hasher.finalize().as_slice()))
}

/// Formats a timestamp as a `WARC-Date`: UTC, microseconds, `Z`.
pub fn warc_date(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Writes one WARC file, one gzip member per record. Not thread-safe by design: one writer
/// thread owns it.
#[derive(Debug)]
pub struct WarcWriter {
    file: File,
    open_path: PathBuf,
    final_path: PathBuf,
    file_name: String,
    offset: u64,
    /// Where the `warcinfo` record ends: the file holds records past it.
    warcinfo_end: u64,
    maker: RecordMaker,
}

/// Builds the records of a WARC file (serialised and compressed, digests computed) without
/// writing them, so the CPU work can run on any thread and only the append is serial.
/// Get it from [`WarcWriter::maker`]; its records name that file's `warcinfo`.
#[derive(Clone, Debug)]
pub struct RecordMaker {
    warcinfo_id: String,
}

/// An exchange's records ready to append ([`RecordMaker::exchange`]): the response as one
/// gzip member and the request as another, `WARC-Concurrent-To` the response's id. When the
/// writer finds the payload unchanged, it writes a revisit under the same id instead of the
/// response ([`WarcWriter::append_revisit`]), so the request record fits either.
#[derive(Debug)]
pub struct PreparedExchange {
    /// The exchange (the revisit needs its head, the record ref its URL and date).
    pub exchange: RawExchange,
    /// `urn:uuid:…` of the response (or of the revisit that replaces it).
    pub record_id: String,
    /// `WARC-Payload-Digest` of the body.
    pub payload_digest: String,
    block_digest: String,
    response: Vec<u8>,
    request: Vec<u8>,
}

impl PreparedExchange {
    /// Bytes its members take in the file (the response's, or at most that as a revisit,
    /// and the request's).
    pub fn member_bytes(&self) -> u64 {
        (self.response.len() + self.request.len()) as u64
    }
}

impl PreparedText {
    /// Bytes its member takes in the file.
    pub fn member_bytes(&self) -> u64 {
        self.member.len() as u64
    }

    /// The text the record holds, read back from its member: for a record made again for
    /// another file when the text was not kept anywhere else (a page text without a file).
    pub fn text(&self) -> io::Result<String> {
        let mut record = Vec::new();
        flate2::read::GzDecoder::new(self.member.as_slice()).read_to_end(&mut record)?;
        let split = memchr::memmem::find(&record, b"\r\n\r\n")
            .ok_or_else(|| io::Error::other("text record without a head"))?;
        let block = record
            .get(split + 4..record.len().saturating_sub(4))
            .unwrap_or_default();
        String::from_utf8(block.to_vec()).map_err(io::Error::other)
    }
}

/// A `urn:text:` resource record ready to append ([`RecordMaker::text`]).
#[derive(Debug)]
pub struct PreparedText {
    record_id: String,
    digest: String,
    date: jiff::Timestamp,
    target_uri: String,
    member: Vec<u8>,
}

impl RecordMaker {
    /// Response and request records of one exchange; fails on a head that cannot be framed.
    pub fn exchange(&self, ex: RawExchange) -> io::Result<PreparedExchange> {
        self.exchange_with_id(ex, new_record_id())
    }

    /// The same records again for this maker's file (its `warcinfo`), under the same
    /// response id: for a capture prepared just before the writer started a new file.
    pub fn remake(&self, p: PreparedExchange) -> io::Result<PreparedExchange> {
        self.exchange_with_id(p.exchange, p.record_id)
    }

    fn exchange_with_id(&self, ex: RawExchange, record_id: String) -> io::Result<PreparedExchange> {
        check_head(&ex.response_head, "response")?;
        // The block is the head and the body; digested and compressed in parts, never
        // joined (a big body would be held twice).
        let block: [&[u8]; 2] = [&ex.response_head, &ex.body];
        let payload_digest = sha1_digest(&ex.body);
        let block_digest = sha1_digest_of(&block);
        let mut rec = self.http_record("response", record_id.clone(), &ex);
        rec.push("Content-Type", "application/http;msgtype=response".into());
        rec.push("WARC-Payload-Digest", payload_digest.clone());
        rec.push("WARC-Block-Digest", block_digest.clone());
        if ex.truncated {
            rec.push("WARC-Truncated", "length".into());
        }
        let response = rec.gzip_parts(&block)?;
        let request = self.request_member(&ex, &record_id)?;
        Ok(PreparedExchange {
            exchange: ex,
            record_id,
            payload_digest,
            block_digest,
            response,
            request,
        })
    }

    /// The extracted article text as a `resource` record with
    /// `WARC-Target-URI: urn:text:<cited url>`, `text/plain; charset=utf-8`, and
    /// `WARC-Refers-To: <response id>` when given (with or without angle brackets).
    /// `date` should be the capture's `WARC-Date`.
    pub fn text(
        &self,
        cited_url: &str,
        text: &str,
        refers_to: Option<&str>,
        date: jiff::Timestamp,
    ) -> io::Result<PreparedText> {
        self.text_with_id(
            "urn:text:",
            cited_url,
            text,
            refers_to,
            date,
            new_record_id(),
        )
    }

    /// The page's whole visible text (beside the article text) as a `resource` record with
    /// `WARC-Target-URI: urn:pagetext:<cited url>`, otherwise as [`RecordMaker::text`].
    pub fn page_text(
        &self,
        cited_url: &str,
        text: &str,
        refers_to: Option<&str>,
        date: jiff::Timestamp,
    ) -> io::Result<PreparedText> {
        self.text_with_id(
            "urn:pagetext:",
            cited_url,
            text,
            refers_to,
            date,
            new_record_id(),
        )
    }

    /// The same text record (article or page text) again for this maker's file, under the
    /// same id (see [`RecordMaker::remake`]); `text` and `refers_to` as they were.
    pub fn remake_text(
        &self,
        p: PreparedText,
        cited_url: &str,
        text: &str,
        refers_to: Option<&str>,
    ) -> io::Result<PreparedText> {
        let scheme = if p.target_uri.starts_with("urn:pagetext:") {
            "urn:pagetext:"
        } else {
            "urn:text:"
        };
        self.text_with_id(scheme, cited_url, text, refers_to, p.date, p.record_id)
    }

    /// A binary `resource` record (a screenshot: `urn:screenshot:<cited URL>#<quote id>`,
    /// `image/png`), `WARC-Refers-To` the response it was rendered from. Its block is
    /// stored, not deflated: a PNG is compressed already.
    pub fn resource(
        &self,
        target_uri: &str,
        content_type: &str,
        block: &[u8],
        refers_to: Option<&str>,
        date: jiff::Timestamp,
    ) -> PreparedText {
        let record_id = new_record_id();
        let target_uri = uri_text(target_uri);
        let digest = sha1_digest(block);
        let rec = self.resource_head(
            &record_id,
            &target_uri,
            field_text(content_type),
            block,
            &digest,
            refers_to,
            date,
        );
        PreparedText {
            record_id,
            digest,
            date,
            target_uri,
            member: rec.gzip_stored(block),
        }
    }

    /// The `warcinfo` record id of the file this maker's records belong to.
    pub fn warcinfo_id(&self) -> &str {
        &self.warcinfo_id
    }

    fn text_with_id(
        &self,
        scheme: &str,
        cited_url: &str,
        text: &str,
        refers_to: Option<&str>,
        date: jiff::Timestamp,
        record_id: String,
    ) -> io::Result<PreparedText> {
        let target_uri = uri_text(&format!("{scheme}{cited_url}"));
        let block = text.as_bytes();
        let digest = sha1_digest(block);
        let rec = self.resource_head(
            &record_id,
            &target_uri,
            "text/plain; charset=utf-8".into(),
            block,
            &digest,
            refers_to,
            date,
        );
        // The page text is stored, not compressed: deflating it was about half of what the
        // page-text fallback cost a run (its Huffman tables and the compressor's reset are a
        // fixed cost per member), for a few KB of disk per page; gzip readers read both.
        let member = if scheme == "urn:pagetext:" {
            rec.gzip_stored(block)
        } else {
            rec.gzip(block)?
        };
        Ok(PreparedText {
            record_id,
            digest,
            date,
            target_uri,
            member,
        })
    }

    /// The head of a `resource` record (text or picture); its payload is the whole block,
    /// so both digests are the block's.
    #[allow(clippy::too_many_arguments)]
    fn resource_head(
        &self,
        record_id: &str,
        target_uri: &str,
        content_type: String,
        block: &[u8],
        digest: &str,
        refers_to: Option<&str>,
        date: jiff::Timestamp,
    ) -> Record {
        let mut rec = Record::new("resource", record_id.to_string(), date);
        rec.push("WARC-Target-URI", target_uri.to_string());
        rec.push("WARC-Warcinfo-ID", format!("<{}>", self.warcinfo_id));
        if let Some(r) = refers_to {
            rec.push("WARC-Refers-To", format!("<{}>", bare_id(r)));
        }
        if !block.is_empty() {
            rec.push("Content-Type", content_type);
        }
        rec.push("WARC-Payload-Digest", digest.to_string());
        rec.push("WARC-Block-Digest", digest.to_string());
        rec
    }

    fn http_record(&self, warc_type: &str, id: String, ex: &RawExchange) -> Record {
        let mut rec = Record::new(warc_type, id, ex.date);
        rec.push("WARC-Target-URI", uri_text(&ex.request_url));
        rec.push("WARC-Warcinfo-ID", format!("<{}>", self.warcinfo_id));
        if let Some(ip) = ex.peer_ip {
            rec.push("WARC-IP-Address", ip.to_string());
        }
        rec
    }

    fn request_member(&self, ex: &RawExchange, concurrent_to: &str) -> io::Result<Vec<u8>> {
        check_head(&ex.request_head, "request")?;
        let block = &ex.request_head;
        let mut rec = self.http_record("request", new_record_id(), ex);
        rec.push("WARC-Concurrent-To", format!("<{concurrent_to}>"));
        rec.push("Content-Type", "application/http;msgtype=request".into());
        // A GET has no body: the payload is what follows the head, i.e. nothing.
        rec.push("WARC-Payload-Digest", sha1_digest(http_payload(block)));
        rec.push("WARC-Block-Digest", sha1_digest(block));
        rec.gzip(block)
    }
}

impl WarcWriter {
    /// Creates `<dir>/citecheck-<YYYYmmddHHMMSS>-<serial 00000>.warc.gz.open` (the first serial
    /// whose `.warc.gz` and `.open` names are both free) and writes the `warcinfo` record.
    /// `info` holds the warcinfo block's fields, e.g. `("software", "citecheck/0.1.0")`,
    /// `("http-header-user-agent", …)`; `format: WARC File Format 1.1` is added if absent.
    pub fn create(dir: &Path, info: &[(&str, &str)]) -> io::Result<WarcWriter> {
        std::fs::create_dir_all(dir)?;
        let stamp = jiff::Timestamp::now().strftime("%Y%m%d%H%M%S").to_string();
        let mut serial = 0u32;
        let (file, open_path, final_path, file_name) = loop {
            let file_name = format!("citecheck-{stamp}-{serial:05}.warc.gz");
            let final_path = dir.join(&file_name);
            let open_path = dir.join(format!("{file_name}{OPEN_SUFFIX}"));
            if !final_path.exists() {
                match OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&open_path)
                {
                    Ok(file) => break (file, open_path, final_path, file_name),
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(e),
                }
            }
            serial += 1;
            if serial > 99_999 {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("no free WARC file name for {stamp} in {}", dir.display()),
                ));
            }
        };
        let mut writer = WarcWriter {
            file,
            open_path,
            final_path,
            file_name,
            offset: 0,
            warcinfo_end: 0,
            maker: RecordMaker {
                warcinfo_id: new_record_id(),
            },
        };
        let mut block = String::new();
        for (name, value) in info {
            block.push_str(&format!("{}: {}\r\n", field_text(name), field_text(value)));
        }
        if !info
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("format"))
        {
            block.push_str("format: WARC File Format 1.1\r\n");
        }
        let block = block.into_bytes();
        let mut rec = Record::new(
            "warcinfo",
            writer.maker.warcinfo_id.clone(),
            jiff::Timestamp::now(),
        );
        rec.push("WARC-Filename", writer.file_name.clone());
        rec.push("Content-Type", "application/warc-fields".to_string());
        rec.push("WARC-Block-Digest", sha1_digest(&block));
        let member = rec.gzip(&block)?;
        writer.append(&[member])?;
        writer.warcinfo_end = writer.offset;
        Ok(writer)
    }

    /// What builds this file's records off the writer's thread.
    pub fn maker(&self) -> &RecordMaker {
        &self.maker
    }

    /// Writes the response record and then the request record of one exchange (the request
    /// carries `WARC-Concurrent-To: <response id>`) as two gzip members in one append, and
    /// returns the response's [`RecordRef`].
    pub fn write_exchange(&mut self, ex: &RawExchange) -> io::Result<RecordRef> {
        let prepared = self.maker.exchange(ex.clone())?;
        self.append_exchange(prepared).map(|(r, _)| r)
    }

    /// Appends a prepared exchange (response, then request); returns the response's
    /// [`RecordRef`] and the exchange back.
    pub fn append_exchange(&mut self, p: PreparedExchange) -> io::Result<(RecordRef, RawExchange)> {
        let offset = self.offset;
        let length = p.response.len() as u64;
        self.append(&[p.response, p.request])?;
        let r = self.record_ref(
            p.record_id,
            offset,
            length,
            p.payload_digest,
            p.block_digest,
            &p.exchange,
        );
        Ok((r, p.exchange))
    }

    /// Writes a `revisit` record (identical-payload-digest profile; block = the response head
    /// only) and then the request record, for a capture whose body equals the one of
    /// `refers_to` (a response written earlier, perhaps in another file). `refers_to_uri` and
    /// `refers_to_date` are that record's `WARC-Target-URI` and `WARC-Date`. Fails with
    /// `InvalidInput` when the body's digest differs from `refers_to.payload_digest`.
    /// Returns the revisit's [`RecordRef`].
    pub fn write_revisit(
        &mut self,
        ex: &RawExchange,
        refers_to: &RecordRef,
        refers_to_uri: &str,
        refers_to_date: &str,
    ) -> io::Result<RecordRef> {
        let prepared = self.maker.exchange(ex.clone())?;
        self.append_revisit(prepared, refers_to, refers_to_uri, refers_to_date)
            .map(|(r, _)| r)
    }

    /// Like [`WarcWriter::write_revisit`] for a prepared exchange: its response record is
    /// dropped and a revisit under the same record id is written before its request record.
    pub fn append_revisit(
        &mut self,
        p: PreparedExchange,
        refers_to: &RecordRef,
        refers_to_uri: &str,
        refers_to_date: &str,
    ) -> io::Result<(RecordRef, RawExchange)> {
        if p.payload_digest != refers_to.payload_digest {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "revisit of {}: payload {} differs from {}",
                    p.exchange.request_url, p.payload_digest, refers_to.payload_digest
                ),
            ));
        }
        let ex = &p.exchange;
        let block = &ex.response_head;
        let block_digest = sha1_digest(block);
        let mut rec = self.maker.http_record("revisit", p.record_id.clone(), ex);
        rec.push("Content-Type", "application/http;msgtype=response".into());
        rec.push("WARC-Profile", REVISIT_PROFILE.into());
        rec.push(
            "WARC-Refers-To",
            format!("<{}>", bare_id(&refers_to.record_id)),
        );
        rec.push("WARC-Refers-To-Target-URI", uri_text(refers_to_uri));
        rec.push("WARC-Refers-To-Date", field_text(refers_to_date));
        rec.push("WARC-Payload-Digest", p.payload_digest.clone());
        rec.push("WARC-Block-Digest", block_digest.clone());
        let revisit = rec.gzip(block)?;
        let offset = self.offset;
        let length = revisit.len() as u64;
        self.append(&[revisit, p.request])?;
        let r = self.record_ref(
            p.record_id,
            offset,
            length,
            p.payload_digest,
            block_digest,
            &p.exchange,
        );
        Ok((r, p.exchange))
    }

    /// Writes the extracted article text as a `resource` record (see `RecordMaker::text`).
    pub fn write_text(
        &mut self,
        cited_url: &str,
        text: &str,
        refers_to: Option<&str>,
        date: jiff::Timestamp,
    ) -> io::Result<RecordRef> {
        let prepared = self.maker.text(cited_url, text, refers_to, date)?;
        self.append_text(prepared)
    }

    /// Appends a prepared text record.
    pub fn append_text(&mut self, p: PreparedText) -> io::Result<RecordRef> {
        let offset = self.offset;
        let length = p.member.len() as u64;
        self.append(&[p.member])?;
        Ok(RecordRef {
            record_id: p.record_id,
            warc_file: self.file_name.clone(),
            offset,
            length,
            payload_digest: p.digest.clone(),
            block_digest: p.digest,
            warc_date: warc_date(p.date),
            target_uri: p.target_uri,
        })
    }

    /// The final file name (`….warc.gz`, without `.open`), as recorded in [`RecordRef`]s.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// Bytes written so far (compressed), so the owner can start a new file near ~1 GB.
    pub fn bytes_written(&self) -> u64 {
        self.offset
    }

    /// Whether the file holds any record besides its `warcinfo`.
    pub fn holds_records(&self) -> bool {
        self.offset > self.warcinfo_end
    }

    /// Flushes and fsyncs the file, renames `.open` → `.warc.gz`, and returns the final path.
    pub fn finish(mut self) -> io::Result<PathBuf> {
        self.file.flush()?;
        self.file.sync_all()?;
        std::fs::rename(&self.open_path, &self.final_path)?;
        sync_dir(&self.final_path);
        Ok(self.final_path)
    }

    /// Appends whole members with one write. Not yet durable: call [`WarcWriter::sync`]
    /// before writing manifest lines that point at these records (group commit: one fsync
    /// per batch of captures, not per record).
    fn append(&mut self, members: &[Vec<u8>]) -> io::Result<()> {
        let buf: Vec<u8> = members.concat();
        self.file.write_all(&buf)?;
        self.offset += buf.len() as u64;
        Ok(())
    }

    /// Flushes and fsyncs what was appended, so manifest lines written afterwards never point
    /// past what is on disk.
    pub fn sync(&mut self) -> io::Result<()> {
        self.file.flush()?;
        self.file.sync_data()
    }

    fn record_ref(
        &self,
        record_id: String,
        offset: u64,
        length: u64,
        payload_digest: String,
        block_digest: String,
        ex: &RawExchange,
    ) -> RecordRef {
        RecordRef {
            record_id,
            warc_file: self.file_name.clone(),
            offset,
            length,
            payload_digest,
            block_digest,
            warc_date: warc_date(ex.date),
            target_uri: uri_text(&ex.request_url),
        }
    }
}

/// A record's header fields in writing order; `Content-Length` is added by [`Record::gzip`].
struct Record {
    fields: Vec<(&'static str, String)>,
}

impl Record {
    fn new(warc_type: &str, id: String, date: jiff::Timestamp) -> Record {
        Record {
            fields: vec![
                ("WARC-Type", warc_type.to_string()),
                ("WARC-Record-ID", format!("<{id}>")),
                ("WARC-Date", warc_date(date)),
            ],
        }
    }

    fn push(&mut self, name: &'static str, value: String) {
        self.fields.push((name, value));
    }

    /// Serialises the record (framing per WARC 1.1 §4) and compresses it as one gzip member.
    fn gzip(&self, block: &[u8]) -> io::Result<Vec<u8>> {
        self.gzip_parts(&[block])
    }

    /// [`Record::gzip`] of a block given as the concatenation of `parts`.
    fn gzip_parts(&self, parts: &[&[u8]]) -> io::Result<Vec<u8>> {
        let length: usize = parts.iter().map(|p| p.len()).sum();
        let head = self.head(length);
        let mut all: Vec<&[u8]> = Vec::with_capacity(parts.len() + 2);
        all.push(&head);
        all.extend_from_slice(parts);
        all.push(b"\r\n\r\n");
        gzip_member(&all)
    }

    /// [`Record::gzip`] with the member's deflate data in stored blocks (no compression).
    fn gzip_stored(&self, block: &[u8]) -> Vec<u8> {
        let head = self.head(block.len());
        gzip_member_stored(&[&head, block, b"\r\n\r\n"])
    }

    /// The record's version line and header fields, with the blank line that ends them.
    fn head(&self, block_len: usize) -> Vec<u8> {
        let mut head = Vec::with_capacity(512);
        head.extend_from_slice(b"WARC/1.1\r\n");
        for (name, value) in &self.fields {
            head.extend_from_slice(name.as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(format!("Content-Length: {block_len}\r\n\r\n").as_bytes());
        head
    }
}

thread_local! {
    /// One deflate state per thread, reset for each member: a new one costs a few hundred KB
    /// of zeroed tables, three times per page.
    static DEFLATE: std::cell::RefCell<flate2::Compress> =
        std::cell::RefCell::new(flate2::Compress::new(Compression::fast(), false));
}

/// The concatenation of `parts` as one gzip member (RFC 1952: no name, no mtime, `XFL` 4
/// and `OS` 255, as flate2's `GzEncoder` writes at level 1). Level 1: about 1.5x faster than
/// the default 6 on pages, for files about 4 % larger (bench/pipeline-profile.md). With
/// zlib-rs, level 1 is its quick deflate (fixed codes): a run's CPU 12 % lower than
/// miniz_oxide's level 1 for WARC files 11 % larger; its level 2 is as slow as miniz's 1.
fn gzip_member(parts: &[&[u8]]) -> io::Result<Vec<u8>> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(total / 3 + 64);
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255]);
    let mut crc = flate2::Crc::new();
    DEFLATE.with(|cell| -> io::Result<()> {
        let mut deflate = cell.borrow_mut();
        deflate.reset();
        let last = parts.len().saturating_sub(1);
        for (i, part) in parts.iter().enumerate() {
            crc.update(part);
            let flush = if i == last {
                flate2::FlushCompress::Finish
            } else {
                flate2::FlushCompress::None
            };
            let mut input: &[u8] = part;
            loop {
                if out.len() == out.capacity() {
                    out.reserve(out.capacity() / 2 + 64);
                }
                let before_in = deflate.total_in();
                let status = deflate
                    .compress_vec(input, &mut out, flush)
                    .map_err(io::Error::other)?;
                let used = usize::try_from(deflate.total_in() - before_in).unwrap_or(input.len());
                input = input.get(used..).unwrap_or_default();
                match status {
                    flate2::Status::StreamEnd => break,
                    _ if input.is_empty() && i != last => break,
                    _ => {}
                }
            }
        }
        Ok(())
    })?;
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    Ok(out)
}

/// The concatenation of `parts` as one gzip member whose deflate data is stored blocks
/// (RFC 1951 §3.2.4: `BTYPE` 00, at most 65,535 bytes each), with the same header as
/// [`gzip_member`]: only the CRC is computed.
fn gzip_member_stored(parts: &[&[u8]]) -> Vec<u8> {
    const MAX_STORED: usize = 65_535;
    let data = parts.concat();
    let blocks = data.len().div_ceil(MAX_STORED).max(1);
    let mut out = Vec::with_capacity(10 + data.len() + 5 * blocks + 8);
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255]);
    let mut chunks = data.chunks(MAX_STORED).peekable();
    if chunks.peek().is_none() {
        // No data: one empty final block.
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        let len = chunk.len() as u16; // at most 65,535
        out.push(u8::from(chunks.peek().is_none())); // BFINAL on the last, BTYPE 00
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    let mut crc = flate2::Crc::new();
    crc.update(&data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn new_record_id() -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v4())
}

/// A `WARC-Record-ID` without its angle brackets (`<urn:uuid:…>` → `urn:uuid:…`).
pub(super) fn bare_id(id: &str) -> &str {
    id.trim().trim_start_matches('<').trim_end_matches('>')
}

/// A header value with control characters percent-encoded, so a hostile value can never
/// break the framing (no CR/LF, no folding).
fn field_text(value: &str) -> String {
    escape_chars(value, |c| c.is_control())
}

/// A URI header value: like [`field_text`], and spaces encoded too (a URI has none).
fn uri_text(value: &str) -> String {
    escape_chars(value.trim(), |c| c.is_control() || c == ' ')
}

fn escape_chars(value: &str, escape: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if escape(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn check_head(head: &[u8], what: &str) -> io::Result<()> {
    if head.ends_with(b"\r\n\r\n") {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("HTTP {what} head must end with CRLF CRLF"),
        ))
    }
}

/// The bytes after the first blank line of an HTTP message (the entity body).
pub fn http_payload(block: &[u8]) -> &[u8] {
    match memchr::memmem::find(block, b"\r\n\r\n") {
        Some(i) => &block[i + 4..],
        None => &[],
    }
}

fn sync_dir(path: &Path) {
    // Best effort: makes the rename durable on Linux; not supported everywhere.
    if let Some(dir) = path.parent()
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
}

// ---------------------------------------------------------------------------------------------
// Reading
//
// Every read goes through one streaming parser ([`scan_member`]): a gzip member is inflated
// through a small buffer, each record's header fields are parsed, and its block passes through
// the SHA-1 block and payload digests on its way, so a scan of a whole file holds one buffer's
// worth of it at a time. Only [`read_records`] and [`read_record_at`] keep blocks, for callers
// that asked for them.

/// One record read back from a WARC file.
#[derive(Clone, Debug)]
pub struct WarcRecord {
    /// Header fields in file order (`WARC-Concurrent-To` may repeat).
    pub headers: Vec<(String, String)>,
    /// The block: exactly `Content-Length` bytes.
    pub block: Vec<u8>,
    /// Offset of the gzip member holding the record.
    pub offset: u64,
    /// Compressed length of that member.
    pub length: u64,
}

impl WarcRecord {
    /// The first value of a header field (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }

    /// `WARC-Type`, or "" when missing.
    pub fn warc_type(&self) -> &str {
        self.header("WARC-Type").unwrap_or("")
    }

    /// `WARC-Record-ID` without angle brackets.
    pub fn record_id(&self) -> Option<&str> {
        self.header("WARC-Record-ID").map(bare_id)
    }
}

/// What a scan ([`scan_records`]) keeps of one record: where it is, its header fields and the
/// start of its block, never the whole block.
#[derive(Clone, Debug)]
pub struct ScannedRecord {
    /// Header fields in file order.
    pub headers: Vec<(String, String)>,
    /// Offset of the gzip member holding the record.
    pub offset: u64,
    /// Compressed length of that member.
    pub length: u64,
    /// Bytes in the block (its `Content-Length`).
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "the scan reports it; only the tests read it today"
        )
    )]
    pub block_len: u64,
    /// For an `application/http` block: its HTTP head up to and with the blank line (at most
    /// [`MAX_HTTP_HEAD`] bytes); empty for other blocks.
    pub http_head: Vec<u8>,
}

impl ScannedRecord {
    /// The first value of a header field (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }

    /// `WARC-Type`, or "" when missing.
    pub fn warc_type(&self) -> &str {
        self.header("WARC-Type").unwrap_or("")
    }
}

fn header_in<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Where and why reading stopped before the end of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// Offset of the first member that could not be read: the end of the good prefix.
    pub offset: u64,
    /// Bytes from `offset` to the end of the file.
    pub bytes: u64,
    /// What went wrong (truncated gzip, bad record framing, a digest that does not match, …).
    pub reason: String,
}

/// The readable records of a WARC file, and the damaged tail if there is one.
#[derive(Clone, Debug)]
pub struct WarcContents {
    /// Records in file order.
    pub records: Vec<WarcRecord>,
    /// `Some` when the file ends in a member that cannot be read (e.g. a crash mid-write).
    pub torn_tail: Option<TornTail>,
}

/// How a [`scan_records`] ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanEnd {
    /// Complete records seen (in the good prefix).
    pub records: usize,
    /// Bytes of the good prefix: the whole file when `torn_tail` is `None`.
    pub good_bytes: u64,
    /// `Some` when the file ends in a member that cannot be read.
    pub torn_tail: Option<TornTail>,
    /// The most bytes the scan held at once in its own buffers: the read buffers, and the
    /// header fields, HTTP head (and, for [`read_records`], block) of the records of the
    /// member being read. Not the inflater's fixed state. For tests of the memory bound.
    pub peak_held: usize,
}

/// Reads every record of a gzip-per-record WARC file, member by member, blocks and all: for
/// tests and tools on small files. A scan of a whole archive file uses `scan_records`,
/// which never holds a block. A member that does not decode, does not hold well-framed
/// records, or whose digests do not match ends the read: it and everything after it are
/// reported in `torn_tail` (not an error). Errors are only for I/O failures.
pub fn read_records(path: &Path) -> io::Result<WarcContents> {
    let mut records = Vec::new();
    let end = scan_file(path, true, &mut |rec| {
        records.push(rec.into_record());
        Ok(())
    })?;
    Ok(WarcContents {
        records,
        torn_tail: end.torn_tail,
    })
}

/// Reads a WARC file record by record in bounded memory (about 200 KB, whatever the sizes of
/// the file and its records), checking each record's `WARC-Block-Digest` and
/// `WARC-Payload-Digest` (SHA-1, Base32 or hex) as its block streams past, and hands `each`
/// the records of every member that is whole. The first member that does not decode, holds
/// a badly framed record, inflates past 256 MB or fails a digest ends the scan: it is the
/// torn tail (not an error). Errors are I/O failures and those `each` returns.
pub fn scan_records(
    path: &Path,
    mut each: impl FnMut(ScannedRecord) -> io::Result<()>,
) -> io::Result<ScanEnd> {
    scan_file(path, false, &mut |rec| each(rec.scanned))
}

/// A record as [`scan_member`] gives it: what a scan keeps, and the block when asked for.
struct MemberRecord {
    scanned: ScannedRecord,
    block: Vec<u8>,
}

impl MemberRecord {
    /// Bytes it holds (header fields, HTTP head, block).
    fn held(&self) -> usize {
        headers_held(&self.scanned.headers)
            + self.scanned.http_head.capacity()
            + self.block.capacity()
    }

    fn into_record(self) -> WarcRecord {
        WarcRecord {
            headers: self.scanned.headers,
            block: self.block,
            offset: self.scanned.offset,
            length: self.scanned.length,
        }
    }
}

fn scan_file(
    path: &Path,
    keep_blocks: bool,
    each: &mut dyn FnMut(MemberRecord) -> io::Result<()>,
) -> io::Result<ScanEnd> {
    let file = super::files::open_read(path)?;
    let file_len = file.metadata()?.len();
    let mut reader = CountingReader {
        inner: BufReader::with_capacity(FILE_BUFFER, file),
        pos: 0,
    };
    let mut records = 0;
    let mut peak_held = 0;
    loop {
        let start = reader.pos;
        if reader.fill_buf()?.is_empty() {
            return Ok(ScanEnd {
                records,
                good_bytes: start,
                torn_tail: None,
                peak_held,
            });
        }
        match scan_member(
            &mut reader,
            start,
            MAX_MEMBER_DECODED,
            keep_blocks,
            &mut peak_held,
        )? {
            Ok(recs) => {
                for rec in recs {
                    records += 1;
                    each(rec)?;
                }
            }
            Err(reason) => {
                return Ok(ScanEnd {
                    records,
                    good_bytes: start,
                    torn_tail: Some(TornTail {
                        offset: start,
                        bytes: file_len.saturating_sub(start),
                        reason,
                    }),
                    peak_held,
                });
            }
        }
    }
}

/// Reads the record(s) of the single gzip member at `offset`/`length` (as in a
/// [`RecordRef`] or the manifest) and returns the first one, its digests checked.
pub fn read_record_at(path: &Path, offset: u64, length: u64) -> io::Result<WarcRecord> {
    let mut file = super::files::open_read(path)?;
    if file.metadata()?.len() < offset.saturating_add(length) {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("{}: member at {offset} is cut short", path.display()),
        ));
    }
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = CountingReader {
        inner: BufReader::with_capacity(FILE_BUFFER, file.take(length)),
        pos: offset,
    };
    let recs =
        scan_member(&mut reader, offset, MAX_MEMBER_DECODED, true, &mut 0)?.map_err(|reason| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {reason}", path.display()),
            )
        })?;
    recs.into_iter()
        .next()
        .map(MemberRecord::into_record)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "empty gzip member".to_string()))
}

/// The most one gzip member of an archive may decode to when it is read back.
const MAX_MEMBER_DECODED: u64 = 256 << 20;
/// Read buffer over the (compressed) file.
const FILE_BUFFER: usize = 1 << 16;
/// Buffer of inflated bytes a record is parsed from.
const DECODED_BUFFER: usize = 1 << 15;
/// The longest WARC header block a reader accepts (ours are under 1 KB).
const MAX_RECORD_HEAD: u64 = 1 << 16;
/// The longest HTTP head a scan keeps ([`ScannedRecord::http_head`]). A longer one is not
/// kept and the record's payload digest is not checked (its block digest still is).
pub const MAX_HTTP_HEAD: usize = 1 << 16;

/// Decodes one gzip member from `reader` (leaving it just past the member) and parses the
/// records in it, streaming each block through its digests. The outer error is an I/O
/// failure of the file; the inner one (text) means the member is damaged.
fn scan_member<R: BufRead>(
    reader: &mut CountingReader<R>,
    start: u64,
    cap: u64,
    keep_blocks: bool,
    peak_held: &mut usize,
) -> io::Result<Result<Vec<MemberRecord>, String>> {
    // bufread::GzDecoder consumes exactly one member (header, deflate data, trailer) from
    // the BufRead, so the counter then stands at the next member.
    let dec = flate2::bufread::GzDecoder::new(&mut *reader);
    let mut decoded = BufReader::with_capacity(DECODED_BUFFER, dec.take(cap.saturating_add(1)));
    let mut out: Vec<MemberRecord> = Vec::new();
    let parsed = loop {
        match decoded.fill_buf() {
            Ok([]) => break Ok(()),
            Ok(_) => {}
            Err(e) => break Err(format!("gzip member at {start}: {e}")),
        }
        let held = FILE_BUFFER + DECODED_BUFFER + out.iter().map(MemberRecord::held).sum::<usize>();
        match parse_streamed_record(&mut decoded, keep_blocks, held, peak_held) {
            Ok(rec) => out.push(rec),
            Err(e) => break Err(format!("record at {start}: {e}")),
        }
    };
    if decoded.get_ref().limit() == 0 {
        // Our own records stay far below this (bodies are capped when fetched); a member
        // that inflates past it is not one of ours, or a planted decompression bomb.
        return Ok(Err(format!(
            "gzip member at {start} decodes to more than {cap} bytes"
        )));
    }
    if let Err(e) = parsed {
        return Ok(Err(e));
    }
    drop(decoded);
    if out.is_empty() {
        return Ok(Err(format!("gzip member at {start} is empty")));
    }
    let length = reader.pos - start;
    for rec in &mut out {
        rec.scanned.offset = start;
        rec.scanned.length = length;
    }
    Ok(Ok(out))
}

/// Parses one record from the inflated stream: its header block, then its block (hashed
/// as it passes, kept only if asked), then the `\r\n\r\n` that ends it.
/// `held` is what the scan holds besides this record; `peak_held` the most seen so far.
fn parse_streamed_record<R: BufRead>(
    decoded: &mut R,
    keep_block: bool,
    held: usize,
    peak_held: &mut usize,
) -> Result<MemberRecord, String> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let room = MAX_RECORD_HEAD.saturating_sub(before as u64);
        let n = (&mut *decoded)
            .take(room)
            .read_until(b'\n', &mut head)
            .map_err(|e| format!("gzip: {e}"))?;
        if before == 0 && !head.starts_with(b"WARC/") {
            return Err("does not start with WARC/".into());
        }
        if head.ends_with(b"\r\n\r\n") {
            break;
        }
        if n == 0 || head.len() as u64 >= MAX_RECORD_HEAD {
            return Err("header block not terminated".into());
        }
    }
    let headers = parse_headers(&head[..head.len() - 4])?;
    let held = held + head.capacity() + headers_held(&headers);
    *peak_held = (*peak_held).max(held);
    let len: u64 = header_in(&headers, "Content-Length")
        .ok_or("no Content-Length")?
        .parse()
        .map_err(|_| "bad Content-Length")?;
    let warc_type = header_in(&headers, "WARC-Type").unwrap_or("");
    let is_http = header_in(&headers, "Content-Type").is_some_and(|t| {
        t.trim()
            .to_ascii_lowercase()
            .starts_with("application/http")
    });
    let mut digests = BlockDigests::new(is_http);
    let mut block = Vec::new();
    let mut remaining = len;
    while remaining > 0 {
        let buf = decoded.fill_buf().map_err(|e| format!("gzip: {e}"))?;
        if buf.is_empty() {
            return Err("block shorter than Content-Length".into());
        }
        let n = buf
            .len()
            .min(usize::try_from(remaining).unwrap_or(usize::MAX));
        digests.update(&buf[..n]);
        if keep_block {
            block.extend_from_slice(&buf[..n]);
        }
        decoded.consume(n);
        remaining -= n as u64;
        *peak_held = (*peak_held).max(held + digests.head.capacity() + block.capacity());
    }
    let mut end = [0u8; 4];
    decoded
        .read_exact(&mut end)
        .map_err(|_| "record not followed by CRLF CRLF")?;
    if &end != b"\r\n\r\n" {
        return Err("record not followed by CRLF CRLF".into());
    }
    let (block_digest, payload_digest, http_head) = digests.finish();
    check_digest(&headers, "WARC-Block-Digest", &block_digest)?;
    // A revisit's payload digest is the original's; other records hash their own payload
    // (an HTTP block's body, or the whole block).
    if warc_type != "revisit"
        && let Some(payload) = payload_digest
    {
        check_digest(&headers, "WARC-Payload-Digest", &payload)?;
    }
    Ok(MemberRecord {
        scanned: ScannedRecord {
            headers,
            offset: 0,
            length: 0,
            block_len: len,
            http_head,
        },
        block,
    })
}

/// Bytes a record's header fields hold.
fn headers_held(headers: &Vec<(String, String)>) -> usize {
    headers.capacity() * std::mem::size_of::<(String, String)>()
        + headers
            .iter()
            .map(|(n, v)| n.capacity() + v.capacity())
            .sum::<usize>()
}

fn parse_headers(head: &[u8]) -> Result<Vec<(String, String)>, String> {
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n");
    lines.next(); // version line
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("header line without colon: {line:?}"))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok(headers)
}

/// The SHA-1 digests of a block fed in pieces: of the whole block, and of its payload (for
/// an HTTP block, what follows the head's blank line, as [`http_payload`] cuts it).
struct BlockDigests {
    block: Sha1,
    payload: Sha1,
    /// The HTTP head gathered so far, while its end is not found.
    head: Vec<u8>,
    in_head: bool,
    /// False once a head ran past [`MAX_HTTP_HEAD`]: the payload is then not known.
    payload_known: bool,
}

impl BlockDigests {
    fn new(is_http: bool) -> BlockDigests {
        BlockDigests {
            block: Sha1::new(),
            payload: Sha1::new(),
            head: Vec::new(),
            in_head: is_http,
            payload_known: true,
        }
    }

    fn update(&mut self, mut chunk: &[u8]) {
        self.block.update(chunk);
        while self.in_head && !chunk.is_empty() {
            let before = self.head.len();
            let take = chunk
                .len()
                .min(MAX_HTTP_HEAD + 3 - before.min(MAX_HTTP_HEAD));
            self.head.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            // The blank line may straddle two pieces: search from 3 bytes back.
            let from = before.saturating_sub(3);
            if let Some(i) = memchr::memmem::find(&self.head[from..], b"\r\n\r\n") {
                let end = from + i + 4;
                self.payload.update(&self.head[end..]);
                self.head.truncate(end);
                self.in_head = false;
            } else if self.head.len() > MAX_HTTP_HEAD {
                self.head = Vec::new();
                self.in_head = false;
                self.payload_known = false;
                return;
            }
        }
        if self.payload_known {
            self.payload.update(chunk);
        }
    }

    /// Block digest, payload digest (`None` when not known), and the HTTP head.
    fn finish(self) -> (String, Option<String>, Vec<u8>) {
        let b32 = |h: Sha1| format!("sha1:{}", BASE32.encode(h.finalize().as_slice()));
        let block = b32(self.block);
        if self.in_head {
            // No blank line in the whole block: no payload (as `http_payload` says), and
            // no head either.
            return (block, Some(sha1_digest(b"")), Vec::new());
        }
        let payload = self.payload_known.then(|| b32(self.payload));
        (block, payload, self.head)
    }
}

/// Compares a digest field with the digest computed. Only SHA-1 in Base32 (ours, warcio's)
/// or hex is checked; a missing field or another algorithm passes.
fn check_digest(headers: &[(String, String)], field: &str, computed: &str) -> Result<(), String> {
    let Some(value) = header_in(headers, field) else {
        return Ok(());
    };
    let Some((algorithm, encoded)) = value.split_once(':') else {
        return Ok(());
    };
    if !algorithm.trim().eq_ignore_ascii_case("sha1") {
        return Ok(());
    }
    let encoded = encoded.trim();
    let want = computed.trim_start_matches("sha1:");
    let matches = match encoded.len() {
        40 => BASE32
            .decode(want.as_bytes())
            .is_ok_and(|raw| data_encoding::HEXLOWER.encode(&raw) == encoded.to_ascii_lowercase()),
        _ => encoded.eq_ignore_ascii_case(want),
    };
    if matches {
        Ok(())
    } else {
        Err(format!(
            "{field} {value} does not match the record ({computed})"
        ))
    }
}

/// A BufRead that counts consumed bytes, so member offsets are known.
struct CountingReader<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> Read for CountingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.pos += amt as u64;
        self.inner.consume(amt);
    }
}

// ---------------------------------------------------------------------------------------------
// Recovery

/// What [`recover_open_file`] did with a `.warc.gz.open` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovery {
    /// The `.open` file that was found.
    pub open_path: PathBuf,
    /// The `.warc.gz` it became; `None` when it held no complete record and was removed.
    pub final_path: Option<PathBuf>,
    /// Complete records kept.
    pub records_kept: usize,
    /// Bytes kept (the good prefix).
    pub bytes_kept: u64,
    /// Bytes cut off the end (a torn member); 0 when the file was whole.
    pub bytes_dropped: u64,
    /// Why the tail was cut, when it was.
    pub reason: Option<String>,
    /// The most bytes the scan held at once ([`ScanEnd::peak_held`]).
    pub peak_held: usize,
}

/// Truncates a `.warc.gz.open` left by a crashed run to its last complete member and renames
/// it to `.warc.gz` (a file with no complete record is removed). Refuses (`AlreadyExists`)
/// when the `.warc.gz` name is taken, and (`InvalidInput`) for a path not ending in `.open`.
pub fn recover_open_file(path: &Path) -> io::Result<Recovery> {
    recover_open_file_with(path, |_| Ok(()))
}

/// [`recover_open_file`], handing `each` every record kept as the one streaming pass over
/// the file reads it (to index them on the way). The file is read in bounded memory, each
/// record's digests checked ([`scan_records`]); the records `each` sees are those of the
/// good prefix only.
pub fn recover_open_file_with(
    path: &Path,
    each: impl FnMut(ScannedRecord) -> io::Result<()>,
) -> io::Result<Recovery> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let final_name = name.strip_suffix(OPEN_SUFFIX).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not end in {OPEN_SUFFIX}", path.display()),
        )
    })?;
    let final_path = path.with_file_name(final_name);
    if final_path.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", final_path.display()),
        ));
    }
    let end = scan_records(path, each)?;
    let file_len = std::fs::metadata(path)?.len();
    let bytes_kept = end.good_bytes.min(file_len);
    let mut recovery = Recovery {
        open_path: path.to_path_buf(),
        final_path: None,
        records_kept: end.records,
        bytes_kept,
        bytes_dropped: file_len - bytes_kept,
        reason: end.torn_tail.map(|t| t.reason),
        peak_held: end.peak_held,
    };
    if bytes_kept == 0 {
        std::fs::remove_file(path)?;
        return Ok(recovery);
    }
    if bytes_kept < file_len {
        let f = super::files::open_nofollow(OpenOptions::new().write(true), path)?;
        f.set_len(bytes_kept)?;
        f.sync_all()?;
    }
    std::fs::rename(path, &final_path)?;
    sync_dir(&final_path);
    recovery.final_path = Some(final_path);
    Ok(recovery)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::collections::HashMap;

    pub(crate) fn ts(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    pub(crate) fn exchange(url: &str, status_line: &str, extra: &str, body: &[u8]) -> RawExchange {
        let u = url::Url::parse(url).unwrap();
        let mut path = u.path().to_string();
        if let Some(q) = u.query() {
            path = format!("{path}?{q}");
        }
        RawExchange {
            request_url: url.to_string(),
            request_head: format!(
                "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: citecheck/0.1\r\nAccept: */*\r\n\r\n",
                u.host_str().unwrap()
            )
            .into_bytes(),
            response_head: format!(
                "{status_line}\r\n{extra}content-length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes(),
            body: body.to_vec(),
            truncated: false,
            peer_ip: Some("192.0.2.7".parse().unwrap()),
            date: ts("2026-01-05T10:00:00.123456789Z"),
        }
    }

    #[test]
    fn digest_test_vectors() {
        assert_eq!(sha1_digest(b""), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
        assert_eq!(sha1_digest(b"abc"), "sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5");
        assert_eq!(
            sha1_digest("Gemeenten werken samen".as_bytes()),
            "sha1:E6ZLRHGTWHOF63LXVJHH3EXJCFYGUK3Q"
        );
        assert_eq!(sha1_digest(b"x").len(), 5 + 32);
    }

    #[test]
    fn warc_date_format() {
        assert_eq!(
            warc_date(ts("2020-11-02T09:30:15.123456789Z")),
            "2020-11-02T09:30:15.123456Z"
        );
        assert_eq!(
            warc_date(ts("2020-11-02T09:30:15Z")),
            "2020-11-02T09:30:15.000000Z"
        );
    }

    fn is_uuid_v4_urn(id: &str) -> bool {
        id.strip_prefix("urn:uuid:")
            .and_then(|u| uuid::Uuid::parse_str(u).ok())
            .is_some_and(|u| u.get_version_num() == 4)
    }

    /// Every record's framing and digests, checked independently of the writer.
    fn check_record(rec: &WarcRecord) {
        let id = rec.header("WARC-Record-ID").unwrap();
        assert!(id.starts_with('<') && id.ends_with('>'), "{id}");
        assert!(is_uuid_v4_urn(rec.record_id().unwrap()), "{id}");
        let date = rec.header("WARC-Date").unwrap();
        assert_eq!(date.len(), 27, "{date}");
        assert!(date.ends_with('Z'));
        assert_eq!(
            rec.header("Content-Length")
                .unwrap()
                .parse::<usize>()
                .unwrap(),
            rec.block.len()
        );
        assert_eq!(
            rec.header("WARC-Block-Digest").unwrap(),
            sha1_digest(&rec.block)
        );
        assert_eq!(rec.header("Content-Type").is_some(), !rec.block.is_empty());
        let payload = match rec.warc_type() {
            "response" | "request" => Some(sha1_digest(http_payload(&rec.block))),
            "resource" => Some(sha1_digest(&rec.block)),
            _ => None,
        };
        if let Some(p) = payload {
            assert_eq!(
                rec.header("WARC-Payload-Digest").unwrap(),
                p,
                "{}",
                rec.warc_type()
            );
        }
        // Only WARC-Concurrent-To may repeat.
        let mut seen = HashMap::new();
        for (n, _) in &rec.headers {
            *seen.entry(n.to_ascii_lowercase()).or_insert(0) += 1;
        }
        for (n, c) in seen {
            assert!(c == 1 || n == "warc-concurrent-to", "{n} repeated");
        }
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = WarcWriter::create(
            dir.path(),
            &[
                ("software", "citecheck/0.1.0"),
                ("http-header-user-agent", "citecheck/0.1"),
            ],
        )
        .unwrap();
        let name = w.file_name().to_string();
        assert!(
            name.starts_with("citecheck-") && name.ends_with("-00000.warc.gz"),
            "{name}"
        );
        assert!(dir.path().join(format!("{name}.open")).exists());

        let html = "<html><head><title>Samen</title></head><body><p>Gemeenten werken samen.</p></body></html>";
        let redirect = exchange(
            "http://example.nl/oud",
            "HTTP/1.1 301 Moved Permanently",
            "location: https://example.nl/nieuws?id=1\r\n",
            b"",
        );
        let page = exchange(
            "https://example.nl/nieuws?id=1",
            "HTTP/1.1 200 OK",
            "content-type: text/html; charset=utf-8\r\n",
            html.as_bytes(),
        );
        // A body that came chunked from the origin: the fetcher de-chunked it and renamed the
        // header; the stored payload must be the de-chunked body.
        let chunked_body = "Deel één.\nDeel twee.\n".repeat(50);
        let mut chunked = exchange(
            "https://example.nl/chunked",
            "HTTP/1.1 200 OK",
            "content-type: text/plain\r\nx-orig-transfer-encoding: chunked\r\n",
            chunked_body.as_bytes(),
        );
        chunked.truncated = true;
        chunked.peer_ip = None;

        let r_redirect = w.write_exchange(&redirect).unwrap();
        let r_page = w.write_exchange(&page).unwrap();
        let r_chunked = w.write_exchange(&chunked).unwrap();
        let mut again = page.clone();
        again.date = ts("2026-01-06T08:00:00Z");
        let r_revisit = w
            .write_revisit(&again, &r_page, &r_page.target_uri, &r_page.warc_date)
            .unwrap();
        let text = "Gemeenten werken samen.\n";
        let r_text = w
            .write_text(
                "https://example.nl/nieuws?id=1",
                text,
                Some(&r_page.record_id),
                page.date,
            )
            .unwrap();
        let empty_text = w
            .write_text("https://example.nl/leeg", "", None, page.date)
            .unwrap();
        assert_eq!(w.bytes_written(), empty_text.offset + empty_text.length);
        let path = w.finish().unwrap();
        assert_eq!(path, dir.path().join(&name));
        assert!(!dir.path().join(format!("{name}.open")).exists());

        let contents = read_records(&path).unwrap();
        assert!(contents.torn_tail.is_none());
        let recs = &contents.records;
        let types: Vec<&str> = recs.iter().map(|r| r.warc_type()).collect();
        assert_eq!(
            types,
            [
                "warcinfo", "response", "request", "response", "request", "response", "request",
                "revisit", "request", "resource", "resource"
            ]
        );
        for rec in recs {
            check_record(rec);
        }

        // warcinfo
        let info = &recs[0];
        assert_eq!(info.header("WARC-Filename"), Some(name.as_str()));
        assert_eq!(info.header("Content-Type"), Some("application/warc-fields"));
        assert!(info.header("WARC-Target-URI").is_none());
        let block = String::from_utf8(info.block.clone()).unwrap();
        assert_eq!(
            block,
            "software: citecheck/0.1.0\r\nhttp-header-user-agent: citecheck/0.1\r\nformat: WARC File Format 1.1\r\n"
        );
        let info_id = format!("<{}>", info.record_id().unwrap());
        for rec in &recs[1..] {
            assert_eq!(rec.header("WARC-Warcinfo-ID"), Some(info_id.as_str()));
            assert!(rec.header("WARC-Filename").is_none());
        }

        // Offsets and lengths: members are contiguous and cover the file.
        let file_len = std::fs::metadata(&path).unwrap().len();
        assert_eq!(recs[0].offset, 0);
        for pair in recs.windows(2) {
            assert_eq!(pair[0].offset + pair[0].length, pair[1].offset);
        }
        let last = recs.last().unwrap();
        assert_eq!(last.offset + last.length, file_len);
        // Each member on its own is one complete gzip stream holding exactly its record.
        let raw = std::fs::read(&path).unwrap();
        for rec in recs {
            let member = &raw[rec.offset as usize..(rec.offset + rec.length) as usize];
            let mut d = flate2::read::GzDecoder::new(member);
            let mut out = Vec::new();
            d.read_to_end(&mut out).unwrap();
            assert!(out.starts_with(b"WARC/1.1\r\n"));
            assert!(out.ends_with(b"\r\n\r\n"));
        }

        // Request/response pairing and the returned refs.
        let by_id: HashMap<&str, &WarcRecord> =
            recs.iter().map(|r| (r.record_id().unwrap(), r)).collect();
        for (r, ex) in [
            (&r_redirect, &redirect),
            (&r_page, &page),
            (&r_chunked, &chunked),
        ] {
            let resp = by_id[r.record_id.as_str()];
            assert_eq!(resp.warc_type(), "response");
            assert_eq!((resp.offset, resp.length), (r.offset, r.length));
            assert_eq!(r.warc_file, name);
            assert_eq!(
                resp.header("WARC-Target-URI"),
                Some(ex.request_url.as_str())
            );
            assert_eq!(
                resp.header("WARC-Payload-Digest"),
                Some(sha1_digest(&ex.body).as_str())
            );
            assert_eq!(r.payload_digest, sha1_digest(&ex.body));
            assert_eq!(r.block_digest, sha1_digest(&resp.block));
            assert_eq!(
                resp.header("Content-Type"),
                Some("application/http;msgtype=response")
            );
            assert_eq!(&resp.block[ex.response_head.len()..], ex.body.as_slice());
            let from_disk = read_record_at(&path, r.offset, r.length).unwrap();
            assert_eq!(from_disk.record_id(), Some(r.record_id.as_str()));
            assert_eq!(from_disk.block, resp.block);
            // Exactly one request points at it, with the same date and target.
            let reqs: Vec<&WarcRecord> = recs
                .iter()
                .filter(|q| q.header("WARC-Concurrent-To") == Some(&format!("<{}>", r.record_id)))
                .collect();
            assert_eq!(reqs.len(), 1);
            let req = reqs[0];
            assert_eq!(req.warc_type(), "request");
            assert_eq!(req.block, ex.request_head);
            assert_eq!(req.header("WARC-Date"), resp.header("WARC-Date"));
            assert_eq!(
                req.header("WARC-Target-URI"),
                resp.header("WARC-Target-URI")
            );
            assert_eq!(
                req.header("WARC-Payload-Digest"),
                Some("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ")
            );
            assert_eq!(
                req.header("Content-Type"),
                Some("application/http;msgtype=request")
            );
            assert_eq!(
                req.header("WARC-IP-Address"),
                resp.header("WARC-IP-Address")
            );
        }
        let page_rec = by_id[r_page.record_id.as_str()];
        assert_eq!(page_rec.header("WARC-IP-Address"), Some("192.0.2.7"));
        assert_eq!(
            page_rec.header("WARC-Date"),
            Some("2026-01-05T10:00:00.123456Z")
        );
        assert!(page_rec.header("WARC-Truncated").is_none());
        let chunked_rec = by_id[r_chunked.record_id.as_str()];
        assert!(chunked_rec.header("WARC-IP-Address").is_none());
        assert_eq!(chunked_rec.header("WARC-Truncated"), Some("length"));
        assert_eq!(http_payload(&chunked_rec.block), chunked_body.as_bytes());
        let head = String::from_utf8_lossy(&chunked_rec.block[..chunked.response_head.len()])
            .to_lowercase();
        assert!(!head.contains("\r\ntransfer-encoding"));
        assert!(head.contains(&format!("content-length: {}\r\n", chunked_body.len())));

        // Revisit: headers only, refers to the first capture.
        let rv = by_id[r_revisit.record_id.as_str()];
        assert_eq!(rv.block, page.response_head);
        assert_eq!(rv.header("WARC-Profile"), Some(REVISIT_PROFILE));
        assert_eq!(
            rv.header("WARC-Refers-To"),
            Some(format!("<{}>", r_page.record_id).as_str())
        );
        assert_eq!(
            rv.header("WARC-Refers-To-Target-URI"),
            Some("https://example.nl/nieuws?id=1")
        );
        assert_eq!(
            rv.header("WARC-Refers-To-Date"),
            Some("2026-01-05T10:00:00.123456Z")
        );
        assert_eq!(rv.header("WARC-Date"), Some("2026-01-06T08:00:00.000000Z"));
        assert_eq!(
            rv.header("WARC-Payload-Digest"),
            Some(r_page.payload_digest.as_str())
        );
        assert_eq!(r_revisit.payload_digest, r_page.payload_digest);

        // Text resource.
        let tr = by_id[r_text.record_id.as_str()];
        assert_eq!(tr.warc_type(), "resource");
        assert_eq!(
            tr.header("WARC-Target-URI"),
            Some("urn:text:https://example.nl/nieuws?id=1")
        );
        assert_eq!(tr.header("Content-Type"), Some("text/plain; charset=utf-8"));
        assert_eq!(
            tr.header("WARC-Refers-To"),
            Some(format!("<{}>", r_page.record_id).as_str())
        );
        assert_eq!(tr.header("WARC-Date"), page_rec.header("WARC-Date"));
        assert_eq!(tr.block, text.as_bytes());
        let er = by_id[empty_text.record_id.as_str()];
        assert!(er.block.is_empty());
        assert!(er.header("WARC-Refers-To").is_none());
        assert_eq!(
            er.header("WARC-Block-Digest"),
            Some("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ")
        );
    }

    #[test]
    fn rejects_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = WarcWriter::create(dir.path(), &[]).unwrap();
        let page = exchange("https://example.nl/a", "HTTP/1.1 200 OK", "", b"een");
        let r = w.write_exchange(&page).unwrap();
        let other = exchange("https://example.nl/a", "HTTP/1.1 200 OK", "", b"twee");
        let err = w
            .write_revisit(&other, &r, "https://example.nl/a", &r.warc_date)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let mut bad = page.clone();
        bad.response_head = b"HTTP/1.1 200 OK\r\n".to_vec();
        assert_eq!(
            w.write_exchange(&bad).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        let len_before = w.bytes_written();
        let mut bad = page.clone();
        bad.request_head = b"GET / HTTP/1.1\r\n".to_vec();
        assert_eq!(
            w.write_exchange(&bad).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        // Nothing half-written.
        assert_eq!(w.bytes_written(), len_before);
        let path = w.finish().unwrap();
        assert_eq!(read_records(&path).unwrap().records.len(), 3);
    }

    #[test]
    fn header_values_cannot_break_framing() {
        let dir = tempfile::tempdir().unwrap();
        let mut w =
            WarcWriter::create(dir.path(), &[("software", "x\r\nWARC-Type: evil")]).unwrap();
        let mut ex = exchange("https://example.nl/a", "HTTP/1.1 200 OK", "", b"x");
        ex.request_url = "https://example.nl/a b\r\nWARC-Type: evil".into();
        w.write_exchange(&ex).unwrap();
        w.write_text("https://example.nl/\nX-Evil: 1", "t", None, ex.date)
            .unwrap();
        let path = w.finish().unwrap();
        let recs = read_records(&path).unwrap().records;
        assert_eq!(recs.len(), 4);
        for rec in &recs {
            check_record(rec);
            assert_eq!(
                rec.headers.iter().filter(|(n, _)| n == "WARC-Type").count(),
                1
            );
            assert!(rec.header("X-Evil").is_none());
        }
        assert_eq!(
            recs[1].header("WARC-Target-URI"),
            Some("https://example.nl/a%20b%0D%0AWARC-Type:%20evil")
        );
    }

    #[test]
    fn serial_increments_for_same_second() {
        let dir = tempfile::tempdir().unwrap();
        let a = WarcWriter::create(dir.path(), &[]).unwrap();
        let b = WarcWriter::create(dir.path(), &[]).unwrap();
        assert_ne!(a.file_name(), b.file_name());
        let (pa, pb) = (a.finish().unwrap(), b.finish().unwrap());
        assert!(pa.exists() && pb.exists());
    }

    /// Writes a few records without finishing: the `.open` file a crash leaves.
    fn crashed_file(dir: &Path) -> (PathBuf, Vec<RecordRef>) {
        let mut w = WarcWriter::create(dir, &[("software", "citecheck/0.1.0")]).unwrap();
        let mut refs = Vec::new();
        for i in 0..3 {
            let body = format!("<p>Pagina {i}: het kabinet en de gemeenten.</p>").repeat(40);
            let ex = exchange(
                &format!("https://example.nl/p{i}"),
                "HTTP/1.1 200 OK",
                "content-type: text/html\r\n",
                body.as_bytes(),
            );
            refs.push(w.write_exchange(&ex).unwrap());
        }
        let open = dir.join(format!("{}{OPEN_SUFFIX}", w.file_name()));
        drop(w); // no finish: as after a crash
        (open, refs)
    }

    #[test]
    fn torn_final_member_is_detected_and_recovered() {
        let dir = tempfile::tempdir().unwrap();
        let (open, refs) = crashed_file(dir.path());
        let whole = std::fs::metadata(&open).unwrap().len();
        // The last member written is the request of the third exchange, right after its
        // response; cut the file in the middle of it.
        let last_resp = refs.last().unwrap();
        let req_start = last_resp.offset + last_resp.length;
        let cut = req_start + (whole - req_start) / 2;
        let f = OpenOptions::new().write(true).open(&open).unwrap();
        f.set_len(cut).unwrap();
        drop(f);

        let contents = read_records(&open).unwrap();
        assert_eq!(contents.records.len(), 1 + 2 + 2 + 1);
        let torn = contents.torn_tail.unwrap();
        assert_eq!(torn.offset, req_start);
        assert_eq!(torn.bytes, cut - req_start);
        assert!(!torn.reason.is_empty());

        let rec = recover_open_file(&open).unwrap();
        let final_path = rec.final_path.clone().unwrap();
        assert_eq!(rec.records_kept, 6);
        assert_eq!(rec.bytes_kept, req_start);
        assert_eq!(rec.bytes_dropped, cut - req_start);
        assert!(!open.exists());
        assert_eq!(final_path.extension().unwrap(), "gz");
        assert_eq!(std::fs::metadata(&final_path).unwrap().len(), req_start);
        let again = read_records(&final_path).unwrap();
        assert!(again.torn_tail.is_none());
        assert_eq!(again.records.len(), 6);
        for r in &again.records {
            check_record(r);
        }
        // The refs handed out before the crash still resolve.
        for r in &refs {
            let rec = read_record_at(&final_path, r.offset, r.length).unwrap();
            assert_eq!(rec.record_id(), Some(r.record_id.as_str()));
        }
    }

    #[test]
    fn torn_gzip_header_and_garbage_tail() {
        let dir = tempfile::tempdir().unwrap();
        let (open, _) = crashed_file(dir.path());
        let whole = std::fs::metadata(&open).unwrap().len();
        // Only the first 5 bytes of a gzip header made it.
        let mut f = OpenOptions::new().append(true).open(&open).unwrap();
        f.write_all(&[0x1f, 0x8b, 8, 0, 0]).unwrap();
        drop(f);
        let c = read_records(&open).unwrap();
        assert_eq!(c.records.len(), 7);
        assert_eq!(c.torn_tail.unwrap().offset, whole);
        let r = recover_open_file(&open).unwrap();
        assert_eq!(r.bytes_dropped, 5);
        assert!(
            read_records(&r.final_path.unwrap())
                .unwrap()
                .torn_tail
                .is_none()
        );
    }

    #[test]
    fn clean_open_file_is_renamed_and_empty_one_removed() {
        let dir = tempfile::tempdir().unwrap();
        let (open, _) = crashed_file(dir.path());
        let r = recover_open_file(&open).unwrap();
        assert_eq!((r.records_kept, r.bytes_dropped), (7, 0));
        assert!(r.reason.is_none());
        let empty = dir
            .path()
            .join("citecheck-20260101000000-00000.warc.gz.open");
        std::fs::write(&empty, b"").unwrap();
        let r = recover_open_file(&empty).unwrap();
        assert!(r.final_path.is_none());
        assert!(!empty.exists());
        assert!(recover_open_file(&dir.path().join("x.warc.gz")).is_err());
    }

    #[test]
    fn store_open_recovers_crashed_files() {
        let dir = tempfile::tempdir().unwrap();
        let (open, _) = crashed_file(dir.path());
        let len = std::fs::metadata(&open).unwrap().len();
        let f = OpenOptions::new().write(true).open(&open).unwrap();
        f.set_len(len - 10).unwrap();
        drop(f);
        let store = crate::archive::store::ArchiveStore::open(dir.path()).unwrap();
        assert_eq!(store.recoveries().len(), 1);
        assert_eq!(store.warnings().len(), 1);
        assert!(!open.exists());
        let fin = store.recoveries()[0].final_path.clone().unwrap();
        assert!(read_records(&fin).unwrap().torn_tail.is_none());
    }

    /// `n` bytes that do not compress (a fixed pseudo-random sequence).
    pub(crate) fn noise(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    /// The test the outside tester's crash asked for: a crashed run's `.open` file much
    /// larger than the memory the recovery may use (with one record larger than that too),
    /// recovered while the scan never holds more than a few buffers.
    #[test]
    fn recovery_reads_a_large_damaged_file_in_bounded_memory() {
        const CAP: usize = 192 << 10;
        let dir = tempfile::tempdir().unwrap();
        let mut w = WarcWriter::create(dir.path(), &[("software", "citecheck/0.1.0")]).unwrap();
        let mut refs = Vec::new();
        let mut big = exchange(
            "https://example.nl/groot.pdf",
            "HTTP/1.1 200 OK",
            "content-type: application/pdf\r\n",
            &noise(3 << 20, 1),
        );
        big.truncated = true;
        refs.push(w.write_exchange(&big).unwrap());
        for i in 0..16u64 {
            let ex = exchange(
                &format!("https://example.nl/bijlage/{i}"),
                "HTTP/1.1 200 OK",
                "content-type: application/octet-stream\r\n",
                &noise(300 << 10, i + 2),
            );
            refs.push(w.write_exchange(&ex).unwrap());
            w.write_text(
                &format!("https://example.nl/bijlage/{i}"),
                "Tekst.",
                None,
                ex.date,
            )
            .unwrap();
        }
        let open = dir.path().join(format!("{}{OPEN_SUFFIX}", w.file_name()));
        drop(w);
        // The crash cut the last member (a text record) short.
        let whole = std::fs::metadata(&open).unwrap().len();
        let f = OpenOptions::new().write(true).open(&open).unwrap();
        f.set_len(whole - 20).unwrap();
        drop(f);
        assert!(whole > 32 * CAP as u64, "{whole}");

        // Keeping blocks, the same scan holds the big record whole: the count sees blocks.
        let kept = scan_file(&open, true, &mut |_| Ok(())).unwrap();
        assert!(kept.peak_held > 3 << 20, "{}", kept.peak_held);

        let mut seen = Vec::new();
        let r = recover_open_file_with(&open, |rec| {
            seen.push((
                rec.offset,
                rec.length,
                rec.block_len,
                rec.warc_type().to_string(),
            ));
            Ok(())
        })
        .unwrap();
        assert!(r.peak_held < CAP, "held {} bytes at once", r.peak_held);
        assert_eq!(r.records_kept, 1 + 2 + 16 * 3 - 1);
        assert!(r.bytes_dropped > 0 && r.bytes_dropped < 1000);
        assert!(r.reason.is_some());
        // Offsets, lengths and sizes as written.
        assert_eq!(seen.len(), r.records_kept);
        assert_eq!(
            seen[1],
            (
                refs[0].offset,
                refs[0].length,
                (3 << 20) + big.response_head.len() as u64,
                "response".into()
            )
        );
        for rf in &refs {
            assert!(seen.iter().any(|s| (s.0, s.1) == (rf.offset, rf.length)));
        }
        let fin = r.final_path.unwrap();
        let again = read_record_at(&fin, refs[0].offset, refs[0].length).unwrap();
        assert_eq!(again.header("WARC-Truncated"), Some("length"));
    }

    /// A member whose record does not match its digests is damaged like a torn one: the
    /// good prefix ends before it. Hex SHA-1 digests (other tools) are checked too.
    #[test]
    fn a_record_that_fails_its_digest_ends_the_good_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let (open, _) = crashed_file(dir.path());
        let good = std::fs::metadata(&open).unwrap().len();
        let body = b"<p>Gemeenten werken samen.</p>";
        let head = b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n\r\n";
        let block = [&head[..], &body[..]].concat();
        let member = |block_digest: String, payload_digest: String| {
            let mut rec = Record::new("response", new_record_id(), ts("2026-01-05T10:00:00Z"));
            rec.push("WARC-Target-URI", "https://example.nl/x".into());
            rec.push("Content-Type", "application/http;msgtype=response".into());
            rec.push("WARC-Payload-Digest", payload_digest);
            rec.push("WARC-Block-Digest", block_digest);
            rec.gzip(&block).unwrap()
        };
        let hex = |bytes: &[u8]| {
            format!(
                "sha1:{}",
                data_encoding::HEXLOWER.encode(Sha1::digest(bytes).as_slice())
            )
        };
        let append = |m: Vec<u8>| {
            let mut f = OpenOptions::new().append(true).open(&open).unwrap();
            f.write_all(&m).unwrap();
        };
        // Hex digests that match: read.
        append(member(hex(&block), hex(body)));
        let c = read_records(&open).unwrap();
        assert!(c.torn_tail.is_none(), "{:?}", c.torn_tail);
        assert_eq!(c.records.len(), 8);
        let good = good + (std::fs::metadata(&open).unwrap().len() - good);
        // A wrong payload digest, right block digest.
        append(member(sha1_digest(&block), sha1_digest(b"iets anders")));
        let t = read_records(&open).unwrap().torn_tail.unwrap();
        assert_eq!(t.offset, good);
        assert!(t.reason.contains("WARC-Payload-Digest"), "{}", t.reason);
        let f = OpenOptions::new().write(true).open(&open).unwrap();
        f.set_len(good).unwrap();
        drop(f);
        // A wrong block digest.
        append(member(sha1_digest(b"iets anders"), sha1_digest(body)));
        let t = read_records(&open).unwrap().torn_tail.unwrap();
        assert!(t.reason.contains("WARC-Block-Digest"), "{}", t.reason);
        let r = recover_open_file(&open).unwrap();
        assert_eq!((r.records_kept, r.bytes_kept), (8, good));
    }

    /// The streaming parser finds the HTTP head's end wherever the buffer boundaries fall,
    /// and agrees with `http_payload` on blocks without a blank line.
    #[test]
    fn payload_digest_across_piece_boundaries() {
        let head = b"HTTP/1.1 200 OK\r\nx: y\r\n\r\n";
        let body = b"lichaam\r\n\r\nmet een lege regel";
        let block = [&head[..], &body[..]].concat();
        for piece in 1..=block.len() {
            let mut d = BlockDigests::new(true);
            for chunk in block.chunks(piece) {
                d.update(chunk);
            }
            let (b, p, h) = d.finish();
            assert_eq!(b, sha1_digest(&block));
            assert_eq!(p, Some(sha1_digest(http_payload(&block))), "{piece}");
            assert_eq!(h, head);
        }
        let mut d = BlockDigests::new(true);
        d.update(b"HTTP/1.1 200 OK\r\nno blank line");
        assert_eq!(d.finish().1, Some(sha1_digest(b"")));
        let mut d = BlockDigests::new(false);
        d.update(&block);
        assert_eq!(d.finish().1, Some(sha1_digest(&block)));
    }

    /// The crashed run's index lines died with it: opening the folder indexes what the
    /// recovery kept, the same lines a full index of the repaired file gives.
    #[test]
    fn store_open_indexes_the_recovered_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(crate::archive::cdxj::INDEX_FILE),
            "a 1 {}\n",
        )
        .unwrap();
        let (open, refs) = crashed_file(dir.path());
        let len = std::fs::metadata(&open).unwrap().len();
        let f = OpenOptions::new().write(true).open(&open).unwrap();
        f.set_len(len - 10).unwrap();
        drop(f);
        let store = crate::archive::store::ArchiveStore::open(dir.path()).unwrap();
        let fin = store.recoveries()[0].final_path.clone().unwrap();
        let mut want = crate::archive::cdxj::index_warc(&fin).unwrap();
        assert_eq!(want.len(), refs.len());
        want.push("a 1 {}".into());
        want.sort();
        let index =
            std::fs::read_to_string(dir.path().join(crate::archive::cdxj::INDEX_FILE)).unwrap();
        assert_eq!(index.lines().collect::<Vec<_>>(), want);
        let name = fin.file_name().unwrap().to_str().unwrap();
        for r in &refs {
            assert!(index.contains(&format!(
                "\"offset\": \"{}\", \"filename\": \"{name}\"",
                r.offset
            )));
        }
    }

    #[test]
    fn reader_never_panics_on_junk() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("junk.warc.gz");
        for junk in [
            &b""[..],
            b"\x1f\x8b",
            b"not gzip at all",
            b"WARC/1.1\r\n\r\n",
        ] {
            std::fs::write(&p, junk).unwrap();
            let c = read_records(&p).unwrap();
            assert!(c.records.is_empty());
            assert_eq!(c.torn_tail.is_some(), !junk.is_empty());
        }
        // A well-formed gzip member whose content is not a WARC record.
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(b"WARC/1.1\r\nContent-Length: 99\r\n\r\nshort\r\n\r\n")
            .unwrap();
        std::fs::write(&p, gz.finish().unwrap()).unwrap();
        let c = read_records(&p).unwrap();
        assert!(c.torn_tail.unwrap().reason.contains("Content-Length"));
    }

    /// The reused deflate state gives members that decode to their parts, one after
    /// another, with the same gzip header as flate2's encoder, however large the parts.
    #[test]
    fn a_member_that_inflates_past_the_cap_is_refused() {
        use std::io::Write as _;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![b'0'; 100_000]).unwrap();
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < 1_000);
        let mut reader = CountingReader {
            inner: &bomb[..],
            pos: 0,
        };
        let e = scan_member(&mut reader, 0, 10_000, false, &mut 0)
            .unwrap()
            .err()
            .unwrap();
        assert!(e.contains("decodes to more than 10000 bytes"), "{e}");
    }

    #[test]
    fn gzip_members_round_trip_with_a_reused_compressor() {
        let big: Vec<u8> = (0..300_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let cases: Vec<Vec<&[u8]>> = vec![
            vec![b"", b"", b""],
            vec![b"WARC/1.1\r\n", b"hello", b"\r\n\r\n"],
            vec![b"head", &big, b"tail"],
            vec![&big[..1000], b"", &big],
        ];
        let mut members = Vec::new();
        for parts in &cases {
            let member = gzip_member(parts).unwrap();
            let mut reference = GzEncoder::new(Vec::new(), Compression::fast());
            reference.write_all(&parts.concat()).unwrap();
            let reference = reference.finish().unwrap();
            assert_eq!(member[..10], reference[..10]);
            let mut decoded = Vec::new();
            flate2::read::GzDecoder::new(&member[..])
                .read_to_end(&mut decoded)
                .unwrap();
            assert_eq!(decoded, parts.concat());
            members.extend(member);
        }
        // Stored members (the page text's) decode the same, and mix with the others.
        for parts in &cases {
            let member = gzip_member_stored(parts);
            assert_eq!(member[..10], gzip_member(parts).unwrap()[..10]);
            let mut decoded = Vec::new();
            flate2::read::GzDecoder::new(&member[..])
                .read_to_end(&mut decoded)
                .unwrap();
            assert_eq!(decoded, parts.concat());
            let blocks = parts.concat().len().div_ceil(65_535).max(1);
            assert_eq!(member.len(), 18 + parts.concat().len() + 5 * blocks);
        }
        let mixed = [
            gzip_member_stored(&cases[2]),
            gzip_member(&cases[1]).unwrap(),
            gzip_member_stored(&cases[0]),
        ]
        .concat();
        let mut all = Vec::new();
        flate2::read::MultiGzDecoder::new(&mixed[..])
            .read_to_end(&mut all)
            .unwrap();
        assert_eq!(all, [cases[2].concat(), cases[1].concat()].concat());
        // Concatenated, they are one multi-member gzip file.
        let mut all = Vec::new();
        flate2::read::MultiGzDecoder::new(&members[..])
            .read_to_end(&mut all)
            .unwrap();
        let expected: Vec<u8> = cases.iter().flat_map(|p| p.concat()).collect();
        assert_eq!(all, expected);
    }
}
