//! The cited page as the quote stage sees it: where its texts are and what it is called.

/// A cited page as the quote stage sees it.
#[derive(Debug, Clone)]
pub(crate) struct SourceText {
    /// Position in the sources file.
    pub(crate) index: usize,
    /// The URL as cited.
    pub(crate) url: String,
    /// Its duplicate key (claimed `source` columns are matched on it).
    pub(crate) key: String,
    /// Whether its article text could be had (it was scanned for the quotes as it passed).
    pub(crate) available: bool,
    /// Where the text came from when not the live page (a web-archive snapshot).
    pub(crate) via: Option<String>,
    /// The archived text file (relative to the archive folder).
    pub(crate) text_path: Option<String>,
    /// The page's headline, for the speaker of interviews and portraits.
    pub(crate) title: Option<String>,
    /// The archived page text file (the whole visible page), when one was kept.
    pub(crate) page_text_path: Option<String>,
    /// What became of the link, in words (`broken: HTTP 404 (not_found)`), for the note of
    /// a quote whose claimed source could not be read.
    pub(crate) link: String,
}
