//! The standard's tree construction, on an arena of nodes.
//!
//! Follows the insertion modes of the HTML standard (with scripting disabled, and the 2025
//! `<select>` rules that parse its content like body content): implied `html`/`head`/
//! `body`, the stack of open elements with its scopes, the list of active formatting
//! elements with reconstruction and the adoption agency (with its loop limits), tables with
//! foster parenting, templates, framesets, and foreign content (SVG and MathML) with its
//! break-out tags and integration points. Comments and doctypes are not kept.
//!
//! Nodes live in one vector and link to parent and siblings by index, so moving a node (the
//! adoption agency, foster parenting) is a few index writes; [`super::parse`] turns the
//! arena into the flat pre-order list afterwards.

use std::borrow::Cow;

use super::dom::Attr;
use super::tokenize::{State, Token, Tokenizer};

/// No node.
pub(super) const NONE: u32 = u32::MAX;

/// Elements nested deeper than this are dropped (their text is kept). Real pages stay under
/// about 100 levels; Blink stops nesting at 512 too.
pub(super) const MAX_DEPTH: usize = 512;

/// An element's namespace.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Ns {
    Html,
    Svg,
    MathMl,
}

/// One node of the arena: the document (index 0), an element or a text.
pub(super) struct TNode<'a> {
    /// Local name of an element; empty for text and the document.
    pub name: Cow<'a, str>,
    pub ns: Ns,
    /// Text of a text node.
    pub text: Cow<'a, str>,
    pub is_text: bool,
    /// The element's attributes: a range of the attribute list.
    pub attrs: (u32, u32),
    pub parent: u32,
    pub first: u32,
    pub last: u32,
    pub next: u32,
    pub prev: u32,
    /// On the stack of open elements.
    open: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum InsertionMode {
    Initial,
    BeforeHtml,
    BeforeHead,
    InHead,
    InHeadNoscript,
    AfterHead,
    InBody,
    Text,
    InTable,
    InTableText,
    InCaption,
    InColumnGroup,
    InTableBody,
    InRow,
    InCell,
    InTemplate,
    AfterBody,
    InFrameset,
    AfterFrameset,
    AfterAfterBody,
    AfterAfterFrameset,
}

/// What a rule did with its token.
enum Step<'a> {
    Done,
    /// Process this token again (in the mode now current).
    Again(Token<'a>),
}

use Step::{Again, Done};

/// The scopes of "has an element in … scope".
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Default,
    ListItem,
    Button,
    Table,
}

const MARKER: u32 = u32::MAX;

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c')
}

/// Splits leading whitespace off `text`.
fn split_ws<'a>(text: Cow<'a, str>) -> (Cow<'a, str>, Cow<'a, str>) {
    let n = text.len() - text.trim_start_matches(is_ws).len();
    if n == 0 {
        return (Cow::Borrowed(""), text);
    }
    if n == text.len() {
        return (text, Cow::Borrowed(""));
    }
    match text {
        Cow::Borrowed(s) => (
            Cow::Borrowed(s.get(..n).unwrap_or("")),
            Cow::Borrowed(s.get(n..).unwrap_or("")),
        ),
        Cow::Owned(s) => (
            Cow::Owned(s.get(..n).unwrap_or("").to_string()),
            Cow::Owned(s.get(n..).unwrap_or("").to_string()),
        ),
    }
}

fn only_ws(text: &str) -> Cow<'static, str> {
    Cow::Owned(text.chars().filter(|c| is_ws(*c)).collect())
}

/// HTML elements the standard calls special.
fn is_special_html(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "applet"
            | "area"
            | "article"
            | "aside"
            | "base"
            | "basefont"
            | "bgsound"
            | "blockquote"
            | "body"
            | "br"
            | "button"
            | "caption"
            | "center"
            | "col"
            | "colgroup"
            | "dd"
            | "details"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "embed"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "frame"
            | "frameset"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "head"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "iframe"
            | "img"
            | "input"
            | "keygen"
            | "li"
            | "link"
            | "listing"
            | "main"
            | "marquee"
            | "menu"
            | "meta"
            | "nav"
            | "noembed"
            | "noframes"
            | "noscript"
            | "object"
            | "ol"
            | "p"
            | "param"
            | "plaintext"
            | "pre"
            | "script"
            | "search"
            | "section"
            | "select"
            | "source"
            | "style"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "template"
            | "textarea"
            | "tfoot"
            | "th"
            | "thead"
            | "title"
            | "tr"
            | "track"
            | "ul"
            | "wbr"
            | "xmp"
    )
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

fn is_formatting(name: &str) -> bool {
    matches!(
        name,
        "a" | "b"
            | "big"
            | "code"
            | "em"
            | "font"
            | "i"
            | "nobr"
            | "s"
            | "small"
            | "strike"
            | "strong"
            | "tt"
            | "u"
    )
}

/// Elements whose start tag closes an open `<p>` and that are then inserted plainly.
fn is_plain_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "center"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "header"
            | "hgroup"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "search"
            | "section"
            | "summary"
            | "ul"
    )
}

/// Elements whose end tag closes them (when in scope) after the implied end tags.
fn is_block_end(name: &str) -> bool {
    is_plain_block(name) && name != "p" || matches!(name, "button" | "listing" | "pre" | "select")
}

/// The SVG element names the standard writes in camel case.
fn svg_name(name: &str) -> Option<&'static str> {
    Some(match name {
        "altglyph" => "altGlyph",
        "altglyphdef" => "altGlyphDef",
        "altglyphitem" => "altGlyphItem",
        "animatecolor" => "animateColor",
        "animatemotion" => "animateMotion",
        "animatetransform" => "animateTransform",
        "clippath" => "clipPath",
        "feblend" => "feBlend",
        "fecolormatrix" => "feColorMatrix",
        "fecomponenttransfer" => "feComponentTransfer",
        "fecomposite" => "feComposite",
        "feconvolvematrix" => "feConvolveMatrix",
        "fediffuselighting" => "feDiffuseLighting",
        "fedisplacementmap" => "feDisplacementMap",
        "fedistantlight" => "feDistantLight",
        "fedropshadow" => "feDropShadow",
        "feflood" => "feFlood",
        "fefunca" => "feFuncA",
        "fefuncb" => "feFuncB",
        "fefuncg" => "feFuncG",
        "fefuncr" => "feFuncR",
        "fegaussianblur" => "feGaussianBlur",
        "feimage" => "feImage",
        "femerge" => "feMerge",
        "femergenode" => "feMergeNode",
        "femorphology" => "feMorphology",
        "feoffset" => "feOffset",
        "fepointlight" => "fePointLight",
        "fespecularlighting" => "feSpecularLighting",
        "fespotlight" => "feSpotLight",
        "fetile" => "feTile",
        "feturbulence" => "feTurbulence",
        "foreignobject" => "foreignObject",
        "glyphref" => "glyphRef",
        "lineargradient" => "linearGradient",
        "radialgradient" => "radialGradient",
        "textpath" => "textPath",
        _ => return None,
    })
}

/// Start tags that leave foreign content.
fn breaks_out(name: &str) -> bool {
    matches!(
        name,
        "b" | "big"
            | "blockquote"
            | "body"
            | "br"
            | "center"
            | "code"
            | "dd"
            | "div"
            | "dl"
            | "dt"
            | "em"
            | "embed"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "head"
            | "hr"
            | "i"
            | "img"
            | "li"
            | "listing"
            | "menu"
            | "meta"
            | "nobr"
            | "ol"
            | "p"
            | "pre"
            | "ruby"
            | "s"
            | "small"
            | "span"
            | "strong"
            | "strike"
            | "sub"
            | "sup"
            | "table"
            | "tt"
            | "u"
            | "ul"
            | "var"
    )
}

pub(super) struct TreeBuilder<'a> {
    pub nodes: Vec<TNode<'a>>,
    /// Attributes of all start tags (elements hold ranges of it).
    pub attrs: Vec<Attr<'a>>,
    open: Vec<u32>,
    /// Active formatting elements, [`MARKER`] for markers.
    afe: Vec<u32>,
    mode: InsertionMode,
    orig_mode: InsertionMode,
    template_modes: Vec<InsertionMode>,
    head: u32,
    form: u32,
    frameset_ok: bool,
    quirks: bool,
    foster: bool,
    pending_text: Vec<Cow<'a, str>>,
    pending_non_ws: bool,
    /// A line feed at the start of the next token is dropped (after `<pre>`, `<textarea>`).
    skip_lf: bool,
    /// Start tags dropped past [`MAX_DEPTH`], per name, whose end tags are still to come.
    too_deep: Vec<(Cow<'a, str>, usize)>,
    /// Tokenizer switch requested by the last rule.
    switch: Option<(State, &'static str)>,
    /// HTML `<p>` elements on the stack: most block start tags look for one.
    open_p: usize,
    /// A `<selectedcontent>` element was inserted.
    has_selectedcontent: bool,
}

/// Parses `src` into the arena (index 0 is the document).
pub(super) fn build(src: &str) -> TreeBuilder<'_> {
    let mut tb = TreeBuilder::new(src.len());
    let mut tok = Tokenizer::new(src);
    loop {
        tok.cdata_allowed = tb.open.last().is_some_and(|&n| tb.node(n).ns != Ns::Html);
        let mut t = tok.next(&mut tb.attrs);
        if std::mem::take(&mut tb.skip_lf)
            && let Token::Text(text) = &mut t
        {
            let cut = if text.starts_with("\r\n") {
                2
            } else {
                usize::from(text.starts_with('\n') || text.starts_with('\r'))
            };
            if cut > 0 {
                *text = match std::mem::take(text) {
                    Cow::Borrowed(s) => Cow::Borrowed(s.get(cut..).unwrap_or("")),
                    Cow::Owned(s) => Cow::Owned(s.get(cut..).unwrap_or("").to_string()),
                };
                if text.is_empty() {
                    continue;
                }
            }
        }
        let eof = matches!(t, Token::Eof);
        tb.process(t);
        if let Some((state, name)) = tb.switch.take() {
            tok.switch(state, name);
        }
        if eof {
            break;
        }
    }
    if tb.has_selectedcontent {
        tb.fill_selectedcontent();
    }
    tb
}

impl<'a> TreeBuilder<'a> {
    fn new(len: usize) -> TreeBuilder<'a> {
        let mut nodes = Vec::with_capacity(len / 40 + 8);
        nodes.push(TNode {
            name: Cow::Borrowed(""),
            ns: Ns::Html,
            text: Cow::Borrowed(""),
            is_text: false,
            attrs: (0, 0),
            parent: NONE,
            first: NONE,
            last: NONE,
            next: NONE,
            prev: NONE,
            open: false,
        });
        TreeBuilder {
            nodes,
            attrs: Vec::with_capacity(len / 80 + 8),
            open: Vec::with_capacity(64),
            afe: Vec::new(),
            mode: InsertionMode::Initial,
            orig_mode: InsertionMode::InBody,
            template_modes: Vec::new(),
            head: NONE,
            form: NONE,
            frameset_ok: true,
            quirks: false,
            foster: false,
            pending_text: Vec::new(),
            pending_non_ws: false,
            skip_lf: false,
            too_deep: Vec::new(),
            switch: None,
            open_p: 0,
            has_selectedcontent: false,
        }
    }

    // ----- the arena -----

    pub(super) fn node(&self, i: u32) -> &TNode<'a> {
        // Indices come from the arena itself; the fallback is never used.
        self.nodes.get(i as usize).unwrap_or_else(|| &self.nodes[0])
    }

    fn node_mut(&mut self, i: u32) -> &mut TNode<'a> {
        let i = if (i as usize) < self.nodes.len() {
            i as usize
        } else {
            0
        };
        &mut self.nodes[i]
    }

    fn is(&self, i: u32, name: &str) -> bool {
        let n = self.node(i);
        n.ns == Ns::Html && n.name == name
    }

    fn html_name(&self, i: u32) -> &str {
        let n = self.node(i);
        if n.ns == Ns::Html { &n.name } else { "" }
    }

    fn attr(&self, i: u32, name: &str) -> Option<&str> {
        let (from, to) = self.node(i).attrs;
        self.attrs
            .get(from as usize..to as usize)
            .unwrap_or(&[])
            .iter()
            .find(|a| a.name == name)
            .map(|a| &*a.value)
    }

    fn new_node(&mut self, name: Cow<'a, str>, ns: Ns, attrs: (u32, u32)) -> u32 {
        let idx = self.nodes.len() as u32;
        self.nodes.push(TNode {
            name,
            ns,
            text: Cow::Borrowed(""),
            is_text: false,
            attrs,
            parent: NONE,
            first: NONE,
            last: NONE,
            next: NONE,
            prev: NONE,
            open: false,
        });
        idx
    }

    fn detach(&mut self, n: u32) {
        let (parent, prev, next) = {
            let x = self.node(n);
            (x.parent, x.prev, x.next)
        };
        if parent == NONE {
            return;
        }
        if prev != NONE {
            self.node_mut(prev).next = next;
        } else {
            self.node_mut(parent).first = next;
        }
        if next != NONE {
            self.node_mut(next).prev = prev;
        } else {
            self.node_mut(parent).last = prev;
        }
        let x = self.node_mut(n);
        x.parent = NONE;
        x.prev = NONE;
        x.next = NONE;
    }

    /// Inserts `n` into `parent` before `before` (at the end when [`NONE`]).
    fn insert_at(&mut self, parent: u32, before: u32, n: u32) {
        self.detach(n);
        let prev = if before == NONE {
            self.node(parent).last
        } else {
            self.node(before).prev
        };
        {
            let x = self.node_mut(n);
            x.parent = parent;
            x.prev = prev;
            x.next = before;
        }
        if prev != NONE {
            self.node_mut(prev).next = n;
        } else {
            self.node_mut(parent).first = n;
        }
        if before != NONE {
            self.node_mut(before).prev = n;
        } else {
            self.node_mut(parent).last = n;
        }
    }

    fn current(&self) -> u32 {
        self.open.last().copied().unwrap_or(0)
    }

    /// The appropriate place for inserting a node: parent and the node to insert before.
    fn place(&self, target: u32) -> (u32, u32) {
        if self.foster
            && matches!(
                self.html_name(target),
                "table" | "tbody" | "tfoot" | "thead" | "tr"
            )
        {
            let last_template = self.open.iter().rposition(|&n| self.is(n, "template"));
            let last_table = self.open.iter().rposition(|&n| self.is(n, "table"));
            if let Some(t) = last_template
                && last_table.is_none_or(|tb| t > tb)
            {
                return (self.open.get(t).copied().unwrap_or(0), NONE);
            }
            let Some(tb) = last_table else {
                return (self.open.first().copied().unwrap_or(0), NONE);
            };
            let table = self.open.get(tb).copied().unwrap_or(0);
            let parent = self.node(table).parent;
            if parent != NONE {
                return (parent, table);
            }
            let below = tb.checked_sub(1).and_then(|i| self.open.get(i)).copied();
            return (below.unwrap_or(0), NONE);
        }
        (target, NONE)
    }

    fn insert_text(&mut self, text: Cow<'a, str>) {
        if text.is_empty() {
            return;
        }
        let (parent, before) = self.place(self.current());
        if parent == 0 {
            // The document holds no text.
            return;
        }
        let idx = self.nodes.len() as u32;
        self.nodes.push(TNode {
            name: Cow::Borrowed(""),
            ns: Ns::Html,
            text,
            is_text: true,
            attrs: (0, 0),
            parent: NONE,
            first: NONE,
            last: NONE,
            next: NONE,
            prev: NONE,
            open: false,
        });
        self.insert_at(parent, before, idx);
    }

    /// Creates an element, inserts it at the appropriate place and pushes it.
    fn insert_element(&mut self, name: Cow<'a, str>, ns: Ns, attrs: (u32, u32)) -> u32 {
        let n = self.new_node(name, ns, attrs);
        let (parent, before) = self.place(self.current());
        self.insert_at(parent, before, n);
        self.push(n);
        n
    }

    fn insert_html(&mut self, name: Cow<'a, str>, attrs: (u32, u32)) -> u32 {
        if name == "selectedcontent" {
            self.has_selectedcontent = true;
        }
        self.insert_element(name, Ns::Html, attrs)
    }

    fn insert_void(&mut self, name: Cow<'a, str>, attrs: (u32, u32)) {
        self.insert_html(name, attrs);
        self.pop();
    }

    fn push(&mut self, n: u32) {
        self.on_stack(n, true);
        self.open.push(n);
    }

    /// Bookkeeping for `n` entering or leaving the stack of open elements.
    fn on_stack(&mut self, n: u32, open: bool) {
        if self.is(n, "p") {
            if open {
                self.open_p += 1;
            } else {
                self.open_p = self.open_p.saturating_sub(1);
            }
        }
        self.node_mut(n).open = open;
    }

    fn pop(&mut self) -> u32 {
        let n = self.open.pop().unwrap_or(NONE);
        if n != NONE {
            self.on_stack(n, false);
        }
        n
    }

    fn pop_until(&mut self, name: &str) {
        while let Some(&n) = self.open.last() {
            self.pop();
            if self.is(n, name) {
                break;
            }
        }
    }

    fn pop_until_node(&mut self, target: u32) {
        while let Some(n) = self.open.last().copied() {
            self.pop();
            if n == target {
                break;
            }
        }
    }

    fn remove_from_stack(&mut self, n: u32) {
        if let Some(i) = self.open.iter().rposition(|&x| x == n) {
            self.open.remove(i);
            self.on_stack(n, false);
        }
    }

    /// The next node after `n` in tree order within `root`'s subtree, skipping `n`'s
    /// children when `skip_children`.
    fn next_in(&self, root: u32, n: u32, skip_children: bool) -> u32 {
        if !skip_children && self.node(n).first != NONE {
            return self.node(n).first;
        }
        let mut x = n;
        while x != root && x != NONE {
            let next = self.node(x).next;
            if next != NONE {
                return next;
            }
            x = self.node(x).parent;
        }
        NONE
    }

    /// A `<selectedcontent>` shows a copy of its select's chosen option (the last with
    /// `selected`, else the first), as the standard's parser does when options close.
    fn fill_selectedcontent(&mut self) {
        let targets: Vec<u32> = (0..self.nodes.len() as u32)
            .filter(|&n| self.is(n, "selectedcontent"))
            .collect();
        for sc in targets {
            let mut select = self.node(sc).parent;
            while select != NONE && !self.is(select, "select") {
                select = self.node(select).parent;
            }
            if select == NONE {
                continue;
            }
            let (mut first, mut chosen) = (NONE, NONE);
            let mut n = self.node(select).first;
            while n != NONE {
                let inside = n == sc;
                if !inside && self.is(n, "option") {
                    if first == NONE {
                        first = n;
                    }
                    if self.attr(n, "selected").is_some() {
                        chosen = n;
                    }
                }
                n = self.next_in(select, n, inside);
            }
            let option = if chosen == NONE { first } else { chosen };
            if option == NONE {
                continue;
            }
            // A `<selectedcontent>` inside its own option would copy itself without end.
            let mut up = sc;
            while up != NONE && up != option {
                up = self.node(up).parent;
            }
            if up == option {
                continue;
            }
            let mut c = self.node(option).first;
            while c != NONE {
                let next = self.node(c).next;
                self.clone_into(c, sc);
                c = next;
            }
        }
    }

    /// Appends a deep copy of `n` to `parent` (without recursion: the subtree can be deep).
    fn clone_into(&mut self, n: u32, parent: u32) {
        let mut work = vec![(n, parent)];
        while let Some((n, parent)) = work.pop() {
            let (name, ns, text, is_text, attrs) = {
                let x = self.node(n);
                (x.name.clone(), x.ns, x.text.clone(), x.is_text, x.attrs)
            };
            let copy = self.new_node(name, ns, attrs);
            {
                let x = self.node_mut(copy);
                x.text = text;
                x.is_text = is_text;
            }
            self.insert_at(parent, NONE, copy);
            // Children in reverse onto the stack, so they are appended in order.
            let mut c = self.node(n).last;
            while c != NONE {
                work.push((c, copy));
                c = self.node(c).prev;
            }
        }
    }

    // ----- scopes -----

    fn is_boundary(&self, n: u32, scope: Scope) -> bool {
        let node = self.node(n);
        match node.ns {
            Ns::Html => match scope {
                Scope::Table => matches!(&*node.name, "html" | "table" | "template"),
                _ => {
                    matches!(
                        &*node.name,
                        "applet"
                            | "caption"
                            | "html"
                            | "table"
                            | "td"
                            | "th"
                            | "marquee"
                            | "object"
                            | "template"
                    ) || (scope == Scope::ListItem && matches!(&*node.name, "ol" | "ul"))
                        || (scope == Scope::Button && node.name == "button")
                }
            },
            _ if scope == Scope::Table => false,
            Ns::MathMl => matches!(
                &*node.name,
                "mi" | "mo" | "mn" | "ms" | "mtext" | "annotation-xml"
            ),
            Ns::Svg => matches!(&*node.name, "foreignObject" | "desc" | "title"),
        }
    }

    /// The innermost open element for which `found` holds, within `scope`.
    fn in_scope_by(&self, found: impl Fn(&Self, u32) -> bool, scope: Scope) -> Option<usize> {
        for (i, &n) in self.open.iter().enumerate().rev() {
            if found(self, n) {
                return Some(i);
            }
            if self.is_boundary(n, scope) {
                return None;
            }
        }
        None
    }

    fn in_scope(&self, name: &str, scope: Scope) -> bool {
        self.in_scope_by(|tb, n| tb.is(n, name), scope).is_some()
    }

    fn has_open(&self, name: &str) -> bool {
        self.open.iter().any(|&n| self.is(n, name))
    }

    fn is_special(&self, n: u32) -> bool {
        let node = self.node(n);
        match node.ns {
            Ns::Html => is_special_html(&node.name),
            _ => self.is_boundary(n, Scope::Default),
        }
    }

    // ----- common steps -----

    fn generate_implied_end_tags(&mut self, except: &str) {
        while let Some(&n) = self.open.last() {
            let name = self.html_name(n);
            if name != except
                && matches!(
                    name,
                    "dd" | "dt" | "li" | "optgroup" | "option" | "p" | "rb" | "rp" | "rt" | "rtc"
                )
            {
                self.pop();
            } else {
                break;
            }
        }
    }

    fn generate_all_implied_end_tags(&mut self) {
        while let Some(&n) = self.open.last() {
            if matches!(
                self.html_name(n),
                "caption"
                    | "colgroup"
                    | "dd"
                    | "dt"
                    | "li"
                    | "optgroup"
                    | "option"
                    | "p"
                    | "rb"
                    | "rp"
                    | "rt"
                    | "rtc"
                    | "tbody"
                    | "td"
                    | "tfoot"
                    | "th"
                    | "thead"
                    | "tr"
            ) {
                self.pop();
            } else {
                break;
            }
        }
    }

    fn close_p(&mut self) {
        if self.open_p > 0 && self.in_scope("p", Scope::Button) {
            self.generate_implied_end_tags("p");
            self.pop_until("p");
        }
    }

    fn reconstruct(&mut self) {
        let Some(&last) = self.afe.last() else { return };
        if last == MARKER || self.node(last).open {
            return;
        }
        let mut i = self.afe.len() - 1;
        while i > 0 {
            let e = self.afe.get(i - 1).copied().unwrap_or(MARKER);
            if e == MARKER || self.node(e).open {
                break;
            }
            i -= 1;
        }
        while i < self.afe.len() {
            let e = self.afe.get(i).copied().unwrap_or(0);
            let (name, attrs) = {
                let n = self.node(e);
                (n.name.clone(), n.attrs)
            };
            let new = self.insert_html(name, attrs);
            if let Some(slot) = self.afe.get_mut(i) {
                *slot = new;
            }
            i += 1;
        }
    }

    fn clear_afe_to_marker(&mut self) {
        while let Some(e) = self.afe.pop() {
            if e == MARKER {
                break;
            }
        }
    }

    fn push_afe(&mut self, n: u32) {
        // Noah's Ark: at most three equal entries after the last marker.
        let (name, attrs) = {
            let x = self.node(n);
            (x.name.clone(), x.attrs)
        };
        let mut same = Vec::new();
        for (i, &e) in self.afe.iter().enumerate().rev() {
            if e == MARKER {
                break;
            }
            let x = self.node(e);
            if x.name == name && self.same_attrs(x.attrs, attrs) {
                same.push(i);
            }
        }
        if same.len() >= 3
            && let Some(&earliest) = same.last()
        {
            self.afe.remove(earliest);
        }
        self.afe.push(n);
    }

    fn same_attrs(&self, a: (u32, u32), b: (u32, u32)) -> bool {
        if a == b {
            return true;
        }
        let get = |r: (u32, u32)| self.attrs.get(r.0 as usize..r.1 as usize).unwrap_or(&[]);
        let (a, b) = (get(a), get(b));
        a.len() == b.len()
            && a.iter()
                .all(|x| b.iter().any(|y| y.name == x.name && y.value == x.value))
    }

    fn reset_mode(&mut self) {
        for (i, &n) in self.open.iter().enumerate().rev() {
            let last = i == 0;
            let mode = match self.html_name(n) {
                "td" | "th" if !last => InsertionMode::InCell,
                "tr" => InsertionMode::InRow,
                "tbody" | "thead" | "tfoot" => InsertionMode::InTableBody,
                "caption" => InsertionMode::InCaption,
                "colgroup" => InsertionMode::InColumnGroup,
                "table" => InsertionMode::InTable,
                "template" => self
                    .template_modes
                    .last()
                    .copied()
                    .unwrap_or(InsertionMode::InBody),
                "head" if !last => InsertionMode::InHead,
                "body" => InsertionMode::InBody,
                "frameset" => InsertionMode::InFrameset,
                "html" => {
                    if self.head == NONE {
                        InsertionMode::BeforeHead
                    } else {
                        InsertionMode::AfterHead
                    }
                }
                _ if last => InsertionMode::InBody,
                _ => continue,
            };
            self.mode = mode;
            return;
        }
        self.mode = InsertionMode::InBody;
    }

    fn raw_text(&mut self, name: Cow<'a, str>, attrs: (u32, u32), state: State) {
        let end: &'static str = match &*name {
            "title" => "title",
            "textarea" => "textarea",
            "style" => "style",
            "xmp" => "xmp",
            "iframe" => "iframe",
            "noembed" => "noembed",
            "noframes" => "noframes",
            "noscript" => "noscript",
            "script" => "script",
            _ => "plaintext",
        };
        self.insert_html(name, attrs);
        self.switch = Some((state, end));
        self.orig_mode = self.mode;
        self.mode = InsertionMode::Text;
    }

    // ----- dispatch -----

    fn process(&mut self, mut t: Token<'a>) {
        // A token is reprocessed a few times at most (mode changes, implied elements); the
        // bound only guards against a rule cycle, which would drop the token, not hang.
        for _ in 0..64 {
            let step = if self.use_html_rules(&t) {
                self.by_mode(self.mode, t)
            } else {
                self.foreign(t)
            };
            match step {
                Done => return,
                Again(tok) => t = tok,
            }
        }
    }

    fn use_html_rules(&self, t: &Token<'a>) -> bool {
        let Some(&cur) = self.open.last() else {
            return true;
        };
        let node = self.node(cur);
        match node.ns {
            Ns::Html => true,
            Ns::MathMl => {
                let text_point = matches!(&*node.name, "mi" | "mo" | "mn" | "ms" | "mtext");
                match t {
                    Token::Start { name, .. } => {
                        (text_point && name != "mglyph" && name != "malignmark")
                            || (node.name == "annotation-xml" && name == "svg")
                            || self.is_html_integration_point(cur)
                    }
                    Token::Text(_) => text_point || self.is_html_integration_point(cur),
                    Token::Eof => true,
                    _ => false,
                }
            }
            Ns::Svg => match t {
                Token::Start { .. } | Token::Text(_) => self.is_html_integration_point(cur),
                Token::Eof => true,
                _ => false,
            },
        }
    }

    fn is_html_integration_point(&self, n: u32) -> bool {
        let node = self.node(n);
        match node.ns {
            Ns::Svg => matches!(&*node.name, "foreignObject" | "desc" | "title"),
            Ns::MathMl => {
                node.name == "annotation-xml"
                    && self.attr(n, "encoding").is_some_and(|e| {
                        e.eq_ignore_ascii_case("text/html")
                            || e.eq_ignore_ascii_case("application/xhtml+xml")
                    })
            }
            Ns::Html => false,
        }
    }

    fn by_mode(&mut self, mode: InsertionMode, t: Token<'a>) -> Step<'a> {
        match mode {
            InsertionMode::Initial => self.initial(t),
            InsertionMode::BeforeHtml => self.before_html(t),
            InsertionMode::BeforeHead => self.before_head(t),
            InsertionMode::InHead => self.in_head(t),
            InsertionMode::InHeadNoscript => self.in_head_noscript(t),
            InsertionMode::AfterHead => self.after_head(t),
            InsertionMode::InBody => self.in_body(t),
            InsertionMode::Text => self.text_mode(t),
            InsertionMode::InTable => self.in_table(t),
            InsertionMode::InTableText => self.in_table_text(t),
            InsertionMode::InCaption => self.in_caption(t),
            InsertionMode::InColumnGroup => self.in_column_group(t),
            InsertionMode::InTableBody => self.in_table_body(t),
            InsertionMode::InRow => self.in_row(t),
            InsertionMode::InCell => self.in_cell(t),
            InsertionMode::InTemplate => self.in_template(t),
            InsertionMode::AfterBody => self.after_body(t),
            InsertionMode::InFrameset | InsertionMode::AfterFrameset => self.in_frameset(mode, t),
            InsertionMode::AfterAfterBody => self.after_after_body(t),
            InsertionMode::AfterAfterFrameset => self.after_after_frameset(t),
        }
    }

    /// Processes leading whitespace of a text token with `mode`'s rules; returns the rest
    /// (`None` when nothing is left).
    fn leading_ws(&mut self, text: Cow<'a, str>, insert: bool) -> Option<Cow<'a, str>> {
        let (ws, rest) = split_ws(text);
        if insert {
            self.insert_text(ws);
        }
        if rest.is_empty() { None } else { Some(rest) }
    }

    fn initial(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Text(text) => match self.leading_ws(text, false) {
                None => Done,
                Some(rest) => {
                    self.quirks = true;
                    self.mode = InsertionMode::BeforeHtml;
                    Again(Token::Text(rest))
                }
            },
            Token::Comment => Done,
            Token::Doctype { quirks } => {
                self.quirks = quirks;
                self.mode = InsertionMode::BeforeHtml;
                Done
            }
            t => {
                self.quirks = true;
                self.mode = InsertionMode::BeforeHtml;
                Again(t)
            }
        }
    }

    fn before_html(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Doctype { .. } | Token::Comment => Done,
            Token::Text(text) => match self.leading_ws(text, false) {
                None => Done,
                Some(rest) => {
                    self.imply("html");
                    self.mode = InsertionMode::BeforeHead;
                    Again(Token::Text(rest))
                }
            },
            Token::Start { name, attrs, .. } if name == "html" => {
                self.insert_html(name, attrs);
                self.mode = InsertionMode::BeforeHead;
                Done
            }
            Token::End { name } if !matches!(&*name, "head" | "body" | "html" | "br") => Done,
            t => {
                self.imply("html");
                self.mode = InsertionMode::BeforeHead;
                Again(t)
            }
        }
    }

    fn imply(&mut self, name: &'static str) -> u32 {
        self.insert_html(Cow::Borrowed(name), (0, 0))
    }

    fn before_head(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Doctype { .. } | Token::Comment => Done,
            Token::Text(text) => match self.leading_ws(text, false) {
                None => Done,
                Some(rest) => {
                    self.head = self.imply("head");
                    self.mode = InsertionMode::InHead;
                    Again(Token::Text(rest))
                }
            },
            Token::Start { ref name, .. } if name == "html" => self.in_body(t),
            Token::Start { name, attrs, .. } if name == "head" => {
                self.head = self.insert_html(name, attrs);
                self.mode = InsertionMode::InHead;
                Done
            }
            Token::End { name } if !matches!(&*name, "head" | "body" | "html" | "br") => Done,
            t => {
                self.head = self.imply("head");
                self.mode = InsertionMode::InHead;
                Again(t)
            }
        }
    }

    fn in_head(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Text(text) => match self.leading_ws(text, true) {
                None => Done,
                Some(rest) => {
                    self.pop();
                    self.mode = InsertionMode::AfterHead;
                    Again(Token::Text(rest))
                }
            },
            Token::Comment | Token::Doctype { .. } => Done,
            Token::Start {
                name,
                attrs,
                self_closing,
            } => match &*name {
                "html" => self.in_body(Token::Start {
                    name,
                    attrs,
                    self_closing,
                }),
                "base" | "basefont" | "bgsound" | "link" | "meta" => {
                    self.insert_void(name, attrs);
                    Done
                }
                "title" => {
                    self.raw_text(name, attrs, State::Rcdata);
                    Done
                }
                "noscript" => {
                    self.insert_html(name, attrs);
                    self.mode = InsertionMode::InHeadNoscript;
                    Done
                }
                "noframes" | "style" => {
                    self.raw_text(name, attrs, State::Rawtext);
                    Done
                }
                "script" => {
                    self.raw_text(name, attrs, State::ScriptData);
                    Done
                }
                "template" => {
                    self.insert_html(name, attrs);
                    self.afe.push(MARKER);
                    self.frameset_ok = false;
                    self.mode = InsertionMode::InTemplate;
                    self.template_modes.push(InsertionMode::InTemplate);
                    Done
                }
                "head" => Done,
                _ => {
                    self.pop();
                    self.mode = InsertionMode::AfterHead;
                    Again(Token::Start {
                        name,
                        attrs,
                        self_closing,
                    })
                }
            },
            Token::End { name } => match &*name {
                "head" => {
                    self.pop();
                    self.mode = InsertionMode::AfterHead;
                    Done
                }
                "template" => {
                    self.end_template();
                    Done
                }
                "body" | "html" | "br" => {
                    self.pop();
                    self.mode = InsertionMode::AfterHead;
                    Again(Token::End { name })
                }
                _ => Done,
            },
            Token::Eof => {
                self.pop();
                self.mode = InsertionMode::AfterHead;
                Again(Token::Eof)
            }
        }
    }

    fn end_template(&mut self) {
        if !self.has_open("template") {
            return;
        }
        self.generate_all_implied_end_tags();
        self.pop_until("template");
        self.clear_afe_to_marker();
        self.template_modes.pop();
        self.reset_mode();
    }

    fn in_head_noscript(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Doctype { .. } => Done,
            Token::Start { ref name, .. } if name == "html" => self.in_body(t),
            Token::End { ref name } if name == "noscript" => {
                self.pop();
                self.mode = InsertionMode::InHead;
                Done
            }
            Token::Comment => Done,
            Token::Text(text) => match self.leading_ws(text, true) {
                None => Done,
                Some(rest) => {
                    self.pop();
                    self.mode = InsertionMode::InHead;
                    Again(Token::Text(rest))
                }
            },
            Token::Start { ref name, .. }
                if matches!(
                    &**name,
                    "basefont" | "bgsound" | "link" | "meta" | "noframes" | "style"
                ) =>
            {
                self.in_head(t)
            }
            Token::Start { ref name, .. } if matches!(&**name, "head" | "noscript") => Done,
            Token::End { ref name } if name != "br" => Done,
            t => {
                self.pop();
                self.mode = InsertionMode::InHead;
                Again(t)
            }
        }
    }

    fn after_head(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Text(text) => match self.leading_ws(text, true) {
                None => Done,
                Some(rest) => {
                    self.imply("body");
                    self.mode = InsertionMode::InBody;
                    Again(Token::Text(rest))
                }
            },
            Token::Comment | Token::Doctype { .. } => Done,
            Token::Start {
                name,
                attrs,
                self_closing,
            } => match &*name {
                "html" => self.in_body(Token::Start {
                    name,
                    attrs,
                    self_closing,
                }),
                "body" => {
                    self.insert_html(name, attrs);
                    self.frameset_ok = false;
                    self.mode = InsertionMode::InBody;
                    Done
                }
                "frameset" => {
                    self.insert_html(name, attrs);
                    self.mode = InsertionMode::InFrameset;
                    Done
                }
                "base" | "basefont" | "bgsound" | "link" | "meta" | "noframes" | "script"
                | "style" | "template" | "title" => {
                    let head = self.head;
                    if head != NONE {
                        self.push(head);
                    }
                    let step = self.in_head(Token::Start {
                        name,
                        attrs,
                        self_closing,
                    });
                    if head != NONE {
                        self.remove_from_stack(head);
                    }
                    step
                }
                "head" => Done,
                _ => {
                    self.imply("body");
                    self.mode = InsertionMode::InBody;
                    Again(Token::Start {
                        name,
                        attrs,
                        self_closing,
                    })
                }
            },
            Token::End { name } => match &*name {
                "template" => self.in_head(Token::End { name }),
                "body" | "html" | "br" => {
                    self.imply("body");
                    self.mode = InsertionMode::InBody;
                    Again(Token::End { name })
                }
                _ => Done,
            },
            Token::Eof => {
                self.imply("body");
                self.mode = InsertionMode::InBody;
                Again(Token::Eof)
            }
        }
    }

    fn body_text(&mut self, text: Cow<'a, str>) {
        let text = if memchr::memchr(0, text.as_bytes()).is_some() {
            Cow::Owned(text.replace('\0', ""))
        } else {
            text
        };
        if text.is_empty() {
            return;
        }
        self.reconstruct();
        if self.frameset_ok && text.chars().any(|c| !is_ws(c)) {
            self.frameset_ok = false;
        }
        self.insert_text(text);
    }

    fn in_body(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Text(text) => {
                self.body_text(text);
                Done
            }
            Token::Comment | Token::Doctype { .. } => Done,
            Token::Start {
                name,
                attrs,
                self_closing,
            } => self.body_start(name, attrs, self_closing),
            Token::End { name } => self.body_end(name),
            Token::Eof => {
                if !self.template_modes.is_empty() {
                    return self.in_template(Token::Eof);
                }
                Done
            }
        }
    }

    /// Whether a start tag is dropped for depth (and its end tag counted).
    fn too_deep_start(&mut self, name: &str) -> bool {
        if self.open.len() < MAX_DEPTH + 2 {
            return false;
        }
        let void = matches!(
            name,
            "area"
                | "br"
                | "embed"
                | "img"
                | "image"
                | "keygen"
                | "wbr"
                | "input"
                | "param"
                | "source"
                | "track"
                | "hr"
                | "base"
                | "basefont"
                | "bgsound"
                | "link"
                | "meta"
                | "col"
                | "frame"
        );
        // Elements their sibling closes cannot pile up by themselves, and raw-text elements
        // must be read as such.
        let passes = matches!(
            name,
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
                | "script"
                | "style"
                | "title"
                | "textarea"
                | "xmp"
                | "iframe"
                | "noembed"
                | "noframes"
                | "plaintext"
                | "html"
                | "body"
                | "head"
        );
        if void || passes {
            return false;
        }
        match self.too_deep.iter_mut().find(|(n, _)| n == name) {
            Some((_, count)) => *count += 1,
            None => self.too_deep.push((Cow::Owned(name.to_string()), 1)),
        }
        true
    }

    fn body_start(&mut self, name: Cow<'a, str>, attrs: (u32, u32), sc: bool) -> Step<'a> {
        if self.too_deep_start(&name) {
            return Done;
        }
        match &*name {
            "html" => {}
            "base" | "basefont" | "bgsound" | "link" | "meta" | "noframes" | "script" | "style"
            | "template" | "title" => {
                return self.in_head(Token::Start {
                    name,
                    attrs,
                    self_closing: sc,
                });
            }
            "body" => {
                if self.open.len() > 1
                    && self.open.get(1).is_some_and(|&b| self.is(b, "body"))
                    && !self.has_open("template")
                {
                    self.frameset_ok = false;
                }
            }
            "frameset" => {
                let body = self.open.get(1).copied();
                if let Some(body) = body
                    && self.frameset_ok
                    && self.is(body, "body")
                {
                    self.detach(body);
                    while self.open.len() > 1 {
                        self.pop();
                    }
                    self.insert_html(name, attrs);
                    self.mode = InsertionMode::InFrameset;
                }
            }
            n if is_plain_block(n) => {
                self.close_p();
                self.insert_html(name, attrs);
            }
            n if is_heading(n) => {
                self.close_p();
                if is_heading(self.html_name(self.current())) {
                    self.pop();
                }
                self.insert_html(name, attrs);
            }
            "pre" | "listing" => {
                self.close_p();
                self.insert_html(name, attrs);
                self.skip_lf = true;
                self.frameset_ok = false;
            }
            "form" => {
                let template = self.has_open("template");
                if self.form == NONE || template {
                    self.close_p();
                    let f = self.insert_html(name, attrs);
                    if !template {
                        self.form = f;
                    }
                }
            }
            "li" | "dd" | "dt" => {
                self.frameset_ok = false;
                let siblings: &[&str] = if name == "li" { &["li"] } else { &["dd", "dt"] };
                for i in (0..self.open.len()).rev() {
                    let n = self.open.get(i).copied().unwrap_or(0);
                    let nm = self.html_name(n);
                    if siblings.contains(&nm) {
                        let nm = nm.to_string();
                        self.generate_implied_end_tags(&nm);
                        self.pop_until(&nm);
                        break;
                    }
                    if self.is_special(n) && !matches!(nm, "address" | "div" | "p") {
                        break;
                    }
                }
                self.close_p();
                self.insert_html(name, attrs);
            }
            "plaintext" => {
                self.close_p();
                self.insert_html(name, attrs);
                self.switch = Some((State::Plaintext, "plaintext"));
            }
            "button" => {
                if self.in_scope("button", Scope::Default) {
                    self.generate_implied_end_tags("");
                    self.pop_until("button");
                }
                self.reconstruct();
                self.insert_html(name, attrs);
                self.frameset_ok = false;
            }
            "a" => {
                let open_a = self
                    .afe
                    .iter()
                    .rev()
                    .take_while(|&&e| e != MARKER)
                    .find(|&&e| self.is(e, "a"))
                    .copied();
                if let Some(a) = open_a {
                    self.adoption_agency("a");
                    if let Some(i) = self.afe.iter().rposition(|&e| e == a) {
                        self.afe.remove(i);
                    }
                    self.remove_from_stack(a);
                }
                self.reconstruct();
                let n = self.insert_html(name, attrs);
                self.push_afe(n);
            }
            "nobr" => {
                self.reconstruct();
                if self.in_scope("nobr", Scope::Default) {
                    self.adoption_agency("nobr");
                    self.reconstruct();
                }
                let n = self.insert_html(name, attrs);
                self.push_afe(n);
            }
            n if is_formatting(n) => {
                self.reconstruct();
                let n = self.insert_html(name, attrs);
                self.push_afe(n);
            }
            "applet" | "marquee" | "object" => {
                self.reconstruct();
                self.insert_html(name, attrs);
                self.afe.push(MARKER);
                self.frameset_ok = false;
            }
            "table" => {
                if !self.quirks {
                    self.close_p();
                }
                self.insert_html(name, attrs);
                self.frameset_ok = false;
                self.mode = InsertionMode::InTable;
            }
            "area" | "br" | "embed" | "img" | "keygen" | "wbr" | "input" => {
                if name == "input" && self.in_scope("select", Scope::Default) {
                    self.pop_until("select");
                }
                self.reconstruct();
                let hidden = name == "input"
                    && self
                        .attrs
                        .get(attrs.0 as usize..attrs.1 as usize)
                        .unwrap_or(&[])
                        .iter()
                        .any(|a| a.name == "type" && a.value.eq_ignore_ascii_case("hidden"));
                self.insert_void(name, attrs);
                if !hidden {
                    self.frameset_ok = false;
                }
            }
            "param" | "source" | "track" => self.insert_void(name, attrs),
            "hr" => {
                if self.in_scope("select", Scope::Default) {
                    self.generate_implied_end_tags("");
                }
                self.close_p();
                self.insert_void(name, attrs);
                self.frameset_ok = false;
            }
            "image" => {
                return Again(Token::Start {
                    name: Cow::Borrowed("img"),
                    attrs,
                    self_closing: sc,
                });
            }
            "textarea" => {
                if self.in_scope("select", Scope::Default) {
                    self.pop_until("select");
                }
                self.skip_lf = true;
                self.frameset_ok = false;
                self.raw_text(name, attrs, State::Rcdata);
            }
            "xmp" => {
                self.close_p();
                self.reconstruct();
                self.frameset_ok = false;
                self.raw_text(name, attrs, State::Rawtext);
            }
            "iframe" => {
                self.frameset_ok = false;
                self.raw_text(name, attrs, State::Rawtext);
            }
            "noembed" => self.raw_text(name, attrs, State::Rawtext),
            "select" => {
                if self.in_scope("select", Scope::Default) {
                    self.pop_until("select");
                } else {
                    self.reconstruct();
                    self.insert_html(name, attrs);
                    self.frameset_ok = false;
                }
            }
            "option" | "optgroup" => {
                if self.in_scope("select", Scope::Default) {
                    self.generate_implied_end_tags(if name == "option" { "optgroup" } else { "" });
                } else if self.is(self.current(), "option") {
                    self.pop();
                }
                self.reconstruct();
                self.insert_html(name, attrs);
            }
            "rb" | "rtc" => {
                if self.in_scope("ruby", Scope::Default) {
                    self.generate_implied_end_tags("");
                }
                self.insert_html(name, attrs);
            }
            "rp" | "rt" => {
                if self.in_scope("ruby", Scope::Default) {
                    self.generate_implied_end_tags("rtc");
                }
                self.insert_html(name, attrs);
            }
            "math" | "svg" => {
                self.reconstruct();
                let ns = if name == "math" { Ns::MathMl } else { Ns::Svg };
                self.insert_element(name, ns, attrs);
                if sc {
                    self.pop();
                }
            }
            "caption" | "col" | "colgroup" | "frame" | "head" | "tbody" | "td" | "tfoot" | "th"
            | "thead" | "tr" => {}
            _ => {
                self.reconstruct();
                self.insert_html(name, attrs);
            }
        }
        Done
    }

    /// Whether an end tag belongs to a start tag dropped for depth (and is dropped too).
    fn too_deep_end(&mut self, name: &str) -> bool {
        if let Some((_, count)) = self.too_deep.iter_mut().find(|(n, c)| *c > 0 && *n == name) {
            *count -= 1;
            return true;
        }
        false
    }

    fn body_end(&mut self, name: Cow<'a, str>) -> Step<'a> {
        if self.too_deep_end(&name) {
            return Done;
        }
        match &*name {
            "template" => return self.in_head(Token::End { name }),
            "body" => {
                if self.in_scope("body", Scope::Default) {
                    self.mode = InsertionMode::AfterBody;
                }
            }
            "html" => {
                if self.in_scope("body", Scope::Default) {
                    self.mode = InsertionMode::AfterBody;
                    return Again(Token::End { name });
                }
            }
            n if is_block_end(n) => {
                if self.in_scope(n, Scope::Default) {
                    self.generate_implied_end_tags("");
                    self.pop_until(n);
                }
            }
            "form" => {
                if self.has_open("template") {
                    if self.in_scope("form", Scope::Default) {
                        self.generate_implied_end_tags("");
                        self.pop_until("form");
                    }
                } else {
                    let f = std::mem::replace(&mut self.form, NONE);
                    if f != NONE && self.in_scope_by(|_, n| n == f, Scope::Default).is_some() {
                        self.generate_implied_end_tags("");
                        self.remove_from_stack(f);
                    }
                }
            }
            "p" => {
                if self.open_p == 0 || !self.in_scope("p", Scope::Button) {
                    self.imply("p");
                }
                self.close_p();
            }
            "li" => {
                if self.in_scope("li", Scope::ListItem) {
                    self.generate_implied_end_tags("li");
                    self.pop_until("li");
                }
            }
            "dd" | "dt" => {
                if self.in_scope(&name, Scope::Default) {
                    self.generate_implied_end_tags(&name);
                    self.pop_until(&name);
                }
            }
            n if is_heading(n) => {
                if let Some(i) =
                    self.in_scope_by(|tb, n| is_heading(tb.html_name(n)), Scope::Default)
                {
                    self.generate_implied_end_tags("");
                    while self.open.len() > i {
                        self.pop();
                    }
                }
            }
            n if is_formatting(n) => self.adoption_agency(n),
            "applet" | "marquee" | "object" => {
                if self.in_scope(&name, Scope::Default) {
                    self.generate_implied_end_tags("");
                    self.pop_until(&name);
                    self.clear_afe_to_marker();
                }
            }
            "br" => {
                return self.body_start(Cow::Borrowed("br"), (0, 0), false);
            }
            _ => self.any_other_end(&name),
        }
        Done
    }

    fn any_other_end(&mut self, name: &str) {
        for i in (0..self.open.len()).rev() {
            let n = self.open.get(i).copied().unwrap_or(0);
            if self.is(n, name) {
                self.generate_implied_end_tags(name);
                self.pop_until_node(n);
                return;
            }
            if self.is_special(n) {
                return;
            }
        }
    }

    fn adoption_agency(&mut self, subject: &str) {
        let cur = self.current();
        if self.is(cur, subject) && !self.afe.contains(&cur) {
            self.pop();
            return;
        }
        for _ in 0..8 {
            let fe_pos = self
                .afe
                .iter()
                .rposition(|&e| e == MARKER || self.is(e, subject));
            let Some(fe_pos) = fe_pos.filter(|&p| self.afe.get(p) != Some(&MARKER)) else {
                self.any_other_end(subject);
                return;
            };
            let fe = self.afe.get(fe_pos).copied().unwrap_or(0);
            let Some(fe_idx) = self.open.iter().rposition(|&n| n == fe) else {
                self.afe.remove(fe_pos);
                return;
            };
            if self.in_scope_by(|_, n| n == fe, Scope::Default).is_none() {
                return;
            }
            let fb_idx = (fe_idx + 1..self.open.len())
                .find(|&i| self.open.get(i).is_some_and(|&n| self.is_special(n)));
            let Some(mut fb_idx) = fb_idx else {
                self.pop_until_node(fe);
                self.afe.remove(fe_pos);
                return;
            };
            let fb = self.open.get(fb_idx).copied().unwrap_or(0);
            let common = self.open.get(fe_idx.wrapping_sub(1)).copied().unwrap_or(0);
            let mut bookmark = fe_pos;
            let mut node_idx = fb_idx;
            let mut last = fb;
            let mut inner = 0;
            loop {
                inner += 1;
                node_idx -= 1;
                let node = self.open.get(node_idx).copied().unwrap_or(fe);
                if node == fe {
                    break;
                }
                let mut afe_pos = self.afe.iter().position(|&e| e == node);
                if inner > 3
                    && let Some(p) = afe_pos
                {
                    self.afe.remove(p);
                    if p < bookmark {
                        bookmark -= 1;
                    }
                    afe_pos = None;
                }
                let Some(p) = afe_pos else {
                    self.open.remove(node_idx);
                    self.on_stack(node, false);
                    fb_idx -= 1;
                    continue;
                };
                let (name, attrs) = {
                    let x = self.node(node);
                    (x.name.clone(), x.attrs)
                };
                let new = self.new_node(name, Ns::Html, attrs);
                if let Some(slot) = self.afe.get_mut(p) {
                    *slot = new;
                }
                if let Some(slot) = self.open.get_mut(node_idx) {
                    *slot = new;
                }
                self.on_stack(node, false);
                self.on_stack(new, true);
                if last == fb {
                    bookmark = p + 1;
                }
                self.insert_at(new, NONE, last);
                last = new;
            }
            let (parent, before) = self.place(common);
            self.insert_at(parent, before, last);
            let (name, attrs) = {
                let x = self.node(fe);
                (x.name.clone(), x.attrs)
            };
            let new = self.new_node(name, Ns::Html, attrs);
            let mut child = self.node(fb).first;
            while child != NONE {
                let next = self.node(child).next;
                self.insert_at(new, NONE, child);
                child = next;
            }
            self.insert_at(fb, NONE, new);
            if let Some(p) = self.afe.iter().position(|&e| e == fe) {
                self.afe.remove(p);
                if p < bookmark {
                    bookmark -= 1;
                }
            }
            let bookmark = bookmark.min(self.afe.len());
            self.afe.insert(bookmark, new);
            self.remove_from_stack(fe);
            let fb_pos = self
                .open
                .iter()
                .position(|&n| n == fb)
                .unwrap_or(self.open.len().saturating_sub(1));
            self.open.insert(fb_pos + 1, new);
            self.on_stack(new, true);
            let _ = fb_idx;
        }
    }

    fn text_mode(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Text(text) => {
                self.insert_text(text);
                Done
            }
            Token::Eof => {
                self.pop();
                self.mode = self.orig_mode;
                Again(Token::Eof)
            }
            Token::End { .. } => {
                self.pop();
                self.mode = self.orig_mode;
                Done
            }
            _ => Done,
        }
    }

    fn clear_to(&mut self, names: &[&str]) {
        while let Some(&n) = self.open.last() {
            let nm = self.html_name(n);
            if nm == "html" || names.contains(&nm) {
                break;
            }
            self.pop();
        }
    }

    fn in_table(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Text(text)
                if matches!(
                    self.html_name(self.current()),
                    "table" | "tbody" | "template" | "tfoot" | "thead" | "tr"
                ) =>
            {
                self.pending_text.clear();
                self.pending_non_ws = false;
                self.orig_mode = self.mode;
                self.mode = InsertionMode::InTableText;
                Again(Token::Text(text))
            }
            Token::Comment | Token::Doctype { .. } => Done,
            Token::Start {
                name,
                attrs,
                self_closing,
            } => match &*name {
                "caption" => {
                    self.clear_to(&["table", "template"]);
                    self.afe.push(MARKER);
                    self.insert_html(name, attrs);
                    self.mode = InsertionMode::InCaption;
                    Done
                }
                "colgroup" => {
                    self.clear_to(&["table", "template"]);
                    self.insert_html(name, attrs);
                    self.mode = InsertionMode::InColumnGroup;
                    Done
                }
                "col" => {
                    self.clear_to(&["table", "template"]);
                    self.imply("colgroup");
                    self.mode = InsertionMode::InColumnGroup;
                    Again(Token::Start {
                        name,
                        attrs,
                        self_closing,
                    })
                }
                "tbody" | "tfoot" | "thead" => {
                    self.clear_to(&["table", "template"]);
                    self.insert_html(name, attrs);
                    self.mode = InsertionMode::InTableBody;
                    Done
                }
                "td" | "th" | "tr" => {
                    self.clear_to(&["table", "template"]);
                    self.imply("tbody");
                    self.mode = InsertionMode::InTableBody;
                    Again(Token::Start {
                        name,
                        attrs,
                        self_closing,
                    })
                }
                "table" => {
                    if !self.in_scope("table", Scope::Table) {
                        return Done;
                    }
                    self.pop_until("table");
                    self.reset_mode();
                    Again(Token::Start {
                        name,
                        attrs,
                        self_closing,
                    })
                }
                "style" | "script" | "template" => self.in_head(Token::Start {
                    name,
                    attrs,
                    self_closing,
                }),
                "input"
                    if self
                        .attrs
                        .get(attrs.0 as usize..attrs.1 as usize)
                        .unwrap_or(&[])
                        .iter()
                        .any(|a| a.name == "type" && a.value.eq_ignore_ascii_case("hidden")) =>
                {
                    self.insert_void(name, attrs);
                    Done
                }
                "form" => {
                    if self.form == NONE && !self.has_open("template") {
                        self.form = self.insert_html(name, attrs);
                        self.pop();
                    }
                    Done
                }
                _ => self.foster_in_body(Token::Start {
                    name,
                    attrs,
                    self_closing,
                }),
            },
            Token::End { name } => match &*name {
                "table" => {
                    if self.in_scope("table", Scope::Table) {
                        self.pop_until("table");
                        self.reset_mode();
                    }
                    Done
                }
                "body" | "caption" | "col" | "colgroup" | "html" | "tbody" | "td" | "tfoot"
                | "th" | "thead" | "tr" => Done,
                "template" => self.in_head(Token::End { name }),
                _ => self.foster_in_body(Token::End { name }),
            },
            Token::Eof => self.in_body(Token::Eof),
            t => self.foster_in_body(t),
        }
    }

    fn foster_in_body(&mut self, t: Token<'a>) -> Step<'a> {
        self.foster = true;
        let step = self.in_body(t);
        self.foster = false;
        step
    }

    fn in_table_text(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Text(text) => {
                let text = if memchr::memchr(0, text.as_bytes()).is_some() {
                    Cow::Owned(text.replace('\0', ""))
                } else {
                    text
                };
                if text.chars().any(|c| !is_ws(c)) {
                    self.pending_non_ws = true;
                }
                self.pending_text.push(text);
                Done
            }
            t => {
                let pending = std::mem::take(&mut self.pending_text);
                if self.pending_non_ws {
                    self.foster = true;
                    for text in pending {
                        self.body_text(text);
                    }
                    self.foster = false;
                } else {
                    for text in pending {
                        self.insert_text(text);
                    }
                }
                self.mode = self.orig_mode;
                Again(t)
            }
        }
    }

    fn close_caption(&mut self) -> bool {
        if !self.in_scope("caption", Scope::Table) {
            return false;
        }
        self.generate_implied_end_tags("");
        self.pop_until("caption");
        self.clear_afe_to_marker();
        self.mode = InsertionMode::InTable;
        true
    }

    fn in_caption(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::End { ref name } if name == "caption" => {
                self.close_caption();
                Done
            }
            Token::Start { ref name, .. }
                if matches!(
                    &**name,
                    "caption"
                        | "col"
                        | "colgroup"
                        | "tbody"
                        | "td"
                        | "tfoot"
                        | "th"
                        | "thead"
                        | "tr"
                ) =>
            {
                if self.close_caption() {
                    Again(t)
                } else {
                    Done
                }
            }
            Token::End { ref name } if name == "table" => {
                if self.close_caption() {
                    Again(t)
                } else {
                    Done
                }
            }
            Token::End { ref name }
                if matches!(
                    &**name,
                    "body"
                        | "col"
                        | "colgroup"
                        | "html"
                        | "tbody"
                        | "td"
                        | "tfoot"
                        | "th"
                        | "thead"
                        | "tr"
                ) =>
            {
                Done
            }
            t => self.in_body(t),
        }
    }

    fn in_column_group(&mut self, t: Token<'a>) -> Step<'a> {
        let t = match t {
            Token::Text(text) => match self.leading_ws(text, true) {
                None => return Done,
                Some(rest) => Token::Text(rest),
            },
            t => t,
        };
        match t {
            Token::Comment | Token::Doctype { .. } => Done,
            Token::Start { ref name, .. } if name == "html" => self.in_body(t),
            Token::Start { name, attrs, .. } if name == "col" => {
                self.insert_void(name, attrs);
                Done
            }
            Token::End { ref name } if name == "colgroup" => {
                if self.is(self.current(), "colgroup") {
                    self.pop();
                    self.mode = InsertionMode::InTable;
                }
                Done
            }
            Token::End { ref name } if name == "col" => Done,
            Token::Start { ref name, .. } if name == "template" => self.in_head(t),
            Token::End { ref name } if name == "template" => self.in_head(t),
            Token::Eof => self.in_body(t),
            t => {
                if !self.is(self.current(), "colgroup") {
                    return Done;
                }
                self.pop();
                self.mode = InsertionMode::InTable;
                Again(t)
            }
        }
    }

    fn in_table_body(&mut self, t: Token<'a>) -> Step<'a> {
        const BODY_CTX: [&str; 4] = ["tbody", "tfoot", "thead", "template"];
        match t {
            Token::Start { name, attrs, .. } if name == "tr" => {
                self.clear_to(&BODY_CTX);
                self.insert_html(name, attrs);
                self.mode = InsertionMode::InRow;
                Done
            }
            Token::Start { ref name, .. } if name == "th" || name == "td" => {
                self.clear_to(&BODY_CTX);
                self.imply("tr");
                self.mode = InsertionMode::InRow;
                Again(t)
            }
            Token::End { ref name } if matches!(&**name, "tbody" | "tfoot" | "thead") => {
                if self.in_scope(name, Scope::Table) {
                    self.clear_to(&BODY_CTX);
                    self.pop();
                    self.mode = InsertionMode::InTable;
                }
                Done
            }
            Token::Start { ref name, .. }
                if matches!(
                    &**name,
                    "caption" | "col" | "colgroup" | "tbody" | "tfoot" | "thead"
                ) =>
            {
                self.leave_table_body(t)
            }
            Token::End { ref name } if name == "table" => self.leave_table_body(t),
            Token::End { ref name }
                if matches!(
                    &**name,
                    "body" | "caption" | "col" | "colgroup" | "html" | "td" | "th" | "tr"
                ) =>
            {
                Done
            }
            t => self.in_table(t),
        }
    }

    fn leave_table_body(&mut self, t: Token<'a>) -> Step<'a> {
        let any = self
            .in_scope_by(
                |tb, n| matches!(tb.html_name(n), "tbody" | "thead" | "tfoot"),
                Scope::Table,
            )
            .is_some();
        if !any {
            return Done;
        }
        self.clear_to(&["tbody", "tfoot", "thead", "template"]);
        self.pop();
        self.mode = InsertionMode::InTable;
        Again(t)
    }

    fn close_row(&mut self) -> bool {
        if !self.in_scope("tr", Scope::Table) {
            return false;
        }
        self.clear_to(&["tr", "template"]);
        self.pop();
        self.mode = InsertionMode::InTableBody;
        true
    }

    fn in_row(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Start { name, attrs, .. } if name == "th" || name == "td" => {
                self.clear_to(&["tr", "template"]);
                self.insert_html(name, attrs);
                self.mode = InsertionMode::InCell;
                self.afe.push(MARKER);
                Done
            }
            Token::End { ref name } if name == "tr" => {
                self.close_row();
                Done
            }
            Token::Start { ref name, .. }
                if matches!(
                    &**name,
                    "caption" | "col" | "colgroup" | "tbody" | "tfoot" | "thead" | "tr"
                ) =>
            {
                if self.close_row() {
                    Again(t)
                } else {
                    Done
                }
            }
            Token::End { ref name } if name == "table" => {
                if self.close_row() {
                    Again(t)
                } else {
                    Done
                }
            }
            Token::End { ref name } if matches!(&**name, "tbody" | "tfoot" | "thead") => {
                if !self.in_scope(name, Scope::Table) {
                    return Done;
                }
                if self.close_row() { Again(t) } else { Done }
            }
            Token::End { ref name }
                if matches!(
                    &**name,
                    "body" | "caption" | "col" | "colgroup" | "html" | "td" | "th"
                ) =>
            {
                Done
            }
            t => self.in_table(t),
        }
    }

    fn close_cell(&mut self) {
        self.generate_implied_end_tags("");
        while let Some(&n) = self.open.last() {
            self.pop();
            if self.is(n, "td") || self.is(n, "th") {
                break;
            }
        }
        self.clear_afe_to_marker();
        self.mode = InsertionMode::InRow;
    }

    fn in_cell(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::End { ref name } if name == "td" || name == "th" => {
                // No other cell can be open above this one inside the table scope, so
                // closing "the current cell" is closing `name`.
                if self.in_scope(name, Scope::Table) {
                    self.close_cell();
                }
                Done
            }
            Token::Start { ref name, .. }
                if matches!(
                    &**name,
                    "caption"
                        | "col"
                        | "colgroup"
                        | "tbody"
                        | "td"
                        | "tfoot"
                        | "th"
                        | "thead"
                        | "tr"
                ) =>
            {
                let cell = self.in_scope("td", Scope::Table) || self.in_scope("th", Scope::Table);
                if !cell {
                    return Done;
                }
                self.close_cell();
                Again(t)
            }
            Token::End { ref name }
                if matches!(&**name, "body" | "caption" | "col" | "colgroup" | "html") =>
            {
                Done
            }
            Token::End { ref name }
                if matches!(&**name, "table" | "tbody" | "tfoot" | "thead" | "tr") =>
            {
                if !self.in_scope(name, Scope::Table) {
                    return Done;
                }
                self.close_cell();
                Again(t)
            }
            t => self.in_body(t),
        }
    }

    fn in_template(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Text(_) | Token::Comment | Token::Doctype { .. } => self.in_body(t),
            Token::Start { ref name, .. } => {
                let mode = match &**name {
                    "base" | "basefont" | "bgsound" | "link" | "meta" | "noframes" | "script"
                    | "style" | "template" | "title" => return self.in_head(t),
                    "caption" | "colgroup" | "tbody" | "tfoot" | "thead" => InsertionMode::InTable,
                    "col" => InsertionMode::InColumnGroup,
                    "tr" => InsertionMode::InTableBody,
                    "td" | "th" => InsertionMode::InRow,
                    _ => InsertionMode::InBody,
                };
                self.template_modes.pop();
                self.template_modes.push(mode);
                self.mode = mode;
                Again(t)
            }
            Token::End { ref name } if name == "template" => self.in_head(t),
            Token::End { .. } => Done,
            Token::Eof => {
                if !self.has_open("template") {
                    return Done;
                }
                self.pop_until("template");
                self.clear_afe_to_marker();
                self.template_modes.pop();
                self.reset_mode();
                Again(Token::Eof)
            }
        }
    }

    fn after_body(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Text(ref text) if text.chars().all(is_ws) => self.in_body(t),
            Token::Comment | Token::Doctype { .. } | Token::Eof => Done,
            Token::Start { ref name, .. } if name == "html" => self.in_body(t),
            Token::End { ref name } if name == "html" => {
                self.mode = InsertionMode::AfterAfterBody;
                Done
            }
            t => {
                self.mode = InsertionMode::InBody;
                Again(t)
            }
        }
    }

    fn in_frameset(&mut self, mode: InsertionMode, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Text(text) => {
                self.insert_text(only_ws(&text));
                Done
            }
            Token::Start { ref name, .. } if name == "html" => self.in_body(t),
            Token::Start { name, attrs, .. }
                if name == "frameset" && mode == InsertionMode::InFrameset =>
            {
                self.insert_html(name, attrs);
                Done
            }
            Token::End { ref name } if name == "frameset" && mode == InsertionMode::InFrameset => {
                if self.open.len() > 1 {
                    self.pop();
                    if !self.is(self.current(), "frameset") {
                        self.mode = InsertionMode::AfterFrameset;
                    }
                }
                Done
            }
            Token::End { ref name } if name == "html" && mode == InsertionMode::AfterFrameset => {
                self.mode = InsertionMode::AfterAfterFrameset;
                Done
            }
            Token::Start { name, attrs, .. }
                if name == "frame" && mode == InsertionMode::InFrameset =>
            {
                self.insert_void(name, attrs);
                Done
            }
            Token::Start { ref name, .. } if name == "noframes" => self.in_head(t),
            _ => Done,
        }
    }

    fn after_after_body(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Comment | Token::Eof => Done,
            Token::Doctype { .. } => Done,
            Token::Text(ref text) if text.chars().all(is_ws) => self.in_body(t),
            Token::Start { ref name, .. } if name == "html" => self.in_body(t),
            t => {
                self.mode = InsertionMode::InBody;
                Again(t)
            }
        }
    }

    fn after_after_frameset(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Text(text) => {
                let ws = only_ws(&text);
                if !ws.is_empty() {
                    return self.in_body(Token::Text(ws));
                }
                Done
            }
            Token::Start { ref name, .. } if name == "html" => self.in_body(t),
            Token::Start { ref name, .. } if name == "noframes" => self.in_head(t),
            _ => Done,
        }
    }

    // ----- foreign content -----

    fn foreign(&mut self, t: Token<'a>) -> Step<'a> {
        match t {
            Token::Text(text) => {
                // NUL becomes U+FFFD but, unlike other characters, leaves frameset-ok set.
                if text.chars().any(|c| !is_ws(c) && c != '\0') {
                    self.frameset_ok = false;
                }
                let text = if memchr::memchr(0, text.as_bytes()).is_some() {
                    Cow::Owned(text.replace('\0', "\u{fffd}"))
                } else {
                    text
                };
                self.insert_text(text);
                Done
            }
            Token::Comment | Token::Doctype { .. } => Done,
            Token::Start {
                name,
                attrs,
                self_closing,
            } => {
                let font_out = name == "font"
                    && self
                        .attrs
                        .get(attrs.0 as usize..attrs.1 as usize)
                        .unwrap_or(&[])
                        .iter()
                        .any(|a| matches!(&*a.name, "color" | "face" | "size"));
                if breaks_out(&name) || font_out {
                    // Reprocessed by the insertion mode's rules, not the dispatcher: at an
                    // integration point it would send the token back here.
                    self.pop_to_html();
                    let mode = self.mode;
                    return self.by_mode(
                        mode,
                        Token::Start {
                            name,
                            attrs,
                            self_closing,
                        },
                    );
                }
                if !self_closing && self.too_deep_start(&name) {
                    return Done;
                }
                let ns = self.node(self.current()).ns;
                let name = if ns == Ns::Svg {
                    svg_name(&name).map_or(name, Cow::Borrowed)
                } else {
                    name
                };
                self.insert_element(name, ns, attrs);
                if self_closing {
                    self.pop();
                }
                Done
            }
            Token::End { name } => {
                if self.too_deep_end(&name) {
                    return Done;
                }
                if name == "br" || name == "p" {
                    self.pop_to_html();
                    let mode = self.mode;
                    return self.by_mode(mode, Token::End { name });
                }
                let mut i = self.open.len();
                while i > 1 {
                    i -= 1;
                    let n = self.open.get(i).copied().unwrap_or(0);
                    if self.node(n).name.eq_ignore_ascii_case(&name) {
                        self.pop_until_node(n);
                        return Done;
                    }
                    let below = self.open.get(i - 1).copied().unwrap_or(0);
                    if self.node(below).ns == Ns::Html {
                        let mode = self.mode;
                        return self.by_mode(mode, Token::End { name });
                    }
                }
                Done
            }
            Token::Eof => Done,
        }
    }

    fn pop_to_html(&mut self) {
        while let Some(&n) = self.open.last() {
            let node = self.node(n);
            let text_point =
                node.ns == Ns::MathMl && matches!(&*node.name, "mi" | "mo" | "mn" | "ms" | "mtext");
            if node.ns == Ns::Html || text_point || self.is_html_integration_point(n) {
                break;
            }
            self.pop();
        }
    }
}
