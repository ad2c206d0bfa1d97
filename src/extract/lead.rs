//! Leads, standfirsts and subtitles between the headline and the chosen body.
//!
//! Takes the [`Dom`], the [`Analysis`], the headline `<h1>` and the [`Selection`]; adds to the
//! selection the short blocks that sit between the headline and the body: an `hgroup`
//! subtitle, a standfirst in the article header, a lead paragraph styled as a "teaser". A
//! block there is kept when its text is (the start of) the page's meta description, which
//! is what editors write the standfirst for, or when no boilerplate signal marks it and the
//! gap holds only a few such blocks. A weak class word (`widget`) on a wrapper that also
//! holds the headline does not mark a block in the same `<article>` or `<main>`: some
//! templates put such words on every wrapper of the article header.
//!
//! The headline is the first `<h1>` outside page chrome; a page whose only `<h1>` is in its
//! navigation (a breadcrumb's last item) has its headline in a lower heading, the last one
//! before the body in the body's `<article>` or `<main>` (an `hgroup`'s `<h2>`).

use super::content::{Analysis, Selection};
use super::dom::{Dom, Tag};

/// Least own text of a lead or subtitle block.
const LEAD_MIN: usize = 30;
/// Most unmarked blocks in the gap for them to count as a lead (more is a widget, a teaser
/// list or a table of contents).
const GAP_BLOCKS_MAX: usize = 3;
/// Least own text of the body paragraph that ends the gap when the headline is inside the
/// chosen root (a subtitle or an unmarked lead before it is shorter, or rendered anyway).
const BODY_MIN: u32 = 100;
/// Characters compared with the description.
const MATCH_PREFIX: usize = 40;

/// One paragraph-like block in the gap and its own text.
struct GapBlock {
    node: usize,
    text: String,
    links: usize,
}

/// Per-node facts the lead rules read.
struct LeadContext {
    /// Hidden, named by a strong boilerplate word, a landmark or page chrome (`nav`,
    /// `aside`, `footer`, `menu`, `dialog`), by itself or through an ancestor.
    strongly_marked: Vec<bool>,
    /// The nearest `<article>` or `<main>` holding the node (itself included); 0 for none.
    container: Vec<usize>,
}

impl LeadContext {
    fn new(dom: &Dom<'_>, a: &Analysis) -> LeadContext {
        let n = dom.nodes.len();
        let mut strongly_marked = vec![false; n];
        let mut container = vec![0usize; n];
        for i in 1..n {
            let node = &dom.nodes[i];
            let p = node.parent;
            let s = &a.signal[i];
            let chrome = matches!(
                node.tag,
                Tag::Nav | Tag::Aside | Tag::Footer | Tag::Menu | Tag::Dialog
            );
            strongly_marked[i] = strongly_marked[p]
                || (a.boiler[i] && (s.hidden || s.strong_negative || s.landmark || chrome));
            container[i] = if matches!(node.tag, Tag::Article | Tag::Main) {
                i
            } else {
                container[p]
            };
        }
        LeadContext {
            strongly_marked,
            container,
        }
    }

    /// Whether block `i` is left out by a boilerplate signal that counts here: any signal,
    /// unless it is only a weak class word on wrappers that also hold the headline (the
    /// template's word for the article header, not the block's own: a `meta` line beside
    /// the headline stays out) and the block shares the headline's article.
    fn marked(&self, dom: &Dom<'_>, a: &Analysis, i: usize, headline: usize) -> bool {
        if !a.dropped[i] {
            return false;
        }
        if self.strongly_marked[i]
            || self.container[i] == 0
            || self.container[i] != self.container[headline]
        {
            return true;
        }
        let mut k = i;
        while k != 0 {
            if a.boiler[k] && !(k < headline && headline < dom.nodes[k].end) {
                return true;
            }
            k = dom.nodes[k].parent;
        }
        false
    }
}

/// The headline the lead follows: the first `<h1>` outside page chrome, else the last
/// `h1`–`h3` before the body that shares the body's `<article>` or `<main>`.
fn headline(dom: &Dom<'_>, a: &Analysis, ctx: &LeadContext, sel: &Selection) -> Option<usize> {
    let has_text = |i: usize| a.chars[i] > 0 || !super::metadata::subtree_text(dom, i).is_empty();
    if let Some(h) = (1..dom.nodes.len())
        .find(|&i| dom.nodes[i].tag == Tag::H1 && !ctx.strongly_marked[i] && has_text(i))
    {
        return Some(h);
    }
    let &first = sel.roots.first()?;
    let body = (first..dom.nodes[first].end)
        .find(|&k| a.good[k] > 0 && a.inline_chars[k] >= BODY_MIN && !sel.skip[k])?;
    let home = ctx.container[body];
    if home == 0 {
        return None;
    }
    (home..body).rev().find(|&i| {
        matches!(dom.nodes[i].tag, Tag::H1 | Tag::H2 | Tag::H3)
            && ctx.container[i] == home
            && !ctx.strongly_marked[i]
            && has_text(i)
    })
}

/// Adds the lead blocks between the headline and the body to `sel`.
pub(super) fn add_leads(
    dom: &Dom<'_>,
    a: &Analysis,
    description: Option<&str>,
    sel: &mut Selection,
) {
    let Some(&first) = sel.roots.first() else {
        return;
    };
    let ctx = LeadContext::new(dom, a);
    let Some(h1) = headline(dom, a, &ctx, sel) else {
        return;
    };
    let h1_end = dom.nodes[h1].end;
    let inside = sel
        .roots
        .iter()
        .find(|&&r| r < h1 && h1 < dom.nodes[r].end)
        .copied();
    // The gap: after the headline, up to the body (a separate root) or up to the first
    // body paragraph the root renders (the headline inside the root).
    let gap_end = match inside {
        Some(root) => (h1_end..dom.nodes[root].end)
            .find(|&k| a.good[k] > 0 && a.inline_chars[k] >= BODY_MIN && !sel.skip[k])
            .unwrap_or(h1_end),
        None if h1_end <= first => first,
        None => return,
    };
    let blocks = gap_blocks(dom, a, h1_end, gap_end);
    let unmarked = blocks
        .iter()
        .filter(|b| !ctx.marked(dom, a, b.node, h1))
        .count();
    let desc = description.map(normalise);
    let mut extra = Vec::new();
    for b in &blocks {
        let matches_desc = desc.as_deref().is_some_and(|d| same_start(d, &b.text));
        let plain = !ctx.marked(dom, a, b.node, h1) && unmarked <= GAP_BLOCKS_MAX;
        if !(matches_desc || plain) {
            continue;
        }
        match inside {
            Some(root) => unskip(dom, root, b.node, &mut sel.skip),
            None => {
                sel.skip[b.node] = false;
                extra.push(b.node);
            }
        }
    }
    if !extra.is_empty() {
        extra.append(&mut sel.roots);
        sel.roots = extra;
    }
}

/// Paragraph-like blocks in `start..end` with enough own text and few links, outside
/// hidden elements and page chrome (navigation, asides, footers, forms, figures).
fn gap_blocks(dom: &Dom<'_>, a: &Analysis, start: usize, end: usize) -> Vec<GapBlock> {
    let mut out: Vec<GapBlock> = Vec::new();
    let mut i = start;
    while i < end {
        let n = &dom.nodes[i];
        if n.tag != Tag::Text && (a.signal[i].hidden || is_chrome(n.tag) || a.signal[i].landmark) {
            i = n.end.max(i + 1);
            continue;
        }
        if n.tag == Tag::Text {
            let block = block_of(dom, i);
            let in_link = in_link(dom, i, block);
            let text = n.text.trim();
            if !text.is_empty() && block >= start {
                let idx = match out.iter().position(|b| b.node == block) {
                    Some(idx) => idx,
                    None => {
                        out.push(GapBlock {
                            node: block,
                            text: String::new(),
                            links: 0,
                        });
                        out.len() - 1
                    }
                };
                let b = &mut out[idx];
                if !b.text.is_empty() {
                    b.text.push(' ');
                }
                b.text.push_str(text);
                if in_link {
                    b.links += text.chars().count();
                }
            }
        }
        i += 1;
    }
    out.retain(|b| {
        let len = b.text.chars().count();
        len >= LEAD_MIN && b.links * 5 < len
    });
    out
}

fn is_chrome(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::Nav
            | Tag::Aside
            | Tag::Footer
            | Tag::Form
            | Tag::Figure
            | Tag::Figcaption
            | Tag::Menu
            | Tag::Dialog
            | Tag::Address
            | Tag::Time
    )
}

/// The nearest block element holding node `i`.
fn block_of(dom: &Dom<'_>, i: usize) -> usize {
    let mut cur = dom.nodes[i].parent;
    while cur != 0 && !dom.nodes[cur].tag.is_block() {
        cur = dom.nodes[cur].parent;
    }
    cur
}

/// Whether node `i` sits in a link below `block`.
fn in_link(dom: &Dom<'_>, i: usize, block: usize) -> bool {
    let mut cur = dom.nodes[i].parent;
    while cur != 0 && cur != block {
        if dom.nodes[cur].tag == Tag::A {
            return true;
        }
        cur = dom.nodes[cur].parent;
    }
    false
}

/// Renders `node` inside `root` even when it or an ancestor below `root` is skipped; the
/// skipped ancestors' other children stay out.
fn unskip(dom: &Dom<'_>, root: usize, node: usize, skip: &mut [bool]) {
    skip[node] = false;
    let mut child = node;
    let mut cur = dom.nodes[node].parent;
    while cur != root && cur != 0 {
        if skip[cur] {
            skip[cur] = false;
            for c in dom.children(cur) {
                if c != child {
                    skip[c] = true;
                }
            }
        }
        child = cur;
        cur = dom.nodes[cur].parent;
    }
}

/// Whitespace collapsed, lower case.
fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether one text starts the other (compared on their first characters).
fn same_start(desc: &str, text: &str) -> bool {
    let text = normalise(text);
    let head = |s: &str| s.chars().take(MATCH_PREFIX).collect::<String>();
    let (d, t) = (head(desc), head(&text));
    !d.is_empty() && (text.contains(&d) || desc.contains(&t))
}
