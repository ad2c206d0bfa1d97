//! Cuts never-text spans out of raw HTML before it is parsed.
//!
//! Takes the page source and returns [`Stripped`]: the source without `<script>`, `<style>`,
//! `<noscript>`, `<template>`, `<svg>` elements and comments, plus the bodies of JSON-LD
//! scripts (kept aside for metadata). On news pages those spans are most of the bytes
//! (about 60 % on the benchmark), so the HTML parser gets less than half the input. The
//! scan follows the tokenizer's own rule for these elements (their content ends at the
//! first matching end tag), so the parse of what remains is the same as before.
//!
//! Then [`cap_depth`] drops the tags (not the text) of elements nested deeper than
//! [`MAX_DEPTH`]: the parser's cost grows with the square of the nesting depth, and a
//! hostile page of nested `<div>`s would otherwise hold a run for hours.

use std::collections::HashMap;

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
    Stripped {
        html: cap_depth(html),
        json_ld,
    }
}

/// Deepest element nesting handed to the parser. html5ever walks its stack of open elements
/// for every end tag, so N nested elements cost O(N²): 100,000 nested `<div>`s (500 kB)
/// took more than two minutes. Real pages stay under about 100 levels; Blink stops nesting
/// at 512 too.
pub(super) const MAX_DEPTH: usize = 512;

/// Elements a sibling or parent closes implicitly (`<p>a<p>b`): they never nest by
/// themselves, so they are not counted (their end tags are often left out).
const IMPLIED_END: &[&[u8]] = &[
    b"p",
    b"li",
    b"dt",
    b"dd",
    b"option",
    b"optgroup",
    b"tr",
    b"td",
    b"th",
    b"thead",
    b"tbody",
    b"tfoot",
    b"rb",
    b"rt",
    b"rp",
    b"rtc",
    b"colgroup",
    b"caption",
    b"html",
    b"head",
    b"body",
];

/// Elements without content or end tag.
const VOID: &[&[u8]] = &[
    b"area",
    b"base",
    b"br",
    b"col",
    b"embed",
    b"hr",
    b"img",
    b"input",
    b"link",
    b"meta",
    b"source",
    b"track",
    b"wbr",
    b"param",
    b"keygen",
    b"basefont",
    b"bgsound",
    b"frame",
    b"image",
];

/// Drops the start tags that would open an element deeper than [`MAX_DEPTH`], and the end
/// tags that match them; their text stays, one level up. Depth is counted over start and
/// end tags of the same name (a stray end tag does not lower it), leaving out void and
/// implicitly closed elements; a `/>` does not close an HTML element, so it counts too.
pub(super) fn cap_depth(html: String) -> String {
    let bytes = html.as_bytes();
    // Fewer tags than the limit cannot nest deeper than it.
    if memchr::memchr_iter(b'<', bytes).count() <= MAX_DEPTH {
        return html;
    }
    let mut out = String::with_capacity(html.len());
    let mut open: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut dropped: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut depth = 0usize;
    let (mut kept_from, mut pos) = (0usize, 0usize);
    while let Some(off) = memchr(b'<', bytes.get(pos..).unwrap_or(&[])) {
        let lt = pos + off;
        pos = lt + 1;
        let is_end = bytes.get(lt + 1) == Some(&b'/');
        let name_start = lt + 1 + usize::from(is_end);
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let name_len = bytes
            .get(name_start..)
            .unwrap_or(&[])
            .iter()
            .take_while(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>'))
            .count();
        let name = bytes
            .get(name_start..name_start + name_len)
            .unwrap_or(&[])
            .to_ascii_lowercase();
        let Some(gt) = tag_end(bytes, name_start + name_len) else {
            break;
        };
        pos = gt + 1;
        if VOID.contains(&name.as_slice()) || IMPLIED_END.contains(&name.as_slice()) {
            continue;
        }
        let cut = if is_end {
            match (dropped.get_mut(&name), open.get_mut(&name)) {
                (Some(n), _) if *n > 0 => {
                    *n -= 1;
                    true
                }
                (_, Some(n)) if *n > 0 => {
                    *n -= 1;
                    depth = depth.saturating_sub(1);
                    false
                }
                _ => false,
            }
        } else if depth >= MAX_DEPTH {
            *dropped.entry(name).or_default() += 1;
            true
        } else {
            *open.entry(name).or_default() += 1;
            depth += 1;
            false
        };
        if cut {
            push_kept(&mut out, &html, kept_from, lt);
            kept_from = gt + 1;
        }
    }
    push_kept(&mut out, &html, kept_from, bytes.len());
    out
}

/// The `>` that ends a tag whose attributes start at `from`, skipping quoted values as the
/// tokenizer does; `None` when the input ends first.
fn tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    let mut after_equals = false;
    for (i, &b) in bytes.get(from..)?.iter().enumerate() {
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
            continue;
        }
        match b {
            b'>' => return Some(from + i),
            b'"' | b'\'' if after_equals => quote = Some(b),
            b'=' => {
                after_equals = true;
                continue;
            }
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => continue,
            _ => {}
        }
        after_equals = false;
    }
    None
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
    fn deep_nesting_is_capped_and_its_text_kept() {
        let n = 100_000;
        let page = format!(
            "<html><body>{}<p>Diep verstopt</p>{}<p>Daarna</p></body></html>",
            "<div class=\"x > y\">".repeat(n),
            "</div>".repeat(n)
        );
        let capped = strip(&page).html;
        assert_eq!(capped.matches("<div").count(), MAX_DEPTH);
        assert_eq!(capped.matches("</div>").count(), MAX_DEPTH);
        assert!(capped.contains("<p>Diep verstopt</p>"));
        let started = std::time::Instant::now();
        let article = crate::extract::extract_article(&page, None);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        assert!(article.text.contains("Diep verstopt"), "{}", article.text);
    }

    #[test]
    fn stray_end_tags_do_not_hide_depth_and_shallow_pages_are_untouched() {
        let page = "<div></x>".repeat(2000);
        assert_eq!(cap_depth(page).matches("<div>").count(), MAX_DEPTH);
        // Many tags, little depth: unchanged.
        let flat = "<p>a<br><span>b</span><li>c<img src=x><div>d</div>".repeat(500);
        assert_eq!(cap_depth(flat.clone()), flat);
        // Quoted `>` inside attribute values does not end the tag.
        assert_eq!(tag_end(b" title='a>b' x>", 0), Some(14));
        assert_eq!(tag_end(b" a=\"1\">", 0), Some(6));
        assert_eq!(tag_end(b" a=\"open", 0), None);
    }

    #[test]
    fn textarea_text_is_not_taken_for_tags() {
        let s = strip("<textarea><script></textarea><p>y</p>");
        assert_eq!(s.html, "<textarea><script></textarea><p>y</p>");
    }
}
