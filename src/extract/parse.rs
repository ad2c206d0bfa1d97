//! A small HTML parser that builds the flat [`Dom`] directly from the page source.
//!
//! Takes the page source and returns the [`Dom`] the extractor reads, with the bodies of
//! JSON-LD scripts kept aside for metadata. Why not
//! html5ever: a full standard tree builder spends most of the extraction time (about
//! 1.5 ms of 1.8 ms per news page) on work the extractor never looks at — tendril buffers,
//! a node tree with reference-counted names, a second copy into the flat list. This parser
//! scans bytes with `memchr`, borrows text and attribute values from the source (decoding
//! only where a `&` appears) and appends straight to the flat pre-order list.
//!
//! It follows the standard's tree-building rules that change which text sits in which
//! block: void elements, `<p>` closed by a following block, `<li>`/`<dt>`/`<dd>`/`<option>`
//! closing their open sibling, headings not nesting, table rows and cells closing each other
//! (with the implied `<tbody>`), end tags ignored when their element is not in scope,
//! mis-nested formatting end tags (`<b><div>x</b>`) moving the block out the way the
//! adoption agency does, raw-text and RCDATA elements, `<pre>`'s leading newline, and
//! character references. Scripts, styles, `<noscript>`, `<template>`, `<svg>` and `<math>` are
//! skipped to their end tag without being tokenized. It leaves out what does not change the
//! text: foster parenting of stray content in tables, re-opening formatting elements in the
//! next block, namespaces.
//!
//! Elements nested deeper than [`MAX_DEPTH`] are dropped with their end tags (their text
//! stays): every scope check walks the open elements, so a hostile page of 100,000 nested
//! `<div>`s would otherwise cost O(N²).
//! A test compares the extracted text with html5ever's on every fixture and benchmark page.

use std::borrow::Cow;

use memchr::memchr;

use super::charref::{self, Context};
use super::dom::{Attr, Dom, Node, Tag};

/// Parses `src` into the flat DOM.
pub(super) fn parse(src: &str) -> Dom<'_> {
    parse_with_json_ld(src).0
}

/// Parses `src` into the flat DOM; also returns the bodies of its
/// `<script type="application/ld+json">` elements, in order.
pub(super) fn parse_with_json_ld(src: &str) -> (Dom<'_>, Vec<String>) {
    let mut b = Builder::new(src.len());
    let bytes = src.as_bytes();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let Some(off) = memchr(b'<', bytes.get(pos..).unwrap_or(&[])) else {
            b.text(src, pos, bytes.len());
            break;
        };
        let lt = pos + off;
        if lt > pos {
            b.text(src, pos, lt);
        }
        pos = match bytes.get(lt + 1) {
            Some(b'!') => skip_markup_declaration(bytes, lt),
            Some(b'?') => skip_to_gt(bytes, lt + 2),
            Some(b'/') => match bytes.get(lt + 2) {
                Some(c) if c.is_ascii_alphabetic() => {
                    let (name, after) = tag_name(src, lt + 2);
                    let (_, end) = attributes(src, after, &mut Vec::new(), false);
                    b.end_tag(&name);
                    end
                }
                Some(b'>') => lt + 3,
                None => {
                    b.text(src, lt, bytes.len());
                    bytes.len()
                }
                Some(_) => skip_to_gt(bytes, lt + 2),
            },
            Some(c) if c.is_ascii_alphabetic() => {
                let (name, after) = tag_name(src, lt + 1);
                let mut attrs = std::mem::take(&mut b.attr_buf);
                let (complete, end) = attributes(src, after, &mut attrs, true);
                if !complete {
                    // A tag cut off by the end of the input is dropped, as browsers do.
                    b.attr_buf = attrs;
                    break;
                }
                let raw = b.start_tag(name, &mut attrs);
                b.attr_buf = attrs;
                match raw {
                    Some(kind) => raw_text(src, end, kind, &mut b),
                    None => end,
                }
            }
            _ => {
                // A `<` that starts no tag is text.
                b.text(src, lt, lt + 1);
                lt + 1
            }
        };
    }
    b.finish()
}

/// How the content of a raw-text element is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RawKind {
    /// Until the matching end tag, no references (`<script>`, `<style>`, `<xmp>`…).
    RawText(&'static str),
    /// A JSON-LD `<script>`: raw text kept for metadata.
    JsonLd,
    /// Until the matching end tag, references decoded (`<title>`, `<textarea>`).
    Rcdata(&'static str),
    /// The rest of the document is text.
    Plaintext,
}

/// Reads a raw-text element's content from `from`, hands it to the builder and closes the
/// element; returns where parsing goes on.
fn raw_text<'a>(src: &'a str, from: usize, kind: RawKind, b: &mut Builder<'a>) -> usize {
    let bytes = src.as_bytes();
    let (name, rcdata) = match kind {
        RawKind::Plaintext => {
            b.text(src, from, bytes.len());
            return bytes.len();
        }
        RawKind::RawText(n) => (n, false),
        RawKind::JsonLd => {
            let (content_end, after) = find_end_tag(bytes, from, b"script");
            b.json_ld
                .push(src.get(from..content_end).unwrap_or("").to_string());
            b.end_tag("script");
            return after;
        }
        RawKind::Rcdata(n) => (n, true),
    };
    let (content_end, after) = find_end_tag(bytes, from, name.as_bytes());
    let raw = src.get(from..content_end).unwrap_or("");
    let text = if rcdata {
        charref::decode(raw, Context::Text)
    } else {
        Cow::Borrowed(raw)
    };
    b.raw_content(name, text);
    b.end_tag(name);
    after
}

/// Finds `</name` followed by whitespace, `/` or `>` from `from`; returns the content end
/// and the index past the end tag (both the input length when there is none).
fn find_end_tag(bytes: &[u8], from: usize, name: &[u8]) -> (usize, usize) {
    let mut pos = from;
    while let Some(off) = memchr(b'<', bytes.get(pos..).unwrap_or(&[])) {
        let lt = pos + off;
        let after_name = lt + 2 + name.len();
        if bytes.get(lt + 1) == Some(&b'/')
            && bytes
                .get(lt + 2..after_name)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
            && matches!(
                bytes.get(after_name),
                Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>')
            )
        {
            let end = skip_to_gt(bytes, after_name);
            return (lt, end);
        }
        pos = lt + 1;
    }
    (bytes.len(), bytes.len())
}

/// Past the next `>` from `from` (or the end of the input).
fn skip_to_gt(bytes: &[u8], from: usize) -> usize {
    memchr(b'>', bytes.get(from..).unwrap_or(&[])).map_or(bytes.len(), |off| from + off + 1)
}

/// Skips a comment (`<!-- … -->`), a doctype or other `<!…>` declaration starting at `lt`.
fn skip_markup_declaration(bytes: &[u8], lt: usize) -> usize {
    if bytes.get(lt + 2..lt + 4) == Some(b"--") {
        let body = lt + 4;
        // `<!-->` and `<!--->` are complete (empty) comments.
        if bytes.get(body) == Some(&b'>') {
            return body + 1;
        }
        if bytes.get(body..body + 2) == Some(b"->") {
            return body + 2;
        }
        let mut pos = body;
        while let Some(off) = memchr(b'-', bytes.get(pos..).unwrap_or(&[])) {
            let dash = pos + off;
            if bytes.get(dash..dash + 3) == Some(b"-->") {
                return dash + 3;
            }
            if bytes.get(dash..dash + 4) == Some(b"--!>") {
                return dash + 4;
            }
            pos = dash + 1;
        }
        return bytes.len();
    }
    skip_to_gt(bytes, lt + 2)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Reads a tag name from `from` (its first byte is a letter): lower-cased, borrowed when it
/// already is. Returns the name and the index after it.
fn tag_name(src: &str, from: usize) -> (Cow<'_, str>, usize) {
    let bytes = src.as_bytes();
    let mut end = from;
    while let Some(&c) = bytes.get(end) {
        if is_space(c) || c == b'/' || c == b'>' {
            break;
        }
        end += 1;
    }
    // The name ends at an ASCII byte or at the end, so `end` is a char boundary.
    let name = src.get(from..end).unwrap_or("");
    (lower(name), end)
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|c| c.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Reads attributes from `from` up to the tag's `>`. Returns whether the tag was complete
/// (its `>` found) and the index past it. Later duplicates of a name are dropped.
fn attributes<'a>(src: &'a str, from: usize, out: &mut Vec<Attr<'a>>, keep: bool) -> (bool, usize) {
    let bytes = src.as_bytes();
    let mut pos = from;
    loop {
        while bytes.get(pos).is_some_and(|&c| is_space(c) || c == b'/') {
            pos += 1;
        }
        let Some(&c) = bytes.get(pos) else {
            return (false, pos);
        };
        if c == b'>' {
            return (true, pos + 1);
        }
        // The name: up to whitespace, `/`, `>` or `=` (a leading `=` belongs to it).
        let name_start = pos;
        pos += 1;
        while let Some(&c) = bytes.get(pos) {
            if is_space(c) || c == b'/' || c == b'>' || c == b'=' {
                break;
            }
            pos += 1;
        }
        let name_end = pos;
        while bytes.get(pos).is_some_and(|&c| is_space(c)) {
            pos += 1;
        }
        let mut value: Option<(usize, usize)> = None;
        if bytes.get(pos) == Some(&b'=') {
            pos += 1;
            while bytes.get(pos).is_some_and(|&c| is_space(c)) {
                pos += 1;
            }
            match bytes.get(pos) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let start = pos + 1;
                    let Some(off) = memchr(q, bytes.get(start..).unwrap_or(&[])) else {
                        return (false, bytes.len());
                    };
                    value = Some((start, start + off));
                    pos = start + off + 1;
                }
                Some(b'>') | None => {}
                Some(_) => {
                    let start = pos;
                    while let Some(&c) = bytes.get(pos) {
                        if is_space(c) || c == b'>' {
                            break;
                        }
                        pos += 1;
                    }
                    value = Some((start, pos));
                }
            }
        }
        if keep {
            let name = lower(src.get(name_start..name_end).unwrap_or(""));
            if !out.iter().any(|a| a.name == name) {
                let raw = value.map_or("", |(s, e)| src.get(s..e).unwrap_or(""));
                out.push(Attr {
                    name,
                    value: charref::decode(raw, Context::Attribute),
                });
            }
        }
    }
}

/// Bit flags of the element names the tree-building rules single out.
mod kind {
    /// The standard's "special" elements: an end tag of another element does not close them.
    pub const SPECIAL: u16 = 1;
    /// Boundaries of "has an element in scope".
    pub const SCOPE: u16 = 1 << 1;
    /// Opening one closes an open `<p>`.
    pub const CLOSES_P: u16 = 1 << 2;
    /// Never has content.
    pub const VOID: u16 = 1 << 3;
    /// `b`, `em`, `a`…: their end tag runs the (simplified) adoption agency.
    pub const FORMATTING: u16 = 1 << 4;
    /// `h1`–`h6`.
    pub const HEADING: u16 = 1 << 5;
    /// Table structure: `table`, `tbody`/`thead`/`tfoot`, `tr`, `td`/`th`, `caption`.
    pub const TABLE_PART: u16 = 1 << 6;
}

fn flags(name: &str) -> u16 {
    use kind::*;
    match name {
        "div" | "ul" | "ol" | "dl" | "section" | "article" | "aside" | "nav" | "header"
        | "footer" | "main" | "blockquote" | "figure" | "figcaption" | "fieldset" | "address"
        | "center" | "details" | "dialog" | "dir" | "hgroup" | "menu" | "search" | "summary"
        | "pre" | "listing" | "xmp" | "plaintext" | "form" | "p" => SPECIAL | CLOSES_P,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => SPECIAL | CLOSES_P | HEADING,
        "li" | "dd" | "dt" => SPECIAL | CLOSES_P,
        "hr" => SPECIAL | CLOSES_P | VOID,
        "table" => SPECIAL | CLOSES_P | SCOPE | TABLE_PART,
        "td" | "th" | "caption" => SPECIAL | SCOPE | TABLE_PART,
        "tr" | "tbody" | "thead" | "tfoot" => SPECIAL | TABLE_PART,
        "html" | "applet" | "marquee" | "object" | "template" => SPECIAL | SCOPE,
        "br" | "img" | "input" | "area" | "base" | "basefont" | "bgsound" | "col" | "embed"
        | "keygen" | "link" | "meta" | "param" | "source" | "track" | "wbr" | "frame" => {
            SPECIAL | VOID
        }
        "body" | "head" | "button" | "colgroup" | "frameset" | "iframe" | "noembed"
        | "noframes" | "noscript" | "script" | "select" | "style" | "textarea" | "title" => SPECIAL,
        "a" | "b" | "big" | "code" | "em" | "font" | "i" | "nobr" | "s" | "small" | "strike"
        | "strong" | "tt" | "u" => FORMATTING,
        _ => 0,
    }
}

/// Elements nested deeper than this are dropped (their text is kept). Real pages stay under
/// about 100 levels; Blink stops nesting at 512 too.
pub(super) const MAX_DEPTH: usize = 512;

/// One open element.
struct Open<'a> {
    name: Cow<'a, str>,
    flags: u16,
    /// Its node in the flat list; `None` for elements left out of it (never-text subtrees,
    /// and `html`/`head`/`body`, whose children hang off the root).
    node: Option<usize>,
    /// Opened a never-text subtree (everything inside is left out).
    hides: bool,
}

struct Builder<'a> {
    nodes: Vec<Node<'a>>,
    attrs: Vec<Attr<'a>>,
    metas: Vec<(String, Cow<'a, str>)>,
    title: Option<String>,
    open: Vec<Open<'a>>,
    /// Open elements with `hides` set: text and elements are left out while it is above 0.
    hidden: usize,
    /// The next text's leading newline is dropped (just after `<pre>`).
    drop_newline: bool,
    /// Reused for each start tag's attributes.
    attr_buf: Vec<Attr<'a>>,
    /// Bodies of JSON-LD scripts.
    json_ld: Vec<String>,
    /// Start tags dropped past [`MAX_DEPTH`], per name, whose end tags are still to come.
    too_deep: Vec<(Cow<'a, str>, usize)>,
}

impl<'a> Builder<'a> {
    fn new(len: usize) -> Builder<'a> {
        let mut nodes = Vec::with_capacity(len / 40 + 8);
        nodes.push(Node::root());
        Builder {
            nodes,
            attrs: Vec::with_capacity(len / 80 + 8),
            metas: Vec::new(),
            title: None,
            open: Vec::with_capacity(64),
            hidden: 0,
            drop_newline: false,
            attr_buf: Vec::new(),
            json_ld: Vec::new(),
            too_deep: Vec::new(),
        }
    }

    /// The node new content hangs off: the innermost open element that has one.
    fn parent(&self) -> usize {
        self.open.iter().rev().find_map(|o| o.node).unwrap_or(0)
    }

    fn text(&mut self, src: &'a str, from: usize, to: usize) {
        let drop_newline = std::mem::take(&mut self.drop_newline);
        if self.hidden > 0 || from >= to {
            return;
        }
        let mut raw = src.get(from..to).unwrap_or("");
        if drop_newline {
            raw = raw
                .strip_prefix("\r\n")
                .or_else(|| raw.strip_prefix('\n'))
                .unwrap_or(raw);
        }
        if raw.is_empty() {
            return;
        }
        let mut text = charref::decode(raw, Context::Text);
        // NUL in text is dropped (the standard's "in body" rule).
        if memchr(b'\0', text.as_bytes()).is_some() {
            text = Cow::Owned(text.replace('\0', ""));
        }
        self.push_text(text);
    }

    fn push_text(&mut self, text: Cow<'a, str>) {
        let parent = self.parent();
        let idx = self.nodes.len();
        self.nodes.push(Node {
            tag: Tag::Text,
            attrs: (0, 0),
            text,
            name: Cow::Borrowed(""),
            parent,
            end: idx + 1,
        });
    }

    /// Content of a raw-text or RCDATA element: the first `<title>` is kept aside, a
    /// `<textarea>`'s or `<xmp>`'s text is text, script and style bodies are not.
    fn raw_content(&mut self, name: &str, mut text: Cow<'a, str>) {
        // NUL in raw text and RCDATA becomes U+FFFD, as the standard's tokenizer does.
        if memchr(b'\0', text.as_bytes()).is_some() {
            text = Cow::Owned(text.replace('\0', "\u{fffd}"));
        }
        if name == "title" {
            // The `<title>` itself is a never-text element, open (and hiding) right now.
            if self.hidden <= 1 && self.title.is_none() {
                self.title = Some(text.into_owned());
            }
        } else if self.hidden == 0 && !text.is_empty() {
            self.push_text(text);
        }
    }

    /// Handles a start tag; returns how to read its content when it is a raw-text element.
    fn start_tag(&mut self, name: Cow<'a, str>, attrs: &mut Vec<Attr<'a>>) -> Option<RawKind> {
        let f = flags(&name);
        self.drop_newline = false;
        match &*name {
            // Their children hang off the root; their attributes are not read.
            "html" | "head" | "body" => {
                attrs.clear();
                return None;
            }
            "meta" => {
                if self.hidden == 0 {
                    self.meta(attrs);
                }
                attrs.clear();
                return None;
            }
            _ => {}
        }
        if f & kind::CLOSES_P != 0 {
            self.close_p();
        }
        if f & kind::HEADING != 0
            && self
                .open
                .last()
                .is_some_and(|o| o.flags & kind::HEADING != 0)
        {
            self.pop();
        }
        if f & kind::TABLE_PART != 0
            && name != "table"
            && !self.open.iter().any(|o| o.name == "table")
        {
            // Rows and cells outside a table are ignored (their content is not).
            attrs.clear();
            return None;
        }
        match &*name {
            "li" => self.close_sibling(&["li"]),
            "dd" | "dt" => self.close_sibling(&["dd", "dt"]),
            "option" | "optgroup" if self.open.last().is_some_and(|o| o.name == "option") => {
                self.pop();
            }
            "a" => {
                // A link inside an open link closes it.
                if let Some(i) = self.find_open("a", kind::SCOPE) {
                    self.pop_to(i);
                }
            }
            "tr" => {
                self.close_table_part(&["td", "th", "tr"]);
                self.imply_parent(&["table"], "tbody");
            }
            "td" | "th" => {
                self.close_table_part(&["td", "th"]);
                self.imply_parent(&["table"], "tbody");
                self.imply_parent(&["tbody", "thead", "tfoot"], "tr");
            }
            "tbody" | "thead" | "tfoot" | "caption" | "colgroup" => {
                self.close_table_part(&["td", "th", "tr", "tbody", "thead", "tfoot", "caption"]);
            }
            _ => {}
        }
        let raw = match &*name {
            "title" => Some(RawKind::Rcdata("title")),
            "textarea" => Some(RawKind::Rcdata("textarea")),
            "script"
                if attrs.iter().any(|a| {
                    a.name == "type" && a.value.to_ascii_lowercase().contains("ld+json")
                }) =>
            {
                Some(RawKind::JsonLd)
            }
            "script" => Some(RawKind::RawText("script")),
            // Never text, and their content is skipped unread (foreign or inert markup).
            "template" => Some(RawKind::RawText("template")),
            "svg" => Some(RawKind::RawText("svg")),
            "math" => Some(RawKind::RawText("math")),
            "style" => Some(RawKind::RawText("style")),
            "xmp" => Some(RawKind::RawText("xmp")),
            "iframe" => Some(RawKind::RawText("iframe")),
            "noembed" => Some(RawKind::RawText("noembed")),
            "noframes" => Some(RawKind::RawText("noframes")),
            "noscript" => Some(RawKind::RawText("noscript")),
            "plaintext" => Some(RawKind::Plaintext),
            _ => None,
        };
        let void = f & kind::VOID != 0 || name == "image";
        // Elements their sibling closes (`<p>`, `<li>`, cells) cannot pile up by themselves,
        // and dropping them would glue paragraphs: they are let through.
        let self_closing_kind = matches!(
            &*name,
            "p" | "li"
                | "dd"
                | "dt"
                | "option"
                | "optgroup"
                | "tr"
                | "td"
                | "th"
                | "tbody"
                | "thead"
                | "tfoot"
                | "caption"
                | "colgroup"
        );
        if !void && !self_closing_kind && self.open.len() >= MAX_DEPTH && raw.is_none() {
            match self.too_deep.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => *count += 1,
                None => self.too_deep.push((name, 1)),
            }
            attrs.clear();
            return None;
        }
        let tag = if name == "image" {
            Some(Tag::Img)
        } else {
            Tag::from_name(&name)
        };
        let mut node = None;
        if self.hidden == 0
            && let Some(tag) = tag
        {
            let parent = self.parent();
            let idx = self.nodes.len();
            let first = self.attrs.len() as u32;
            self.attrs.append(attrs);
            self.nodes.push(Node {
                tag,
                attrs: (first, self.attrs.len() as u32),
                text: Cow::Borrowed(""),
                name: if tag == Tag::Other {
                    name.clone()
                } else {
                    Cow::Borrowed("")
                },
                parent,
                end: idx + 1,
            });
            node = Some(idx);
        }
        attrs.clear();
        if void {
            return None;
        }
        let hides = tag.is_none();
        if hides {
            self.hidden += 1;
        }
        if matches!(&*name, "pre" | "listing" | "textarea") {
            self.drop_newline = true;
        }
        self.open.push(Open {
            name,
            flags: f,
            node,
            hides,
        });
        raw
    }

    fn meta(&mut self, attrs: &[Attr<'a>]) {
        let get = |n: &str| attrs.iter().find(|a| a.name == n).map(|a| &a.value);
        let key = get("property")
            .or_else(|| get("name"))
            .or_else(|| get("itemprop"));
        if let (Some(k), Some(c)) = (key, get("content")) {
            self.metas.push((k.trim().to_ascii_lowercase(), c.clone()));
        }
    }

    /// Handles an end tag.
    fn end_tag(&mut self, name: &str) {
        self.drop_newline = false;
        if let Some((_, count)) = self.too_deep.iter_mut().find(|(n, c)| *c > 0 && n == name) {
            // The end tag of an element dropped for depth.
            *count -= 1;
            return;
        }
        let f = flags(name);
        match name {
            "html" | "head" | "body" => {}
            // `</br>` is a line break, `</p>` without a paragraph an empty one.
            "br" => {
                let mut none = Vec::new();
                self.start_tag(Cow::Borrowed("br"), &mut none);
            }
            "p" => match self.find_open_p() {
                Some(i) => self.pop_to(i),
                None => {
                    // The standard inserts an empty paragraph: text on either side of it
                    // does not join.
                    let mut none = Vec::new();
                    self.start_tag(Cow::Borrowed("p"), &mut none);
                    self.close_p();
                }
            },
            "li" => {
                if let Some(i) = self.find_open_in_list("li") {
                    self.pop_to(i);
                }
            }
            _ if f & kind::HEADING != 0 => {
                // Any heading in scope closes, whatever its level.
                let at = self.search(
                    |o| o.flags & kind::HEADING != 0,
                    |o| o.flags & kind::SCOPE != 0,
                );
                if let Some(i) = at {
                    self.pop_to(i);
                }
            }
            _ if f & kind::FORMATTING != 0 => self.formatting_end(name),
            _ if f & kind::TABLE_PART != 0 => {
                if let Some(i) = self.find_in_table(name) {
                    self.pop_to(i);
                }
            }
            _ if f & kind::SPECIAL != 0 => {
                if let Some(i) = self.find_open(name, kind::SCOPE) {
                    self.pop_to(i);
                }
            }
            _ => {
                // Any other end tag closes the innermost element of that name, unless a
                // special element is open above it.
                if let Some(i) = self.find_open(name, kind::SPECIAL) {
                    self.pop_to(i);
                }
            }
        }
    }

    /// `</b>` with a block opened inside the `<b>`: the standard moves the block out of the
    /// formatting element. In the flat list that is cheap: the block and everything after it
    /// are the tail of the list, so the formatting element (and any formatting elements between
    /// it and the block) ends where the block starts, and the block hangs off its parent.
    fn formatting_end(&mut self, name: &str) {
        let Some(at) = self.find_open(name, kind::SCOPE) else {
            return;
        };
        let block = self
            .open
            .get(at + 1..)
            .and_then(|above| above.iter().position(|o| o.flags & kind::SPECIAL != 0))
            .map(|off| at + 1 + off);
        let Some(block) = block else {
            self.pop_to(at);
            return;
        };
        let moves = self
            .open
            .get(at..block)
            .is_some_and(|between| between.iter().all(|o| !o.hides && o.node.is_some()));
        if !moves {
            return;
        }
        let Some(block_node) = self.open.get(block).and_then(|o| o.node) else {
            return;
        };
        let new_parent = self
            .open
            .get(..at)
            .and_then(|below| below.iter().rev().find_map(|o| o.node))
            .unwrap_or(0);
        let closed: Vec<usize> = self.open.drain(at..block).filter_map(|o| o.node).collect();
        for idx in closed {
            if let Some(n) = self.nodes.get_mut(idx) {
                n.end = block_node;
            }
        }
        // The block's direct children that pointed at a closed element keep their parent
        // chain through the block, so only the block itself moves.
        if let Some(n) = self.nodes.get_mut(block_node) {
            n.parent = new_parent;
        }
    }

    /// The innermost open element for which `found` holds, searching down from the top and
    /// giving up at the first element for which `stop` holds (a scope boundary). Every
    /// "has an element in … scope" rule of the standard is one `stop`.
    fn search(
        &self,
        found: impl Fn(&Open<'a>) -> bool,
        stop: impl Fn(&Open<'a>) -> bool,
    ) -> Option<usize> {
        for (i, o) in self.open.iter().enumerate().rev() {
            if found(o) {
                return Some(i);
            }
            if stop(o) {
                return None;
            }
        }
        None
    }

    /// The innermost open element named `name`, searching down to the first element whose
    /// flags intersect `boundary`.
    fn find_open(&self, name: &str, boundary: u16) -> Option<usize> {
        self.search(|o| o.name == name, |o| o.flags & boundary != 0)
    }

    /// A table part (`</td>`, `</tr>`, `</table>`…) in table scope: within the innermost
    /// table; cells inside it are closed with it.
    fn find_in_table(&self, name: &str) -> Option<usize> {
        self.search(
            |o| o.name == name,
            |o| o.name == "table" || o.name == "template",
        )
    }

    /// An open `<p>` in button scope.
    fn find_open_p(&self) -> Option<usize> {
        self.search(
            |o| o.name == "p",
            |o| o.flags & kind::SCOPE != 0 || o.name == "button",
        )
    }

    /// `li` in list-item scope: `ul`/`ol` are boundaries too.
    fn find_open_in_list(&self, name: &str) -> Option<usize> {
        self.search(
            |o| o.name == name,
            |o| o.flags & kind::SCOPE != 0 || o.name == "ul" || o.name == "ol",
        )
    }

    /// Closes an open `<p>` in button scope.
    fn close_p(&mut self) {
        if let Some(i) = self.find_open_p() {
            self.pop_to(i);
        }
    }

    /// A new `<li>` (or `<dd>`/`<dt>`) closes the open one, unless a special element other
    /// than `address`, `div` or `p` lies between.
    fn close_sibling(&mut self, names: &[&str]) {
        let at = self.search(
            |o| names.iter().any(|n| o.name == *n),
            |o| o.flags & kind::SPECIAL != 0 && !matches!(&*o.name, "address" | "div" | "p"),
        );
        if let Some(i) = at {
            self.pop_to(i);
        }
    }

    /// Closes open table parts named in `names` down to the innermost table.
    fn close_table_part(&mut self, names: &[&str]) {
        for i in (0..self.open.len()).rev() {
            let Some(o) = self.open.get(i) else { break };
            if o.name == "table" {
                // Anything left open inside the table's sections closes with them.
                return;
            }
            if names.iter().any(|n| o.name == *n) {
                self.pop_to(i);
            }
        }
    }

    /// Opens the element the standard implies between `parents` and a table row or cell.
    fn imply_parent(&mut self, parents: &[&str], implied: &'static str) {
        if self
            .open
            .last()
            .is_some_and(|o| parents.iter().any(|p| o.name == *p))
        {
            let mut none = Vec::new();
            self.start_tag(Cow::Borrowed(implied), &mut none);
        }
    }

    /// Closes the open element at `i` and everything above it.
    fn pop_to(&mut self, i: usize) {
        while self.open.len() > i {
            self.pop();
        }
    }

    fn pop(&mut self) {
        let Some(o) = self.open.pop() else { return };
        if o.hides {
            self.hidden = self.hidden.saturating_sub(1);
        }
        if let Some(idx) = o.node {
            let end = self.nodes.len();
            if let Some(n) = self.nodes.get_mut(idx) {
                n.end = end;
            }
        }
    }

    fn finish(mut self) -> (Dom<'a>, Vec<String>) {
        self.pop_to(0);
        let len = self.nodes.len();
        if let Some(root) = self.nodes.first_mut() {
            root.end = len;
        }
        let dom = Dom {
            nodes: self.nodes,
            attrs: self.attrs,
            metas: self.metas,
            title: self.title,
        };
        (dom, self.json_ld)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact picture of the tree: `tag(children)`, text in quotes.
    fn shape(html: &str) -> String {
        let dom = parse(html);
        fn walk(dom: &Dom<'_>, idx: usize, out: &mut String) {
            let mut first = true;
            for c in dom.children(idx) {
                if !first {
                    out.push(' ');
                }
                first = false;
                let n = &dom.nodes[c];
                if n.tag == Tag::Text {
                    out.push_str(&format!("{:?}", n.text));
                } else {
                    out.push_str(&format!("{:?}", n.tag).to_lowercase());
                    if n.end > c + 1 {
                        out.push('(');
                        walk(dom, c, out);
                        out.push(')');
                    }
                }
            }
        }
        let mut out = String::new();
        walk(&dom, 0, &mut out);
        out
    }

    #[test]
    fn paragraphs_close_before_blocks_and_each_other() {
        assert_eq!(
            shape("<p>een<p>twee<div>drie</div>"),
            r#"p("een") p("twee") div("drie")"#
        );
        assert_eq!(shape("<p>a<span>b</p>c"), r#"p("a" span("b")) "c""#);
    }

    #[test]
    fn list_items_and_definitions_close_their_sibling() {
        assert_eq!(
            shape("<ul><li>a<li>b<ul><li>c</ul><li>d</ul>"),
            r#"ul(li("a") li("b" ul(li("c"))) li("d"))"#
        );
        assert_eq!(
            shape("<dl><dt>x<dd>y<dt>z</dl>"),
            r#"dl(dt("x") dd("y") dt("z"))"#
        );
    }

    #[test]
    fn end_tags_out_of_scope_are_ignored() {
        assert_eq!(shape("<div>a</span>b</div>c"), r#"div("a" "b") "c""#);
        // `</div>` closes the paragraph inside it; `</span>` does not cross the `<p>`.
        assert_eq!(shape("<div><p>a</div>b"), r#"div(p("a")) "b""#);
        assert_eq!(shape("<span><p>a</span>b</p>"), r#"span(p("a" "b"))"#);
    }

    #[test]
    fn tables_imply_body_and_rows() {
        assert_eq!(
            shape("<table><td>a<td>b<tr><th>c</table>d"),
            r#"table(otherblock(tr(td("a") td("b")) tr(th("c")))) "d""#
        );
    }

    #[test]
    fn misnested_formatting_moves_the_block_out() {
        // `<b><div>x</b>y</div>`: the div leaves the `<b>`; `y` stays in the div.
        assert_eq!(shape("<b><div>x</b>y</div>z"), r#"other div("x" "y") "z""#);
        assert_eq!(shape("<a href=1>a<a href=2>b</a>"), r#"a("a") a("b")"#);
    }

    #[test]
    fn never_text_subtrees_are_left_out_but_scanned() {
        assert_eq!(
            shape("<p>a<select><option>x<option>y</select>b<button>c</button>d"),
            r#"p("a" "b" "d")"#
        );
        assert_eq!(
            shape("<div><script>if (a < b) document.write('</div>')</script>t</div>"),
            r#"div("t")"#
        );
    }

    #[test]
    fn title_meta_and_references() {
        let dom = parse(
            "<html><head><title>A &amp; B</title><meta property='og:title' content='X &quot;Y&quot;'>\
             </head><body><p class=\"Lead\" ID=top>w&eacute;l&nbsp;z</p></body></html>",
        );
        assert_eq!(dom.title.as_deref(), Some("A & B"));
        assert_eq!(
            dom.metas,
            vec![("og:title".to_string(), Cow::Borrowed("X \"Y\""))]
        );
        let p = 1;
        assert_eq!(dom.attr(p, "class"), Some("Lead"));
        assert_eq!(dom.attr(p, "id"), Some("top"));
        assert_eq!(dom.nodes[2].text, "wél\u{a0}z");
    }

    #[test]
    fn attribute_syntax() {
        let dom = parse(r#"<div a = "x>y" b='1' c=u&amp;v d class=one class=two/>t"#);
        assert_eq!(dom.attr(1, "a"), Some("x>y"));
        assert_eq!(dom.attr(1, "b"), Some("1"));
        assert_eq!(dom.attr(1, "c"), Some("u&v"));
        assert_eq!(dom.attr(1, "d"), Some(""));
        assert_eq!(dom.attr(1, "class"), Some("one"));
        // `<div/>` is not self-closing in HTML: the text is inside it.
        assert_eq!(shape(r#"<div/>t"#), r#"div("t")"#);
    }

    #[test]
    fn pre_drops_its_leading_newline_and_comments_vanish() {
        assert_eq!(shape("<pre>\nregel</pre>"), r#"pre("regel")"#);
        assert_eq!(
            shape("a<!-- x -->b<!--->c<!DOCTYPE html>d<?php ?>e"),
            r#""a" "b" "c" "d" "e""#
        );
    }

    proptest::proptest! {
        /// Whatever the markup, the flat list is a proper pre-order tree: every node lies
        /// inside its parent's range and after it.
        #[test]
        fn any_markup_gives_a_proper_tree(parts in proptest::collection::vec(proptest::sample::select(vec![
            "<p>", "</p>", "<div class=x>", "</div>", "<b>", "</b>", "<a href=#>", "</a>",
            "<i>", "</i>", "<li>", "<ul>", "</ul>", "<table>", "<tr>", "<td>", "</td>",
            "</table>", "<h2>", "</h2>", "<select>", "</select>", "<pre>\n", "</pre>", "<br>",
            "</br>", "<title>", "</title>", "<span>", "</span>", "text ", "&amp;", "é", "<",
            "<!--", "-->", "<x-y>", "</x-y>", "<textarea>", "<button>",
        ]), 0..60)) {
            let src: String = parts.concat();
            let dom = parse(&src);
            let len = dom.nodes.len();
            proptest::prop_assert_eq!(dom.nodes[0].end, len);
            for (i, n) in dom.nodes.iter().enumerate().skip(1) {
                proptest::prop_assert!(n.parent < i, "node {} parent {}", i, n.parent);
                proptest::prop_assert!(n.end > i && n.end <= len);
                proptest::prop_assert!(dom.nodes[n.parent].end >= n.end, "node {} in {}", i, n.parent);
            }
        }
    }

    #[test]
    fn scripts_styles_and_foreign_markup_are_skipped_unread() {
        let (dom, json_ld) = parse_with_json_ld(
            "<p>a<!-- x <p>no</p> -->b</p><SCRIPT type=\"application/LD+json\">{\"k\":1}</script >\
             <script>if (a<b) document.write('</p>')</script><style>p{}</style><svg><text>no</text></svg>\
             <template><p>no</p></template><math><mi>x</mi></math><noscript><p>no</p></noscript>\
             <scripts>kept</scripts><p>é</p>",
        );
        assert_eq!(json_ld, vec!["{\"k\":1}".to_string()]);
        let texts: Vec<&str> = dom
            .nodes
            .iter()
            .map(|n| &*n.text)
            .filter(|t| !t.is_empty())
            .collect();
        assert_eq!(texts, ["a", "b", "kept", "é"]);
        // Unterminated: the rest of the page is the script.
        assert_eq!(shape("<p>x</p><script>var a"), r#"p("x")"#);
        assert_eq!(shape("<p>x</p><!-- open"), r#"p("x")"#);
        assert_eq!(shape("<textarea><script></textarea><p>y</p>"), r#"p("y")"#);
    }

    #[test]
    fn deep_nesting_is_capped_and_its_text_kept() {
        let n = 100_000;
        let page = format!(
            "<html><body>{}<p>Diep verstopt</p>{}<p>Daarna</p></body></html>",
            "<div class=\"x > y\">".repeat(n),
            "</div>".repeat(n)
        );
        let started = std::time::Instant::now();
        let dom = parse(&page);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        let divs = dom.nodes.iter().filter(|n| n.tag == Tag::Div).count();
        assert_eq!(divs, MAX_DEPTH);
        // Both paragraphs are there, and the second is outside every div again.
        let ps: Vec<usize> = (0..dom.nodes.len())
            .filter(|&i| dom.nodes[i].tag == Tag::P)
            .collect();
        assert_eq!(ps.len(), 2);
        assert_eq!(dom.nodes[ps[1]].parent, 0);
        assert_eq!(dom.nodes[ps[0] + 1].text, "Diep verstopt");
        let article = crate::extract::extract_article(&page, None);
        assert!(article.text.contains("Diep verstopt"), "{}", article.text);
        // Stray end tags of other names do not lower the depth.
        let stray = "<div></x>".repeat(2000);
        assert_eq!(parse(&stray).nodes.len(), MAX_DEPTH + 1);
    }

    #[test]
    fn broken_input_does_not_panic() {
        for s in [
            "<",
            "</",
            "<a",
            "<a href=\"",
            "<div a='",
            "&",
            "&#",
            "<!--",
            "<![CDATA[x",
            "</div",
            "<title>no end",
            "<textarea>",
            "<p>é<",
            "é</é>",
            "<\u{0}>",
            "<a\u{0}b>",
        ] {
            let _ = parse(s);
        }
        assert_eq!(shape("a < b"), r#""a " "<" " b""#);
        // NUL never reaches the text (found by the fuzzer in `<xmp>` content).
        assert_eq!(
            shape("<p>a\0b</p><xmp>c\0d</xmp>"),
            "p(\"ab\") pre(\"c\u{fffd}d\")"
        );
    }
}
