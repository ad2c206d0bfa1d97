//! The editor's report: one self-contained HTML page built from the rows of `links.csv` and
//! `report.csv` and the archived texts the quotes were found in. [`render`] takes a
//! [`ReportInput`] and returns the page as a `String`; it reads no file and makes no request.
//!
//! The page carries no script and no external asset (inline CSS only): the filters are
//! radio buttons styled with `:checked ~` rules, so the page reads in full where CSS or
//! JavaScript is off. Everything that comes from pages or input files is untrusted and goes
//! through [`escape`]; a URL becomes a link only when it is http(s) ([`safe_href`]).

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::check::{LinkRecord, LinkStatus};
use crate::locate::Verdict;
use crate::report::quotes::{QuoteRegion, QuoteRow, format_score};
use crate::report::summary;

/// Characters of archived text shown on each side of a matched span.
pub const PASSAGE_RADIUS: usize = 300;

/// Beyond this many cells (quote words × source words) the word diff is not aligned: such a
/// pair is no close match anyway, and the table would cost memory for nothing.
const MAX_DIFF_CELLS: usize = 1_000_000;

/// What the page is made of.
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    /// When the report was made, shown as given (e.g. `2025-05-01 10:12:03 UTC`).
    pub generated_at: String,
    /// When the links were checked (the earliest `fetched_at`), if known.
    pub checked_at: String,
    /// The files the report comes from, as (role, name) pairs: `("sources", "sources.csv")`.
    pub files: Vec<(String, String)>,
    /// The `links.csv` rows, in input order.
    pub links: Vec<LinkRecord>,
    /// The `report.csv` rows, in input order.
    pub quotes: Vec<QuoteRow>,
    /// Archived article texts by `text_path` (as in the quote rows).
    pub texts: HashMap<String, String>,
    /// For pages whose text changed at their latest capture, by `source_url`: the capture
    /// before it, to show what changed around each passage.
    pub earlier: HashMap<String, Earlier>,
    /// Pictures of located quotes (`run --screenshots`), by [`shot_key`].
    pub shots: HashMap<String, ShotLink>,
}

/// A quote's picture in its archived page, as the report links it.
#[derive(Debug, Clone, Default)]
pub struct ShotLink {
    /// The PNG, relative to the report's folder, percent-encoded (not yet escaped).
    pub href: String,
    /// When the capture it shows was made (`fetched_at`).
    pub capture_fetched_at: String,
}

/// The key of a quote's picture: its page's URL key and its quote id
/// ([`crate::archive::shots::quote_id`]).
pub fn shot_key(source_url: &str, quote_id: &str) -> String {
    format!("{} {quote_id}", crate::archive::store::url_key(source_url))
}

/// The capture of a page before its latest one, whose text differs.
#[derive(Debug, Clone, Default)]
pub struct Earlier {
    /// When it was made (`fetched_at`).
    pub fetched_at: String,
    /// When the latest capture was made.
    pub now_fetched_at: String,
    /// Its article text.
    pub text: String,
}

/// The archived text around a match, cut at character (not byte) offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// Text before the match (from a word boundary).
    pub before: String,
    /// The matched span itself.
    pub matched: String,
    /// Text after the match (up to a word boundary).
    pub after: String,
    /// Whether text was left out before `before`.
    pub cut_before: bool,
    /// Whether text was left out after `after`.
    pub cut_after: bool,
}

/// One run of words in a word diff between a quote and the source's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffPiece {
    /// Words both have (shown as the source writes them).
    Same(String),
    /// Words of the quote that the source does not have.
    Dropped(String),
    /// Words of the source that the quote does not have.
    Added(String),
}

/// Escapes text for HTML content and double- or single-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        // Bidi embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069) in a
        // title or quote could reorder what the reader sees ("Trojan Source"): shown as a
        // visible escape instead, which is safe in text and attribute values alike.
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
            let _ = write!(out, "\\u{{{:04X}}}", u32::from(c));
        }
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

/// Escapes archived text and keeps its lines: a line break becomes `<br>`, a blank line a
/// short gap (an empty line at full height makes passages long on a phone).
fn escape_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    let mut newlines = 0;
    let flush = |out: &mut String, newlines: &mut usize| {
        match *newlines {
            0 => {}
            1 => out.push_str("<br>"),
            _ => out.push_str("<span class=\"pbr\"></span>"),
        }
        *newlines = 0;
    };
    for c in s.chars() {
        match c {
            '\n' => newlines += 1,
            '\r' => {}
            c => {
                flush(&mut out, &mut newlines);
                push_escaped(&mut out, c);
            }
        }
    }
    flush(&mut out, &mut newlines);
    out
}

/// The URL to put in an `href`, only for an absolute http(s) URL (in its parsed, percent-
/// encoded form, not yet escaped); `javascript:`, `data:` and anything unparsable give `None`.
pub fn safe_href(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

/// The byte offset of character `chars` in `text` (`text.len()` for the end), or `None`
/// beyond it.
fn byte_offset(text: &str, chars: usize) -> Option<usize> {
    text.char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(text.len()))
        .nth(chars)
}

/// The text around characters `start..end` of `text`, with about `radius` characters on each
/// side, trimmed to whole words. `None` when the offsets do not fit the text.
pub fn passage(text: &str, start: usize, end: usize, radius: usize) -> Option<Passage> {
    if start > end {
        return None;
    }
    let span_start = byte_offset(text, start)?;
    let span_end = byte_offset(text, end)?;
    let from = byte_offset(text, start.saturating_sub(radius)).unwrap_or(0);
    let to = byte_offset(text, end.saturating_add(radius)).unwrap_or(text.len());
    let mut before = &text[from..span_start];
    let mut after = &text[span_end..to];
    let cut_before = from > 0;
    let cut_after = to < text.len();
    // A cut mid-word reads as a typo: start after the first blank, end before the last one.
    if cut_before && let Some((i, c)) = before.char_indices().find(|(_, c)| c.is_whitespace()) {
        before = &before[i + c.len_utf8()..];
    }
    if cut_after && let Some((i, _)) = after.char_indices().rev().find(|(_, c)| c.is_whitespace()) {
        after = &after[..i];
    }
    Some(Passage {
        before: before.trim_start().to_string(),
        matched: text[span_start..span_end].to_string(),
        after: after.trim_end().to_string(),
        cut_before,
        cut_after,
    })
}

/// A word as shown, and the key it is compared on.
struct Word<'a> {
    shown: std::borrow::Cow<'a, str>,
    key: String,
}

/// Words split at white space; a token without letters or digits (a dash, an ellipsis, a
/// lone quote mark) is kept with the word before it so that it neither counts as a change
/// nor disappears from view.
fn words(text: &str) -> Vec<Word<'_>> {
    let mut out: Vec<Word<'_>> = Vec::new();
    for token in text.split_whitespace() {
        let key: String = token
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        match out.last_mut() {
            Some(last) if key.is_empty() => {
                let joined = format!("{} {token}", last.shown);
                last.shown = joined.into();
            }
            _ => out.push(Word {
                shown: token.into(),
                key,
            }),
        }
    }
    // A leading punctuation token was pushed with an empty key: fold it into the next word.
    if out.len() > 1 && out[0].key.is_empty() {
        let first = out.remove(0);
        out[0].shown = format!("{} {}", first.shown, out[0].shown).into();
    }
    out
}

/// Word-level differences between a quote and the source's words (a longest common
/// subsequence on words, compared without case and punctuation). `Same` runs show the
/// source's spelling.
pub fn word_diff(quote: &str, matched: &str) -> Vec<DiffPiece> {
    let a = words(quote);
    let b = words(matched);
    let (n, m) = (a.len(), b.len());
    let mut ops: Vec<(u8, &str)> = Vec::with_capacity(n + m);
    if n.saturating_mul(m) > MAX_DIFF_CELLS {
        ops.extend(a.iter().map(|w| (b'-', w.shown.as_ref())));
        ops.extend(b.iter().map(|w| (b'+', w.shown.as_ref())));
    } else {
        // lcs[i][j]: the longest common run of a[i..] and b[j..].
        let width = m + 1;
        let mut lcs = vec![0u32; (n + 1) * width];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * width + j] = if a[i].key == b[j].key {
                    lcs[(i + 1) * width + j + 1] + 1
                } else {
                    lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && a[i].key == b[j].key {
                ops.push((b'=', b[j].shown.as_ref()));
                i += 1;
                j += 1;
            } else if j < m && (i == n || lcs[i * width + j + 1] > lcs[(i + 1) * width + j]) {
                ops.push((b'+', b[j].shown.as_ref()));
                j += 1;
            } else {
                ops.push((b'-', a[i].shown.as_ref()));
                i += 1;
            }
        }
    }
    // Within a change, what the quote says comes before what the source says.
    let mut pieces: Vec<DiffPiece> = Vec::new();
    let mut k = 0;
    while k < ops.len() {
        let kind = ops[k].0;
        if kind == b'=' {
            let run: Vec<&str> = ops[k..]
                .iter()
                .take_while(|(op, _)| *op == b'=')
                .map(|(_, w)| *w)
                .collect();
            k += run.len();
            pieces.push(DiffPiece::Same(run.join(" ")));
            continue;
        }
        let change: Vec<(u8, &str)> = ops[k..]
            .iter()
            .take_while(|(op, _)| *op != b'=')
            .copied()
            .collect();
        k += change.len();
        let side = |want: u8| {
            change
                .iter()
                .filter(|(op, _)| *op == want)
                .map(|(_, w)| *w)
                .collect::<Vec<_>>()
                .join(" ")
        };
        let (dropped, added) = (side(b'-'), side(b'+'));
        if !dropped.is_empty() {
            pieces.push(DiffPiece::Dropped(dropped));
        }
        if !added.is_empty() {
            pieces.push(DiffPiece::Added(added));
        }
    }
    pieces
}

/// A link to `url` showing `text`, or the text alone (with the URL) when the URL is not
/// http(s).
fn link(url: &str, text: &str) -> String {
    match safe_href(url) {
        Some(href) => format!(
            "<a{} href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
            if text == url { "" } else { " class=\"named\"" },
            escape(&href),
            escape(text)
        ),
        None if text == url => format!("<span class=\"url\">{}</span>", escape(text)),
        None => format!(
            "{} <span class=\"url\">{}</span>",
            escape(text),
            escape(url)
        ),
    }
}

/// How a verdict or status reads in a badge.
fn label(name: &str) -> String {
    if name.is_empty() {
        "unknown".into()
    } else {
        name.replace('_', " ")
    }
}

/// Link statuses that are no cause for a second look.
fn link_is_fine(status: LinkStatus) -> bool {
    matches!(
        status,
        LinkStatus::Ok | LinkStatus::Redirected | LinkStatus::Duplicate
    )
}

/// The shared counts ([`summary::count`]) by name, zero counts left out.
fn nonzero<T: Copy>(
    counts: Vec<(T, usize)>,
    name: fn(T) -> &'static str,
) -> Vec<(&'static str, usize)> {
    counts
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(v, n)| (name(v), n))
        .collect()
}

const STYLE: &str = r#"
:root{--ink:#1d1f23;--muted:#5b6270;--line:#d9dde3;--paper:#fff;--bg:#f4f5f7;--mark:#ffe58a;
--ok:#1f7a3f;--ok-bg:#e3f4e8;--warn:#8a5a00;--warn-bg:#fff1d1;--bad:#a8201a;--bad-bg:#fde4e1;
--info:#1d5b99;--info-bg:#e2eefb;--grey:#4b5261;--grey-bg:#eceef2;--odd:#6b3fa0;--odd-bg:#efe6fa}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
a{color:var(--info);overflow-wrap:anywhere}
a,bdi,td,.url,.qid,.theme,.said,.who strong,.note{unicode-bidi:isolate}
.wrap{max-width:62rem;margin:0 auto;padding:0 1rem}
header.top{background:var(--paper);border-bottom:1px solid var(--line);padding:1.25rem 0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}
h2{font-size:1.2rem;margin:2rem 0 .75rem}
.meta{color:var(--muted);margin:0;font-size:.9rem}
.meta code{font-size:.85rem;background:var(--grey-bg);padding:0 .25rem;border-radius:3px}
.flt{position:absolute;opacity:0;width:1px;height:1px;margin:0}
nav.filters{position:sticky;top:0;z-index:2;background:var(--paper);border-bottom:1px solid var(--line);padding:.5rem 0;box-shadow:0 1px 3px rgba(0,0,0,.05)}
.frow{display:flex;flex-wrap:wrap;align-items:center;gap:.35rem;margin:.15rem 0}
.frow .fname{font-weight:600;font-size:.85rem;color:var(--muted);min-width:3.5rem}
.pill{display:inline-flex;align-items:center;gap:.35rem;border:1px solid var(--line);background:var(--paper);border-radius:999px;padding:.1rem .65rem;font-size:.85rem;cursor:pointer;user-select:none;white-space:nowrap}
.pill b{font-variant-numeric:tabular-nums}
.pill:hover{border-color:var(--muted)}
.badge{display:inline-block;border-radius:4px;padding:.05rem .45rem;font-size:.78rem;font-weight:700;letter-spacing:.02em;text-transform:uppercase;white-space:nowrap;border:1px solid transparent}
.k-verified,.k-ok{--fg:var(--ok);--bgc:var(--ok-bg);--bd:#b9e2c6}
.k-approximate,.k-blocked,.k-timeout{--fg:var(--warn);--bgc:var(--warn-bg);--bd:#f1d595}
.k-misattributed{--fg:var(--odd);--bgc:var(--odd-bg);--bd:#d8c3f2}
.k-not_found,.k-broken,.k-unreachable,.k-soft_404,.k-invalid{--fg:var(--bad);--bgc:var(--bad-bg);--bd:#f4bcb5}
.k-redirected{--fg:var(--info);--bgc:var(--info-bg);--bd:#bcd6f3}
.k-source_unavailable,.k-duplicate,.k-other{--fg:var(--grey);--bgc:var(--grey-bg);--bd:#d3d7de}
.badge,.pill[class*=" k-"]{color:var(--fg);background:var(--bgc);border-color:var(--bd)}
.card{background:var(--paper);border:1px solid var(--line);border-left-width:5px;border-radius:6px;padding:.9rem 1.1rem;margin:0 0 1rem;break-inside:avoid}
.card[class*=" k-"]{border-left-color:var(--fg)}
.chead{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;margin-bottom:.4rem;font-size:.88rem;color:var(--muted)}
.chead .qid{font-weight:700;color:var(--ink)}
.theme{font-style:italic}
blockquote.said{margin:.2rem 0 .5rem;font-size:1.1rem;line-height:1.45;font-family:Georgia,"Times New Roman",serif}
.who,.src,.note,.also{margin:.25rem 0;font-size:.92rem}
.src .url,.url{color:var(--muted);font-size:.85rem;overflow-wrap:anywhere}
.lbl{color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;font-weight:600;margin-right:.3rem}
.passage{margin:.6rem 0 .2rem;background:#fafaf7;border:1px solid var(--line);border-radius:4px;padding:.6rem .8rem;overflow-wrap:anywhere;font-family:Georgia,"Times New Roman",serif;font-size:.95rem;color:#3a3d44}
.pshot{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:.8rem;align-items:start}
.pshot .passage{margin-top:.6rem}
.shot{margin:.6rem 0 .2rem}
.shot img{display:block;width:100%;height:auto;border:1px solid var(--line);border-radius:4px}
.shot figcaption{font-size:.8rem;color:#5a5f6a;margin-top:.2rem}
@media (max-width:760px){.pshot{grid-template-columns:1fr}}
.passage mark{background:var(--mark);color:var(--ink);padding:0 .1rem;border-radius:2px;box-shadow:0 0 0 1px #f0cf55;-webkit-box-decoration-break:clone;box-decoration-break:clone}
.cut{color:var(--muted)}
.pbr{display:block;height:.6em}
.diff{margin:.5rem 0 .2rem;font-size:.95rem;line-height:1.7}
.diff del{background:var(--bad-bg);color:var(--bad);text-decoration:line-through;padding:0 .15rem;border-radius:2px}
.diff ins{background:var(--ok-bg);color:var(--ok);text-decoration:none;border-bottom:2px solid #3aa35f;padding:0 .15rem;border-radius:2px}
.legend{color:var(--muted);font-size:.8rem;margin-left:.3rem}
.note{color:var(--warn)}
.region{color:var(--muted);font-size:.85rem}.region.page{color:var(--warn)}
.empty{color:var(--muted);font-style:italic}
table.links{width:100%;border-collapse:collapse;background:var(--paper);border:1px solid var(--line);border-radius:6px;font-size:.9rem}
table.links th,table.links td{text-align:left;vertical-align:top;padding:.5rem .6rem;border-bottom:1px solid var(--line)}
table.links th{background:var(--grey-bg);font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
table.links td.num{font-variant-numeric:tabular-nums}
table.links td.page{width:30%}
table.links td.err{min-width:10rem}
table.links td.hops{width:22%;font-size:.82rem}
table.links td.page a,table.links td.hops a{word-break:break-all}
table.links ol{margin:0;padding-left:1.1rem}
table.links .err{color:var(--bad)}
footer{color:var(--muted);font-size:.8rem;padding:2rem 0}
@media (max-width:700px){
 body{font-size:15px}
 .wrap{padding:0 .6rem}
 .card{padding:.7rem .75rem}
 blockquote.said{font-size:1.02rem}
 nav.filters{position:static}
 table.links,table.links tbody,table.links tr,table.links td{display:block;width:100%}
 table.links thead{display:none}
 table.links tr{border-bottom:2px solid var(--line);padding:.4rem 0}
 table.links td{border:0;padding:.15rem .6rem}
 table.links td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:var(--muted);font-size:.8rem}
 table.links td:empty{display:none}
 table.links td.page,table.links td.hops,table.links td.err{width:100%;min-width:0}
}
@media print{
 body{background:#fff;font-size:11pt}
 nav.filters,.flt{display:none}
 header.top{border:0;padding:0}
 .card{border-color:#999;box-shadow:none}
 .badge,.passage mark,.diff del,.diff ins{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 a.named[href]::after{content:" <" attr(href) ">";color:#555;font-size:.8em;overflow-wrap:anywhere}
 table.links tr{break-inside:avoid}
 h2{break-after:avoid}
}
"#;

/// One filter group: the hidden radio buttons (which must come before `header` and `main`
/// in the body for `~` to reach them) and the CSS rules they drive.
struct FilterGroup<'a> {
    /// Radio name and id prefix (`fv`, `fs`).
    name: &'a str,
    /// The class on filtered elements that carries the kind (`quote`, `link`).
    item: &'a str,
    /// (value, shown label, count) per pill; the values `all` and `attention` are special.
    pills: Vec<(String, String, usize)>,
    /// The kinds that `attention` hides.
    fine: Vec<&'a str>,
}

impl FilterGroup<'_> {
    fn inputs(&self, out: &mut String) {
        for (value, label, _) in &self.pills {
            let _ = write!(
                out,
                "<input type=\"radio\" class=\"flt\" name=\"{name}\" id=\"{name}-{value}\" aria-label=\"{label}\"{checked}>",
                name = self.name,
                value = value,
                label = escape(label),
                checked = if value == "all" { " checked" } else { "" },
            );
        }
    }

    fn pills(&self, title: &str, out: &mut String) {
        // Only `all`, with nothing in it: no row to filter.
        if self.pills.iter().all(|(_, _, n)| *n == 0) {
            return;
        }
        let _ = write!(
            out,
            "<div class=\"frow\"><span class=\"fname\">{title}</span>"
        );
        for (value, label, count) in &self.pills {
            let class = match value.as_str() {
                "all" | "attention" => String::new(),
                v => format!(" k-{v}"),
            };
            let _ = write!(
                out,
                "<label class=\"pill{class}\" for=\"{name}-{value}\">{label} <b>{count}</b></label>",
                name = self.name,
                label = escape(label),
            );
        }
        out.push_str("</div>");
    }

    fn css(&self, out: &mut String) {
        let (name, item) = (self.name, self.item);
        for (value, _, _) in &self.pills {
            let on = format!("#{name}-{value}:checked");
            let _ = write!(
                out,
                "{on}~nav label[for={name}-{value}]{{outline:2px solid var(--ink);outline-offset:1px;font-weight:700}}\
                 #{name}-{value}:focus-visible~nav label[for={name}-{value}]{{box-shadow:0 0 0 4px var(--mark)}}"
            );
            match value.as_str() {
                "all" => {}
                "attention" => {
                    for fine in &self.fine {
                        let _ = write!(out, "{on}~main .{item}.k-{fine}{{display:none}}");
                    }
                }
                v => {
                    let _ = write!(out, "{on}~main .{item}:not(.k-{v}){{display:none}}");
                }
            }
        }
        out.push('\n');
    }
}

/// The HTML page for `input`.
pub fn render(input: &ReportInput) -> String {
    let verdicts = nonzero(summary::verdict_counts(&input.quotes), Verdict::as_str);
    let statuses = nonzero(summary::link_counts(&input.links), LinkStatus::as_str);
    let quote_filter = FilterGroup {
        name: "fv",
        item: "quote",
        pills: group_pills(
            &verdicts,
            input.quotes.len(),
            "not verified",
            input
                .quotes
                .iter()
                .filter(|q| q.verdict != Verdict::Verified)
                .count(),
        ),
        fine: vec!["verified"],
    };
    let link_filter = FilterGroup {
        name: "fs",
        item: "link",
        pills: group_pills(
            &statuses,
            input.links.len(),
            "not ok",
            input
                .links
                .iter()
                .filter(|l| !link_is_fine(l.status))
                .count(),
        ),
        fine: vec!["ok", "redirected", "duplicate"],
    };

    let mut out = String::with_capacity(64 * 1024);
    // Pictures of quotes (`--screenshots`) are files beside the page: images from its own
    // origin only then, nothing else ever.
    let images = if input.shots.is_empty() {
        ""
    } else {
        "; img-src 'self'"
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'{images}\">\n\
         <title>citecheck report</title>\n<style>",
    );
    out.push_str(STYLE);
    quote_filter.css(&mut out);
    link_filter.css(&mut out);
    out.push_str("</style>\n</head>\n<body>\n");
    quote_filter.inputs(&mut out);
    link_filter.inputs(&mut out);
    out.push('\n');

    // Summary.
    out.push_str("<header class=\"top\"><div class=\"wrap\"><h1>citecheck report</h1>");
    let _ = write!(
        out,
        "<p class=\"meta\">Made {}",
        escape(&input.generated_at)
    );
    if !input.files.is_empty() {
        out.push_str(" from ");
        let files: Vec<String> = input
            .files
            .iter()
            .map(|(role, name)| format!("{} <code>{}</code>", escape(role), escape(name)))
            .collect();
        out.push_str(&files.join(", "));
    }
    out.push('.');
    if !input.checked_at.is_empty() {
        let _ = write!(out, " Links checked {}.", escape(&input.checked_at));
    }
    let _ = writeln!(
        out,
        "</p><p class=\"meta\">{} · {}</p></div></header>",
        count_line(&verdicts, input.quotes.len(), "quote"),
        count_line(&statuses, input.links.len(), "link"),
    );
    out.push_str("<nav class=\"filters\" aria-label=\"Filters\"><div class=\"wrap\">");
    quote_filter.pills("Quotes", &mut out);
    link_filter.pills("Links", &mut out);
    out.push_str("</div></nav>\n<main class=\"wrap\">\n");

    // Quotes.
    let by_url: HashMap<&str, &LinkRecord> = input
        .links
        .iter()
        .rev()
        .map(|l| (l.url.as_str(), l))
        .collect();
    let _ = writeln!(
        out,
        "<section id=\"quotes\"><h2>Quotes ({})</h2>",
        input.quotes.len()
    );
    if input.quotes.is_empty() {
        out.push_str("<p class=\"empty\">No quotes in this report.</p>\n");
    }
    for (i, row) in input.quotes.iter().enumerate() {
        quote_card(&mut out, i, row, &by_url, input);
    }
    out.push_str("</section>\n");

    // Links.
    let _ = writeln!(
        out,
        "<section id=\"links\"><h2>Links ({})</h2>",
        input.links.len()
    );
    if input.links.is_empty() {
        out.push_str("<p class=\"empty\">No links in this report.</p>\n");
    } else {
        out.push_str(
            "<table class=\"links\"><thead><tr><th>Id</th><th>Page</th><th>Status</th>\
             <th>HTTP</th><th>Redirects</th><th>Archived copy</th><th>Error</th></tr></thead><tbody>\n",
        );
        for row in &input.links {
            link_row(&mut out, row);
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str(
        "</section>\n</main>\n<footer class=\"wrap\">Made by citecheck. The passages are the \
         archived article texts; offsets are characters.</footer>\n</body>\n</html>\n",
    );
    out
}

/// The pills of one filter group: all, the second-look group, then one per kind present.
fn group_pills(
    counts: &[(&str, usize)],
    total: usize,
    attention: &str,
    attention_count: usize,
) -> Vec<(String, String, usize)> {
    let mut pills = vec![("all".to_string(), "all".to_string(), total)];
    if attention_count > 0 && attention_count < total {
        pills.push((
            "attention".to_string(),
            attention.to_string(),
            attention_count,
        ));
    }
    for (name, n) in counts {
        pills.push((name.to_string(), label(name), *n));
    }
    pills
}

/// `12 quotes: 9 verified, 2 approximate, 1 not found`.
fn count_line(counts: &[(&str, usize)], total: usize, noun: &str) -> String {
    let plural = if total == 1 { "" } else { "s" };
    if counts.is_empty() {
        return format!("{total} {noun}{plural}");
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(name, n)| format!("{n} {}", escape(&label(name))))
        .collect();
    format!("{total} {noun}{plural}: {}", parts.join(", "))
}

fn quote_card(
    out: &mut String,
    index: usize,
    row: &QuoteRow,
    by_url: &HashMap<&str, &LinkRecord>,
    input: &ReportInput,
) {
    let texts = &input.texts;
    let kind = row.verdict.as_str();
    let _ = write!(
        out,
        "<article class=\"card quote k-{kind}\" id=\"quote-{n}\"><div class=\"chead\">\
         <span class=\"badge k-{kind}\">{verdict}</span>",
        n = index + 1,
        verdict = escape(&label(row.verdict.as_str())),
    );
    if let Some(score) = row.score.filter(|_| row.verdict != Verdict::Verified) {
        let _ = write!(out, "<span>score {}</span>", format_score(Some(score)));
    }
    if !row.id.is_empty() {
        let _ = write!(out, "<span class=\"qid\">{}</span>", escape(&row.id));
    }
    if !row.theme.is_empty() {
        let _ = write!(out, "<span class=\"theme\">{}</span>", escape(&row.theme));
    }
    let _ = write!(
        out,
        "</div><blockquote class=\"said\">{}</blockquote>",
        escape(&row.quote)
    );
    if !row.speaker.is_empty() {
        let _ = write!(
            out,
            "<p class=\"who\"><span class=\"lbl\">Speaker</span><strong>{}</strong>",
            escape(&row.speaker)
        );
        if !row.speaker_role.is_empty() {
            let _ = write!(out, ", {}", escape(&row.speaker_role));
        }
        if !row.speaker_confidence.is_empty() {
            let _ = write!(
                out,
                " <small title=\"how the speaker was found\">({})</small>",
                escape(&row.speaker_confidence.replace('_', " "))
            );
        }
        out.push_str("</p>");
    }
    if !row.claimed_source.is_empty() && row.claimed_source != row.source_url {
        let _ = write!(
            out,
            "<p class=\"src\"><span class=\"lbl\">Cited</span><span class=\"url\">{}</span></p>",
            escape(&row.claimed_source)
        );
    }
    if !row.source_url.is_empty() {
        let title = by_url
            .get(row.source_url.as_str())
            .map(|l| l.title.as_str())
            .filter(|t| !t.trim().is_empty());
        out.push_str("<p class=\"src\"><span class=\"lbl\">Source</span>");
        match title {
            Some(title) => {
                out.push_str(&link(&row.source_url, title));
                let _ = write!(
                    out,
                    " <span class=\"url\">{}</span>",
                    escape(&row.source_url)
                );
            }
            None => out.push_str(&link(&row.source_url, &row.source_url)),
        }
        let archived = by_url
            .get(row.source_url.as_str())
            .map(|l| l.archived_url.as_str())
            .filter(|a| !a.is_empty());
        if let Some(copy) = Some(row.via.as_str())
            .filter(|v| !v.is_empty())
            .or(archived)
        {
            out.push_str(" · ");
            out.push_str(&link(copy, "archived copy"));
        }
        match row.region {
            Some(QuoteRegion::Page) => out.push_str(
                " · <span class=\"region page\">in the page text, outside the article</span>",
            ),
            Some(QuoteRegion::Article) => {
                out.push_str(" · <span class=\"region\">in the article text</span>")
            }
            None => {}
        }
        out.push_str("</p>");
    }
    if !row.matched_text.is_empty() {
        let shot = input.shots.get(&shot_key(
            &row.source_url,
            &crate::archive::shots::quote_id(&row.id, index),
        ));
        match shot {
            Some(shot) => {
                // Side by side on a wide screen: the text, and the page as it looked.
                out.push_str("<div class=\"pshot\">");
                passage_block(out, row, texts);
                let href = escape(&shot.href);
                let _ = write!(
                    out,
                    "<figure class=\"shot\"><a href=\"{href}\"><img src=\"{href}\" \
                     alt=\"The passage marked in the archived page\" loading=\"lazy\"></a>\
                     <figcaption>The archived page, capture of {}: scripts off, nothing \
                     fetched</figcaption></figure></div>",
                    escape(day(&shot.capture_fetched_at))
                );
            }
            None => passage_block(out, row, texts),
        }
        if row.verdict != Verdict::Verified {
            diff_block(out, row);
        }
        change_block(out, row, input);
    }
    if !row.note.is_empty() {
        let _ = write!(out, "<p class=\"note\">{}</p>", escape(&row.note));
    }
    if !row.omitted.is_empty() {
        let _ = write!(
            out,
            "<p class=\"also\"><span class=\"lbl\">Left out at …</span>{}</p>",
            escape(&row.omitted)
        );
    }
    if !row.also_found_in.is_empty() {
        let urls: Vec<String> = row
            .also_found_in
            .split_whitespace()
            .map(|u| link(u, u))
            .collect();
        let _ = write!(
            out,
            "<p class=\"also\"><span class=\"lbl\">Also in</span>{}</p>",
            urls.join(" ")
        );
    }
    if row.matched_text.is_empty() && !row.best_source.is_empty() {
        let _ = write!(
            out,
            "<p class=\"also\"><span class=\"lbl\">Closest</span>score {} in {}</p>",
            format_score(row.best_score),
            link(&row.best_source, &row.best_source)
        );
    }
    out.push_str("</article>\n");
}

/// The archived passage with the match marked; falls back to the report's `context` column
/// when the archived text cannot be had or no longer fits the offsets.
fn passage_block(out: &mut String, row: &QuoteRow, texts: &HashMap<String, String>) {
    let archived = match (texts.get(&row.text_path), row.start, row.end) {
        (Some(text), Some(start), Some(end)) => passage(text, start, end, PASSAGE_RADIUS),
        _ => None,
    };
    match archived {
        Some(p) => {
            let _ = write!(
                out,
                "<div class=\"passage\">{}{}<mark>{}</mark>{}{}</div>",
                if p.cut_before {
                    "<span class=\"cut\">… </span>"
                } else {
                    ""
                },
                escape_lines(&p.before),
                escape_lines(&p.matched),
                escape_lines(&p.after),
                if p.cut_after {
                    "<span class=\"cut\"> …</span>"
                } else {
                    ""
                },
            );
            if p.matched != row.matched_text {
                out.push_str(
                    "<p class=\"note\">The archived text at these offsets is not the \
                     report's matched text: the archive changed since the report was made.</p>",
                );
            }
        }
        None => {
            let context = if row.context.is_empty() {
                &row.matched_text
            } else {
                &row.context
            };
            let marked = match context.find(row.matched_text.as_str()) {
                Some(at) => format!(
                    "{}<mark>{}</mark>{}",
                    escape(&context[..at]),
                    escape(&row.matched_text),
                    escape(&context[at + row.matched_text.len()..])
                ),
                None => escape(context),
            };
            let _ = write!(
                out,
                "<div class=\"passage\">{marked}</div><p class=\"legend\">From the report's \
                 context column (the archived text was not at hand).</p>"
            );
        }
    }
}

/// The day of an RFC 3339 time (`2026-12-07`), or the time as given.
fn day(time: &str) -> &str {
    time.get(..10).unwrap_or(time)
}

/// What changed around the passage since the page's capture before the latest, when its
/// article text changed (`changed` in links.csv).
fn change_block(out: &mut String, row: &QuoteRow, input: &ReportInput) {
    use crate::report::change::{AroundPassage, change_around};
    let (Some(earlier), Some(text), Some(start), Some(end)) = (
        input.earlier.get(&row.source_url),
        input.texts.get(&row.text_path),
        row.start,
        row.end,
    ) else {
        return;
    };
    if row.region == Some(QuoteRegion::Page) {
        return;
    }
    let _ = write!(
        out,
        "<div class=\"diff change\"><span class=\"lbl\">Changed since {}</span>\
         <span class=\"legend\"><del>{} only</del> <ins>{} only</ins></span><br>",
        escape(day(&earlier.fetched_at)),
        escape(day(&earlier.fetched_at)),
        escape(day(&earlier.now_fetched_at)),
    );
    match change_around(&earlier.text, text, start, end, PASSAGE_RADIUS) {
        AroundPassage::Unchanged => out.push_str(
            "<span class=\"legend\">the text around this passage is the same; the page \
             changed elsewhere</span>",
        ),
        AroundPassage::TooMany => out
            .push_str("<span class=\"legend\">too many changes around this passage to show</span>"),
        AroundPassage::Diff(pieces) => {
            let parts: Vec<String> = pieces
                .iter()
                .map(|p| match p {
                    DiffPiece::Same(w) => escape_lines(w),
                    DiffPiece::Dropped(w) => format!("<del>{}</del>", escape(w)),
                    DiffPiece::Added(w) => format!("<ins>{}</ins>", escape(w)),
                })
                .collect();
            out.push_str(&parts.join(" "));
        }
    }
    out.push_str("</div>");
}

fn diff_block(out: &mut String, row: &QuoteRow) {
    let pieces = word_diff(&row.quote, &row.matched_text);
    if pieces.iter().all(|p| matches!(p, DiffPiece::Same(_))) {
        return;
    }
    out.push_str(
        "<div class=\"diff\"><span class=\"lbl\">Differences</span><span class=\"legend\">\
         <del>quote only</del> <ins>source only</ins></span><br>",
    );
    let parts: Vec<String> = pieces
        .iter()
        .map(|p| match p {
            DiffPiece::Same(w) => escape(w),
            DiffPiece::Dropped(w) => format!("<del>{}</del>", escape(w)),
            DiffPiece::Added(w) => format!("<ins>{}</ins>", escape(w)),
        })
        .collect();
    out.push_str(&parts.join(" "));
    out.push_str("</div>");
}

fn link_row(out: &mut String, row: &LinkRecord) {
    let status = row.status_str();
    let kind = status;
    let _ = write!(
        out,
        "<tr class=\"link k-{kind}\"><td data-label=\"Id\">{id}</td><td class=\"page\" data-label=\"Page\">",
        id = escape(&row.id)
    );
    if !row.title.is_empty() {
        let _ = write!(out, "<bdi>{}</bdi><br>", escape(&row.title));
    }
    out.push_str(&link(&row.url, &row.url));
    if !row.final_url.is_empty() && row.final_url != row.url {
        let _ = write!(
            out,
            "<br><span class=\"lbl\">to</span>{}",
            link(&row.final_url, &row.final_url)
        );
    }
    let _ = write!(
        out,
        "</td><td data-label=\"Status\"><span class=\"badge k-{kind}\">{}</span>",
        escape(&label(status))
    );
    if !row.duplicate_of.is_empty() {
        let _ = write!(out, " of {}", escape(&row.duplicate_of));
    }
    if row.checked_from == crate::check::CheckedFrom::Archive {
        let _ = write!(
            out,
            "<br><span class=\"lbl\">from the archive{}</span>",
            if row.capture_date.is_empty() {
                String::new()
            } else {
                format!(", {}", escape(&row.capture_date))
            }
        );
    }
    let _ = write!(
        out,
        "</td><td class=\"num\" data-label=\"HTTP\">{}</td><td class=\"hops\" data-label=\"Redirects\">",
        row.http_status.map(|c| c.to_string()).unwrap_or_default()
    );
    if !row.redirect_chain.is_empty() {
        out.push_str("<ol>");
        for hop in row.redirect_chain.split(" -> ") {
            let (code, url) = hop.split_once(' ').unwrap_or(("", hop));
            let _ = write!(out, "<li>{} {}</li>", escape(code), link(url, url));
        }
        out.push_str("</ol>");
    } else if row.redirects > 0 {
        let _ = write!(out, "{}", row.redirects);
    }
    out.push_str("</td><td data-label=\"Archived copy\">");
    if !row.archived_url.is_empty() {
        out.push_str(&link(&row.archived_url, "archived copy"));
    }
    let _ = writeln!(
        out,
        "</td><td class=\"err\" data-label=\"Error\">{}</td></tr>",
        escape(&row.error)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote(verdict: &str, quote: &str, matched: &str, start: usize) -> QuoteRow {
        QuoteRow {
            id: "Q1".into(),
            theme: "Samenwerken".into(),
            quote: quote.into(),
            source_url: "https://www.example.nl/a".into(),
            score: Some(if verdict == "verified" { 1.0 } else { 0.9 }),
            start: Some(start),
            end: Some(start + matched.chars().count()),
            matched_text: matched.into(),
            text_path: "text/a.txt".into(),
            ..QuoteRow::new(Verdict::from_name(verdict).unwrap())
        }
    }

    fn input_with(text: &str, row: QuoteRow) -> ReportInput {
        ReportInput {
            generated_at: "2025-05-01 10:00:00 UTC".into(),
            quotes: vec![row],
            texts: HashMap::from([("text/a.txt".to_string(), text.to_string())]),
            ..ReportInput::default()
        }
    }

    #[test]
    fn escape_covers_markup_and_both_quote_marks() {
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }

    #[test]
    fn only_http_urls_become_links() {
        assert_eq!(
            safe_href("https://www.example.nl/a b?q=\"x\"").as_deref(),
            Some("https://www.example.nl/a%20b?q=%22x%22")
        );
        assert_eq!(
            safe_href("HTTP://Example.NL").as_deref(),
            Some("http://example.nl/")
        );
        assert_eq!(safe_href("javascript:alert(1)"), None);
        assert_eq!(safe_href(" data:text/html,<b>x</b>"), None);
        assert_eq!(safe_href("/relative/path"), None);
        assert_eq!(
            link("javascript:alert(1)", "javascript:alert(1)"),
            "<span class=\"url\">javascript:alert(1)</span>"
        );
    }

    #[test]
    fn a_script_in_a_title_and_in_the_passage_is_shown_as_text() {
        let text = "Intro <script>alert('p')</script> en dan: wij werken samen. Einde.";
        let matched = "wij werken samen";
        let start = text.find(matched).unwrap();
        let mut input = input_with(text, quote("verified", matched, matched, start));
        input.links = vec![LinkRecord {
            id: "S1".into(),
            url: "https://www.example.nl/a".into(),
            title: "Nieuws <script>alert(1)</script>".into(),
            error: "<img src=x onerror=alert(2)>".into(),
            ..LinkRecord::new(LinkStatus::Ok)
        }];
        let html = render(&input);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("Nieuws &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("Intro &lt;script&gt;alert(&#39;p&#39;)&lt;/script&gt; en dan: "));
        assert!(html.contains("<mark>wij werken samen</mark>. Einde."));
    }

    #[test]
    fn a_page_hit_says_so_and_is_marked_in_the_page_text() {
        let page = "Menu\n\nArtikel.\n\nReacties\n\nDe pont lost het niet op, schrijft Gert.";
        let matched = "De pont lost het niet op";
        let start =
            page.chars().count() - "De pont lost het niet op, schrijft Gert.".chars().count();
        let mut row = quote("verified", matched, matched, start);
        row.region = Some(QuoteRegion::Page);
        row.text_path = "text/a.page.txt".into();
        let mut input = input_with("Artikel.", row);
        input
            .texts
            .insert("text/a.page.txt".to_string(), page.to_string());
        let html = render(&input);
        assert!(
            html.contains("in the page text, outside the article"),
            "{html}"
        );
        assert!(html.contains("<mark>De pont lost het niet op</mark>, schrijft Gert."));
    }

    #[test]
    fn bidi_controls_are_shown_as_escapes_and_untrusted_text_is_isolated() {
        assert_eq!(
            escape("a\u{202E}b\u{2066}c\u{2069}d\u{202A}"),
            "a\\u{202E}b\\u{2066}c\\u{2069}d\\u{202A}"
        );
        let text = "Het college zegt: wij \u{202E}betalen\u{202C} niet.";
        let matched = "wij \u{202E}betalen\u{202C} niet";
        let start = text.find(matched).unwrap();
        let mut row = quote("verified", matched, matched, start);
        row.theme = "\u{2067}thema".into();
        row.speaker = "Jan\u{202D}".into();
        let mut input = input_with(text, row);
        input.links = vec![LinkRecord {
            id: "S1".into(),
            url: "https://www.example.nl/\u{202E}a".into(),
            title: "Nieuws \u{202E}txt.exe".into(),
            ..LinkRecord::new(LinkStatus::Ok)
        }];
        let html = render(&input);
        for c in ('\u{202A}'..='\u{202E}').chain('\u{2066}'..='\u{2069}') {
            assert!(!html.contains(c), "raw U+{:04X} in the page", u32::from(c));
        }
        assert!(
            html.contains("<bdi>Nieuws \\u{202E}txt.exe</bdi>"),
            "{html}"
        );
        assert!(html.contains("\\u{2067}thema"), "{html}");
        assert!(
            html.contains("href=\"https://www.example.nl/%E2%80%AEa\""),
            "{html}"
        );
        assert!(html.contains("unicode-bidi:isolate"));
    }

    #[test]
    fn attribute_values_are_escaped() {
        let mut input = input_with("", QuoteRow::new(Verdict::Verified));
        input.quotes.clear();
        input.links = vec![LinkRecord {
            id: "S1".into(),
            url: "https://www.example.nl/\"onmouseover=\"alert(1)".into(),
            archived_url: "javascript:alert(3)".into(),
            ..LinkRecord::new(LinkStatus::Broken)
        }];
        let html = render(&input);
        assert!(html.contains("href=\"https://www.example.nl/%22onmouseover=%22alert(1)\""));
        assert!(!html.contains("href=\"javascript"));
        assert!(html.contains("archived copy <span class=\"url\">javascript:alert(3)</span>"));
    }

    #[test]
    fn highlight_at_the_very_start_and_the_very_end_of_a_text() {
        let text = "Begin hier. Midden van de tekst. Helemaal aan het eind";
        let p = passage(text, 0, 5, 300).unwrap();
        assert_eq!((p.before.as_str(), p.matched.as_str()), ("", "Begin"));
        assert_eq!(p.after, " hier. Midden van de tekst. Helemaal aan het eind");
        assert!(!p.cut_before && !p.cut_after);
        let n = text.chars().count();
        let p = passage(text, n - 4, n, 300).unwrap();
        assert_eq!((p.matched.as_str(), p.after.as_str()), ("eind", ""));
        assert_eq!(
            p.before,
            "Begin hier. Midden van de tekst. Helemaal aan het "
        );
        // An empty span at the very end still fits; one past the end does not.
        assert!(passage(text, n, n, 300).is_some());
        assert_eq!(passage(text, n, n + 1, 300), None);
        assert_eq!(passage(text, 5, 4, 300), None);

        let html = render(&input_with(text, quote("verified", "Begin", "Begin", 0)));
        assert!(html.contains("<div class=\"passage\"><mark>Begin</mark> hier."));
        let html = render(&input_with(text, quote("verified", "eind", "eind", n - 4)));
        assert!(html.contains("aan het <mark>eind</mark></div>"));
    }

    #[test]
    fn offsets_are_characters_not_bytes() {
        // Multibyte characters (ë, é, ’, €, an emoji) before the span: byte offsets would
        // land mid-character or on the wrong words.
        let text = "Café Zuidoostbeëmster: ‘€ 5 miljoen’ 🙂 — wij gaan samenwerken, zegt zij.";
        let start = text.chars().position(|c| c == 'w').unwrap();
        let matched = "wij gaan samenwerken";
        let p = passage(text, start, start + matched.chars().count(), 300).unwrap();
        assert_eq!(p.matched, matched);
        assert_eq!(p.before, "Café Zuidoostbeëmster: ‘€ 5 miljoen’ 🙂 — ");
        assert_eq!(p.after, ", zegt zij.");
        let html = render(&input_with(
            text,
            quote("verified", matched, matched, start),
        ));
        assert!(html.contains("🙂 — <mark>wij gaan samenwerken</mark>, zegt zij."));
        assert!(!html.contains("archive changed"));
    }

    #[test]
    fn lines_and_paragraphs_of_the_archived_text_are_kept() {
        assert_eq!(
            escape_lines("Kop\n\nEen <zin>.\r\nNog een.\n"),
            "Kop<span class=\"pbr\"></span>Een &lt;zin&gt;.<br>Nog een.<br>"
        );
        let text = "Tussenkop\n\nZij zegt: ‘samen’.";
        let start = text.chars().position(|c| c == '‘').unwrap() + 1;
        let html = render(&input_with(
            text,
            quote("verified", "samen", "samen", start),
        ));
        assert!(
            html.contains("Tussenkop<span class=\"pbr\"></span>Zij zegt: ‘<mark>samen</mark>’.")
        );
    }

    #[test]
    fn long_texts_are_cut_at_word_boundaries() {
        let filler = "woord ".repeat(100); // 600 characters
        let text = format!("{filler}DE KERN{filler}");
        let start = 600;
        let p = passage(&text, start, start + 7, 20).unwrap();
        assert!(p.cut_before && p.cut_after);
        assert_eq!(p.before, "woord woord woord ");
        assert_eq!(p.after, "woord woord woord");
        assert_eq!(p.matched, "DE KERN");
    }

    #[test]
    fn word_diff_marks_changed_added_and_dropped_words() {
        let pieces = word_diff(
            "‘Wij Moeten elkaar beter leren kennen,’",
            "wij moeten elkaar veel beter kennen.",
        );
        assert_eq!(
            pieces,
            vec![
                DiffPiece::Same("wij moeten elkaar".into()),
                DiffPiece::Added("veel".into()),
                DiffPiece::Same("beter".into()),
                DiffPiece::Dropped("leren".into()),
                DiffPiece::Same("kennen.".into()),
            ]
        );
        // A changed word is the quote's word dropped, then the source's added.
        let pieces = word_diff("de gemeente besluit", "de provincie besluit");
        assert_eq!(
            pieces,
            vec![
                DiffPiece::Same("de".into()),
                DiffPiece::Dropped("gemeente".into()),
                DiffPiece::Added("provincie".into()),
                DiffPiece::Same("besluit".into()),
            ]
        );
        // Accents count (contract: wel/wél is a difference); a lone dash is no word.
        let pieces = word_diff("dat is wél zo", "dat is wel – zo");
        assert_eq!(
            pieces,
            vec![
                DiffPiece::Same("dat is".into()),
                DiffPiece::Dropped("wél".into()),
                DiffPiece::Added("wel –".into()),
                DiffPiece::Same("zo".into()),
            ]
        );
        assert_eq!(word_diff("", ""), vec![]);
    }

    #[test]
    fn approximate_quotes_show_the_diff_with_ins_and_del() {
        let text = "Hij zei: wij moeten elkaar veel beter kennen. Daarna niets.";
        let matched = "wij moeten elkaar veel beter kennen";
        let start = text.find(matched).unwrap();
        let row = quote(
            "approximate",
            "wij moeten <elkaar> beter leren kennen",
            matched,
            start,
        );
        let html = render(&input_with(text, row));
        assert!(html.contains("<ins>veel</ins>"), "{html}");
        assert!(html.contains("<del>leren</del>"));
        assert!(html.contains("wij moeten &lt;elkaar&gt;"));
        assert!(html.contains("<span class=\"badge k-approximate\">approximate</span>"));
    }

    #[test]
    fn an_empty_report_still_renders_a_whole_page() {
        let html = render(&ReportInput {
            generated_at: "2025-05-01 10:00:00 UTC".into(),
            ..ReportInput::default()
        });
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.ends_with("</html>\n"));
        assert!(html.contains("No quotes in this report."));
        assert!(html.contains("No links in this report."));
        assert!(html.contains("0 quotes · 0 links"));
        assert!(!html.contains("<mark>"));
    }

    #[test]
    fn summary_counts_and_filters_follow_the_rows() {
        let mut input = ReportInput {
            generated_at: "2025-05-01 10:00:00 UTC".into(),
            files: vec![("sources".into(), "bronnen <1>.csv".into())],
            ..ReportInput::default()
        };
        // A verdict is typed: a name outside the five (a hand-edited report.csv) cannot
        // reach the page, so the fourth row is another known verdict.
        for verdict in [
            Verdict::Verified,
            Verdict::Verified,
            Verdict::NotFound,
            Verdict::SourceUnavailable,
        ] {
            input.quotes.push(QuoteRow::new(verdict));
        }
        input.links = vec![
            LinkRecord {
                ..LinkRecord::new(LinkStatus::Ok)
            },
            LinkRecord {
                ..LinkRecord::new(LinkStatus::Broken)
            },
        ];
        let html = render(&input);
        assert!(html.contains("sources <code>bronnen &lt;1&gt;.csv</code>"));
        assert!(html.contains("4 quotes: 2 verified, 1 source unavailable, 1 not found"));
        assert!(html.contains("2 links: 1 ok, 1 broken"));
        assert!(html.contains("<label class=\"pill\" for=\"fv-attention\">not verified <b>2</b>"));
        assert!(html.contains("#fv-not_found:checked~main .quote:not(.k-not_found){display:none}"));
        assert!(html.contains("#fs-attention:checked~main .link.k-ok{display:none}"));
        assert!(html.contains("<tr class=\"link k-broken\">"));
        // Radio inputs precede the summary and main, which the `~` rules need.
        assert!(html.find("id=\"fs-broken\"").unwrap() < html.find("<nav").unwrap());
        assert_eq!(html.matches("class=\"card quote").count(), 4);
    }

    #[test]
    fn missing_archived_text_falls_back_to_the_context_column() {
        let mut row = quote("verified", "samen", "samen", 3);
        row.context = "We <b>gaan</b> samen verder.".into();
        let mut input = input_with("", row);
        input.texts.clear();
        let html = render(&input);
        assert!(html.contains("We &lt;b&gt;gaan&lt;/b&gt; <mark>samen</mark> verder."));
    }

    #[test]
    fn a_changed_page_shows_the_change_around_the_passage_escaped() {
        let text = "De raad besloot <b>woensdag</b>. Wij doen dit met pijn. Einde.";
        let start = text[..text.find("Wij").unwrap()].chars().count();
        let row = quote(
            "verified",
            "Wij doen dit met pijn.",
            "Wij doen dit met pijn.",
            start,
        );
        let mut input = input_with(text, row.clone());
        input.earlier.insert(
            row.source_url.clone(),
            Earlier {
                fetched_at: "2026-11-01T10:00:00Z".into(),
                now_fetched_at: "2026-12-07T10:00:00Z".into(),
                text: "De raad besloot <b>dinsdag</b>. Wij doen dit met pijn. Einde.".into(),
            },
        );
        let html = render(&input);
        assert!(html.contains("Changed since 2026-11-01"), "{html}");
        assert!(
            html.contains("<del>&lt;b&gt;dinsdag&lt;/b&gt;.</del>"),
            "{html}"
        );
        assert!(
            html.contains("<ins>&lt;b&gt;woensdag&lt;/b&gt;.</ins>"),
            "{html}"
        );
        assert!(html.contains("2026-12-07 only"), "{html}");
        // No earlier capture: no change block.
        assert!(!render(&input_with(text, row)).contains("Changed since"));
    }

    #[test]
    fn a_changed_archive_is_said() {
        let row = quote("verified", "samen", "samen", 0);
        let html = render(&input_with("anders", row));
        assert!(html.contains("<mark>ander</mark>"));
        assert!(html.contains("the archive changed"));
    }

    #[test]
    fn a_quote_with_a_picture_shows_it_beside_its_passage() {
        let row = quote("verified", "samen", "samen", 3);
        let mut input = input_with("We samen verder.", row.clone());
        input.shots.insert(
            shot_key(&row.source_url, "Q1"),
            ShotLink {
                href: "archive/shots/a\"b.png".into(),
                capture_fetched_at: "2026-12-07T10:00:00Z".into(),
            },
        );
        let html = render(&input);
        assert!(
            html.contains("<div class=\"pshot\"><div class=\"passage\">"),
            "{html}"
        );
        assert!(
            html.contains("<img src=\"archive/shots/a&quot;b.png\""),
            "{html}"
        );
        assert!(html.contains("capture of 2026-12-07"));
        // The page's policy lets its own files in as images, and nothing more.
        assert!(
            html.contains(
                "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src 'self'\""
            )
        );
        // Another quote id, another page: no picture.
        let mut other = input.clone();
        other.quotes[0].id = "Q2".into();
        assert!(!render(&other).contains("<figure"));
        other.shots.clear();
        assert!(!render(&other).contains("img-src"));
    }
}
