//! The whole visible text of a page, beside its article text, with the kind of region each
//! stretch of it stood in.
//!
//! Takes the same flat DOM the article extractor reads (one parse serves both:
//! [`extract_with_page`]); returns a [`PageText`]: the text a reader could see on the page
//! and [`RegionSpan`]s saying which character ranges stood in comments, a sidebar, a
//! related-articles list, navigation, the page header or footer, a table, a caption or a
//! form. The quote stage searches it when a quote is in no article text, so that a
//! `not_found` verdict means "not on the page", not "not in what the extractor kept".
//!
//! What counts as visible:
//!
//! - left out, as the parser already skips them: `script`, `style`, `template`,
//!   `noscript`, form controls, media and `<head>`;
//! - left out here: an element with the `hidden` attribute, `aria-hidden="true"`, an
//!   inline `display:none` or `visibility:hidden`, and a `<dialog>` that is not `open`
//!   (none of them is shown to a reader when the page loads), unless it holds more than
//!   half of the page's text: then it is a curtain a script lifts on load;
//! - kept: everything else in `<body>`, also collapsed `<details>` (one click shows it)
//!   and screen-reader-only text (short labels).
//!
//! Layout, as in the article text: every block element (paragraph, heading, list item,
//! table cell, row, …) is a block of its own, blocks are separated by one blank line
//! (`\n\n`, so a report's `context` never runs from one block into the next), `<br>` breaks
//! a line (`\n`), inline tags join without added spaces, white space collapses (kept in
//! `<pre>`), and soft hyphens and zero-width characters are dropped.
//!
//! Regions come from general signals only: the tag (`aside`, `nav`, `header`/`footer`
//! outside `article`/`main`, `table`, `caption`/`figcaption`, `form`), the ARIA `role`
//! (`complementary`, `navigation`, `banner`, `contentinfo`, `search`, `form`) and words of
//! the `class`/`id` (`comment`, `sidebar`, `related`, …). The innermost section-like region
//! (comments, sidebar, related, navigation, header, footer, form) wins; a table or caption
//! is named only inside the page body or another table.

use serde::Serialize;

use super::dom::{Dom, Tag};
use super::text::is_invisible;

/// The kind of page region a stretch of page text stood in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    /// The page body outside every region below (where the article usually is).
    Body,
    /// Readers' comments or reactions.
    Comments,
    /// A sidebar (`<aside>`, `role="complementary"`).
    Sidebar,
    /// A list of related or recommended articles (teasers).
    Related,
    /// Navigation: menus, breadcrumbs, pagination.
    Nav,
    /// The page header (masthead), outside the article.
    Header,
    /// The page footer, outside the article.
    Footer,
    /// A table.
    Table,
    /// A figure caption or table caption.
    Caption,
    /// A form.
    Form,
}

impl Region {
    /// Every region, in a fixed order.
    pub const ALL: [Region; 10] = [
        Region::Body,
        Region::Comments,
        Region::Sidebar,
        Region::Related,
        Region::Nav,
        Region::Header,
        Region::Footer,
        Region::Table,
        Region::Caption,
        Region::Form,
    ];

    /// The region's name as stored in the manifest (`page_regions`).
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Body => "body",
            Region::Comments => "comments",
            Region::Sidebar => "sidebar",
            Region::Related => "related",
            Region::Nav => "nav",
            Region::Header => "header",
            Region::Footer => "footer",
            Region::Table => "table",
            Region::Caption => "caption",
            Region::Form => "form",
        }
    }

    /// Reads [`Region::as_str`] back.
    pub fn parse(name: &str) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// How a report names where a page hit stood ("the page's …").
    pub fn describe(self) -> &'static str {
        match self {
            Region::Body => "body text",
            Region::Comments => "comments",
            Region::Sidebar => "sidebar",
            Region::Related => "related-articles list",
            Region::Nav => "navigation",
            Region::Header => "header",
            Region::Footer => "footer",
            Region::Table => "table",
            Region::Caption => "caption",
            Region::Form => "form",
        }
    }

    /// Section-like regions nest (the innermost wins); tables and captions do not replace
    /// them.
    fn is_section(self) -> bool {
        !matches!(self, Region::Body | Region::Table | Region::Caption)
    }
}

/// A character range `[start, end)` of the page text and the region it stood in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RegionSpan {
    /// First character (Unicode scalar values from the start of the text).
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// The region.
    pub region: Region,
}

/// A page's whole visible text and its regions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PageText {
    /// The visible text, one line per block.
    pub text: String,
    /// Ranges that stood in a region other than [`Region::Body`], in order, not
    /// overlapping; characters outside every span are body text.
    pub regions: Vec<RegionSpan>,
}

impl PageText {
    /// The region the characters `[start, end)` stood in: the one holding most of them.
    pub fn region_at(&self, start: usize, end: usize) -> Region {
        region_of(&self.regions, start, end)
    }

    /// The regions as one compact line, `start-end name` joined by `,` (what the manifest
    /// keeps; read back with [`parse_regions`]).
    pub fn regions_line(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.regions.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!("{}-{} {}", s.start, s.end, s.region.as_str()));
        }
        out
    }
}

/// The part of a page text outside its article text (see [`PageText::outside`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outside {
    /// The page text's blocks that the article text does not hold, joined by blank lines.
    pub text: String,
    /// Per kept block: its first character in `text` and in the page text, in order.
    pub blocks: Vec<(usize, usize)>,
}

impl Outside {
    /// The page text offset of character `at` of [`Outside::text`].
    pub fn page_offset(&self, at: usize) -> usize {
        let i = self.blocks.partition_point(|&(o, _)| o <= at);
        match i.checked_sub(1).and_then(|i| self.blocks.get(i)) {
            Some(&(o, p)) => p + (at - o),
            None => at,
        }
    }

    /// The page text span of the span `[start, end)` of [`Outside::text`].
    pub fn page_span(&self, start: usize, end: usize) -> (usize, usize) {
        let from = self.page_offset(start);
        let to = if end > start {
            self.page_offset(end - 1) + 1
        } else {
            from
        };
        (from, to)
    }
}

impl PageText {
    /// The blocks of the page text that are not in `article` (a block is left out when
    /// every line of it is a line of the article text): what a search for quotes the article
    /// text lacks still has to read. Usually a small part of the page, so the fallback costs
    /// little; a quote running from an article block into a block outside it is not found
    /// here.
    pub fn outside(&self, article: &str) -> Outside {
        let lines: std::collections::HashSet<&str> = article
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let mut out = Outside::default();
        let (mut page_at, mut out_at) = (0, 0);
        for block in self.text.split("\n\n") {
            let chars = block.chars().count();
            if !block.lines().all(|l| lines.contains(l.trim())) {
                if !out.text.is_empty() {
                    out.text.push_str("\n\n");
                    out_at += 2;
                }
                out.blocks.push((out_at, page_at));
                out.text.push_str(block);
                out_at += chars;
            }
            page_at += chars + 2;
        }
        out
    }
}

/// Reads [`PageText::regions_line`] back; malformed parts are skipped.
pub fn parse_regions(line: &str) -> Vec<RegionSpan> {
    line.split(',')
        .filter_map(|part| {
            let (range, name) = part.trim().split_once(' ')?;
            let (start, end) = range.split_once('-')?;
            Some(RegionSpan {
                start: start.parse().ok()?,
                end: end.parse().ok()?,
                region: Region::parse(name.trim())?,
            })
        })
        .collect()
}

/// The region the characters `[start, end)` stood in, given a page text's spans: the one
/// holding most of them ([`Region::Body`] outside every span).
pub fn region_of(regions: &[RegionSpan], start: usize, end: usize) -> Region {
    let end = end.max(start + 1);
    let mut best = (0, Region::Body);
    let mut covered = 0;
    for s in regions {
        let overlap = s.end.min(end).saturating_sub(s.start.max(start));
        covered += overlap;
        if overlap > best.0 {
            best = (overlap, s.region);
        }
    }
    // Body characters are those no span covers.
    if end - start - covered.min(end - start) > best.0 {
        Region::Body
    } else {
        best.1
    }
}

/// Extracts the article and the whole page text from one parse of `html` (see
/// [`super::extract_article`], which gives the same [`super::Article`]).
pub fn extract_with_page(html: &str, url: Option<&str>) -> (super::Article, PageText) {
    let (dom, article) = super::parse_and_extract(html, url);
    (article, render_page(&dom))
}

/// The whole visible text of `html` and its regions.
pub fn page_text(html: &str) -> PageText {
    render_page(&super::parse::parse(html))
}

/// What the text being built looks like at its end.
struct Builder {
    out: String,
    /// Characters in `out`.
    chars: usize,
    /// White space seen since the last character (emitted before the next one).
    pending_space: bool,
    regions: Vec<RegionSpan>,
    /// Characters in `out` after the last text node that added any.
    text_end: usize,
}

impl Builder {
    /// Appends one visible character.
    fn push(&mut self, c: char) {
        if self.pending_space && !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push(' ');
            self.chars += 1;
        }
        self.pending_space = false;
        self.out.push(c);
        self.chars += 1;
    }

    /// Ends the current block: a blank line follows it (none is empty; no line ends in a
    /// space).
    fn block_break(&mut self) {
        self.line_break();
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
            self.chars += 1;
        }
    }

    /// Ends the current line (`<br>`, a line of `<pre>`).
    fn line_break(&mut self) {
        self.pending_space = false;
        if self.out.is_empty() || self.out.ends_with('\n') {
            return;
        }
        while self.out.ends_with(' ') {
            self.out.pop();
            self.chars -= 1;
        }
        self.text_end = self.text_end.min(self.chars);
        if let Some(last) = self.regions.last_mut()
            && last.end > self.chars
        {
            last.end = self.chars;
            if last.end <= last.start {
                self.regions.pop();
            }
        }
        self.out.push('\n');
        self.chars += 1;
    }

    /// Appends a text node standing in `region`; its characters join the previous span when
    /// the text node before it (only breaks or white space between) was in the same region.
    fn text(&mut self, text: &str, pre: bool, region: Region) {
        let start = self.chars;
        for c in text.chars() {
            if c == '\n' && pre {
                self.line_break();
            } else if c.is_whitespace() {
                if pre {
                    self.push(' ');
                } else {
                    self.pending_space = true;
                }
            } else if !is_invisible(c) {
                self.push(c);
            }
        }
        if self.chars <= start {
            return;
        }
        if region != Region::Body {
            match self.regions.last_mut() {
                Some(last) if last.region == region && last.end == self.text_end => {
                    last.end = self.chars;
                }
                _ => self.regions.push(RegionSpan {
                    start,
                    end: self.chars,
                    region,
                }),
            }
        }
        self.text_end = self.chars;
    }
}

/// One open element while walking the DOM.
struct Open {
    end: usize,
    tag: Tag,
    region: Region,
    pre: bool,
    /// Inside `article` or `main` (a `header`/`footer` there is the article's own).
    in_article: bool,
}

/// Renders the whole DOM (see the module doc).
fn render_page(dom: &Dom<'_>) -> PageText {
    let mut b = Builder {
        out: String::with_capacity(dom.nodes.len() * 16),
        chars: 0,
        pending_space: false,
        regions: Vec::new(),
        text_end: 0,
    };
    let mut open: Vec<Open> = Vec::new();
    let mut words = String::new();
    let mut share = None;
    let mut i = 1;
    while let Some(n) = dom.nodes.get(i) {
        while open.last().is_some_and(|o| o.end <= i) {
            if let Some(o) = open.pop()
                && o.tag.is_block()
            {
                b.block_break();
            }
        }
        let (region, pre, in_article) = open.last().map_or((Region::Body, false, false), |o| {
            (o.region, o.pre, o.in_article)
        });
        match n.tag {
            Tag::Text => b.text(&n.text, pre, region),
            Tag::Br => b.line_break(),
            tag => {
                if is_hidden(dom, i, tag)
                    && !share
                        .get_or_insert_with(|| super::dom::TextShare::new(dom))
                        .holds_most(dom, i)
                {
                    i = n.end.max(i + 1);
                    continue;
                }
                let own = own_region(dom, i, tag, in_article, &mut words);
                let region = match own {
                    Some(r) if r.is_section() => r,
                    Some(r) if !region.is_section() => r,
                    _ => region,
                };
                if tag.is_block() {
                    b.block_break();
                }
                open.push(Open {
                    end: n.end,
                    tag,
                    region,
                    pre: pre || tag == Tag::Pre,
                    in_article: in_article || matches!(tag, Tag::Article | Tag::Main),
                });
            }
        }
        i += 1;
    }
    let trimmed = b.out.trim_end_matches('\n').len();
    b.out.truncate(trimmed);
    PageText {
        text: b.out,
        regions: b.regions,
    }
}

/// Whether element `i` is not shown when the page loads (see the module doc).
fn is_hidden(dom: &Dom<'_>, i: usize, tag: Tag) -> bool {
    let attrs = dom.attrs_of(i);
    if tag == Tag::Dialog && !attrs.iter().any(|a| a.name == "open") {
        return true;
    }
    attrs.iter().any(|a| match &*a.name {
        "hidden" => true,
        "aria-hidden" => a.value.trim().eq_ignore_ascii_case("true"),
        "style" => super::signals::style_hides(&a.value),
        _ => false,
    })
}

/// The region element `i` starts by its own tag, role or class/id words, if any.
fn own_region(
    dom: &Dom<'_>,
    i: usize,
    tag: Tag,
    in_article: bool,
    words: &mut String,
) -> Option<Region> {
    let mut found = None;
    for a in dom.attrs_of(i) {
        let r = match &*a.name {
            "role" => role_region(a.value.trim()),
            "class" | "id" => word_region(&a.value, words),
            _ => None,
        };
        // Comments and related lists are the most telling: they win over other words.
        found = match (found, r) {
            (Some(Region::Comments | Region::Related), _) => found,
            (_, Some(r)) => Some(r),
            (f, None) => f,
        };
    }
    if found.is_none()
        && tag == Tag::Other
        && let Some(node) = dom.nodes.get(i)
    {
        found = word_region(&node.name, words);
    }
    found.or(match tag {
        Tag::Aside => Some(Region::Sidebar),
        Tag::Nav | Tag::Menu => Some(Region::Nav),
        Tag::Header if !in_article => Some(Region::Header),
        Tag::Footer if !in_article => Some(Region::Footer),
        Tag::Table => Some(Region::Table),
        Tag::Caption | Tag::Figcaption => Some(Region::Caption),
        Tag::Form => Some(Region::Form),
        _ => None,
    })
}

/// The region an ARIA role names.
fn role_region(role: &str) -> Option<Region> {
    let is = |r: &str| role.eq_ignore_ascii_case(r);
    if is("complementary") {
        Some(Region::Sidebar)
    } else if is("navigation") || is("menu") || is("menubar") {
        Some(Region::Nav)
    } else if is("banner") {
        Some(Region::Header)
    } else if is("contentinfo") {
        Some(Region::Footer)
    } else if is("search") || is("form") {
        Some(Region::Form)
    } else if is("table") || is("grid") {
        Some(Region::Table)
    } else {
        None
    }
}

/// The region named by the words of a class or id value (split on non-alphanumerics and
/// at camelCase steps, lower-cased); comments and related lists win over the others.
fn word_region(value: &str, word: &mut String) -> Option<Region> {
    let mut found: Option<Region> = None;
    let mut take = |w: &str| {
        let r = region_word(w);
        found = match (found, r) {
            (Some(Region::Comments | Region::Related), _) => found,
            (_, Some(r)) => Some(r),
            (f, None) => f,
        };
    };
    word.clear();
    let mut prev_lower = false;
    for c in value.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                take(word);
                word.clear();
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !word.is_empty() {
            take(word);
            word.clear();
        }
        prev_lower = c.is_lowercase() || c.is_numeric();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        take(word);
    }
    found
}

/// The region one lower-case class/id word names (general words in English and Dutch).
fn region_word(w: &str) -> Option<Region> {
    Some(match w {
        "comment" | "comments" | "reactie" | "reacties" | "disqus" | "discussion" | "replies"
        | "respond" => Region::Comments,
        "sidebar" | "aside" | "rail" | "sidecolumn" | "zijbalk" => Region::Sidebar,
        "related" | "recommended" | "recommendations" | "recirc" | "teaser" | "teasers"
        | "readmore" | "gerelateerd" | "gerelateerde" => Region::Related,
        "nav" | "navbar" | "navigation" | "menu" | "breadcrumb" | "breadcrumbs" | "pagination"
        | "pager" | "navigatie" => Region::Nav,
        "masthead" => Region::Header,
        "footer" | "colophon" => Region::Footer,
        "caption" | "figcaption" | "bijschrift" => Region::Caption,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(html: &str) -> PageText {
        page_text(html)
    }

    /// The text of every span of `region`.
    fn spans(p: &PageText, region: Region) -> Vec<String> {
        p.regions
            .iter()
            .filter(|s| s.region == region)
            .map(|s| p.text.chars().skip(s.start).take(s.end - s.start).collect())
            .collect()
    }

    #[test]
    fn blocks_break_lines_and_inline_tags_join() {
        let p = page(
            "<body><h1>Kop</h1><p>Een <b>vet</b>te zin,<br>nieuwe regel.</p>\
             <ul><li>een</li><li>twee</li></ul><div>los <span>en</span> <a href=x>link</a></div>\
             <table><tr><td>cel 1</td><td>cel 2</td></tr><tr><th>kop</th></tr></table></body>",
        );
        assert_eq!(
            p.text,
            "Kop\n\nEen vette zin,\nnieuwe regel.\n\neen\n\ntwee\n\nlos en link\n\ncel 1\n\ncel 2\n\nkop"
        );
    }

    #[test]
    fn hidden_and_never_text_parts_are_left_out() {
        let p = page(
            "<body><p>zichtbaar</p><p hidden>verborgen</p><div aria-hidden=\"true\">ook niet</div>\
             <div style=\"color:red; display : none\">weg</div><dialog>dicht</dialog>\
             <dialog open>open venster</dialog><script>var x = 1;</script><noscript>nee</noscript>\
             <template><p>sjabloon</p></template><p>so\u{ad}ft&shy;hyphen</p>\
             <details><summary>Meer</summary>ingeklapt</details></body>",
        );
        assert_eq!(
            p.text,
            "zichtbaar\n\nopen venster\n\nsofthyphen\n\nMeer\n\ningeklapt"
        );
    }

    #[test]
    fn white_space_collapses_except_in_pre() {
        let p = page("<p>  veel \n\t ruimte  </p><pre>a  b\nc</pre>");
        assert_eq!(p.text, "veel ruimte\n\na  b\nc");
    }

    #[test]
    fn regions_from_tags_roles_and_class_words() {
        let p = page(
            "<body><header><nav><a>Home</a></nav><p>Sitenaam</p></header>\
             <main><article><header><h1>De kop</h1></header><p>Artikeltekst hier.</p>\
             <figure><img src=a.jpg><figcaption>Een foto van de dijk.</figcaption></figure>\
             <table><tr><td>2019</td><td>12 procent</td></tr></table></article>\
             <section id=\"comments\"><p>Mooi stuk, schreef Piet.</p>\
             <table><tr><td>tabel in reacties</td></tr></table></section></main>\
             <div role=\"complementary\"><p>Zijbalk</p>\
             <ul class=\"relatedArticles\"><li>Lees ook dit</li></ul></div>\
             <form><label>Zoek</label></form><footer><p>Colofon</p></footer></body>",
        );
        assert_eq!(spans(&p, Region::Nav), ["Home"]);
        assert_eq!(spans(&p, Region::Header), ["Sitenaam"]);
        assert_eq!(spans(&p, Region::Caption), ["Een foto van de dijk."]);
        assert_eq!(spans(&p, Region::Table), ["2019\n\n12 procent"]);
        assert_eq!(
            spans(&p, Region::Comments),
            ["Mooi stuk, schreef Piet.\n\ntabel in reacties"]
        );
        assert_eq!(spans(&p, Region::Sidebar), ["Zijbalk"]);
        assert_eq!(spans(&p, Region::Related), ["Lees ook dit"]);
        assert_eq!(spans(&p, Region::Form), ["Zoek"]);
        assert_eq!(spans(&p, Region::Footer), ["Colofon"]);
        // The article's own header and text are body.
        let at = |needle: &str| {
            let byte = p.text.find(needle).unwrap();
            let start = p.text[..byte].chars().count();
            p.region_at(start, start + needle.chars().count())
        };
        assert_eq!(at("De kop"), Region::Body);
        assert_eq!(at("Artikeltekst hier."), Region::Body);
        assert_eq!(at("Lees ook dit"), Region::Related);
        assert_eq!(at("Mooi stuk"), Region::Comments);
    }

    #[test]
    fn region_names_match_their_json_names() {
        for r in Region::ALL {
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::Value::from(r.as_str())
            );
        }
    }

    #[test]
    fn region_line_round_trips_and_majority_decides() {
        let p = page("<p>body</p><aside>zij</aside><p>meer body</p><footer>voet</footer>");
        let line = p.regions_line();
        assert_eq!(line, "6-9 sidebar,22-26 footer");
        assert_eq!(parse_regions(&line), p.regions);
        let nav = RegionSpan {
            start: 3,
            end: 4,
            region: Region::Nav,
        };
        assert_eq!(parse_regions("x,1-2 nope,3-4 nav"), [nav]);
        assert_eq!(p.region_at(0, 4), Region::Body);
        assert_eq!(p.region_at(6, 9), Region::Sidebar);
        assert_eq!(p.region_at(1, 9), Region::Body);
        assert_eq!(region_of(&[], 3, 3), Region::Body);
    }

    #[test]
    fn outside_keeps_the_blocks_the_article_lacks_and_maps_offsets_back() {
        let p = page(
            "<nav>Menu</nav><article><p>Eerste alinea.</p><ul><li>een</li><li>twee</li></ul>\
             <p>Tweede<br>alinea.</p></article><aside><p>Lees ook dit stuk.</p></aside>\
             <footer>Voet</footer>",
        );
        let article = "Eerste alinea.\n\neen\ntwee\n\nTweede\nalinea.";
        let out = p.outside(article);
        assert_eq!(out.text, "Menu\n\nLees ook dit stuk.\n\nVoet");
        for needle in ["Menu", "Lees ook dit stuk.", "Voet", "ook dit"] {
            let at = out.text.find(needle).unwrap();
            let start = out.text[..at].chars().count();
            let (from, to) = out.page_span(start, start + needle.chars().count());
            let span: String = p.text.chars().skip(from).take(to - from).collect();
            assert_eq!(span, needle);
        }
        assert_eq!(p.outside("").text, p.text);
        assert_eq!(p.outside("").page_span(3, 9), (3, 9));
    }

    #[test]
    fn page_text_holds_the_article_text_words() {
        let html = "<html><body><nav>Menu</nav><article><h1>Titel</h1>\
            <p>De gemeente werkt samen met het rijk aan een nieuwe aanpak voor de wijk.</p>\
            <p>Wethouder Jansen zegt dat de eerste resultaten er in het voorjaar zijn.</p>\
            </article><aside class=\"sidebar\"><p>Lees ook: iets anders</p></aside></body></html>";
        let (article, page) = extract_with_page(html, None);
        for para in article.text.split("\n\n") {
            assert!(page.text.contains(para), "{para:?} not in {:?}", page.text);
        }
        assert_eq!(spans(&page, Region::Sidebar), ["Lees ook: iets anders"]);
    }
}
