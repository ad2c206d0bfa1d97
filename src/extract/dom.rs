//! A flat, pre-order copy of a parsed page's `<body>`, built once per page.
//!
//! Takes a `scraper::Html` and returns a [`Dom`]: a vector of element and text nodes in
//! document order, each knowing its parent and the end of its subtree, with a small [`Tag`]
//! enum instead of tag-name strings. Subtrees that never carry article text (scripts, styles,
//! forms controls, media, `<head>`) are left out here, so every later pass is a plain
//! linear loop over a short vector instead of a walk of the full tree.

use scraper::Html;
use scraper::node::{Element, Node as HtmlNode};

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
    fn from_name(name: &str) -> Option<Tag> {
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

/// One element or text node of the flat copy.
pub(super) struct Node<'a> {
    /// The element's tag, or [`Tag::Text`].
    pub tag: Tag,
    /// The element (attributes) for element nodes.
    pub elem: Option<&'a Element>,
    /// The raw text of a text node (entities already decoded by the parser); empty otherwise.
    pub text: &'a str,
    /// Index of the parent (the root points at itself).
    pub parent: usize,
    /// One past the index of this node's last descendant.
    pub end: usize,
}

impl<'a> Node<'a> {
    /// An attribute of an element node.
    pub(super) fn attr(&self, name: &str) -> Option<&'a str> {
        self.elem.and_then(|e| e.attr(name))
    }
}

/// The flat copy of the `<body>` (or of the whole document when there is no body element).
pub(super) struct Dom<'a> {
    /// Nodes in document (pre-)order; index 0 is the root.
    pub nodes: Vec<Node<'a>>,
    /// `(lower-case property/name/itemprop, content)` of every `<meta>` with content.
    pub metas: Vec<(String, &'a str)>,
    /// Raw text of the first `<title>`.
    pub title: Option<String>,
}

impl<'a> Dom<'a> {
    /// Copies the document's element and text nodes, leaving out never-text subtrees.
    pub(super) fn build(html: &'a Html) -> Dom<'a> {
        let mut nodes: Vec<Node<'a>> = Vec::with_capacity(html.tree.nodes().len() / 2 + 1);
        nodes.push(Node {
            tag: Tag::Body,
            elem: None,
            text: "",
            parent: 0,
            end: 1,
        });
        // Explicit stack of (scraper node, parent copy index, close marker). The node type
        // is inferred, which keeps `ego_tree` (scraper's tree crate) out of our dependencies.
        // An entry with `Some(idx)` closes the copy at `idx` once its children are done.
        let mut metas = Vec::new();
        let mut title = None;
        let root = html.tree.root();
        let mut stack = Vec::with_capacity(64);
        let mut kids: Vec<_> = root.children().collect();
        while let Some(k) = kids.pop() {
            stack.push((k, 0usize, None::<usize>));
        }
        while let Some((node, parent, close)) = stack.pop() {
            if let Some(idx) = close {
                let end = nodes.len();
                if let Some(n) = nodes.get_mut(idx) {
                    n.end = end;
                }
                continue;
            }
            let own = match node.value() {
                HtmlNode::Text(t) => {
                    nodes.push(Node {
                        tag: Tag::Text,
                        elem: None,
                        text: t,
                        parent,
                        end: nodes.len() + 1,
                    });
                    continue;
                }
                HtmlNode::Element(e) => {
                    let name = e.name();
                    // `html`, `head` and `body` are transparent: their children hang off the
                    // root (the head's own children are metadata, collected below).
                    if name == "html" || name == "body" || name == "head" {
                        parent
                    } else if name == "meta" {
                        let key = e
                            .attr("property")
                            .or_else(|| e.attr("name"))
                            .or_else(|| e.attr("itemprop"));
                        if let (Some(k), Some(c)) = (key, e.attr("content")) {
                            metas.push((k.trim().to_ascii_lowercase(), c));
                        }
                        continue;
                    } else if name == "title" {
                        if title.is_none() {
                            let mut t = String::new();
                            for c in node.children() {
                                if let HtmlNode::Text(x) = c.value() {
                                    t.push_str(x);
                                }
                            }
                            title = Some(t);
                        }
                        continue;
                    } else {
                        let Some(tag) = Tag::from_name(name) else {
                            continue;
                        };
                        let idx = nodes.len();
                        nodes.push(Node {
                            tag,
                            elem: Some(e),
                            text: "",
                            parent,
                            end: idx + 1,
                        });
                        stack.push((node, parent, Some(idx)));
                        idx
                    }
                }
                _ => continue,
            };
            // Children in reverse so that the first child is popped first.
            let mut child = node.last_child();
            while let Some(c) = child {
                stack.push((c, own, None));
                child = c.prev_sibling();
            }
        }
        let len = nodes.len();
        if let Some(root) = nodes.first_mut() {
            root.end = len;
        }
        Dom {
            nodes,
            metas,
            title,
        }
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
