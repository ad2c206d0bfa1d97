//! The random-URL probe (docs/links.md §6, after Bar-Yossef et al. 2004): some hosts answer 200
//! to every path. Fetch a sibling path that cannot exist; a 404 means the host is honest, a
//! 2xx that ends where the cited page ended, or looks like it, means the cited page is a
//! soft 404. One probe per (host, folder), shared by every citation in that folder.

use std::collections::HashMap;
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
        /// Word-trigram fingerprint of the probe's page ([`shingles`]).
        shingles: Vec<u64>,
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
    let mut url = cited.clone();
    url.set_path(&format!("{folder}{}", random_name()));
    url.set_query(None);
    url.set_fragment(None);
    Some(url)
}

/// The cache key for a citation's folder (scheme, host and port, folder path).
pub fn folder_key(cited: &Url) -> String {
    let path = cited.path().trim_end_matches('/');
    let folder = path.rfind('/').and_then(|i| path.get(..=i)).unwrap_or("/");
    format!("{}{folder}", &cited[..url::Position::BeforePath])
}

/// The second probe, for folders named like an identifier or a date (`/nieuws/3161/slug`,
/// `/2020/07/01/slug`): a made-up folder beside the cited one, with a made-up page in it,
/// and its cache key. Many sites route by the number and ignore the slug, so the first
/// probe gets the cited article itself back; a soft 404 needs this probe to match as well.
/// `None` when the folder is not such a name (`/catchall/page`): one probe decides there.
pub fn sibling_folder_probe(cited: &Url) -> Option<(Url, String)> {
    let path = cited.path().trim_end_matches('/');
    let folder = path.get(..path.rfind('/')?)?;
    let cut = folder.rfind('/')?;
    let segment = folder.get(cut + 1..)?;
    if !segment.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let parent = folder.get(..=cut)?;
    let mut url = cited.clone();
    url.set_path(&format!("{parent}{}/{}", random_name(), random_name()));
    url.set_query(None);
    url.set_fragment(None);
    let key = format!("{}{parent}*/", &cited[..url::Position::BeforePath]);
    Some((url, key))
}

/// 25 random lower-case letters: a name no page has.
fn random_name() -> String {
    let mut rng = rand::rng();
    (0..25)
        .map(|_| rng.random_range(b'a'..=b'z') as char)
        .collect()
}

/// Word trigrams of a page's visible text (tags, scripts and styles skipped), as a sorted
/// list of distinct 64-bit hashes: no allocation per word, and two lists compare by merging.
pub fn shingles(html: &str) -> Vec<u64> {
    let bytes = html.as_bytes();
    let mut words: Vec<u64> = Vec::new();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let lt =
            memchr::memchr(b'<', bytes.get(pos..).unwrap_or(&[])).map_or(bytes.len(), |o| pos + o);
        // Text runs end at ASCII `<`, so these are char boundaries.
        hash_words(html.get(pos..lt).unwrap_or(""), &mut words);
        if lt >= bytes.len() {
            break;
        }
        let tag = bytes.get(lt + 1..).unwrap_or(&[]);
        let raw_end = [&b"script"[..], b"style"].into_iter().find_map(|name| {
            let opens = tag.len() > name.len()
                && tag
                    .get(..name.len())
                    .is_some_and(|t| t.eq_ignore_ascii_case(name))
                && !tag.get(name.len()).is_some_and(u8::is_ascii_alphanumeric);
            opens.then(|| end_of_raw(bytes, lt + 1 + name.len(), name))
        });
        pos = match raw_end {
            Some(end) => end,
            None => memchr::memchr(b'>', tag).map_or(bytes.len(), |o| lt + 1 + o + 1),
        };
    }
    let mut trigrams: Vec<u64> = words
        .windows(3)
        .map(|w| {
            w.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &x| {
                (h ^ x).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(17)
            })
        })
        .collect();
    trigrams.sort_unstable();
    trigrams.dedup();
    trigrams
}

/// Past the `</name …>` that ends a script or style opened before `from` (or the end).
fn end_of_raw(bytes: &[u8], from: usize, name: &[u8]) -> usize {
    let mut pos = from;
    while let Some(off) = memchr::memchr(b'<', bytes.get(pos..).unwrap_or(&[])) {
        let lt = pos + off;
        if bytes.get(lt + 1) == Some(&b'/')
            && bytes
                .get(lt + 2..lt + 2 + name.len())
                .is_some_and(|t| t.eq_ignore_ascii_case(name))
        {
            return memchr::memchr(b'>', bytes.get(lt..).unwrap_or(&[]))
                .map_or(bytes.len(), |o| lt + o + 1);
        }
        pos = lt + 1;
    }
    bytes.len()
}

/// FNV-1a hashes of the lower-cased alphanumeric words of `text`.
fn hash_words(text: &str, out: &mut Vec<u64>) {
    let mut h: Option<u64> = None;
    for c in text.chars() {
        if c.is_alphanumeric() {
            let mut acc = h.unwrap_or(0xcbf2_9ce4_8422_2325);
            for l in c.to_lowercase() {
                acc = (acc ^ u64::from(l)).wrapping_mul(0x0000_0100_0000_01b3);
            }
            h = Some(acc);
        } else if let Some(done) = h.take() {
            out.push(done);
        }
    }
    if let Some(done) = h {
        out.push(done);
    }
}

/// Jaccard similarity of two fingerprints (1 for two empty pages).
pub fn similarity(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut inter) = (0usize, 0usize, 0usize);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        match x.cmp(y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter as f64 / (a.len() + b.len() - inter) as f64
}

/// Whether a cited page (its HTML `page`) is what the host serves for any path. The page's
/// fingerprint is computed only when the probe got a page back: an honest host (the usual
/// answer) costs nothing per citation.
pub fn is_probe_match(probe: &ProbeResult, final_url: &str, hops: usize, page: &str) -> bool {
    match probe {
        ProbeResult::AnswersEverything {
            final_url: probe_final,
            hops: probe_hops,
            shingles: probe_shingles,
        } => {
            (hops > 1 && *probe_hops == hops && probe_final == final_url)
                || similarity(probe_shingles, &shingles(page)) >= SAME_PAGE_SIMILARITY
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
    fn a_second_probe_only_for_folders_named_like_ids_or_dates() {
        let cited = Url::parse("https://x.nl:8080/nieuws/3161/slug-van-het-artikel?a=1").unwrap();
        let (probe, key) = sibling_folder_probe(&cited).unwrap();
        let path = probe.path();
        assert!(
            path.starts_with("/nieuws/") && !path.contains("3161"),
            "{path}"
        );
        assert_eq!(path.len(), "/nieuws/".len() + 25 + 1 + 25);
        assert_eq!(probe.query(), None);
        assert_eq!(key, "https://x.nl:8080/nieuws/*/");
        assert_eq!(folder_key(&cited), "https://x.nl:8080/nieuws/3161/");
        let dated = Url::parse("https://x.nl/actueel/2020/07/01/slug").unwrap();
        assert_eq!(
            sibling_folder_probe(&dated).unwrap().1,
            "https://x.nl/actueel/2020/07/*/"
        );
        for plain in [
            "https://x.nl/catchall/page",
            "https://x.nl/page",
            "https://x.nl/",
        ] {
            assert!(
                sibling_folder_probe(&Url::parse(plain).unwrap()).is_none(),
                "{plain}"
            );
        }
    }

    #[test]
    fn shingles_skip_markup_and_ignore_case() {
        let a = shingles("<p>Drie Woorden Hier en nog wat</p><SCRIPT>var x = 'a b c d';</script >");
        let b = shingles("drie woorden hier<br/>en nog wat<style>p { a b c }</style>");
        assert_eq!(a, b);
        assert_eq!(a.len(), 4);
        assert!(a.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        assert_eq!(shingles("<script>één twee drie"), Vec::<u64>::new());
        assert_eq!(similarity(&[1, 2, 3], &[2, 3, 4]), 0.5);
    }

    #[test]
    fn same_template_pages_are_similar_different_articles_are_not() {
        let page_a = "<html><script>var x = 1;</script><p>De gemeente werkt samen met de provincie aan een nieuwe visie op de wijk.</p></html>";
        let page_c = "<p>Zeeuwen experimenteren met deelauto's en vraaggestuurd vervoer in kleine kernen.</p>";
        let a = shingles(page_a);
        let b = shingles(
            "<html><p>De gemeente werkt samen met de provincie aan een nieuwe visie op de wijk.</p></html>",
        );
        let c = shingles(page_c);
        assert_eq!(similarity(&a, &b), 1.0);
        assert!(similarity(&a, &c) < 0.1);
        let probe = ProbeResult::AnswersEverything {
            final_url: "https://x.nl/".into(),
            hops: 1,
            shingles: b,
        };
        assert!(is_probe_match(&probe, "https://x.nl/a", 1, page_a));
        assert!(!is_probe_match(&probe, "https://x.nl/a", 1, page_c));
        assert!(!is_probe_match(
            &ProbeResult::Honest,
            "https://x.nl/a",
            1,
            page_a
        ));
    }
}
