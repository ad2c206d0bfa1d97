//! Title, publication date and author of a parsed page.
//!
//! Takes the flat DOM (which holds the page's `<meta>` tags and `<title>`), the JSON-LD
//! blocks cut out before parsing, and the page URL; returns plain strings: a title without its site suffix, a date as `YYYY-MM-DD`, an
//! author name. Sources are tried from most to least explicit (meta tags, JSON-LD,
//! `<time datetime>`, a visible date line, the URL).

use std::borrow::Cow;

use std::sync::LazyLock;

use regex::Regex;

use super::dom::{Dom, Tag};

static ISO_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})").unwrap_or_else(|_| never()));
// Word boundaries are ASCII (`(?-u:\b)`): dates are digits and Latin month names, and a
// Unicode `\b` keeps the regex engine off its fast automata (4 % of a run's CPU).
static DMY_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(\d{1,2})[-./](\d{1,2})[-./](\d{4})(?-u:\b)").unwrap_or_else(|_| never())
});
static WORD_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(\d{1,2})\s+(januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|january|february|march|may|june|july|august|october|jan|feb|mar|apr|jun|jul|aug|sep|sept|okt|oct|nov|dec)\.?\s+(\d{4})(?-u:\b)",
    )
    .unwrap_or_else(|_| never())
});
static MDY_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?\s+(\d{1,2}),?\s+(\d{4})(?-u:\b)",
    )
    .unwrap_or_else(|_| never())
});
static URL_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|$|[^0-9])")
        .unwrap_or_else(|_| never())
});
static LD_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""datePublished"\s*:\s*"([^"]+)""#).unwrap_or_else(|_| never()));
static LD_AUTHOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""author"\s*:\s*\[?\s*\{[^{}]*?"name"\s*:\s*"([^"]+)""#)
        .unwrap_or_else(|_| never())
});

/// A regex that matches nothing; only reached if a constant pattern above were invalid.
fn never() -> Regex {
    Regex::new(r"[^\s\S]").unwrap_or_else(|_| unreachable!())
}

/// Collapses whitespace runs to one space, drops invisible characters, trims.
pub(super) fn clean_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
        } else if !super::text::is_invisible(c) {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Clean text of the subtree at `idx`.
pub(super) fn subtree_text(dom: &Dom<'_>, idx: usize) -> String {
    let end = dom.nodes.get(idx).map_or(idx, |n| n.end);
    let mut s = String::new();
    for n in dom.nodes.get(idx + 1..end).into_iter().flatten() {
        s.push_str(&n.text);
    }
    clean_inline(&s)
}

fn meta_value<'m>(metas: &'m [(String, Cow<'_, str>)], keys: &[&str]) -> Option<&'m str> {
    keys.iter().find_map(|k| {
        metas
            .iter()
            .find(|(key, v)| key == k && !v.trim().is_empty())
            .map(|(_, v)| &**v)
    })
}

/// The `<title>` text, cleaned.
pub(super) fn title_tag(dom: &Dom<'_>) -> Option<String> {
    dom.title
        .as_deref()
        .map(clean_inline)
        .filter(|t| !t.is_empty())
}

/// The page's summary: `og:description`, `description` or `twitter:description`, cleaned.
pub(super) fn description(dom: &Dom<'_>) -> Option<String> {
    meta_value(
        &dom.metas,
        &["og:description", "description", "twitter:description"],
    )
    .map(clean_inline)
    .filter(|t| !t.is_empty())
}

/// `og:title` (or `twitter:title`), cleaned.
pub(super) fn og_title(dom: &Dom<'_>) -> Option<String> {
    meta_value(&dom.metas, &["og:title", "twitter:title"])
        .map(clean_inline)
        .filter(|t| !t.is_empty())
}

/// Separators between a headline and a site name in `<title>`.
const TITLE_SEPARATORS: &[&str] = &[" | ", " - ", " – ", " — ", " :: ", " · ", " » ", " / "];

/// Removes a site name before or after the headline (`Headline | Site`, `Site - Headline`):
/// keeps the longest segment.
pub(super) fn strip_site(title: &str) -> String {
    let mut segments: Vec<&str> = vec![title];
    for sep in TITLE_SEPARATORS {
        segments = segments.iter().flat_map(|s| s.split(sep)).collect();
    }
    let segments: Vec<&str> = segments
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if segments.len() < 2 {
        return title.trim().to_string();
    }
    let best = segments
        .iter()
        .copied()
        .max_by_key(|s| s.chars().count())
        .unwrap_or(title);
    // A short winner (two site names) is no headline: keep the whole title then.
    if best.split_whitespace().count() < 2 {
        return title.trim().to_string();
    }
    best.to_string()
}

/// The headline: `og:title`, else the first visible `<h1>`, else `<title>`, site suffix
/// removed.
pub(super) fn title(dom: &Dom<'_>, h1: Option<String>) -> Option<String> {
    let og = og_title(dom);
    let tag = title_tag(dom);
    // An `h1` that the `<title>` starts with is the cleanest headline.
    if let (Some(h), Some(t)) = (&h1, &tag)
        && !h.is_empty()
        && t.starts_with(h.as_str())
    {
        return Some(h.clone());
    }
    og.or(h1)
        .or(tag)
        .map(|t| strip_site(&t))
        .filter(|t| !t.is_empty())
}

/// Text of the first `<h1>` in the DOM that is not marked as boilerplate.
pub(super) fn first_h1(dom: &Dom<'_>, dropped: &[bool]) -> Option<(usize, String)> {
    for (i, n) in dom.nodes.iter().enumerate() {
        if n.tag == Tag::H1 && !dropped.get(i).copied().unwrap_or(true) {
            let s = subtree_text(dom, i);
            if !s.is_empty() {
                return Some((i, s));
            }
        }
    }
    None
}

fn valid(y: i32, m: u32, d: u32) -> Option<String> {
    ((1900..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d))
        .then(|| format!("{y:04}-{m:02}-{d:02}"))
}

fn month_number(name: &str) -> Option<u32> {
    let n = name.to_ascii_lowercase();
    let key = n.get(..3).unwrap_or(&n);
    Some(match key {
        "jan" => 1,
        "feb" => 2,
        "maa" | "mar" => 3,
        "apr" => 4,
        "mei" | "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "okt" | "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    })
}

/// `YYYY-MM-DD` from the start of an ISO 8601 date or date-time.
pub(super) fn iso_date(s: &str) -> Option<String> {
    let c = ISO_DATE.captures(s)?;
    valid(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
}

/// `YYYY-MM-DD` from a visible date: `02-11-2020`, `2 november 2020`, `November 2, 2020`.
pub(super) fn visible_date(s: &str) -> Option<String> {
    let mut found: Vec<(usize, String)> = Vec::new();
    if let Some(c) = DMY_DATE.captures(s)
        && let (Some(m0), Ok(d), Ok(m), Ok(y)) =
            (c.get(0), c[1].parse(), c[2].parse(), c[3].parse())
        && let Some(v) = valid(y, m, d)
    {
        found.push((m0.start(), v));
    }
    if let Some(c) = WORD_DATE.captures(s)
        && let (Some(m0), Ok(d), Some(m), Ok(y)) =
            (c.get(0), c[1].parse(), month_number(&c[2]), c[3].parse())
        && let Some(v) = valid(y, m, d)
    {
        found.push((m0.start(), v));
    }
    if let Some(c) = MDY_DATE.captures(s)
        && let (Some(m0), Some(m), Ok(d), Ok(y)) =
            (c.get(0), month_number(&c[1]), c[2].parse(), c[3].parse())
        && let Some(v) = valid(y, m, d)
    {
        found.push((m0.start(), v));
    }
    if let Some(c) = iso_in_text(s) {
        found.push(c);
    }
    found
        .into_iter()
        .min_by_key(|(pos, _)| *pos)
        .map(|(_, v)| v)
}

fn iso_in_text(s: &str) -> Option<(usize, String)> {
    static ISO_ANY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?-u:\b)((?:19|20)\d{2})-(\d{2})-(\d{2})(?-u:\b)").unwrap_or_else(|_| never())
    });
    let c = ISO_ANY.captures(s)?;
    let v = valid(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)?;
    Some((c.get(0)?.start(), v))
}

/// `YYYY-MM-DD` from a URL path like `/2019/11/19/`.
pub(super) fn url_date(url: &str) -> Option<String> {
    let c = URL_DATE.captures(url)?;
    valid(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
}

/// The publication date: meta tags, JSON-LD, `<time datetime>`, a visible date near the
/// headline (`start` is where to look from in the DOM), then the URL.
pub(super) fn published(
    dom: &Dom<'_>,
    json_ld: &[String],
    start: usize,
    url: Option<&str>,
) -> Option<String> {
    if let Some(d) = meta_value(
        &dom.metas,
        &[
            "article:published_time",
            "og:published_time",
            "datepublished",
            "article.published",
            "publish-date",
            "publishdate",
            "pubdate",
            "dcterms.issued",
            "dcterms.created",
            "dc.date.issued",
            "dc.date",
            "dcterms.date",
            "date",
            "sailthru.date",
            "parsely-pub-date",
            "citation_publication_date",
        ],
    )
    .and_then(|v| iso_date(v).or_else(|| visible_date(v)))
    {
        return Some(d);
    }
    for text in json_ld {
        if let Some(c) = LD_DATE.captures(text)
            && let Some(d) = iso_date(&c[1])
        {
            return Some(d);
        }
    }
    for (i, n) in dom.nodes.iter().enumerate() {
        if n.tag == Tag::Time
            && let Some(d) = dom.attr(i, "datetime").and_then(iso_date)
        {
            return Some(d);
        }
    }
    // A visible date line near the headline: look at the next few hundred characters.
    let mut seen = 0usize;
    let mut window = String::new();
    for n in dom.nodes.iter().skip(start) {
        if n.tag == Tag::Text {
            let t = n.text.trim();
            if t.is_empty() {
                continue;
            }
            window.push_str(t);
            window.push(' ');
            seen += t.len();
            if seen > 600 {
                break;
            }
        }
    }
    if let Some(d) = visible_date(&window) {
        return Some(d);
    }
    url.and_then(url_date)
}

/// The author: meta tags, JSON-LD, then an element marked as author or byline.
pub(super) fn author(dom: &Dom<'_>, json_ld: &[String]) -> Option<String> {
    let m = &dom.metas;
    let looks_like_name = |v: &str| {
        let v = v.trim();
        !v.is_empty() && !v.contains("://") && !v.starts_with('/') && v.chars().count() < 100
    };
    if let Some(a) = [
        "author",
        "article:author",
        "dc.creator",
        "dcterms.creator",
        "byl",
    ]
    .iter()
    .find_map(|k| meta_value(m, &[k]).filter(|v| looks_like_name(v)))
    {
        return Some(strip_by(&clean_inline(a)));
    }
    for text in json_ld {
        if let Some(c) = LD_AUTHOR.captures(text) {
            let a = clean_inline(&c[1]);
            if looks_like_name(&a) {
                return Some(a);
            }
        }
    }
    // An element marked as the author (`itemprop="author"`, `rel="author"`, class
    // `byline`/`author`).
    dom.nodes
        .iter()
        .enumerate()
        .filter(|&(i, _)| {
            dom.attr(i, "itemprop")
                .is_some_and(|v| v.eq_ignore_ascii_case("author"))
                || dom
                    .attr(i, "rel")
                    .is_some_and(|v| v.eq_ignore_ascii_case("author"))
                || dom.attr(i, "class").is_some_and(|c| {
                    c.split_ascii_whitespace().any(|w| {
                        w.eq_ignore_ascii_case("byline")
                            || w.eq_ignore_ascii_case("author")
                            || w.eq_ignore_ascii_case("author-name")
                    })
                })
        })
        .map(|(i, _)| strip_by(&subtree_text(dom, i)))
        .find(|t| looks_like_name(t) && t.split_whitespace().count() <= 8)
}

fn strip_by(s: &str) -> String {
    let t = s.trim();
    for prefix in ["By ", "by ", "BY ", "Door ", "door "] {
        if let Some(rest) = t.strip_prefix(prefix) {
            return rest.trim().to_string();
        }
    }
    t.to_string()
}

/// Whether the page says it is one product (`og:type` `product`, or one JSON-LD `"@type":
/// "Product"`; a category page lists many, and a news page's subscription markup says
/// `["Product", "CreativeWork"]`): its text is spread over a summary, a description, specifications and
/// reviews, not one body.
pub(super) fn declares_product(dom: &Dom<'_>, json_ld: &[String]) -> bool {
    meta_value(&dom.metas, &["og:type"]).is_some_and(|v| v.trim().eq_ignore_ascii_case("product"))
        || json_ld
            .iter()
            .map(|t| LD_PRODUCT.find_iter(t).count())
            .sum::<usize>()
            == 1
}

static LD_PRODUCT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""@type"\s*:\s*"Product""#).unwrap_or_else(|_| never()));
