//! The random-URL probe (links.md §6, after Bar-Yossef et al. 2004): some hosts answer 200
//! to every path. Fetch a sibling path that cannot exist; a 404 means the host is honest, a
//! 2xx that ends where the cited page ended, or looks like it, means the cited page is a
//! soft 404. One probe per (host, folder), shared by every citation in that folder.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use rand::Rng;
use tokio::sync::OnceCell;
use url::Url;

/// Similarity (word-trigram Jaccard) from which a probe's page counts as the same page.
pub const SAME_PAGE_SIMILARITY: f64 = 0.95;

/// What a probe of one folder found.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeResult {
    /// The host answers 4xx to a path that cannot exist.
    Honest,
    /// The host answered 2xx to a path that cannot exist.
    AnswersEverything {
        /// Where the probe's redirects ended.
        final_url: String,
        /// Requests the probe made.
        hops: usize,
        /// Word-trigram fingerprint of the probe's page.
        shingles: HashSet<u64>,
    },
    /// The probe itself failed: no conclusion.
    Unknown,
}

/// A path in the cited URL's folder that cannot exist; `None` for a root.
pub fn probe_url(cited: &Url) -> Option<Url> {
    let path = cited.path();
    if path.trim_matches('/').is_empty() {
        return None;
    }
    let folder = match path.trim_end_matches('/').rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    let mut rng = rand::rng();
    let random: String = (0..25)
        .map(|_| rng.random_range(b'a'..=b'z') as char)
        .collect();
    let mut url = cited.clone();
    url.set_path(&format!("{folder}{random}"));
    url.set_query(None);
    url.set_fragment(None);
    Some(url)
}

/// The cache key for a citation's folder.
pub fn folder_key(cited: &Url) -> String {
    let path = cited.path().trim_end_matches('/');
    let folder = path.rfind('/').map_or("/", |i| &path[..=i]);
    format!(
        "{}://{}{}",
        cited.scheme(),
        cited.host_str().unwrap_or(""),
        folder
    )
}

/// Word trigrams of a page's visible text (tags, scripts and styles skipped).
pub fn shingles(html: &str) -> HashSet<u64> {
    let mut words = Vec::new();
    let mut rest = html;
    let mut text = String::new();
    while let Some(lt) = rest.find('<') {
        text.push_str(&rest[..lt]);
        text.push(' ');
        let tail = &rest[lt..];
        let lower_start: String = tail
            .chars()
            .take(7)
            .collect::<String>()
            .to_ascii_lowercase();
        let skip_to = if lower_start.starts_with("<script") {
            tail.to_ascii_lowercase().find("</script").map(|i| i + 8)
        } else if lower_start.starts_with("<style") {
            tail.to_ascii_lowercase().find("</style").map(|i| i + 7)
        } else {
            tail.find('>').map(|i| i + 1)
        };
        match skip_to {
            Some(n) => rest = tail.get(n..).unwrap_or(""),
            None => {
                rest = "";
            }
        }
    }
    text.push_str(rest);
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        words.push(word.to_lowercase());
    }
    words
        .windows(3)
        .map(|w| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            w.hash(&mut h);
            h.finish()
        })
        .collect()
}

/// Jaccard similarity of two fingerprints (1 for two empty pages).
pub fn similarity(a: &HashSet<u64>, b: &HashSet<u64>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let inter = a.intersection(b).count();
    inter as f64 / (a.len() + b.len() - inter) as f64
}

/// Whether a cited page is what the host serves for any path.
pub fn is_probe_match(
    probe: &ProbeResult,
    final_url: &str,
    hops: usize,
    page: &HashSet<u64>,
) -> bool {
    match probe {
        ProbeResult::AnswersEverything {
            final_url: probe_final,
            hops: probe_hops,
            shingles,
        } => {
            (hops > 1 && *probe_hops == hops && probe_final == final_url)
                || similarity(shingles, page) >= SAME_PAGE_SIMILARITY
        }
        _ => false,
    }
}

/// Probe results per folder; concurrent citations in one folder share one probe.
#[derive(Default)]
pub struct ProbeCache {
    cells: Mutex<HashMap<String, Arc<OnceCell<ProbeResult>>>>,
}

impl ProbeCache {
    /// The cell for a folder (the first caller runs the probe, the others wait for it).
    pub fn cell(&self, key: &str) -> Arc<OnceCell<ProbeResult>> {
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        cells.entry(key.to_string()).or_default().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_stays_in_the_folder() {
        let cited = Url::parse("https://x.nl/actueel/2020/artikel-1?a=1#b").unwrap();
        let probe = probe_url(&cited).unwrap();
        assert!(probe.as_str().starts_with("https://x.nl/actueel/2020/"));
        assert_eq!(probe.path().len(), "/actueel/2020/".len() + 25);
        assert_eq!(probe.query(), None);
        assert_eq!(folder_key(&cited), "https://x.nl/actueel/2020/");
        assert!(probe_url(&Url::parse("https://x.nl/").unwrap()).is_none());
        let dir = Url::parse("https://x.nl/a/b/").unwrap();
        assert!(
            probe_url(&dir)
                .unwrap()
                .as_str()
                .starts_with("https://x.nl/a/")
        );
    }

    #[test]
    fn same_template_pages_are_similar_different_articles_are_not() {
        let a = shingles(
            "<html><script>var x = 1;</script><p>De gemeente werkt samen met de provincie aan een nieuwe visie op de wijk.</p></html>",
        );
        let b = shingles(
            "<html><p>De gemeente werkt samen met de provincie aan een nieuwe visie op de wijk.</p></html>",
        );
        let c = shingles(
            "<p>Zeeuwen experimenteren met deelauto's en vraaggestuurd vervoer in kleine kernen.</p>",
        );
        assert_eq!(similarity(&a, &b), 1.0);
        assert!(similarity(&a, &c) < 0.1);
        let probe = ProbeResult::AnswersEverything {
            final_url: "https://x.nl/".into(),
            hops: 1,
            shingles: b,
        };
        assert!(is_probe_match(&probe, "https://x.nl/a", 1, &a));
        assert!(!is_probe_match(&probe, "https://x.nl/a", 1, &c));
        assert!(!is_probe_match(
            &ProbeResult::Honest,
            "https://x.nl/a",
            1,
            &a
        ));
    }
}
