//! SURT keys and CDXJ index lines (webrecorder `cdxj/0.1.0`, docs/archive.md §6).
//!
//! Takes URLs and written records ([`RecordRef`]) or whole WARC files, and returns
//! `<SURT> <14-digit timestamp> <JSON>` lines; [`write_index`] merges them into
//! `<dir>/index.cdxj`, sorted bytewise, atomically. Keys match Python `surt` (used by
//! cdxj-indexer and pywb) on the cases in the tests, so pywb can look our lines up.

use std::io::{self, BufRead, Seek, Write};
use std::path::Path;

#[cfg(test)]
use super::warc::scan_records;
use super::warc::{OPEN_SUFFIX, RecordRef, ScannedRecord};
use crate::external_sort::ExternalSort;

/// File name of the index inside the archive folder.
pub const INDEX_FILE: &str = "index.cdxj";

/// The SURT sort key of a URL, as Python `surt.surt` computes it with its defaults:
/// lowercase; scheme, user info, fragment and a leading `www`/`www<digits>` label dropped;
/// host labels (and IPv4 octets) reversed and joined with `,`; a non-default port kept as
/// `:port`; `)`; the path with dot segments resolved and percent-escapes decoded except for
/// bytes that must stay escaped; runs of `/` collapsed and a trailing `/` dropped (except
/// the root); query parameters sorted; an empty query dropped.
/// `urn:` URIs (e.g. `urn:text:…`) are only lowercased, as Python `surt` does.
/// Anything that is not an absolute http(s) URL is returned trimmed and lowercased.
pub fn surt(url: &str) -> String {
    let trimmed = url.trim();
    let lower = trimmed.to_lowercase();
    if lower.starts_with("urn:") {
        return lower;
    }
    let parsed = match url::Url::parse(trimmed) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => return lower,
    };
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_lowercase();
            let d = strip_www(&d);
            d.split('.').rev().collect::<Vec<_>>().join(",")
        }
        Some(url::Host::Ipv4(ip)) => {
            let o = ip.octets();
            format!("{},{},{},{}", o[3], o[2], o[1], o[0])
        }
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => String::new(),
    };
    let mut key = host;
    if let Some(port) = parsed.port() {
        key.push_str(&format!(":{port}"));
    }
    key.push(')');
    // Like Python surt: runs of `/` collapse (also those decoded from `%2F`), and a
    // trailing `/` is dropped except for the root.
    let path = canonical_escapes(parsed.path()).to_lowercase();
    let mut collapsed = String::with_capacity(path.len() + 1);
    for c in path.chars() {
        if !(c == '/' && collapsed.ends_with('/')) {
            collapsed.push(c);
        }
    }
    if collapsed.len() > 1 && collapsed.ends_with('/') {
        collapsed.pop();
    }
    if !collapsed.starts_with('/') {
        collapsed.insert(0, '/');
    }
    key.push_str(&collapsed);
    if let Some(q) = parsed.query() {
        let q = canonical_escapes(q).to_lowercase();
        if !q.is_empty() {
            let mut params: Vec<&str> = q.split('&').collect();
            params.sort_unstable();
            key.push('?');
            key.push_str(&params.join("&"));
        }
    }
    key
}

/// Drops a leading `www.` or `www<digits>.` label, as Python `surt` does.
fn strip_www(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix("www")
        && let Some(dot) = rest.find('.')
        && rest[..dot].bytes().all(|b| b.is_ascii_digit())
    {
        return &rest[dot + 1..];
    }
    host
}

/// Decodes percent-escapes until none is left, then escapes again only the bytes that
/// must be: controls, space, non-ASCII, `#` and `%`.
fn canonical_escapes(s: &str) -> String {
    let mut bytes = s.as_bytes().to_vec();
    // Each pass shortens the string when it decodes anything, so this ends.
    loop {
        let decoded = percent_decode(&bytes);
        if decoded == bytes {
            break;
        }
        bytes = decoded;
    }
    let mut out = String::with_capacity(bytes.len());
    for b in bytes {
        if b <= 0x20 || b >= 0x7f || b == b'#' || b == b'%' {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

/// Decodes every valid `%XX` escape once; other bytes (a `%` without two hex digits after
/// it too) are kept.
pub(crate) fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    percent_encoding::percent_decode(bytes).collect()
}

/// The media type of a `Content-Type` value: parameters dropped, trimmed, lowercased.
pub fn mime_of(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The 14-digit CDX timestamp (`YYYYmmddHHMMSS`) of a `WARC-Date` value.
pub fn cdx_timestamp(warc_date: &str) -> String {
    warc_date
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect()
}

/// One CDXJ line for a written record: `<SURT> <14-digit timestamp> {"url", "mime",
/// "status", "digest", "length", "offset", "filename"}`. `mime` is used without its
/// parameters (pass `warc/revisit` for a revisit) and omitted when empty (a response
/// without `Content-Type`); `status` is omitted when `None` (text resources). Numbers are written as JSON strings, like cdxj-indexer does.
pub fn cdxj_line(r: &RecordRef, mime: &str, status: Option<u16>) -> String {
    // Written by hand rather than through serde_json::Map, whose key order depends on
    // serde_json's `preserve_order` feature.
    let mut fields: Vec<(&str, String)> = vec![("url", r.target_uri.clone())];
    let mime = mime_of(mime);
    if !mime.is_empty() {
        fields.push(("mime", mime));
    }
    if let Some(s) = status {
        fields.push(("status", s.to_string()));
    }
    fields.push(("digest", r.payload_digest.clone()));
    fields.push(("length", r.length.to_string()));
    fields.push(("offset", r.offset.to_string()));
    fields.push(("filename", r.warc_file.clone()));
    let json: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("\"{k}\": {}", serde_json::Value::from(v.as_str())))
        .collect();
    format!(
        "{} {} {{{}}}",
        surt(&r.target_uri),
        cdx_timestamp(&r.warc_date),
        json.join(", ")
    )
}

/// CDXJ lines for every `response`, `revisit` and `resource` record of a WARC file (in file
/// order, unsorted). A torn tail is skipped: only complete records are indexed. For a file
/// of any size, [`index_warc_with`] hands the lines over one at a time instead.
#[cfg(test)]
pub fn index_warc(path: &Path) -> io::Result<Vec<String>> {
    let mut lines = Vec::new();
    index_warc_with(path, |line| {
        lines.push(line);
        Ok(())
    })?;
    Ok(lines)
}

/// [`index_warc`] in bounded memory: the file is read record by record ([`scan_records`],
/// digests checked) and each line goes to `each` as soon as its member is read whole.
#[cfg(test)]
pub fn index_warc_with(
    path: &Path,
    mut each: impl FnMut(String) -> io::Result<()>,
) -> io::Result<()> {
    let name = final_file_name(path);
    scan_records(path, |rec| match index_line(&rec, &name) {
        Some(line) => each(line),
        None => Ok(()),
    })?;
    Ok(())
}

/// The file name an index line names: without `.open`, as the file will be called.
pub(crate) fn final_file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .trim_end_matches(OPEN_SUFFIX)
        .to_string()
}

/// The CDXJ line of a `response`, `revisit` or `resource` record read back from `file_name`
/// (`None` for other records).
pub(crate) fn index_line(rec: &ScannedRecord, file_name: &str) -> Option<String> {
    let kind = rec.warc_type();
    if !matches!(kind, "response" | "revisit" | "resource") {
        return None;
    }
    let field = |name: &str| rec.header(name).unwrap_or("").to_string();
    let r = RecordRef {
        record_id: field("WARC-Record-ID")
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string(),
        warc_file: file_name.to_string(),
        offset: rec.offset,
        length: rec.length,
        payload_digest: field("WARC-Payload-Digest"),
        block_digest: field("WARC-Block-Digest"),
        warc_date: field("WARC-Date"),
        target_uri: field("WARC-Target-URI"),
    };
    Some(match kind {
        "resource" => cdxj_line(&r, rec.header("Content-Type").unwrap_or(""), None),
        _ => {
            let (status, ctype) = http_status_and_type(&rec.http_head);
            let mime = if kind == "revisit" {
                "warc/revisit".to_string()
            } else {
                ctype.unwrap_or_default()
            };
            cdxj_line(&r, &mime, status)
        }
    })
}

/// Status code and `Content-Type` of an HTTP response head at the start of `block`.
fn http_status_and_type(block: &[u8]) -> (Option<u16>, Option<String>) {
    let head_len = memchr::memmem::find(block, b"\r\n\r\n").unwrap_or(block.len());
    let head = String::from_utf8_lossy(&block[..head_len]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok());
    let ctype = lines.find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-type")
            .then(|| value.trim().to_string())
    });
    (status, ctype)
}

/// Merges `lines` into `<dir>/index.cdxj`: the old and new lines together, sorted bytewise,
/// duplicates dropped, written atomically (temp file, fsync, rename). Memory is bounded: see
/// [`IndexLines`].
#[cfg(test)]
pub fn write_index<I>(dir: &Path, lines: I) -> io::Result<()>
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    let mut index = IndexLines::new(dir);
    for line in lines {
        index.push(line.into())?;
    }
    index.finish()
}

/// Bytes of lines [`IndexLines`] holds in memory before it sorts them and spills them to a
/// temporary file.
const SPILL_BYTES: usize = 4 << 20;

/// A run's CDXJ lines, gathered in bounded memory and merged into `index.cdxj` at the end
/// (an [`ExternalSort`] whose runs are spilled into the archive folder). Up to 4 MB of
/// lines are held. [`IndexLines::finish`] adds the old index the same way (it may be a
/// concatenation of shards, unsorted) and merges everything into the new index.
#[derive(Debug)]
pub struct IndexLines {
    dir: std::path::PathBuf,
    sort: ExternalSort,
}

impl IndexLines {
    /// Lines for `<dir>/index.cdxj`.
    pub fn new(dir: &Path) -> IndexLines {
        IndexLines::with_limit(dir, SPILL_BYTES)
    }

    fn with_limit(dir: &Path, limit: usize) -> IndexLines {
        IndexLines {
            dir: dir.to_path_buf(),
            sort: ExternalSort::new(dir, limit),
        }
    }

    /// Adds one line (a stray line break in it becomes a space; a blank line is dropped).
    pub fn push(&mut self, line: String) -> io::Result<()> {
        // A line must stay one line: drop any stray line breaks.
        let line = if line.contains(['\r', '\n']) {
            line.replace(['\r', '\n'], " ")
        } else {
            line
        };
        if line.trim().is_empty() {
            return Ok(());
        }
        self.sort.push(line.into_bytes())
    }

    /// Merges the old `index.cdxj` and every line pushed into a new `index.cdxj`.
    /// The old index is read twice when it is already sorted and clean (as the index this
    /// writes always is): once to check that, then as one more sorted run of the merge, so
    /// the merge costs one pass over it, not a sort (a rotation of the WARC file merges
    /// into an index that may be large). Any other old index (shards concatenated) is
    /// sorted like the new lines.
    pub fn finish(mut self) -> io::Result<()> {
        let path = self.dir.join(INDEX_FILE);
        match super::files::open_read(&path) {
            Ok(mut old) => {
                let sorted = is_sorted_and_clean(&old)?;
                old.seek(io::SeekFrom::Start(0))?;
                if sorted {
                    self.sort.push_sorted_file(old)?;
                } else {
                    for line in io::BufReader::new(old).lines() {
                        self.push(line?)?;
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        super::files::set_default_mode(tmp.as_file())?;
        {
            let mut w = io::BufWriter::new(tmp.as_file_mut());
            let mut last: Option<Vec<u8>> = None;
            // Equal lines (from different runs) are written once.
            self.sort.finish(|line| {
                if last.as_deref() != Some(line.as_slice()) {
                    w.write_all(&line)?;
                    w.write_all(b"\n")?;
                    last = Some(line);
                }
                Ok(())
            })?;
            w.flush()?;
        }
        tmp.as_file().sync_all()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Whether an index file's lines are in bytewise order, none blank and none with a stray
/// `\r` (what [`IndexLines::push`] would have changed). Reads it once, line by line.
fn is_sorted_and_clean(file: &std::fs::File) -> io::Result<bool> {
    let mut reader = io::BufReader::with_capacity(1 << 16, file);
    let (mut previous, mut line) = (Vec::new(), Vec::new());
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(true);
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let clean = std::str::from_utf8(&line).is_ok_and(|l| !l.trim().is_empty());
        if !clean || line.contains(&b'\r') || line < previous {
            return Ok(false);
        }
        std::mem::swap(&mut previous, &mut line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surt_cases_from_archive_md() {
        assert_eq!(
            surt("https://www.overheidvannu.nl/actueel/x"),
            "nl,overheidvannu)/actueel/x"
        );
        assert_eq!(
            surt("http://127.0.0.1:44971/a?b=2&a=1"),
            "1,0,0,127:44971)/a?a=1&b=2"
        );
    }

    /// Expected values were produced by Python `surt` 0.3.1 (`surt.surt(url)`).
    #[test]
    fn surt_matches_python_surt() {
        let cases = [
            ("http://Example.COM/A/B?B=1&a=2", "com,example)/a/b?a=2&b=1"),
            (
                "https://www2.example.com/%41b%2Fc%e2%80%98?x=%41",
                "com,example)/ab/c%e2%80%98?x=a",
            ),
            ("http://example.com", "com,example)/"),
            ("http://example.com/?", "com,example)/"),
            ("https://example.com:443/a#frag", "com,example)/a"),
            ("http://[::1]:8080/x", "::1:8080)/x"),
            (
                "urn:text:https://www.example.com/X",
                "urn:text:https://www.example.com/x",
            ),
            ("http://example.com/a/./b/../c", "com,example)/a/c"),
            ("http://example.com/a b", "com,example)/a%20b"),
            (
                "https://münchen.de/straße",
                "de,xn--mnchen-3ya)/stra%c3%9fe",
            ),
            ("http://example.com./a", "com,example)/a"),
            ("http://example.com/a?q=1&&b=", "com,example)/a?&b=&q=1"),
            (
                "http://example.com/a%2541?x=%26y&b=1",
                "com,example)/aa?b=1&x=&y",
            ),
            (
                "http://example.com/%7Euser/a%20b",
                "com,example)/~user/a%20b",
            ),
            ("http://Example.com/A?C=%5B1%5D", "com,example)/a?c=[1]"),
            ("http://user:pw@example.com/a", "com,example)/a"),
            ("https://wwwx.example.com/", "com,example,wwwx)/"),
            ("https://www.example.com:8443/", "com,example:8443)/"),
            ("http://example.com/a//b", "com,example)/a/b"),
            ("http://example.com/a/", "com,example)/a"),
            ("http://example.com//", "com,example)/"),
            ("http://example.com/a/b/../", "com,example)/a"),
            ("http://example.com/a/%2e%2e/b", "com,example)/b"),
            ("http://example.com/a;p?x", "com,example)/a;p?x"),
            ("http://example.com/a?x=1/..", "com,example)/a?x=1/.."),
            (
                "http://example.com/x.html/%41/%2f?&",
                "com,example)/x.html/a?&",
            ),
        ];
        for (url, want) in cases {
            assert_eq!(surt(url), want, "{url}");
        }
    }

    #[test]
    fn surt_never_panics_on_junk() {
        for s in [
            "",
            "%",
            "%%zz",
            "http://",
            "mailto:x@y",
            "ftp://a/b",
            "héllo wörld",
        ] {
            let _ = surt(s);
        }
        assert_eq!(surt("ftp://A/B"), "ftp://a/b");
    }

    #[test]
    fn line_format_and_timestamp() {
        let r = RecordRef {
            record_id: "urn:uuid:x".into(),
            warc_file: "citecheck-20201102093015-00000.warc.gz".into(),
            offset: 328,
            length: 1234,
            payload_digest: "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ".into(),
            block_digest: String::new(),
            warc_date: "2020-11-02T09:30:15.123456Z".into(),
            target_uri: "https://www.overheidvannu.nl/actueel/x".into(),
        };
        let line = cdxj_line(&r, "text/html; charset=UTF-8", Some(200));
        assert_eq!(
            line,
            "nl,overheidvannu)/actueel/x 20201102093015 {\"url\": \"https://www.overheidvannu.nl/actueel/x\", \"mime\": \"text/html\", \"status\": \"200\", \"digest\": \"sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ\", \"length\": \"1234\", \"offset\": \"328\", \"filename\": \"citecheck-20201102093015-00000.warc.gz\"}"
        );
    }

    #[test]
    fn index_warc_lists_responses_revisits_and_texts() {
        use crate::archive::warc::WarcWriter;
        use crate::archive::warc::tests::exchange;
        let dir = tempfile::tempdir().unwrap();
        let mut w = WarcWriter::create(dir.path(), &[]).unwrap();
        let moved = exchange(
            "http://example.nl/oud",
            "HTTP/1.1 301 Moved Permanently",
            "",
            b"",
        );
        let page = exchange(
            "https://www.example.nl/nieuws/?b=2&a=1",
            "HTTP/1.1 200 OK",
            "Content-Type: text/html; charset=windows-1252\r\n",
            b"<p>Hallo</p>",
        );
        let r_moved = w.write_exchange(&moved).unwrap();
        let r_page = w.write_exchange(&page).unwrap();
        let r_rev = w
            .write_revisit(&page, &r_page, &r_page.target_uri, &r_page.warc_date)
            .unwrap();
        let r_text = w
            .write_text(
                "https://www.example.nl/nieuws/?b=2&a=1",
                "Hallo\n",
                None,
                page.date,
            )
            .unwrap();
        let name = w.file_name().to_string();
        let path = w.finish().unwrap();
        let lines = index_warc(&path).unwrap();
        let f = |r: &RecordRef| {
            format!(
                "\"length\": \"{}\", \"offset\": \"{}\", \"filename\": \"{name}\"}}",
                r.length, r.offset
            )
        };
        assert_eq!(
            lines,
            [
                format!(
                    "nl,example)/oud 20260105100000 {{\"url\": \"http://example.nl/oud\", \"status\": \"301\", \"digest\": \"sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ\", {}",
                    f(&r_moved)
                ),
                format!(
                    "nl,example)/nieuws?a=1&b=2 20260105100000 {{\"url\": \"https://www.example.nl/nieuws/?b=2&a=1\", \"mime\": \"text/html\", \"status\": \"200\", \"digest\": \"{}\", {}",
                    r_page.payload_digest,
                    f(&r_page)
                ),
                format!(
                    "nl,example)/nieuws?a=1&b=2 20260105100000 {{\"url\": \"https://www.example.nl/nieuws/?b=2&a=1\", \"mime\": \"warc/revisit\", \"status\": \"200\", \"digest\": \"{}\", {}",
                    r_page.payload_digest,
                    f(&r_rev)
                ),
                format!(
                    "urn:text:https://www.example.nl/nieuws/?b=2&a=1 20260105100000 {{\"url\": \"urn:text:https://www.example.nl/nieuws/?b=2&a=1\", \"mime\": \"text/plain\", \"digest\": \"{}\", {}",
                    r_text.payload_digest,
                    f(&r_text)
                ),
            ]
        );
    }

    #[test]
    fn write_index_merges_sorts_and_dedups() {
        let dir = tempfile::tempdir().unwrap();
        write_index(dir.path(), ["b 1 {}", "a 2 {}"]).unwrap();
        write_index(
            dir.path(),
            vec![
                "a 2 {}".to_string(),
                "B 3 {}".to_string(),
                "a 1 {}".to_string(),
            ],
        )
        .unwrap();
        let text = std::fs::read_to_string(dir.path().join(INDEX_FILE)).unwrap();
        assert_eq!(text, "B 3 {}\na 1 {}\na 2 {}\nb 1 {}\n");
        // No temp files left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// An index this code wrote (sorted, clean) is merged as it is; one that is not (a
    /// concatenation, a blank line) is sorted first: the same result either way.
    #[test]
    fn sorted_old_index_is_merged_without_a_sort() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(INDEX_FILE);
        for (old, sorted) in [
            ("a 1 {}\nc 1 {}\nc 1 {}\nd 1 {}\n", true),
            ("a 1 {}\nc 1 {}\nd 1 {}", true),
            ("c 1 {}\na 1 {}\nd 1 {}\n", false),
            ("a 1 {}\n\nc 1 {}\nd 1 {}\n", false),
        ] {
            std::fs::write(&path, old).unwrap();
            let file = std::fs::File::open(&path).unwrap();
            assert_eq!(is_sorted_and_clean(&file).unwrap(), sorted, "{old:?}");
            write_index(dir.path(), ["b 1 {}", "c 1 {}", "e 1 {}"]).unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(text, "a 1 {}\nb 1 {}\nc 1 {}\nd 1 {}\ne 1 {}\n", "{old:?}");
        }
        std::fs::write(&path, "a 1 {}\r\nc 1 {}\n").unwrap();
        assert!(!is_sorted_and_clean(&std::fs::File::open(&path).unwrap()).unwrap());
    }

    /// Lines spilled in many small sorted runs (and an old, unsorted index) merge into the
    /// same index a whole in-memory sort gives.
    #[test]
    fn index_lines_spill_and_merge_like_a_full_sort() {
        let dir = tempfile::tempdir().unwrap();
        // An old index as a concatenation of shards would be: not sorted, with a repeat.
        std::fs::write(dir.path().join(INDEX_FILE), "z 9 {}\nc 1 {}\nz 9 {}\n").unwrap();
        let mut lines: Vec<String> = (0..500)
            .map(|i| format!("k{:03} {} {{}}", (i * 7919) % 211, i % 3))
            .collect();
        lines.push("c 1 {}".into());
        lines.push("with\nbreak".into());
        lines.push("   ".into());
        let mut index = IndexLines::with_limit(dir.path(), 200);
        for line in &lines {
            index.push(line.clone()).unwrap();
        }
        assert!(index.sort.spilled() > 10, "{} runs", index.sort.spilled());
        index.finish().unwrap();

        let mut expected: Vec<String> = lines
            .iter()
            .map(|l| l.replace('\n', " "))
            .filter(|l| !l.trim().is_empty())
            .chain(["z 9 {}".to_string()])
            .collect();
        expected.sort();
        expected.dedup();
        let text = std::fs::read_to_string(dir.path().join(INDEX_FILE)).unwrap();
        let got: Vec<&str> = text.lines().collect();
        assert_eq!(got, expected);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
