//! TEMPORARY until the extractor lands: title and visible text.

use serde::Serialize;

/// What the extractor found in one HTML page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Article {
    /// Title.
    pub title: Option<String>,
    /// Publication date.
    pub published: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Body text.
    pub text: String,
}

/// Extracts the article.
pub fn extract_article(html: &str, _url: Option<&str>) -> Article {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("p, h2, h3, blockquote").expect("static selector");
    let text = doc
        .select(&sel)
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n");
    Article {
        title: page_title(html),
        text,
        ..Article::default()
    }
}

/// The page's title.
pub fn page_title(html: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("title").ok()?;
    let t: String = doc.select(&sel).next()?.text().collect();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then_some(t)
}
