//! The links of an HTML page, for `check`/`run` given HTML files or page URLs as inputs:
//! every `href` of `<a>` and `<area>` and every `cite` of `<blockquote>`, `<q>`, `<del>` and
//! `<ins>`, with the byte offset of its tag (for the line number), and the page's `<base
//! href>`. Read with the extractor's tokenizer, so references in attribute values are
//! decoded as a browser decodes them and nothing inside scripts, styles or comments counts.

use super::dom::Attr;
use super::tokenize::{State, Token, Tokenizer};

/// One link as the page writes it (references decoded, not yet resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLink {
    /// Byte offset of the end of the tag that holds it.
    pub offset: usize,
    /// The attribute value, trimmed.
    pub href: String,
}

/// The links of a page, in document order, and its first `<base href>`.
pub fn page_links(html: &str) -> (Vec<PageLink>, Option<String>) {
    let mut tok = Tokenizer::new(html);
    let mut attrs: Vec<Attr<'_>> = Vec::new();
    let mut links = Vec::new();
    let mut base = None;
    loop {
        attrs.clear();
        match tok.next(&mut attrs) {
            Token::Eof => break,
            Token::Start { name, .. } => {
                let wanted = match name.as_ref() {
                    "a" | "area" => Some("href"),
                    "blockquote" | "q" | "del" | "ins" => Some("cite"),
                    "base" => {
                        if base.is_none() {
                            base = value(&attrs, "href");
                        }
                        None
                    }
                    _ => None,
                };
                if let Some(href) = wanted.and_then(|a| value(&attrs, a)) {
                    links.push(PageLink {
                        offset: tok.position(),
                        href,
                    });
                }
                // The content of these elements is never markup.
                match name.as_ref() {
                    "script" => tok.switch(State::ScriptData, "script"),
                    "style" => tok.switch(State::Rawtext, "style"),
                    "xmp" => tok.switch(State::Rawtext, "xmp"),
                    "iframe" => tok.switch(State::Rawtext, "iframe"),
                    "noembed" => tok.switch(State::Rawtext, "noembed"),
                    "noframes" => tok.switch(State::Rawtext, "noframes"),
                    "title" => tok.switch(State::Rcdata, "title"),
                    "textarea" => tok.switch(State::Rcdata, "textarea"),
                    "plaintext" => tok.switch(State::Plaintext, ""),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    (links, base)
}

fn value(attrs: &[Attr<'_>], name: &str) -> Option<String> {
    attrs
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.value.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_and_cites_in_order_with_offsets_and_base() {
        let html = "<html><head><base href=\"https://a.example/dir/\"><title><a href=x></title>\
<script>var s = '<a href=\"https://no.example/\">';</script></head>\n<body>\
<!-- <a href=\"https://comment.example/\"> -->\n<p><a href=\"https://b.example/?x=1&amp;y=2\">b</a>\
<blockquote cite=\" https://c.example/q \">q</blockquote><a name=top></a><area href=rel/page></body>";
        let (links, base) = page_links(html);
        assert_eq!(base.as_deref(), Some("https://a.example/dir/"));
        let hrefs: Vec<&str> = links.iter().map(|l| l.href.as_str()).collect();
        assert_eq!(
            hrefs,
            [
                "https://b.example/?x=1&y=2",
                "https://c.example/q",
                "rel/page"
            ]
        );
        let line = |offset: usize| html[..offset].matches('\n').count() + 1;
        assert_eq!(line(links[0].offset), 3);
    }
}
