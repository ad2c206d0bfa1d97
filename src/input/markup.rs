//! HTML and Markdown documents for `ingest`, turned into the plain text the layout rules
//! read.
//!
//! Takes the document's text and returns lines in which a quotation is marked as a plain
//! text export would mark it and a citation link stands right after its words:
//! - HTML: `<blockquote>` becomes `“…”` (its own paragraphs joined; a `<footer>` or `<cite>`
//!   inside it, the attribution, follows the closing mark), `<q>` becomes `“…”`, a link
//!   `<a href="https://…">words</a>` becomes `words (https://…)`, a `cite` attribute follows
//!   its quotation the same way; headings, paragraphs and list items are lines of their own
//!   (list items with a bullet); scripts, styles and comments are dropped; character
//!   references are decoded.
//! - Markdown: `> ` blocks become `“…”` (a last `> — Name` line is the attribution);
//!   `[words](url)` becomes `words (url)`; `<https://…>` autolinks and bare URLs stay;
//!   `# ` heading marks, `**`/`__` emphasis and `[^n]` footnote carets are dropped so the
//!   footnote rules see `[n]`.

/// Elements whose content is never text.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "math", "head", "iframe", "object",
];
/// Elements that end a paragraph.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "nav",
    "aside",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "table",
    "tr",
    "figure",
    "figcaption",
    "hr",
    "pre",
    "dl",
    "dt",
    "dd",
    "address",
    "form",
    "fieldset",
    "details",
    "summary",
    "body",
    "html",
];

/// One open element that changes the output when it closes.
#[derive(Debug)]
enum Open {
    /// A quotation (`<blockquote>` or `<q>`): the closing mark, then its `cite` URL.
    Quote { cite: Option<String>, block: bool },
    /// A link: its absolute http(s) URL.
    Link(String),
    /// An attribution inside a blockquote: its text goes after the closing mark.
    Attribution,
}

/// An HTML document as plain text lines.
pub(crate) fn html_to_text(src: &str) -> String {
    let mut out = String::new();
    let mut stack: Vec<(String, Open)> = Vec::new();
    // Attribution text waiting for its blockquote's closing mark.
    let mut attribution = String::new();
    let mut pos = 0;
    let bytes = src.as_bytes();
    while pos < src.len() {
        let Some(rel) = src[pos..].find('<') else {
            push_text(&mut out, &mut attribution, &stack, &src[pos..]);
            break;
        };
        push_text(&mut out, &mut attribution, &stack, &src[pos..pos + rel]);
        pos += rel;
        if src[pos..].starts_with("<!--") {
            pos = src[pos..].find("-->").map_or(src.len(), |e| pos + e + 3);
            continue;
        }
        let Some(end) = tag_end(bytes, pos) else {
            push_text(&mut out, &mut attribution, &stack, &src[pos..]);
            break;
        };
        let tag = &src[pos + 1..end];
        pos = end + 1;
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        if !closing && SKIPPED.contains(&name.as_str()) {
            let close = format!("</{name}");
            let lower = src[pos..].to_ascii_lowercase();
            pos = lower
                .find(&close)
                .and_then(|e| src[pos + e..].find('>').map(|g| pos + e + g + 1))
                .unwrap_or(src.len());
            continue;
        }
        let in_quote = stack
            .iter()
            .any(|(_, o)| matches!(o, Open::Quote { block: true, .. }));
        match (closing, name.as_str()) {
            (false, "blockquote") => {
                paragraph(&mut out);
                out.push('“');
                stack.push((
                    name,
                    Open::Quote {
                        cite: attr(tag, "cite").filter(|u| is_web(u)),
                        block: true,
                    },
                ));
            }
            (false, "q") => {
                out.push('“');
                stack.push((
                    name,
                    Open::Quote {
                        cite: attr(tag, "cite").filter(|u| is_web(u)),
                        block: false,
                    },
                ));
            }
            (false, "a") => {
                if let Some(href) = attr(tag, "href").filter(|u| is_web(u)) {
                    stack.push((name, Open::Link(href)));
                }
            }
            (false, "footer" | "cite") if in_quote => {
                stack.push((name, Open::Attribution));
            }
            (true, _) => {
                let Some(at) = stack.iter().rposition(|(n, _)| *n == name) else {
                    if BLOCKS.contains(&name.as_str()) && !in_quote {
                        paragraph(&mut out);
                    }
                    continue;
                };
                for (_, open) in stack.drain(at..).rev().collect::<Vec<_>>() {
                    match open {
                        Open::Quote { cite, block } => {
                            trim_end_in_place(&mut out);
                            out.push('”');
                            if !attribution.trim().is_empty() {
                                out.push(' ');
                                out.push_str(attribution.trim());
                                attribution.clear();
                            }
                            if let Some(cite) = cite {
                                out.push_str(&format!(" ({cite})"));
                            }
                            if block {
                                paragraph(&mut out);
                            }
                        }
                        Open::Link(href) => {
                            let target =
                                if stack.iter().any(|(_, o)| matches!(o, Open::Attribution)) {
                                    &mut attribution
                                } else {
                                    &mut out
                                };
                            let text_is_url = target.trim_end().ends_with(href.as_str());
                            if !text_is_url {
                                target.push_str(&format!(" ({href})"));
                            }
                        }
                        Open::Attribution => {}
                    }
                }
            }
            (false, "br") => out.push('\n'),
            (false, "li") => {
                out.push_str("\n• ");
            }
            (false, n) if BLOCKS.contains(&n) && !in_quote => paragraph(&mut out),
            _ => {}
        }
    }
    out
}

/// Is this an absolute http(s) URL?
fn is_web(u: &str) -> bool {
    let l = u.trim().to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

/// The end (`>`) of the tag starting at `start`, quotes in attribute values respected.
fn tag_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (k, &b) in bytes.iter().enumerate().skip(start + 1) {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return Some(k),
            _ => {}
        }
    }
    None
}

/// The decoded value of attribute `name` in a tag's source.
fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(rel) = lower[from..].find(name) {
        let at = from + rel;
        from = at + name.len();
        let before_ok = lower[..at]
            .chars()
            .next_back()
            .is_some_and(char::is_whitespace);
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let value_start = tag.len() - rest.len() + 1;
        let value = tag[value_start..].trim_start();
        let raw = match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or(""),
            _ => value.split(char::is_whitespace).next().unwrap_or(""),
        };
        return Some(html_escape::decode_html_entities(raw).trim().to_string());
    }
    None
}

/// Text of the page, white space collapsed, to the output or to a waiting attribution.
fn push_text(out: &mut String, attribution: &mut String, stack: &[(String, Open)], raw: &str) {
    if raw.is_empty() {
        return;
    }
    let decoded = html_escape::decode_html_entities(raw);
    let target = if stack.iter().any(|(_, o)| matches!(o, Open::Attribution)) {
        attribution
    } else {
        out
    };
    let starts_space = decoded.starts_with(char::is_whitespace);
    let ends_space = decoded.ends_with(char::is_whitespace);
    let words: Vec<&str> = decoded.split_whitespace().collect();
    if words.is_empty() {
        if starts_space && !target.ends_with([' ', '\n', '“']) && !target.is_empty() {
            target.push(' ');
        }
        return;
    }
    if starts_space && !target.ends_with([' ', '\n', '“']) && !target.is_empty() {
        target.push(' ');
    }
    target.push_str(&words.join(" "));
    if ends_space {
        target.push(' ');
    }
}

fn trim_end_in_place(s: &mut String) {
    while s.ends_with([' ', '\t']) {
        s.pop();
    }
}

/// End the current paragraph: a blank line.
fn paragraph(out: &mut String) {
    trim_end_in_place(out);
    if out.is_empty() || out.ends_with("\n\n") {
        return;
    }
    out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
}

/// A Markdown document as plain text lines.
pub(crate) fn markdown_to_text(src: &str) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = src.lines().collect();
    let mut k = 0;
    while k < lines.len() {
        let line = lines[k];
        if line.trim_start().starts_with('>') {
            let mut body: Vec<String> = Vec::new();
            while k < lines.len() && lines[k].trim_start().starts_with('>') {
                let inner = lines[k].trim_start()[1..].trim();
                body.push(inline(inner));
                k += 1;
            }
            // `> — Name`: the attribution, after the closing mark.
            let attribution = body
                .last()
                .filter(|l| l.starts_with(['—', '–', '-', '~']) && body.len() > 1)
                .cloned();
            if attribution.is_some() {
                body.pop();
            }
            let text = body
                .iter()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let marked = text.starts_with(['“', '‘', '„', '«', '"', '\'']);
            out.push('\n');
            if marked {
                out.push_str(&text);
            } else {
                out.push('“');
                // A link at the end of the quoted words stays after the closing mark.
                let (words, link) = split_trailing_link(&text);
                out.push_str(words.trim_end());
                out.push('”');
                out.push_str(link);
            }
            if let Some(a) = attribution {
                out.push(' ');
                out.push_str(&a);
            }
            out.push_str("\n\n");
            continue;
        }
        let t = line.trim_start();
        let t = t.trim_start_matches('#');
        let heading = t.len() < line.trim_start().len();
        out.push_str(&inline(if heading { t.trim() } else { line }));
        out.push('\n');
        if heading {
            out.push('\n');
        }
        k += 1;
    }
    out
}

/// `words (https://…)` at the end of a text: the words and the link part.
fn split_trailing_link(text: &str) -> (&str, &str) {
    if text.ends_with(')')
        && let Some(open) = text.rfind(" (http")
    {
        return (&text[..open], &text[open..]);
    }
    (text, "")
}

/// Inline Markdown: links to `words (url)`, emphasis marks and footnote carets dropped.
fn inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '[' {
            // `[^3]` → `[3]`; `[^3]:` at a line start → `[3]`.
            if let Some(r) = rest.strip_prefix("[^") {
                let n: String = r.chars().take_while(char::is_ascii_digit).collect();
                if !n.is_empty() && r[n.len()..].starts_with(']') {
                    out.push_str(&format!("[{n}]"));
                    rest = &r[n.len() + 1..];
                    if out.len() == n.len() + 2 {
                        rest = rest.strip_prefix(':').unwrap_or(rest);
                    }
                    continue;
                }
            }
            if let Some(close) = rest.find("](")
                && let Some(end) = rest[close + 2..].find(')')
            {
                let words = &rest[1..close];
                let url = rest[close + 2..close + 2 + end].trim();
                let url = url.split_whitespace().next().unwrap_or("");
                out.push_str(words);
                if is_web(url) && words.trim() != url {
                    out.push_str(&format!(" ({url})"));
                }
                rest = &rest[close + 3 + end..];
                continue;
            }
        }
        if rest.starts_with("**") || rest.starts_with("__") {
            rest = &rest[2..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_blockquote_q_and_links() {
        let html = r#"<!doctype html><html><head><title>x</title><style>p{}</style></head>
<body><h2>Samen werken</h2>
<p>De wethouder zei <q>wij doen het samen &amp; snel</q> op de raad
(<a href="https://www.example.nl/raad/2021-03">verslag</a>).</p>
<blockquote cite="https://www.example.org/interview"><p>Het moet sneller.</p>
<p>En met minder regels.</p><footer>— <cite>Minister Jansen</cite></footer></blockquote>
<!-- <p>“niet dit”</p> --><script>var a = "“niet”";</script>
<ul><li>Eerste</li><li><a href="/relatief">Tweede</a></li></ul></body></html>"#;
        let text = html_to_text(html);
        assert!(text.contains("Samen werken\n\n"), "{text}");
        assert!(
            text.contains(
                "De wethouder zei “wij doen het samen & snel” op de raad (verslag (https://www.example.nl/raad/2021-03))."
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "“Het moet sneller. En met minder regels.” — Minister Jansen (https://www.example.org/interview)"
            ),
            "{text}"
        );
        assert!(!text.contains("niet"), "{text}");
        assert!(text.contains("• Eerste\n• Tweede"), "{text}");
    }

    #[test]
    fn markdown_quotes_links_and_footnotes() {
        let md = "# Rijk en regio\n\n> Wij werken **samen** met de buurgemeenten.\n> — Wethouder Smit\n\nZie [het verslag](https://www.example.nl/verslag) en <https://www.example.org/a>.\n\nZij zei: “Het kan beter.”[^2]\n\n[^2]: https://www.example.com/b\n";
        let text = markdown_to_text(md);
        assert!(text.starts_with("Rijk en regio\n\n"), "{text}");
        assert!(
            text.contains("“Wij werken samen met de buurgemeenten.” — Wethouder Smit"),
            "{text}"
        );
        assert!(
            text.contains(
                "Zie het verslag (https://www.example.nl/verslag) en <https://www.example.org/a>."
            ),
            "{text}"
        );
        assert!(text.contains("“Het kan beter.”[2]"), "{text}");
        assert!(text.contains("[2] https://www.example.com/b"), "{text}");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(t in "[<>a-zA-Z/=\"' !\\[\\]()^:#*_>“”İ\n-]{0,120}") {
            let _ = html_to_text(&t);
            let _ = markdown_to_text(&t);
        }
    }
}
