//! What `ingest` finds in a document: its cited URLs and quotations, and the lines in
//! reading order that the layout and pairing rules work on. The types sit apart from the
//! reader (`document`) so that `layout` and `pairing` can use them without importing it.

/// What a document cites.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// Cited http(s) URLs in document order, duplicates kept.
    pub urls: Vec<CitedUrl>,
    /// Quotations in document order.
    pub quotes: Vec<DocQuote>,
    /// Guesses a reader should check (ambiguous headings, rejoined URLs, lost marks).
    pub warnings: Vec<String>,
    /// Text that was left out, and why (page numbers, prose, short scare quotes, …).
    pub skipped: Vec<String>,
    /// Quotations whose citation the document does not show: (file line, reason).
    pub unpaired: Vec<(usize, String)>,
    /// The file's line number of each line in reading order (columns and removed
    /// headers make them differ from the position).
    pub(super) nos: Vec<usize>,
    /// What each line in reading order holds, for the pairing rules.
    pub(crate) kinds: Vec<LineKind>,
    /// The lines in reading order, their URLs and labels taken out.
    pub(crate) texts: Vec<String>,
}

/// What a line in reading order holds, as the pairing rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// Nothing (or only white space).
    Blank,
    /// Only URLs, perhaps with a label.
    Urls,
    /// Text, perhaps with URLs in it.
    Text,
}

/// What a URL in the document is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRole {
    /// A cited source.
    Citation,
    /// A site's home page that no quotation cites (a footer, a letterhead): not a source.
    Homepage,
}

/// Which rule paired a quotation with its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    /// The URL stands right after the quotation: on its last line or the next one.
    Adjacent,
    /// A footnote marker after the quotation, resolved in a numbered reference list.
    Footnote,
    /// A block of N URLs after N quotations, paired in order.
    InOrder,
}

impl Pairing {
    /// The name in the `pairing` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Pairing::Adjacent => "adjacent",
            Pairing::Footnote => "footnote",
            Pairing::InOrder => "in_order",
        }
    }
}

/// One cited URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitedUrl {
    /// The URL as written (percent-encoding kept), trailing punctuation removed.
    pub url: String,
    /// 1-based line of the document where it starts.
    pub line: usize,
    /// Whether it is a cited source.
    pub role: UrlRole,
    /// Its line in reading order.
    pub(crate) idx: usize,
    /// The number of the reference-list entry it stands in.
    pub reference: Option<u32>,
    /// A closing quote mark stands before it on its line (`…them.” (https://…)`).
    pub(crate) after_closer: bool,
}

/// One quotation of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocQuote {
    /// The quoted words without the outer quote marks, lines joined with single spaces;
    /// nested quotations keep their marks.
    pub text: String,
    /// The heading it stands under, if any.
    pub theme: Option<String>,
    /// 1-based line where it starts.
    pub line: usize,
    /// 1-based line where it ends.
    pub end_line: usize,
    /// The footnote number that follows it (`”[3]`, `”³`), if any.
    pub marker: Option<u32>,
    /// The URL it cites, where the document shows it.
    pub source: Option<String>,
    /// The rule that paired it with `source`.
    pub pairing: Option<Pairing>,
    /// Its last line in reading order.
    pub(crate) end_idx: usize,
}

impl Document {
    /// The file's line number of line `idx` in reading order.
    pub(crate) fn line_no(&self, idx: usize) -> usize {
        self.nos.get(idx).copied().unwrap_or(idx + 1)
    }

    /// A one-line account: counts of URLs (unique), quotations, themes, warnings, skips.
    pub fn summary(&self) -> String {
        let mut unique: Vec<&str> = self.urls.iter().map(|u| u.url.as_str()).collect();
        unique.sort_unstable();
        unique.dedup();
        let mut themes: Vec<&str> = self
            .quotes
            .iter()
            .filter_map(|q| q.theme.as_deref())
            .collect();
        themes.sort_unstable();
        themes.dedup();
        format!(
            "{} URLs ({} unique), {} quotations under {} themes, {} warnings, {} items skipped",
            self.urls.len(),
            unique.len(),
            self.quotes.len(),
            themes.len(),
            self.warnings.len(),
            self.skipped.len()
        )
    }
}
