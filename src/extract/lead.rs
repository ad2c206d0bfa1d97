//! Leads, standfirsts and subtitles between the headline and the chosen body.
//!
//! Takes the [`Dom`], the [`Analysis`], the headline `<h1>` and the [`Selection`]; adds to the
//! selection the short blocks that sit between the headline and the body: an `hgroup`
//! subtitle, a standfirst in the article header, a lead paragraph styled as a "teaser". A
//! block there is kept when its text is (the start of) the page's meta description, which
//! is what editors write the standfirst for, or when no boilerplate signal marks it and the
//! gap holds only a few such blocks.

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

/// Adds the lead blocks between `h1` and the body to `sel`.
pub(super) fn add_leads(
    dom: &Dom<'_>,
    a: &Analysis,
    h1: usize,
    description: Option<&str>,
    sel: &mut Selection,
) {
    let Some(&first) = sel.roots.first() else {
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
    let unmarked = blocks.iter().filter(|b| !a.dropped[b.node]).count();
    let desc = description.map(normalise);
    let mut extra = Vec::new();
    for b in &blocks {
        let matches_desc = desc.as_deref().is_some_and(|d| same_start(d, &b.text));
        let plain = !a.dropped[b.node] && unmarked <= GAP_BLOCKS_MAX;
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
