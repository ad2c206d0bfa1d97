//! Article text extraction: the main text and metadata of one HTML page.
//!
//! Takes a page's HTML (already decoded to a `&str`) and optionally its URL; returns an
//! [`Article`] with the headline, publication date, author and the clean body text
//! (paragraphs separated by blank lines), with navigation, teasers, share and cookie blocks
//! and other boilerplate left out. [`page_title`] is the cheap `<title>` lookup used by link
//! checking.
//!
//! How: the page is parsed straight into a flat pre-order node list ([`parse`], [`dom`];
//! scripts, styles and other never-text spans are skipped unread), boilerplate is marked from
//! tags and class/id words ([`signals`]), per-node text and link lengths are computed once,
//! Readability-style paragraph scores pick the article subtree ([`content`]), and that
//! subtree is rendered to text ([`text`]).

mod charref;
mod content;
mod dom;
mod lead;
mod links;
mod metadata;
mod page_text;
mod parse;
mod signals;
mod text;
mod tokenize;
mod tree;

pub use links::page_links;
pub use page_text::{PageText, Region, extract_with_page, page_text, parse_regions};
use serde::Serialize;

/// The character reference at the start of `rest` (the bytes after a `&` in text), as the
/// HTML standard decodes it: its characters and the bytes it takes; `None` when that `&`
/// starts none. The screenshot stage maps a page's words back to its markup with it.
pub fn text_reference(rest: &[u8]) -> Option<([Option<char>; 2], usize)> {
    charref::reference(rest, charref::RefPlace::Text)
}

/// What the extractor found in one HTML page.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Article {
    /// Headline: `og:title`, `<h1>` or `<title>`, without a site suffix (`… | Site`).
    pub title: Option<String>,
    /// Publication date as `YYYY-MM-DD` when one was found.
    pub published: Option<String>,
    /// Author name when the page names one.
    pub author: Option<String>,
    /// Main article body only, clean, paragraphs separated by `"\n\n"`.
    pub text: String,
}

/// Extracts the article body and metadata from one HTML page; `url` (the page's address)
/// helps find the date. Never panics on any input.
pub fn extract_article(html: &str, url: Option<&str>) -> Article {
    parse_and_extract(html, url).1
}

/// Parses `html` and extracts its article; returns the parse the article was read from.
fn parse_and_extract<'a>(html: &'a str, url: Option<&str>) -> (dom::Dom<'a>, Article) {
    let (dom, json_ld) = parse::parse_with_json_ld(html);
    let article = article_of(&dom, &json_ld, url);
    // A page that renders its text with scripts may keep a readable copy in `<noscript>`:
    // when the scripted view holds little text, read the page as a reader without scripts
    // sees it, and take that when it holds clearly more.
    let short = article.text.len() < SHORT_TEXT;
    if short && contains_ignore_case(html.as_bytes(), b"<noscript") {
        let (dom2, json_ld) = parse::parse_with_noscript(html);
        let without_scripts = article_of(&dom2, &json_ld, url);
        if without_scripts.text.len() > 2 * article.text.len() + SHORT_TEXT / 2 {
            return (dom2, without_scripts);
        }
    }
    (dom, article)
}

/// Whether `hay` contains `needle` (ASCII case-insensitive).
fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// The extraction proper, on a parsed page (`json_ld`: the page's JSON-LD script bodies).
fn article_of(dom: &dom::Dom<'_>, json_ld: &[String], url: Option<&str>) -> Article {
    let analysis = content::analyse(dom);
    let mut selection = content::select(dom, &analysis);
    let h1 = metadata::first_h1(dom, &analysis.dropped);
    let description = metadata::description(dom);
    lead::add_leads(dom, &analysis, description.as_deref(), &mut selection);
    let mut blocks = text::render(dom, &selection.roots, &selection.skip);
    let mut chosen = text_chars(&blocks);
    let too_small = |chosen: usize, page_good: usize| {
        chosen * TOO_SMALL_RATIO < page_good || (chosen < SHORT_TEXT && page_good > 2 * SHORT_TEXT)
    };
    // The relaxed pass costs a second analysis; skip it when even the upper bound of the
    // page's good text cannot make the choice look too small.
    let mut relaxed = None;
    if too_small(chosen, analysis.good_upper as usize) {
        let strong_only = content::analyse_with(dom, content::Words::Strong);
        if too_small(chosen, strong_only.good[0] as usize) {
            let wide = content::select_wide(dom, &strong_only);
            let wide_blocks = text::render(dom, &wide.roots, &wide.skip);
            let wide_chars = text_chars(&wide_blocks);
            if wide_chars > chosen {
                blocks = wide_blocks;
                chosen = wide_chars;
            }
        }
        relaxed = Some(strong_only);
    }
    // A product page's text is spread over a summary, a description, specifications and
    // reviews: the region holds them all, whatever the length of the block chosen.
    let product = metadata::declares_product(dom, json_ld);
    if product || (chosen < REGION_BELOW && !is_short_article(&blocks)) {
        // Class words are left aside (a forum names every post a comment, a shop every
        // product card a widget), but on a product page the strong ones still count:
        // `related` and `recommendations` name the other products it shows.
        let chrome_only = match relaxed {
            Some(strong_only) if product => strong_only,
            _ if product => content::analyse_with(dom, content::Words::Strong),
            _ => content::analyse_with(dom, content::Words::None),
        };
        if chrome_only.chars[0] as usize > REGION_MIN {
            let region = content::select_region(dom, &chrome_only);
            let region_blocks = text::render(dom, &region.roots, &region.skip);
            // A product page's region replaces a block it merely adds to; elsewhere it must
            // hold twice as much, so a short text keeps its page's menus out.
            let factor = if product { 1 } else { 2 };
            if text_chars(&region_blocks) > chosen * factor {
                blocks = region_blocks;
            }
        }
    }

    let title = metadata::title(dom, h1.as_ref().map(|(_, t)| t.clone()));
    let date_from = h1
        .as_ref()
        .map(|(i, _)| *i)
        .or_else(|| selection.roots.first().copied())
        .unwrap_or(0);
    let published = metadata::published(dom, json_ld, date_from, url);
    let author = metadata::author(dom, json_ld);

    let text = join_blocks(&blocks, title.as_deref());
    Article {
        title,
        published,
        author,
        text,
    }
}

/// The scored choice is "clearly too small" when the page's good paragraph text is this many
/// times its length...
const TOO_SMALL_RATIO: usize = 3;
/// ...or when it is shorter than this many characters while the page holds more than twice
/// as much.
const SHORT_TEXT: usize = 600;

/// Below this many characters of article text (and when that text does not read as an
/// article), the page's main region may stand in for it.
const REGION_BELOW: usize = 1000;

/// Text outside the chrome (non-white-space characters) a page must hold for its main region
/// to stand in for a short article text.
const REGION_MIN: usize = SHORT_TEXT;

/// Whether a short text reads as an article (a brief, a notice): two or more paragraphs, one
/// of them long, or three sentences-ending paragraphs of some length. Such a text stands; a
/// listing's chosen text is its one-line intro or a few labels.
fn is_short_article(blocks: &[text::Block]) -> bool {
    let paragraphs = || blocks.iter().filter(|b| !b.tag.is_heading());
    let long = paragraphs().any(|b| b.text.chars().count() >= PROSE_MIN);
    let sentences = paragraphs()
        .filter(|b| {
            b.text.chars().count() >= SENTENCE_MIN
                && b.text
                    .trim_end()
                    .ends_with(['.', '!', '?', '"', '”', '’', '»', ':', ')'])
        })
        .count();
    (long && paragraphs().count() >= 2) || sentences >= 3
}

/// Characters of a paragraph that is prose, not a label or a teaser line.
const PROSE_MIN: usize = 200;

/// Characters of a paragraph that ends a sentence and counts towards a short article.
const SENTENCE_MIN: usize = 80;

/// Non-whitespace characters of the rendered blocks.
fn text_chars(blocks: &[text::Block]) -> usize {
    blocks
        .iter()
        .map(|b| b.text.chars().filter(|c| !c.is_whitespace()).count())
        .sum()
}

/// Joins the kept blocks: list items and table rows one per line, other blocks separated by
/// a blank line. The headline itself is not part of the body.
fn join_blocks(blocks: &[text::Block], title: Option<&str>) -> String {
    let mut out = String::new();
    let mut prev: Option<dom::Tag> = None;
    for b in blocks {
        if b.tag == dom::Tag::H1 {
            continue;
        }
        if let Some(t) = title
            && b.tag.is_heading()
            && b.text == t
        {
            continue;
        }
        if !out.is_empty() {
            let tight = matches!(
                (prev, b.tag),
                (Some(dom::Tag::Li), dom::Tag::Li) | (Some(dom::Tag::Tr), dom::Tag::Tr)
            );
            out.push_str(if tight { "\n" } else { "\n\n" });
        }
        out.push_str(&b.text);
        prev = Some(b.tag);
    }
    out
}

/// The page's `<title>` (entities decoded, whitespace collapsed), falling back to
/// `og:title`; cheap enough for link checking (only the `<head>` is parsed when it ends
/// before the body).
pub fn page_title(html: &str) -> Option<String> {
    let dom = parse::parse(head_prefix(html));
    metadata::title_tag(&dom).or_else(|| metadata::og_title(&dom))
}

/// The parsed tree of `html` in the html5lib-tests tree-construction format (elements,
/// template `content`, text; no comments, doctype or attributes), for the conformance test.
#[doc(hidden)]
pub fn html5lib_tree(html: &str) -> String {
    parse::html5lib_tree(html)
}

/// Parses `html` into the extractor's flat node list and returns its length: the parse
/// alone, for the parser benchmark (`examples/parse_speed.rs`).
#[doc(hidden)]
pub fn parse_only(html: &str) -> usize {
    parse::parse(html).nodes.len()
}

/// The document up to the end of `<head>` when there is one, else the whole document.
fn head_prefix(html: &str) -> &str {
    let bytes = html.as_bytes();
    let needle = b"</head";
    let found = bytes
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle));
    match found {
        // `</head` is ASCII, so the cut is on a char boundary.
        Some(pos) => html.get(..pos).unwrap_or(html),
        None => html,
    }
}

#[cfg(test)]
mod html5ever_dom;
#[cfg(test)]
mod shingle_f1;
#[cfg(test)]
mod tests;
