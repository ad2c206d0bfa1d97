//! Turning a body as received into text: undo `Content-Encoding` (gzip, deflate, br) within a
//! decoded-size cap, then decode the charset in the HTML5 order — BOM, HTTP `charset`,
//! `<meta charset>` in the first 1024 bytes, a `chardetng` guess, windows-1252 (docs/links.md §7).
//! `Response::text()` only reads the header, which garbles `<meta charset=windows-1252>` pages.

use std::borrow::Cow;
use std::io::Read;

use encoding_rs::Encoding;

/// Cap on a decompressed body: a gzip bomb stops here.
pub const MAX_DECODED_BODY: usize = 50 * 1024 * 1024;

/// Undoes the content encodings named in `content_encoding` (last applied first).
/// Fails with a readable reason on a corrupt stream or a body over `max_decoded` bytes.
pub fn decode_content(
    content_encoding: Option<&str>,
    raw: &[u8],
    max_decoded: usize,
) -> Result<Vec<u8>, String> {
    decode_content_borrowed(content_encoding, raw, max_decoded).map(Cow::into_owned)
}

/// [`decode_content`] that hands back `raw` itself when nothing is to be undone (most
/// pages): a big body is not copied.
pub fn decode_content_borrowed<'a>(
    content_encoding: Option<&str>,
    raw: &'a [u8],
    max_decoded: usize,
) -> Result<Cow<'a, [u8]>, String> {
    let mut data = Cow::Borrowed(raw);
    let Some(header) = content_encoding else {
        return Ok(data);
    };
    for coding in header.rsplit(',').map(|c| c.trim().to_ascii_lowercase()) {
        data = match coding.as_str() {
            "" | "identity" => data,
            "gzip" | "x-gzip" => Cow::Owned(read_capped(
                flate2::read::MultiGzDecoder::new(&data[..]),
                max_decoded,
                "gzip",
            )?),
            "deflate" => {
                // Servers send both zlib-wrapped and raw deflate under this name.
                Cow::Owned(
                    match read_capped(
                        flate2::read::ZlibDecoder::new(&data[..]),
                        max_decoded,
                        "deflate",
                    ) {
                        Ok(d) => d,
                        Err(e) if e.contains("larger than") => return Err(e),
                        Err(_) => read_capped(
                            flate2::read::DeflateDecoder::new(&data[..]),
                            max_decoded,
                            "deflate",
                        )?,
                    },
                )
            }
            "br" => Cow::Owned(read_capped(
                brotli_decompressor::Decompressor::new(&data[..], 4096),
                max_decoded,
                "brotli",
            )?),
            other => return Err(format!("unsupported Content-Encoding '{other}'")),
        };
    }
    Ok(data)
}

fn read_capped(reader: impl Read, max: usize, name: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| format!("corrupt {name} body: {e}"))?;
    if out.len() > max {
        return Err(format!(
            "{name} body decompresses to more than {} MiB (decompression bomb?)",
            max / (1024 * 1024)
        ));
    }
    Ok(out)
}

/// The `charset` parameter of a `Content-Type` value.
pub fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
    })
}

/// The charset a `<meta>` declares in the first 1024 bytes.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(1024)];
    let lower: Vec<u8> = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = memchr::memmem::find(&lower[from..], b"<meta") {
        let start = from + pos;
        let end = memchr::memchr(b'>', &lower[start..]).map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(cpos) = memchr::memmem::find(tag, b"charset") {
            let rest = &tag[cpos + 7..];
            let rest = rest.trim_ascii_start();
            if let Some(rest) = rest.strip_prefix(b"=") {
                let value: Vec<u8> = rest
                    .trim_ascii_start()
                    .iter()
                    .copied()
                    .skip_while(|b| *b == b'"' || *b == b'\'')
                    .take_while(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.')
                    })
                    .collect();
                if let Some(enc) = Encoding::for_label(&value) {
                    return Some(enc);
                }
            }
        }
        from = end.max(start + 5);
    }
    None
}

/// Decodes a body to text. Returns the text and the encoding used. When a declared UTF-8
/// gives many replacement characters, the page lied: the chardetng guess is used instead.
pub fn decode_text(bytes: &[u8], content_type: Option<&str>) -> (String, &'static Encoding) {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), enc);
    }
    let declared = content_type
        .and_then(charset_param)
        .and_then(|label| Encoding::for_label(label.as_bytes()))
        .or_else(|| meta_charset(bytes));
    // UTF-16 declared in a meta tag of an ASCII-compatible page is a lie the spec overrides.
    let declared = declared.map(|e| {
        if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE {
            encoding_rs::UTF_8
        } else {
            e
        }
    });
    if let Some(enc) = declared {
        let (text, _, had_errors) = enc.decode(bytes);
        if !had_errors || enc != encoding_rs::UTF_8 {
            return (text.into_owned(), enc);
        }
        let bad = text.chars().filter(|c| *c == '\u{FFFD}').count();
        if bad * 200 < text.chars().count().max(1) {
            return (text.into_owned(), enc);
        }
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let enc = detector.guess(Some(b"nl"), chardetng::Utf8Detection::Allow);
    let (text, _, _) = enc.decode(bytes);
    (text.into_owned(), enc)
}

/// Whether a body looks like binary data rather than text (NUL bytes in its head).
pub fn looks_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)].contains(&0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn windows_1252_meta_only_page_decodes_curly_quotes_and_diaeresis() {
        let mut page = b"<html><head><meta charset=\"windows-1252\"><title>".to_vec();
        page.extend_from_slice(b"\x91Samenwerken\x92 in Lieving\xebrveld");
        page.extend_from_slice(b"</title></head></html>");
        let (text, enc) = decode_text(&page, Some("text/html"));
        assert_eq!(enc, encoding_rs::WINDOWS_1252);
        assert!(text.contains("‘Samenwerken’ in Lievingërveld"));
    }

    #[test]
    fn header_charset_wins_over_meta_and_latin1_means_1252() {
        let page = b"<meta charset=utf-8><p>caf\xe9 \x93x\x94</p>";
        let (text, enc) = decode_text(page, Some("text/html; charset=ISO-8859-1"));
        assert_eq!(enc, encoding_rs::WINDOWS_1252);
        assert!(text.contains("café “x”"));
    }

    #[test]
    fn lying_utf8_declaration_falls_back_to_a_guess() {
        let body = "<p>".to_string() + &"Een beëdigde tolk zegt één woord. ".repeat(20) + "</p>";
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&body);
        let (text, _) = decode_text(&bytes, Some("text/html; charset=utf-8"));
        assert!(text.contains("beëdigde"), "{text}");
    }

    #[test]
    fn gzip_and_bomb_cap() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&vec![b'a'; 100_000]).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(
            decode_content(Some("gzip"), &gz, 1 << 20).unwrap().len(),
            100_000
        );
        let err = decode_content(Some("gzip"), &gz, 1000).unwrap_err();
        assert!(err.contains("decompression bomb"), "{err}");
        assert!(decode_content(Some("gzip"), b"not gzip", 1000).is_err());
        assert_eq!(decode_content(None, b"x", 10).unwrap(), b"x");
    }

    #[test]
    fn raw_deflate_is_accepted_too() {
        let mut enc =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"hallo").unwrap();
        let raw = enc.finish().unwrap();
        assert_eq!(
            decode_content(Some("deflate"), &raw, 100).unwrap(),
            b"hallo"
        );
    }
}
