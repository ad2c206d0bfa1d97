//! Finds the main article content of a page in the flat DOM.
//!
//! Takes the [`Dom`] and returns a [`Selection`]: the subtree roots that hold the article
//! body (in document order) and a per-node skip mask for the boilerplate inside them. Per-node
//! text and link lengths are computed once, bottom-up, so every decision is O(1) per node and
//! the whole pass is linear in the page size.

use super::dom::{Dom, Tag};
use super::signals::{self, Signal};

/// Per-node facts computed once per page.
pub(super) struct Analysis {
    /// Boilerplate by itself (tag or attributes), before inheritance.
    pub boiler: Vec<bool>,
    /// Boilerplate by itself or through an ancestor.
    pub dropped: Vec<bool>,
    /// Non-whitespace characters of non-dropped text in the subtree.
    pub chars: Vec<u32>,
    /// Of those, characters inside links.
    pub link_chars: Vec<u32>,
    /// Characters of text whose nearest block ancestor is this node ("own paragraph text").
    pub inline_chars: Vec<u32>,
    /// Link characters of that own text.
    pub inline_links: Vec<u32>,
    /// Commas in that own text.
    pub inline_commas: Vec<u32>,
    /// Characters of "good paragraph" text in the subtree (blocks with enough own text and few
    /// links).
    pub good: Vec<u32>,
    /// Each element's attribute signals.
    pub signal: Vec<Signal>,
    /// Good paragraph text of the page with only hidden elements left out: an upper bound
    /// of `good[0]` under any boilerplate rules.
    pub good_upper: u32,
}

/// What to render.
pub(super) struct Selection {
    /// Roots of the subtrees holding the article body, in document order.
    pub roots: Vec<usize>,
    /// Nodes (with their subtrees) to leave out while rendering.
    pub skip: Vec<bool>,
}

/// Minimum own text for a block to count as a paragraph.
const PARAGRAPH_MIN: u32 = 25;

fn count_text(s: &str) -> (u32, u32) {
    let mut chars = 0u32;
    let mut commas = 0u32;
    for c in s.chars() {
        if !c.is_whitespace() && !super::text::is_invisible(c) {
            chars += 1;
            if c == ',' || c == '，' || c == '、' {
                commas += 1;
            }
        }
    }
    (chars, commas)
}

/// Computes the per-node facts.
pub(super) fn analyse(dom: &Dom<'_>) -> Analysis {
    analyse_with(dom, Words::All)
}

/// Which class and id words make an element boilerplate.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Words {
    /// Strong and weak words (`comment`, `sidebar`; `widget`, `meta`).
    All,
    /// Strong words only: some templates put a weak word on every wrapper of the page.
    Strong,
    /// None: only the page chrome's own tags and roles (`nav`, `aside`, `footer`,
    /// `role="navigation"`…) and hidden elements. A forum names every post a comment.
    None,
}

/// Computes the per-node facts, with the class and id words `words` says count (see [`Words`]).
pub(super) fn analyse_with(dom: &Dom<'_>, words: Words) -> Analysis {
    let relaxed = words != Words::All;
    let n = dom.nodes.len();
    let mut signal = vec![Signal::default(); n];
    let mut boiler = vec![false; n];
    let mut scratch = signals::Scratch::default();
    // A `<footer>` inside a `<blockquote>` names the quote's source: content, not page chrome.
    let mut in_quote = vec![false; n];
    let controlled: std::collections::HashSet<&str> = dom
        .attrs
        .iter()
        .filter(|a| a.name == "aria-controls")
        .flat_map(|a| a.value.split_whitespace())
        .collect();
    // Built only when a hidden element is met (most pages have none that matter).
    let mut share = None;
    for (i, node) in dom.nodes.iter().enumerate() {
        if i > 0 {
            in_quote[i] = node.tag == Tag::Blockquote || in_quote[node.parent];
        }
        if node.tag == Tag::Text {
            continue;
        }
        let mut s = signals::read(node, dom.attrs_of(i), &mut scratch);
        // A collapsed accordion panel that a control on the page opens (`aria-controls`)
        // is text the reader can show: an FAQ's answers.
        if s.hidden
            && !controlled.is_empty()
            && dom
                .attr(i, "id")
                .is_some_and(|id| controlled.contains(id.trim()))
        {
            s.hidden = false;
        }
        if s.hidden
            && share
                .get_or_insert_with(|| super::dom::TextShare::new(dom))
                .holds_most(dom, i)
        {
            s.hidden = false;
        }
        signal[i] = s;
        boiler[i] = match node.tag {
            Tag::Nav | Tag::Aside | Tag::Menu | Tag::Dialog => true,
            Tag::Footer => !in_quote[i],
            // Captions inside the article are its text; their class words (`caption`,
            // `credit`) say nothing about the page chrome.
            Tag::Figcaption | Tag::Caption => {
                boiler[i] = s.hidden;
                continue;
            }
            _ => false,
        } || s.hidden
            || (words == Words::None && s.landmark)
            || (words != Words::None && s.strong_negative && !s.article_body)
            || (words != Words::None
                && s.weak_negative
                && !s.positive
                && !in_quote[i]
                && (!relaxed || s.landmark));
    }
    // A class word can be wrong about a wrapper (`content-with-sidebar`, `page has-comments`,
    // `<form id="aspnetForm">` around the page): measure the good paragraph text with only
    // hidden elements removed, and keep any element that holds half of it.
    let hidden: Vec<bool> = signal.iter().map(|s| s.hidden).collect();
    let first = measure(dom, &hidden);
    let total_good = first.good.first().copied().unwrap_or(0);
    let total_chars = first.chars.first().copied().unwrap_or(0);
    for i in 1..n {
        if !boiler[i] || hidden[i] {
            continue;
        }
        if first.good[i] as u64 * 2 >= total_good as u64 && first.good[i] > 0 {
            boiler[i] = false;
        }
    }
    keep_repeated_posts(dom, &signal, &first.good, total_good, &mut boiler);
    // Forms wrap whole pages on some CMSs; only a small form is boilerplate.
    for ((node, b), &c) in dom
        .nodes
        .iter()
        .zip(boiler.iter_mut())
        .zip(&first.chars)
        .skip(1)
    {
        if node.tag == Tag::Form && (c as u64) * 5 < total_chars as u64 {
            *b = true;
        }
    }
    let m = measure(dom, &boiler);
    Analysis {
        boiler,
        dropped: m.dropped,
        chars: m.chars,
        link_chars: m.link_chars,
        inline_chars: m.inline_chars,
        inline_links: m.inline_links,
        inline_commas: m.inline_commas,
        good: m.good,
        signal,
        good_upper: total_good,
    }
}

/// Text measures of every node with the subtrees under `boiler` left out.
struct Measures {
    dropped: Vec<bool>,
    chars: Vec<u32>,
    link_chars: Vec<u32>,
    inline_chars: Vec<u32>,
    inline_links: Vec<u32>,
    inline_commas: Vec<u32>,
    good: Vec<u32>,
}

/// Sibling elements marked boilerplate only by a class word (a forum thread's posts, each
/// `comment` or `reply`) that together hold two thirds of the page's good text are the
/// page: a discussion, not a comment section under an article. At least three such
/// siblings are needed; page chrome tags and hidden elements stay out.
fn keep_repeated_posts(
    dom: &Dom<'_>,
    signal: &[Signal],
    good: &[u32],
    total_good: u32,
    boiler: &mut [bool],
) {
    if total_good == 0 {
        return;
    }
    // Topmost boilerplate elements per parent, and their good text.
    let mut groups: std::collections::HashMap<usize, (Vec<usize>, u64)> = Default::default();
    let mut skip_to = 0;
    for i in 1..dom.nodes.len() {
        if i < skip_to || !boiler[i] {
            continue;
        }
        let node = &dom.nodes[i];
        skip_to = node.end;
        let chrome = matches!(
            node.tag,
            Tag::Nav | Tag::Aside | Tag::Footer | Tag::Header | Tag::Menu | Tag::Dialog | Tag::Form
        );
        let s = &signal[i];
        if chrome || s.hidden || s.landmark || !s.strong_negative || good[i] == 0 {
            continue;
        }
        // Posts inside a container named as boilerplate are a comment section.
        let mut a = node.parent;
        let mut in_named = false;
        while a != 0 {
            in_named |= signal[a].strong_negative;
            a = dom.nodes[a].parent;
        }
        if in_named {
            continue;
        }
        let g = groups.entry(node.parent).or_default();
        g.0.push(i);
        g.1 += u64::from(good[i]);
    }
    for (posts, sum) in groups.into_values() {
        if posts.len() >= 3 && sum * 3 >= u64::from(total_good) * 2 {
            for i in posts {
                boiler[i] = false;
                // The post's own body (`comment-body`) is named like the post.
                for j in i + 1..dom.nodes[i].end {
                    if boiler[j] && !signal[j].hidden && good[j] * 2 > good[i] {
                        boiler[j] = false;
                    }
                }
            }
        }
    }
}

fn measure(dom: &Dom<'_>, boiler: &[bool]) -> Measures {
    let n = dom.nodes.len();
    let mut dropped = vec![false; n];
    let mut block_of = vec![0usize; n];
    let mut in_link = vec![false; n];
    for i in 1..n {
        let node = &dom.nodes[i];
        let p = node.parent;
        dropped[i] = boiler[i] || dropped[p];
        block_of[i] = if node.tag != Tag::Text && node.tag.is_block() {
            i
        } else {
            block_of[p]
        };
        in_link[i] = node.tag == Tag::A || in_link[p];
    }
    let mut chars = vec![0u32; n];
    let mut link_chars = vec![0u32; n];
    let mut inline_chars = vec![0u32; n];
    let mut inline_links = vec![0u32; n];
    let mut inline_commas = vec![0u32; n];
    for i in 1..n {
        let node = &dom.nodes[i];
        if node.tag == Tag::Text && !dropped[i] {
            let (c, commas) = count_text(&node.text);
            let b = block_of[i];
            inline_chars[b] += c;
            inline_commas[b] += commas;
            chars[i] = c;
            if in_link[i] {
                inline_links[b] += c;
                link_chars[i] = c;
            }
        }
    }
    let mut good = vec![0u32; n];
    for i in 1..n {
        if !dropped[i]
            && inline_chars[i] >= PARAGRAPH_MIN
            && inline_links[i] * 2 < inline_chars[i]
            && (dom.nodes[i].tag != Tag::Li
                || (inline_chars[i] >= 2 * PARAGRAPH_MIN && inline_links[i] * 5 < inline_chars[i]))
        {
            good[i] = inline_chars[i] - inline_links[i];
        }
    }
    for i in (1..n).rev() {
        let p = dom.nodes[i].parent;
        chars[p] += chars[i];
        link_chars[p] += link_chars[i];
        good[p] += good[i];
    }
    Measures {
        dropped,
        chars,
        link_chars,
        inline_chars,
        inline_links,
        inline_commas,
        good,
    }
}

/// Readability-style candidate scores: each paragraph gives its parent its score, the
/// grandparent half, and further ancestors a third per level.
fn candidate_scores(dom: &Dom<'_>, a: &Analysis) -> Vec<f64> {
    let n = dom.nodes.len();
    let mut score = vec![0f64; n];
    let mut scored = vec![false; n];
    for i in 1..n {
        if a.dropped[i] || a.inline_chars[i] < PARAGRAPH_MIN {
            continue;
        }
        let own = a.inline_chars[i] as f64;
        let links = a.inline_links[i] as f64;
        let mut s = 1.0 + a.inline_commas[i] as f64 + (own / 100.0).min(3.0);
        s *= 1.0 - (links / own).min(1.0);
        // A block element with its own text (a `div` used as a paragraph) scores itself
        // like a parent would; a `p` passes its score upwards only.
        let mut level = 0usize;
        let mut cur = if is_paragraph_tag(dom.nodes[i].tag) {
            dom.nodes[i].parent
        } else {
            i
        };
        loop {
            if !scored[cur] {
                scored[cur] = true;
                score[cur] += initial_score(dom, a, cur);
            }
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f64 * 3.0,
            };
            score[cur] += s / divider;
            level += 1;
            if cur == 0 || level > 4 {
                break;
            }
            cur = dom.nodes[cur].parent;
        }
    }
    for i in 0..n {
        if scored[i] {
            let c = a.chars[i].max(1) as f64;
            score[i] *= 1.0 - (a.link_chars[i] as f64 / c).min(1.0);
        }
    }
    score
}

fn is_paragraph_tag(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::P | Tag::Pre | Tag::Li | Tag::Dd | Tag::Dt | Tag::Td | Tag::Th | Tag::Blockquote
    ) || tag.is_heading()
}

fn initial_score(dom: &Dom<'_>, a: &Analysis, i: usize) -> f64 {
    let mut s: f64 = match dom.nodes[i].tag {
        Tag::Div | Tag::Article | Tag::Main | Tag::Section => 5.0,
        Tag::Pre | Tag::Td | Tag::Blockquote => 3.0,
        Tag::Address | Tag::Ol | Tag::Ul | Tag::Dl | Tag::Dd | Tag::Dt | Tag::Li | Tag::Form => {
            -3.0
        }
        t if t.is_heading() || t == Tag::Th => -5.0,
        _ => 0.0,
    };
    let sig = a.signal[i];
    if sig.positive {
        s += 25.0;
    }
    if sig.article_body {
        s += 25.0;
    }
    if sig.weak_negative || sig.strong_negative {
        s -= 25.0;
    }
    s
}

/// Chooses the article subtrees and the boilerplate to skip inside them.
pub(super) fn select(dom: &Dom<'_>, a: &Analysis) -> Selection {
    let n = dom.nodes.len();
    let score = candidate_scores(dom, a);
    let mut top = 0usize;
    for i in 1..n {
        if score[i] > score[top] {
            top = i;
        }
    }
    // Climb while the parent holds clearly more good paragraph text: the top candidate is
    // often one column of a multi-part article body.
    let total_good = a.good[0].max(1);
    let mut root = top;
    while root != 0 {
        let p = dom.nodes[root].parent;
        if a.good[p] as f64 >= a.good[root] as f64 * 1.25 && a.good[root] * 2 < total_good {
            root = p;
        } else {
            break;
        }
    }
    root = climb_clean(dom, a, root);
    // A lead paragraph often sits beside the body (`<article>` > `div.intro` +
    // `div.article-body`): when the parent is itself marked as the article, take it whole.
    // One step only: climbing on through marked wrappers collects comments and widgets.
    if root != 0 {
        let p = dom.nodes[root].parent;
        let marked = dom.nodes[p].tag == Tag::Article || a.signal[p].positive;
        // The lead comes before the body; good text after it (comments, author boxes,
        // teasers) means the parent is more than the article.
        let extra_good = a.good[p].saturating_sub(a.good[root]);
        let root_end = dom.nodes[root].end;
        let after: u32 = dom
            .children(p)
            .filter(|&c| c >= root_end)
            .map(|c| a.good[c])
            .sum();
        if marked && extra_good > 0 && after == 0 && !a.dropped[p] {
            root = p;
        }
    }
    let roots = with_similar_siblings(dom, a, root);
    let mut skip = a.boiler.clone();
    for &r in &roots {
        mark_link_lists(dom, a, r, &mut skip);
    }
    Selection { roots, skip }
}

/// Most levels [`climb_clean`] looks up.
const CLEAN_LEVELS: usize = 4;
/// Tenths of the text a wider block adds that must be good `<p>` text for it to be taken.
const CLEAN_SHARE: u64 = 6;

/// A wider block whose extra text is mostly good `<p>` text (the article's first paragraphs
/// beside a table or embed that scored highest, an intro section before the body's section)
/// is the article: returns the highest such ancestor of `root`, up to a few levels, below
/// the page itself and with no other `<article>` in the added part. Only `<p>` text counts:
/// captions, meta lines and teaser blocks beside the body are rarely written as paragraphs.
fn climb_clean(dom: &Dom<'_>, a: &Analysis, root: usize) -> usize {
    let mut best = root;
    let mut cur = root;
    for _ in 0..CLEAN_LEVELS {
        if cur == 0 {
            break;
        }
        let p = dom.nodes[cur].parent;
        if p == 0 || a.dropped[p] {
            break;
        }
        let extra_chars = u64::from(a.chars[p].saturating_sub(a.chars[root]));
        let extra_good = paragraph_good_outside(dom, a, p, root);
        if extra_good > 0
            && extra_good * 10 >= extra_chars * CLEAN_SHARE
            && !other_article(dom, p, root)
        {
            best = p;
        }
        cur = p;
    }
    best
}

/// Good paragraph text of the `<p>` elements in the subtree of `outer`, outside the subtree
/// of `inner`.
fn paragraph_good_outside(dom: &Dom<'_>, a: &Analysis, outer: usize, inner: usize) -> u64 {
    let inner_end = dom.nodes[inner].end;
    (outer + 1..dom.nodes[outer].end)
        .filter(|&k| (k < inner || k >= inner_end) && dom.nodes[k].tag == Tag::P && !a.dropped[k])
        .map(|k| u64::from(a.good[k]))
        .sum()
}

/// Whether the subtree of `outer`, outside the subtree of `inner`, holds an `<article>`.
fn other_article(dom: &Dom<'_>, outer: usize, inner: usize) -> bool {
    let inner_end = dom.nodes[inner].end;
    (outer + 1..dom.nodes[outer].end)
        .filter(|&k| k < inner || k >= inner_end)
        .any(|k| dom.nodes[k].tag == Tag::Article)
}

/// Article bodies split into chunks (`<div class="article__body">` repeated between ads or
/// media) and threads of posts: looks up to a few ancestors above `root` for siblings with
/// the same tag and the same kind of class that hold good paragraph text, and returns all of
/// them in document order.
fn with_similar_siblings(dom: &Dom<'_>, a: &Analysis, root: usize) -> Vec<usize> {
    let mut cur = root;
    for _ in 0..SIBLING_LEVELS {
        if cur == 0 {
            break;
        }
        let class = dom.attr(cur, "class").unwrap_or("").trim();
        let parent = dom.nodes[cur].parent;
        // Unclassed wrappers say nothing about being alike.
        if class.is_empty() {
            cur = parent;
            continue;
        }
        // Siblings of the same kind (first class word): chunks of one body, or a thread's
        // posts (`blockpost rowodd firstpost`, `blockpost roweven`), taken when they hold
        // clearly more than the block alone.
        let kind = class.split_whitespace().next().unwrap_or("");
        let alike = similar_siblings(dom, a, cur, |c| c.split_whitespace().next() == Some(kind));
        let same_class = |c: usize| dom.attr(c, "class").unwrap_or("").trim() == class;
        // Of those with another class, only blocks of prose: a teaser list beside the story
        // (`block grid`) is headlines in links and one-line summaries.
        let prose: Vec<usize> = alike
            .iter()
            .copied()
            .filter(|&c| same_class(c) || is_prose(a, c))
            .collect();
        if prose.len() > 1 && enough(a, &prose, root) {
            return prose;
        }
        // Siblings with the very same class that add too little (a lone paragraph wrapper
        // among hundreds) end the search.
        if alike.iter().filter(|&&c| same_class(c)).count() > 1 {
            return vec![root];
        }
        cur = parent;
    }
    vec![root]
}

/// Most ancestors of the chosen block [`with_similar_siblings`] looks at: a forum post's
/// text sits about six wrappers below the post.
const SIBLING_LEVELS: usize = 6;

/// `cur` and its siblings of the same tag whose class `same_class` accepts, that hold good
/// paragraph text and do not start a story of their own, in document order.
fn similar_siblings(
    dom: &Dom<'_>,
    a: &Analysis,
    cur: usize,
    same_class: impl Fn(&str) -> bool,
) -> Vec<usize> {
    let node = &dom.nodes[cur];
    let mut found: Vec<usize> = dom
        .children(node.parent)
        .filter(|&c| {
            c != cur
                && dom.nodes[c].tag == node.tag
                && same_class(dom.attr(c, "class").unwrap_or("").trim())
                && a.good[c] > 0
                && !a.dropped[c]
                && !starts_new_article(dom, c)
        })
        .collect();
    found.push(cur);
    found.sort_unstable();
    found
}

/// Whether a block is mostly good paragraph text, with under 30 % of its text in links (a
/// post's reply and quote buttons, not a list of headlines).
fn is_prose(a: &Analysis, i: usize) -> bool {
    a.good[i] * 2 >= a.chars[i] && u64::from(a.link_chars[i]) * 10 < u64::from(a.chars[i]) * 3
}

/// Whether the blocks found hold clearly more good paragraph text than `root` alone.
fn enough(a: &Analysis, found: &[usize], root: usize) -> bool {
    let good_here: u64 = found.iter().map(|&c| u64::from(a.good[c])).sum();
    good_here as f64 >= f64::from(a.good[root]) * 1.1
}

/// Whether a subtree holds its own headline or is an `<article>`: a separate story (an
/// endless-scroll page or a teaser list), not a continuation of the current one.
fn starts_new_article(dom: &Dom<'_>, idx: usize) -> bool {
    let end = dom.nodes[idx].end;
    dom.nodes[idx..end]
        .iter()
        .any(|n| n.tag == Tag::H1 || n.tag == Tag::Article)
}

/// Skips link-dominated containers (lists of related links, tag clouds) inside the chosen
/// subtree.
fn mark_link_lists(dom: &Dom<'_>, a: &Analysis, root: usize, skip: &mut [bool]) {
    let end = dom.nodes[root].end;
    for (i, node) in dom.nodes.iter().enumerate().take(end).skip(root + 1) {
        let tag = node.tag;
        if !matches!(
            tag,
            Tag::Ul | Tag::Ol | Tag::Div | Tag::Section | Tag::Table | Tag::Dl | Tag::P | Tag::Li
        ) {
            continue;
        }
        let c = a.chars[i];
        if c == 0 {
            continue;
        }
        let ld = a.link_chars[i] as f64 / c as f64;
        if ld > 0.6 && a.good[i] < 100 {
            skip[i] = true;
        }
    }
}

/// The wide block: the deepest element that holds most of the page's good paragraph text
/// (`a` should be a relaxed analysis), for pages where the scored choice came out far
/// smaller than the page's main text (a tagline picked next to the post, a template that
/// marks every wrapper as a widget).
pub(super) fn select_wide(dom: &Dom<'_>, a: &Analysis) -> Selection {
    let root = deepest_holding(dom, a, &a.good, WIDE_SHARE);
    let mut skip = a.boiler.clone();
    mark_link_lists(dom, a, root, &mut skip);
    Selection {
        roots: vec![root],
        skip,
    }
}

/// The deepest element, not dropped, whose `amount` is at least `tenths` of the page's.
fn deepest_holding(dom: &Dom<'_>, a: &Analysis, amount: &[u32], tenths: u64) -> usize {
    let total = u64::from(amount[0]);
    // Pre-order: the nodes holding more than the share form a chain from the root, and the
    // last one in document order is the deepest.
    amount
        .iter()
        .enumerate()
        .take(dom.nodes.len())
        .skip(1)
        .rev()
        .find(|&(i, &held)| !a.dropped[i] && u64::from(held) * 10 >= total * tenths)
        .map_or(0, |(i, _)| i)
}

/// Tenths of the page's good paragraph text the wide block must hold.
const WIDE_SHARE: u64 = 7;

/// The page's main region, for pages whose text is not in paragraphs at all (listings,
/// product grids, schedules, forum threads of short posts): the deepest element that holds
/// most of the text outside the page chrome (`a` should be a [`Words::None`] analysis), with
/// the chrome left out and the links kept, as a list's items are often links.
pub(super) fn select_region(dom: &Dom<'_>, a: &Analysis) -> Selection {
    Selection {
        roots: vec![deepest_holding(dom, a, &a.chars, REGION_SHARE)],
        skip: a.boiler.clone(),
    }
}

/// Tenths of the page's text outside the chrome that the main region must hold.
const REGION_SHARE: u64 = 7;
