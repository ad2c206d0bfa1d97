//! `text`: the main article text of one page.

use std::path::Path;
use std::time::Duration;

use crate::cli::TextArgs;
use crate::error::{Error, Result};
use crate::http::body::decode_text;
use crate::http::{FetchSettings, Fetcher, Remap, build_client};
use crate::input::url::parse_cited;

use super::Outcome;
use super::ingest::write_atomically;

/// `text`: the main article text of one page (a file, a URL, or stdin).
pub(super) async fn text(args: &TextArgs) -> Result<Outcome> {
    let input = args.input.as_str();
    let (bytes, content_type, url) = if input == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(|source| {
            Error::Read {
                path: "-".into(),
                source,
            }
        })?;
        (bytes, None, None)
    } else if input.starts_with("http://") || input.starts_with("https://") {
        fetch_one(args, input).await?
    } else {
        let bytes = std::fs::read(input).map_err(|source| Error::Read {
            path: input.into(),
            source,
        })?;
        (bytes, None, None)
    };
    let (html, _) = decode_text(&bytes, content_type.as_deref());
    let json = |value: serde_json::Result<String>| {
        value.map(|j| j + "\n").map_err(|e| Error::Write {
            path: "-".into(),
            source: e.into(),
        })
    };
    let out = match (args.page, args.json) {
        (true, true) => {
            let (article, page) = crate::extract::extract_with_page(&html, url.as_deref());
            json(serde_json::to_string_pretty(&serde_json::json!({
                "title": article.title,
                "text": page.text,
                "regions": page.regions,
            })))?
        }
        (true, false) => format!("{}\n", crate::extract::page_text(&html).text),
        (false, true) => json(serde_json::to_string_pretty(
            &crate::extract::extract_article(&html, url.as_deref()),
        ))?,
        (false, false) => format!(
            "{}\n",
            crate::extract::extract_article(&html, url.as_deref()).text
        ),
    };
    write_atomically(Path::new("-"), out.as_bytes())?;
    Ok(Outcome::default())
}

/// Fetches one page for `text URL`, with the same client, remap and caps as a run.
async fn fetch_one(
    args: &TextArgs,
    input: &str,
) -> Result<(Vec<u8>, Option<String>, Option<String>)> {
    let settings = FetchSettings {
        remap: Remap::parse(&args.remap)?,
        timeout: crate::config::timeout_from_secs(args.timeout)?,
        retries: crate::config::DEFAULT_RETRIES,
        concurrency: 1,
        per_host: 1,
        // One request: no gap to keep.
        host_interval: Duration::ZERO,
        exclude_private: false,
        user_agent: crate::config::default_user_agent(),
        body_budget: crate::config::DEFAULT_BODY_BUDGET,
    };
    let max_body = crate::config::DEFAULT_MAX_BODY;
    let url = parse_cited(input).map_err(|e| Error::Usage(format!("{input}: {}", e.message)))?;
    let fetcher = Fetcher::new(build_client(settings.timeout)?, &settings, max_body);
    let (final_url, text) = super::inputs::fetch_live(&fetcher, input, &url, max_body).await?;
    Ok((
        text.into_bytes(),
        Some("text/html; charset=utf-8".into()),
        Some(final_url),
    ))
}
