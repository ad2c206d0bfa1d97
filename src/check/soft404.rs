//! Soft 404s: a 2xx answer that is really "not found" (docs/links.md §6). Precision first: a false
//! `soft_404` on a live citation is worse than a miss, so only strong signals decide.

use unicode_normalization::UnicodeNormalization;
use url::Url;

use super::Reason;

/// Phrases that mark a not-found page wherever they stand in its title or first heading.
const NOT_FOUND_PHRASES: &[&str] = &[
    "pagina niet gevonden",
    "pagina bestaat niet",
    "pagina kon niet worden gevonden",
    "pagina is niet beschikbaar",
    "pagina is niet meer beschikbaar",
    "de opgevraagde pagina",
    "foutmelding 404",
    "page not found",
    "404 not found",
    "error 404",
    "page could not be found",
    "seite nicht gefunden",
];

/// Phrases that count only as the whole title (before a ` | Site` suffix): news titles
/// can say "niet gevonden" too.
const WHOLE_TITLE_PHRASES: &[&str] = &["niet gevonden", "not found", "404", "fout 404", "oeps"];

/// The signal that makes this 2xx page a soft 404, if any.
/// `cited` is the URL as cited, `final_url` where redirects ended, `hops` the requests made.
pub fn soft_404_signal(
    cited: &Url,
    final_url: &Url,
    hops: usize,
    title: Option<&str>,
    first_heading: Option<&str>,
) -> Option<(Reason, String)> {
    if hops > 1 && redirects_to_root(cited, final_url) {
        return Some((
            Reason::RedirectToRoot,
            format!("soft 404: redirected to the site's home page {final_url}"),
        ));
    }
    if hops > 1 {
        let path = final_url.path().to_lowercase();
        for marker in [
            "/404",
            "notfound",
            "not-found",
            "niet-gevonden",
            "pagina-niet-gevonden",
        ] {
            if path.contains(marker) && !cited.path().to_lowercase().contains(marker) {
                return Some((
                    Reason::ErrorUrl,
                    format!("soft 404: redirected to an error page {final_url}"),
                ));
            }
        }
    }
    for (label, text) in [("title", title), ("heading", first_heading)] {
        let Some(text) = text else { continue };
        let norm = normalise(text);
        let whole = site_suffix_stripped(&norm);
        if NOT_FOUND_PHRASES.iter().any(|p| contains_words(&norm, p))
            || WHOLE_TITLE_PHRASES.contains(&whole)
        {
            return Some((
                Reason::NotFoundTitle,
                format!("soft 404: the page's {label} says \"{}\"", text.trim()),
            ));
        }
    }
    None
}

/// Whether redirects took a deep link to the site's root (DeadlinkChecker's "redirect to
/// root"). A root that redirects to its https or www form is not a soft 404.
pub fn redirects_to_root(cited: &Url, final_url: &Url) -> bool {
    let bare = |u: &Url| {
        u.host_str()
            .unwrap_or("")
            .trim_start_matches("www.")
            .to_string()
    };
    if bare(cited) != bare(final_url) {
        return false;
    }
    is_root_path(final_url.path()) && !is_root_path(cited.path())
}

/// Language codes sites use as their home-page path.
const LANGUAGE_ROOTS: &[&str] = &[
    "nl", "en", "de", "fr", "es", "it", "pt", "fy", "pl", "tr", "ar", "da", "sv", "no", "fi",
];

fn is_root_path(path: &str) -> bool {
    let p = path.trim_end_matches('/').to_lowercase();
    if p.is_empty() {
        return true;
    }
    let last = p.trim_start_matches('/');
    if !last.contains('/') {
        if last.starts_with("index.") || last.starts_with("default.") || last == "home" {
            return true;
        }
        // A bare language root: /nl, /en, /en-gb. Only known codes: `/ok` or `/ai` is a page.
        let lang = last.split(['-', '_']).next().unwrap_or("");
        if LANGUAGE_ROOTS.contains(&lang) && last.len() <= 5 {
            return true;
        }
    }
    false
}

fn normalise(text: &str) -> String {
    // NFKC changes nothing in ASCII (most titles): skip its tables there.
    let lower: String = if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        text.nfkc().collect::<String>().to_lowercase()
    };
    let cleaned: String = lower
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '|' {
                c
            } else {
                ' '
            }
        })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn site_suffix_stripped(norm: &str) -> &str {
    norm.split('|').next().unwrap_or(norm).trim()
}

/// Whether `phrase` stands in `haystack` as whole words (`|` counts as a separator).
fn contains_words(haystack: &str, phrase: &str) -> bool {
    let bytes = haystack.as_bytes();
    haystack.match_indices(phrase).any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + phrase.len()).copied();
        matches!(before, None | Some(b' ' | b'|')) && matches!(after, None | Some(b' ' | b'|'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn redirect_to_home_page_is_soft_but_root_canonicalisation_is_not() {
        let cited = u("https://www.overheidvannu.nl/actueel/artikelen/2020/07/06/x");
        assert!(
            soft_404_signal(&cited, &u("https://www.overheidvannu.nl/"), 2, None, None).is_some()
        );
        assert!(
            soft_404_signal(&cited, &u("https://overheidvannu.nl/nl/"), 2, None, None).is_some()
        );
        assert!(
            soft_404_signal(&u("http://x.nl/"), &u("https://www.x.nl/"), 2, None, None).is_none()
        );
        assert!(
            soft_404_signal(&cited, &u("https://www.overheidvannu.nl/ok"), 2, None, None).is_none()
        );
        assert!(
            soft_404_signal(
                &cited,
                &u("https://www.overheidvannu.nl/actueel/y"),
                2,
                None,
                None
            )
            .is_none()
        );
    }

    #[test]
    fn not_found_titles_but_not_news_about_finding() {
        let a = u("https://x.nl/a/b");
        let sig = |t: &str| soft_404_signal(&a, &a, 1, Some(t), None).map(|s| s.0.as_str());
        assert_eq!(
            sig("Pagina niet gevonden | Overheid van Nu"),
            Some("not_found_title")
        );
        assert_eq!(
            sig("Deze pagina bestaat niet (meer)"),
            Some("not_found_title")
        );
        assert_eq!(sig("404 - Page not found"), Some("not_found_title"));
        assert_eq!(sig("Niet gevonden | Gemeente X"), Some("not_found_title"));
        assert_eq!(sig("Vermiste kat niet gevonden, zegt eigenaar"), None);
        assert_eq!(sig("Hoe de 404 bus Utrecht verbindt"), None);
        assert_eq!(sig("Samenwerking tussen gemeenten"), None);
    }

    #[test]
    fn error_urls_after_redirects() {
        let cited = u("https://x.nl/a/b");
        let s = soft_404_signal(
            &cited,
            &u("https://x.nl/pagina-niet-gevonden?from=a"),
            2,
            None,
            None,
        );
        assert_eq!(s.map(|s| s.0.as_str()), Some("error_url"));
    }
}
