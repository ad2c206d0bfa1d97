//! `check`/`run` with `[INPUTS]...`: the inputs read before the first stage, the pages among
//! them fetched through the run's own client (so `--remap`, `--exclude-private` and the
//! timeouts apply to them as to every cited URL).

use std::sync::Arc;

use crate::check;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::{Fetcher, build_client};
use crate::input::inputs::classify;
use crate::input::url::parse_cited;
use crate::input::{InputArg, InputSet, Source};

/// Reads the inputs named on the command line into `config.input` (nothing to do without
/// inputs: the sources file is read as a stream by each stage).
pub(super) async fn read_inputs(config: &mut Config) -> Result<()> {
    if config.input_args.is_empty() {
        return Ok(());
    }
    let args = classify(&config.input_args)?;
    let pages: Vec<&str> = args
        .iter()
        .filter_map(|a| match a {
            InputArg::Url(url) => Some(url.as_str()),
            _ => None,
        })
        .collect();
    if config.offline && !pages.is_empty() {
        return Err(Error::Usage(format!(
            "{}: a page given as input must be fetched, and this run is offline; save it \
             and name the file instead",
            pages[0]
        )));
    }
    let mut fetched = Vec::new();
    if !pages.is_empty() {
        let fetcher = Fetcher::new(
            build_client(config.fetch.timeout)?,
            &config.fetch,
            config.max_body,
        );
        for page in pages {
            fetched.push(fetch_page(&fetcher, page, config.max_body).await?);
        }
    }
    config.input = Arc::new(InputSet::read(&args, fetched)?);
    Ok(())
}

/// One input page: (as given, final URL, decoded text).
async fn fetch_page(
    fetcher: &Fetcher,
    input: &str,
    max_body: usize,
) -> Result<(String, String, String)> {
    let url = parse_cited(input).map_err(|e| Error::Usage(format!("{input}: {}", e.message)))?;
    let (final_url, text) = fetch_live(fetcher, input, &url, max_body).await?;
    Ok((input.to_string(), final_url, text))
}

/// A page fetched and judged as a cited link would be: its final (logical) URL and decoded
/// text, or, when it is not live, an input error that says its status (as an unreadable
/// input file stops a run). Also `text URL`.
pub(super) async fn fetch_live(
    fetcher: &Fetcher,
    input: &str,
    url: &url::Url,
    max_body: usize,
) -> Result<(String, String)> {
    let outcome = fetcher.fetch(url).await;
    let source = Source {
        index: 0,
        id: "1".into(),
        url: input.into(),
        line: 0,
        file: None,
    };
    let (record, page) = check::judge(&source, url, &outcome, true, max_body);
    match page.filter(|_| record.status.is_live()) {
        Some(page) => Ok((record.final_url, page.text)),
        None => Err(Error::Input {
            path: input.into(),
            reason: format!("{}: {}", record.status_str(), record.error),
        }),
    }
}
