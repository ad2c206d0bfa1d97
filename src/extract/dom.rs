//! The flat, pre-order DOM of a page's `<body>`, built once per page by [`super::parse`].
//!
//! A [`Dom`] is a vector of element and text nodes in document order, each knowing its
//! parent and the end of its subtree, with a small [`Tag`] enum instead of tag-name strings.
//! Subtrees that never carry article text (scripts, styles, form controls, media, `<head>`)
//! are left out, so every later pass is a plain linear loop over a short vector instead of a
//! walk of a tree.

use std::borrow::Cow;

/// The tags the extractor cares about; everything else is [`Tag::Other`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Tag {
    /// A text node (not an element).
    Text,
    Body,
    Main,
    Article,
    Section,
    Div,
    P,
    Span,
    A,
    Br,
    Hr,
    H1,
    H2,
    H3,
    H4,
    H5,
    H6,
    Ul,
    Ol,
    Li,
    Dl,
    Dt,
    Dd,
    Blockquote,
    Pre,
    Table,
    Tr,
    Td,
    Th,
    Caption,
    Figure,
    Figcaption,
    Nav,
    Header,
    Footer,
    Aside,
    Form,
    Fieldset,
    Address,
    Details,
    Summary,
    Center,
    Time,
    Img,
    Label,
    Menu,
    Dialog,
    /// Block-level wrappers with no special meaning here (`tbody`, `thead`, `hgroup`…).
    OtherBlock,
    /// Any other element (inline by default, as browsers treat unknown tags).
    Other,
}

impl Tag {
    /// Maps a lower-case local name to a tag; `None` for subtrees that are never text.
    pub(super) fn from_name(name: &str) -> Option<Tag> {
        Some(match name {
            "body" => Tag::Body,
            "main" => Tag::Main,
            "article" => Tag::Article,
            "section" => Tag::Section,
            "div" => Tag::Div,
            "p" => Tag::P,
            "span" => Tag::Span,
            "a" => Tag::A,
            "br" => Tag::Br,
            "hr" => Tag::Hr,
            "h1" => Tag::H1,
            "h2" => Tag::H2,
            "h3" => Tag::H3,
            "h4" => Tag::H4,
            "h5" => Tag::H5,
            "h6" => Tag::H6,
            "ul" => Tag::Ul,
            "ol" => Tag::Ol,
            "li" => Tag::Li,
            "dl" => Tag::Dl,
            "dt" => Tag::Dt,
            "dd" => Tag::Dd,
            "blockquote" => Tag::Blockquote,
            "pre" | "listing" | "xmp" | "plaintext" => Tag::Pre,
            "table" => Tag::Table,
            "tr" => Tag::Tr,
            "td" => Tag::Td,
            "th" => Tag::Th,
            "caption" => Tag::Caption,
            "figure" => Tag::Figure,
            "figcaption" => Tag::Figcaption,
            "nav" => Tag::Nav,
            "header" => Tag::Header,
            "footer" => Tag::Footer,
            "aside" => Tag::Aside,
            "form" => Tag::Form,
            "fieldset" => Tag::Fieldset,
            "address" => Tag::Address,
            "details" => Tag::Details,
            "summary" => Tag::Summary,
            "center" => Tag::Center,
            "time" => Tag::Time,
            "img" => Tag::Img,
            "label" => Tag::Label,
            "menu" => Tag::Menu,
            "dialog" => Tag::Dialog,
            "tbody" | "thead" | "tfoot" | "hgroup" | "legend" | "colgroup" | "frameset"
            | "noframes" => Tag::OtherBlock,
            "script" | "style" | "noscript" | "template" | "svg" | "math" | "iframe" | "object"
            | "embed" | "canvas" | "video" | "audio" | "select" | "option" | "optgroup"
            | "button" | "input" | "textarea" | "datalist" | "map" | "area" | "source"
            | "track" | "picture" | "link" | "meta" | "title" | "base" | "param" | "progress"
            | "meter" | "output" | "head" => return None,
            _ => Tag::Other,
        })
    }

    /// Elements a browser lays out as blocks: text on either side of them does not join.
    pub(super) fn is_block(self) -> bool {
        !matches!(
            self,
            Tag::Text
                | Tag::Span
                | Tag::A
                | Tag::Br
                | Tag::Time
                | Tag::Img
                | Tag::Label
                | Tag::Other
        )
    }

    /// Headings `h1`–`h6`.
    pub(super) fn is_heading(self) -> bool {
        matches!(
            self,
            Tag::H1 | Tag::H2 | Tag::H3 | Tag::H4 | Tag::H5 | Tag::H6
        )
    }
}

/// One attribute of an element: lower-case name, value with references decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Attr<'a> {
    pub name: Cow<'a, str>,
    pub value: Cow<'a, str>,
}

/// One element or text node of the flat copy.
pub(super) struct Node<'a> {
    /// The element's tag, or [`Tag::Text`].
    pub tag: Tag,
    /// The element's attributes: a range of [`Dom::attrs`].
    pub attrs: (u32, u32),
    /// The text of a text node (references decoded); empty otherwise.
    pub text: Cow<'a, str>,
    /// The lower-case name of a [`Tag::Other`] element (custom elements can be named like
    /// boilerplate: `<cookie-bar>`); empty otherwise.
    pub name: Cow<'a, str>,
    /// Index of the parent (the root points at itself).
    pub parent: usize,
    /// One past the index of this node's last descendant.
    pub end: usize,
}

impl Node<'_> {
    /// The root node (index 0): the document, its children hang off it.
    pub(super) fn root() -> Node<'static> {
        Node {
            tag: Tag::Body,
            attrs: (0, 0),
            text: Cow::Borrowed(""),
            name: Cow::Borrowed(""),
            parent: 0,
            end: 1,
        }
    }
}

/// The flat copy of the `<body>` (or of the whole document when there is no body element),
/// built by [`super::parse::parse`].
pub(super) struct Dom<'a> {
    /// Nodes in document (pre-)order; index 0 is the root.
    pub nodes: Vec<Node<'a>>,
    /// Attributes of all elements, in node order.
    pub attrs: Vec<Attr<'a>>,
    /// `(lower-case property/name/itemprop, content)` of every `<meta>` with content.
    pub metas: Vec<(String, Cow<'a, str>)>,
    /// Text of the first `<title>`.
    pub title: Option<String>,
}

impl<'a> Dom<'a> {
    /// The attributes of node `idx` (none for text nodes).
    pub(super) fn attrs_of(&self, idx: usize) -> &[Attr<'a>] {
        let (from, to) = self.nodes.get(idx).map_or((0, 0), |n| n.attrs);
        self.attrs.get(from as usize..to as usize).unwrap_or(&[])
    }

    /// One attribute of node `idx`.
    pub(super) fn attr(&self, idx: usize, name: &str) -> Option<&str> {
        self.attrs_of(idx)
            .iter()
            .find(|a| a.name == name)
            .map(|a| &*a.value)
    }

    /// Indices of the direct children of `idx`, in order.
    pub(super) fn children(&self, idx: usize) -> Children<'_, 'a> {
        Children {
            dom: self,
            next: idx + 1,
            end: self.nodes.get(idx).map_or(0, |n| n.end),
        }
    }
}

/// Iterator over the direct children of a node (see [`Dom::children`]).
pub(super) struct Children<'d, 'a> {
    dom: &'d Dom<'a>,
    next: usize,
    end: usize,
}

impl Iterator for Children<'_, '_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        if self.next >= self.end {
            return None;
        }
        let idx = self.next;
        self.next = self
            .dom
            .nodes
            .get(idx)
            .map_or(self.end, |n| n.end.max(idx + 1));
        Some(idx)
    }
}

/// Bytes of text under each element, by prefix sums over the nodes: one pass per page, then
/// a subtree's share of the page's text in O(1).
pub(super) struct TextShare {
    /// `prefix[i]`: text bytes in nodes `0..i`.
    prefix: Vec<u32>,
}

impl TextShare {
    pub(super) fn new(dom: &Dom<'_>) -> TextShare {
        let mut prefix = Vec::with_capacity(dom.nodes.len() + 1);
        let mut sum = 0u32;
        prefix.push(0);
        for node in &dom.nodes {
            if node.tag == Tag::Text {
                let visible = node
                    .text
                    .bytes()
                    .filter(|b| !b.is_ascii_whitespace())
                    .count();
                sum = sum.saturating_add(visible as u32);
            }
            prefix.push(sum);
        }
        TextShare { prefix }
    }

    /// Whether element `i` holds more than half of the page's text. A hidden element that
    /// does is a curtain a script lifts once the page has loaded (frameworks hide the whole
    /// page until then, and a saved page keeps `aria-hidden` on everything behind an open
    /// dialog): the reader sees its text, so it is not hidden.
    pub(super) fn holds_most(&self, dom: &Dom<'_>, i: usize) -> bool {
        let Some(node) = dom.nodes.get(i) else {
            return false;
        };
        let end = node.end.min(self.prefix.len() - 1);
        let total = *self.prefix.last().unwrap_or(&0);
        let own = self.prefix[end].saturating_sub(self.prefix[i.min(end)]);
        total > 0 && u64::from(own) * 2 > u64::from(total)
    }
}
