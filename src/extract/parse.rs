//! The HTML parser: the page source to the flat [`Dom`] the extractor reads.
//!
//! Tokenizing ([`super::tokenize`]) and tree construction ([`super::tree`]) follow the
//! HTML standard, so text lands in the block a browser puts it in: implied elements,
//! paragraphs and list items closing each other, tables with foster parenting of stray
//! content, the active formatting elements re-opened in the next block and the adoption
//! agency for mis-nested tags, `<select>`, templates, framesets, SVG and MathML with their
//! break-out tags and integration points, and the tokenizer's raw-text, RCDATA, script
//! (with its escape states), PLAINTEXT and CDATA rules. The html5lib tree-construction
//! suite (`tests/html5lib.rs`) measures the agreement.
//!
//! The tree is built in an arena and then copied into the flat pre-order list, leaving out
//! subtrees that never carry article text (scripts, styles, `<noscript>`, `<template>`,
//! SVG and MathML, form controls, media, `<head>`); the bodies of JSON-LD scripts and the
//! first `<title>` and the `<meta>` values are kept aside. It is fast because it works on
//! bytes, finds text runs with `memchr`, borrows text and attribute values from the source
//! (decoding only where a `&` appears) and shares one attribute list between the elements
//! the adoption agency clones.
//!
//! Where it differs from the standard, and why that is harmless for text:
//! - Scripting is off: `<noscript>` content is parsed as markup (and then left out).
//! - Carriage returns are not normalized to line feeds, and adjacent text nodes are not
//!   merged: whitespace collapses the same way either way.
//! - Comments, doctypes and processing instructions are dropped; the doctype only sets
//!   quirks mode (which decides whether `<table>` closes an open `<p>`).
//! - Attributes of a second `<html>` or `<body>` tag are not merged into the first, and
//!   foreign attribute names keep their lower-case spelling: attributes carry no text.
//! - Elements nested deeper than [`MAX_DEPTH`](super::tree::MAX_DEPTH) are dropped with their end tags (their text
//!   stays): every scope check walks the open elements, so a hostile page of 100,000
//!   nested `<div>`s would otherwise cost O(N²). Real pages stay under about 100 levels.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::dom::{Dom, Node, Tag};
#[cfg(test)]
use super::tree::MAX_DEPTH;
use super::tree::{NONE, Ns, TreeBuilder, build};

/// Parses `src` into the flat DOM.
pub(super) fn parse(src: &str) -> Dom<'_> {
    parse_with_json_ld(src).0
}

/// Parses `src` into the flat DOM; also returns the bodies of its
/// `<script type="application/ld+json">` elements, in order.
pub(super) fn parse_with_json_ld(src: &str) -> (Dom<'_>, Vec<String>) {
    flatten(build(src), false)
}

/// Like [`parse_with_json_ld`], but `<noscript>` content is kept as an ordinary block: what
/// a reader without scripts sees. Some pages render their whole text with scripts and put
/// the readable copy there.
pub(super) fn parse_with_noscript(src: &str) -> (Dom<'_>, Vec<String>) {
    flatten(build(src), true)
}

/// The text of `n`'s text children.
fn child_text(tb: &TreeBuilder<'_>, n: u32) -> String {
    let mut out = String::new();
    let mut c = tb.node(n).first;
    while c != NONE {
        let node = tb.node(c);
        if node.is_text {
            out.push_str(&node.text);
        }
        c = node.next;
    }
    out
}

/// Copies the arena into the flat pre-order list.
fn flatten(mut tb: TreeBuilder<'_>, keep_noscript: bool) -> (Dom<'_>, Vec<String>) {
    enum Step {
        /// Arena node, flat parent.
        Enter(u32, usize),
        /// Flat node whose subtree ends here.
        Exit(usize),
    }
    let mut nodes = Vec::with_capacity(tb.nodes.len());
    nodes.push(Node::root());
    let mut metas = Vec::new();
    let mut title = None;
    let mut json_ld = Vec::new();
    let mut stack = Vec::with_capacity(64);
    let push_children = |tb: &TreeBuilder<'_>, stack: &mut Vec<Step>, n: u32, parent: usize| {
        let mut c = tb.node(n).last;
        while c != NONE {
            stack.push(Step::Enter(c, parent));
            c = tb.node(c).prev;
        }
    };
    push_children(&tb, &mut stack, 0, 0);
    while let Some(step) = stack.pop() {
        let (n, parent) = match step {
            Step::Exit(idx) => {
                let end = nodes.len();
                if let Some(x) = nodes.get_mut(idx) {
                    x.end = end;
                }
                continue;
            }
            Step::Enter(n, parent) => (n, parent),
        };
        let idx = nodes.len();
        let Some(node) = tb.nodes.get_mut(n as usize) else {
            continue;
        };
        if node.is_text {
            nodes.push(Node {
                tag: Tag::Text,
                attrs: (0, 0),
                text: std::mem::take(&mut node.text),
                name: Cow::Borrowed(""),
                parent,
                end: idx + 1,
            });
            continue;
        }
        if node.ns != Ns::Html {
            continue;
        }
        let attrs = node.attrs;
        fn get<'a>(tb: &TreeBuilder<'a>, attrs: (u32, u32), name: &str) -> Option<Cow<'a, str>> {
            tb.attrs
                .get(attrs.0 as usize..attrs.1 as usize)
                .unwrap_or(&[])
                .iter()
                .find(|a| a.name == name)
                .map(|a| a.value.clone())
        }
        match &*node.name {
            "html" | "head" | "body" => push_children(&tb, &mut stack, n, parent),
            "meta" => {
                let key = get(&tb, attrs, "property")
                    .or_else(|| get(&tb, attrs, "name"))
                    .or_else(|| get(&tb, attrs, "itemprop"));
                if let (Some(k), Some(c)) = (key, get(&tb, attrs, "content")) {
                    metas.push((k.trim().to_ascii_lowercase(), c));
                }
            }
            "title" => {
                if title.is_none() {
                    title = Some(child_text(&tb, n));
                }
            }
            "script" => {
                if get(&tb, attrs, "type")
                    .is_some_and(|t| t.to_ascii_lowercase().contains("ld+json"))
                {
                    json_ld.push(child_text(&tb, n));
                }
            }
            name => {
                let tag = if keep_noscript && name == "noscript" {
                    Some(Tag::Div)
                } else {
                    Tag::from_name(name)
                };
                let Some(tag) = tag else {
                    continue;
                };
                let name = if tag == Tag::Other {
                    std::mem::take(&mut node.name)
                } else {
                    Cow::Borrowed("")
                };
                nodes.push(Node {
                    tag,
                    attrs,
                    text: Cow::Borrowed(""),
                    name,
                    parent,
                    end: idx + 1,
                });
                stack.push(Step::Exit(idx));
                push_children(&tb, &mut stack, n, idx);
            }
        }
    }
    let len = nodes.len();
    if let Some(root) = nodes.first_mut() {
        root.end = len;
    }
    let dom = Dom {
        nodes,
        attrs: std::mem::take(&mut tb.attrs),
        metas,
        title,
    };
    (dom, json_ld)
}

/// The whole tree (elements, `content` of templates, text) in the html5lib-tests
/// tree-construction format, without comments, doctype and attributes.
pub(super) fn html5lib_tree(src: &str) -> String {
    let tb = build(src);
    let mut out = String::new();
    let mut stack: Vec<(u32, usize)> = Vec::new();
    let mut c = tb.node(0).last;
    while c != NONE {
        stack.push((c, 0));
        c = tb.node(c).prev;
    }
    while let Some((n, depth)) = stack.pop() {
        let node = tb.node(n);
        let pad = "  ".repeat(depth);
        let mut kids = depth + 1;
        if node.is_text {
            let _ = writeln!(out, "| {pad}\"{}\"", node.text);
            continue;
        }
        match node.ns {
            Ns::Html => {
                let _ = writeln!(out, "| {pad}<{}>", node.name);
                if node.name == "template" {
                    let _ = writeln!(out, "| {pad}  content");
                    kids += 1;
                }
            }
            Ns::Svg => {
                let _ = writeln!(out, "| {pad}<svg {}>", node.name);
            }
            Ns::MathMl => {
                let _ = writeln!(out, "| {pad}<math {}>", node.name);
            }
        }
        let mut c = node.last;
        while c != NONE {
            stack.push((c, kids));
            c = tb.node(c).prev;
        }
    }
    out
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
        // `<b><div>x</b>y</div>`: the div leaves the `<b>` and gets a copy of it round `x`
        // (the adoption agency); `y` stays in the div.
        assert_eq!(
            shape("<b><div>x</b>y</div>z"),
            r#"other div(other("x") "y") "z""#
        );
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

    /// The flat list is a proper pre-order tree: every node lies inside its parent's range
    /// and after it.
    fn proper_tree(dom: &Dom<'_>) -> Result<(), proptest::test_runner::TestCaseError> {
        let len = dom.nodes.len();
        proptest::prop_assert_eq!(dom.nodes[0].end, len);
        for (i, n) in dom.nodes.iter().enumerate().skip(1) {
            proptest::prop_assert!(n.parent < i, "node {} parent {}", i, n.parent);
            proptest::prop_assert!(n.end > i && n.end <= len);
            proptest::prop_assert!(
                dom.nodes[n.parent].end >= n.end,
                "node {} in {}",
                i,
                n.parent
            );
        }
        Ok(())
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
            proper_tree(&parse(&src))?;
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

    /// The text of every text node, in order, joined by `|`.
    fn texts(html: &str) -> String {
        let dom = parse(html);
        let t: Vec<&str> = dom
            .nodes
            .iter()
            .filter(|n| n.tag == Tag::Text)
            .map(|n| &*n.text)
            .collect();
        t.join("|")
    }

    #[test]
    fn foreign_content_ends_with_its_html_parent() {
        // `</div>` inside SVG or MathML closes them with the div: the rest of the page stays.
        assert_eq!(shape("<div><svg></div>after"), r#"div "after""#);
        assert_eq!(shape("<div><math><mrow></div>after"), r#"div "after""#);
        // Break-out tags leave foreign content.
        assert_eq!(shape("<svg><rect/><p>para</p></svg>"), r#"p("para")"#);
        // A nested `<svg>`'s `<text>` is SVG text, not page text.
        assert_eq!(
            texts("<p>a</p><svg><g><svg><text>label</text></svg></g></svg><p>b</p>"),
            "a|b"
        );
        // CDATA is text only in foreign content.
        assert_eq!(texts("<p><![CDATA[x]]>y</p>"), "y");
    }

    #[test]
    fn script_escapes_do_not_leak_into_text() {
        assert_eq!(
            texts(
                "<p>a</p><script><!--document.write('<script>x()</script>');//--></script><p>b</p>"
            ),
            "a|b"
        );
        // `<!--` without a nested `<script>`: `</script>` still ends the script.
        assert_eq!(texts("<script><!-- x </script><p>b</p>"), "b");
        // `<!-->` leaves the escaped state at once.
        assert_eq!(texts("<script><!--></script><p>b</p>"), "b");
    }

    #[test]
    fn an_unclosed_select_ends_with_its_block() {
        // The select is left out, but the page after its block is not.
        assert_eq!(
            texts("<div><select><option>x</div><p>rest of the page</p>"),
            "rest of the page"
        );
        assert_eq!(texts("<select><option>x<input><p>after</p>"), "after");
    }

    #[test]
    fn stray_table_text_is_fostered_before_the_table() {
        assert_eq!(
            shape("<table>stray<tr><td>cell</td></tr></table>"),
            r#""stray" table(otherblock(tr(td("cell"))))"#
        );
        // A block opened in a table's row lands before the table, its text with it.
        assert_eq!(
            shape("<table><tr><div>lost</div><td>c</table>"),
            r#"div("lost") table(otherblock(tr(td("c"))))"#
        );
    }

    #[test]
    fn formatting_is_reopened_in_the_next_block() {
        // An `<a>` left open runs on into the next paragraph, as a copy.
        assert_eq!(
            shape("<p><a href=x>link<p>more</a>"),
            r#"p(a("link")) p(a("more"))"#
        );
        assert_eq!(
            shape("<a href=1>a<div>b</a>c</div>"),
            r#"a("a") div(a("b") "c")"#
        );
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
    fn deep_foreign_nesting_is_capped_too() {
        let n = 100_000;
        let page = format!(
            "<select><button><selectedcontent></selectedcontent></button><option>o<svg>{}{}</svg></option></select><p>na</p>",
            "<g>".repeat(n),
            "</g>".repeat(n)
        );
        let started = std::time::Instant::now();
        assert_eq!(texts(&page), "na");
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    proptest::proptest! {
        /// Tables, foreign content, templates, selects and script escapes mixed at random
        /// still give a proper tree, and never panic.
        #[test]
        fn any_structural_markup_gives_a_proper_tree(parts in proptest::collection::vec(proptest::sample::select(vec![
            "<table>", "</table>", "<tr>", "<td>", "</td>", "<caption>", "<colgroup>", "<col>",
            "<svg>", "</svg>", "<math>", "<mi>", "<foreignObject>", "<desc>", "</desc>",
            "<template>", "</template>", "<select>", "</select>", "<option>", "<optgroup>",
            "<selectedcontent>", "<button>", "</button>", "<script>", "</script>", "<!--",
            "-->", "<![CDATA[", "]]>", "<b>", "</b>", "<a href=x>", "</a>", "<p>", "</p>",
            "<div>", "</div>", "<frameset>", "<frame>", "<noscript>", "<head>", "<body>",
            "</html>", "<input type=hidden>", "<font color=red>", "<plaintext>", "x", " ",
            "<li>", "<h1>", "</h2>", "<form>", "</form>", "<nobr>", "<textarea>", "<title>",
        ]), 0..80)) {
            let src: String = parts.concat();
            proper_tree(&parse(&src))?;
            let _ = html5lib_tree(&src);
        }
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
        // A `<` that opens no tag stays in its text run, as the standard's tokenizer has it.
        assert_eq!(shape("a < b"), r#""a < b""#);
        // NUL never reaches the text (found by the fuzzer in `<xmp>` content).
        assert_eq!(
            shape("<p>a\0b</p><xmp>c\0d</xmp>"),
            "p(\"ab\") pre(\"c\u{fffd}d\")"
        );
    }
}
