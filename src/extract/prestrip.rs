//! Cuts never-text spans out of raw HTML before it is parsed.
//!
//! Takes the page source and returns [`Stripped`]: the source without `<script>`, `<style>`,
//! `<noscript>`, `<template>`, `<svg>` elements and comments, plus the bodies of JSON-LD
//! scripts (kept aside for metadata). On news pages those spans are most of the bytes
//! (about 60 % on the benchmark), so the HTML parser gets less than half the input. The
//! scan follows the tokenizer's own rule for these elements (their content ends at the
//! first matching end tag), so the parse of what remains is the same as before.

use memchr::memchr;

/// The page source with never-text spans removed.
pub(super) struct Stripped {
    /// HTML left for the parser.
    pub html: String,
    /// Contents of `<script type="application/ld+json">` elements, in order.
    pub json_ld: Vec<String>,
}

/// Raw-text elements whose whole content is dropped, with their end-tag names.
const RAW: &[&[u8]] = &[
    b"script",
    b"style",
    b"noscript",
    b"template",
    b"svg",
    b"textarea",
];

/// Removes scripts, styles, comments and similar spans (see the module docs).
pub(super) fn strip(src: &str) -> Stripped {
    let bytes = src.as_bytes();
    let mut html = String::with_capacity(src.len() / 2);
    let mut json_ld = Vec::new();
    let mut kept_from = 0usize;
    let mut pos = 0usize;
    while let Some(off) = memchr(b'<', bytes.get(pos..).unwrap_or(&[])) {
        let lt = pos + off;
        let rest = bytes.get(lt + 1..).unwrap_or(&[]);
        if rest.starts_with(b"!--") {
            // A comment runs to the next `-->` (or to the end of the input).
            let body = lt + 4;
            let end = find(bytes, body, b"-->").map_or(bytes.len(), |e| e + 3);
            push_kept(&mut html, src, kept_from, lt);
            kept_from = end;
            pos = end;
            continue;
        }
        let Some(name) = RAW.iter().find(|n| starts_tag(rest, n)) else {
            pos = lt + 1;
            continue;
        };
        // End of the start tag; a `>` inside a quoted attribute value is rare enough for a
        // stripper that only ever removes never-text spans.
        let Some(gt) = memchr(b'>', rest).map(|g| lt + 1 + g) else {
            break;
        };
        let content_start = gt + 1;
        // `<textarea>` is kept (it is form chrome the extractor skips anyway), and only
        // skipped over here so that a `<script` inside its text is not taken for a tag.
        let end_tag = find_end_tag(bytes, content_start, name);
        let (content_end, after) = end_tag.unwrap_or((bytes.len(), bytes.len()));
        if *name == b"textarea" {
            pos = after;
            continue;
        }
        if *name == b"script" {
            let open = bytes.get(lt..gt).unwrap_or(&[]);
            if contains_ci(open, b"ld+json")
                && let Some(body) = src.get(content_start..content_end)
            {
                json_ld.push(body.to_string());
            }
        }
        push_kept(&mut html, src, kept_from, lt);
        kept_from = after;
        pos = after;
    }
    push_kept(&mut html, src, kept_from, bytes.len());
    Stripped { html, json_ld }
}

fn push_kept(out: &mut String, src: &str, from: usize, to: usize) {
    // Every cut is at an ASCII `<` or just after an ASCII `>`, so these are char boundaries;
    // `get` keeps a bad index from panicking all the same.
    if from < to
        && let Some(s) = src.get(from..to)
    {
        out.push_str(s);
    }
}

/// Whether `rest` (the bytes after `<`) starts the tag `name`: the name, case-insensitive,
/// followed by whitespace, `>` or `/`.
fn starts_tag(rest: &[u8], name: &[u8]) -> bool {
    rest.len() > name.len()
        && rest
            .get(..name.len())
            .is_some_and(|r| r.eq_ignore_ascii_case(name))
        && matches!(
            rest.get(name.len()),
            Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'>' | b'/')
        )
}

/// Finds `</name` (case-insensitive, followed by a delimiter) from `from`; returns the
/// content end and the index just past the end tag's `>`.
fn find_end_tag(bytes: &[u8], from: usize, name: &[u8]) -> Option<(usize, usize)> {
    let mut pos = from;
    while let Some(off) = memchr(b'<', bytes.get(pos..)?) {
        let lt = pos + off;
        let rest = bytes.get(lt + 1..)?;
        if rest.first() == Some(&b'/') && starts_tag(rest.get(1..)?, name) {
            let gt = memchr(b'>', rest).map_or(bytes.len(), |g| lt + 1 + g + 1);
            return Some((lt, gt));
        }
        pos = lt + 1;
    }
    None
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let hay = bytes.get(from..)?;
    memchr::memmem::find(hay, needle).map(|i| from + i)
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_scripts_styles_comments_and_keeps_json_ld() {
        let s = strip(
            "<p>a<!-- x <p>no</p> -->b</p><SCRIPT type=\"application/ld+json\">{\"k\":1}</script >\
             <script>if (a<b) document.write('</p>')</script><style>p{}</style><svg><text>no</text></svg>\
             <scripts>kept</scripts><p>é</p>",
        );
        assert_eq!(s.html, "<p>ab</p><scripts>kept</scripts><p>é</p>");
        assert_eq!(s.json_ld, vec!["{\"k\":1}".to_string()]);
    }

    #[test]
    fn unterminated_spans_run_to_the_end() {
        assert_eq!(strip("<p>x</p><!-- open").html, "<p>x</p>");
        assert_eq!(strip("<p>x</p><script>var a").html, "<p>x</p>");
        assert_eq!(strip("<p>x</p><script").html, "<p>x</p><script");
    }

    #[test]
    fn textarea_text_is_not_taken_for_tags() {
        let s = strip("<textarea><script></textarea><p>y</p>");
        assert_eq!(s.html, "<textarea><script></textarea><p>y</p>");
    }
}
