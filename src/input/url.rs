//! Cited URLs: is it a URL we can fetch, and when are two citations the same page?

crate::names::named_enum! {
    /// What is wrong with a cited URL (its name is the links.csv `reason`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum UrlProblem {
        /// Not an absolute URL, or one without a host.
        NotAbsolute = "not_absolute",
        /// Not http or https.
        Scheme = "scheme",
    }
}

impl PartialEq<&str> for UrlProblem {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

/// Why a cited URL cannot be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidUrl {
    /// Short machine-readable reason.
    pub reason: UrlProblem,
    /// A readable sentence for the `error` column.
    pub message: String,
}

/// Parses a cited URL: trimmed, absolute, `http` or `https`, with a host. The fragment is
/// dropped (it never reaches the server). `url` accepts `http:example.com`, so the `://` is
/// checked here first (docs/links.md §8).
pub fn parse_cited(raw: &str) -> Result<url::Url, InvalidUrl> {
    let trimmed = raw.trim();
    let Some((scheme, _)) = trimmed.split_once("://") else {
        return Err(InvalidUrl {
            reason: UrlProblem::NotAbsolute,
            message: "not an absolute URL (no scheme://)".into(),
        });
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(InvalidUrl {
            reason: UrlProblem::Scheme,
            message: format!("unsupported scheme '{scheme}' (only http and https are checked)"),
        });
    }
    let mut url = url::Url::parse(trimmed).map_err(|e| InvalidUrl {
        reason: UrlProblem::NotAbsolute,
        message: format!("not a valid URL: {e}"),
    })?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(InvalidUrl {
            reason: UrlProblem::NotAbsolute,
            message: "the URL has no host".into(),
        });
    }
    url.set_fragment(None);
    Ok(url)
}

/// The key under which two citations count as the same URL: WHATWG parsing (host
/// lower-cased, default port and IDNA handled, empty path `/`), fragment dropped, hex in
/// `%xx` escapes upper-cased. Trailing slash, query and http/https stay distinct.
pub fn duplicate_key(url: &url::Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    let s = url.as_str();
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            out.push('%');
            out.push(bytes[i + 1].to_ascii_uppercase() as char);
            out.push(bytes[i + 2].to_ascii_uppercase() as char);
            i += 3;
        } else {
            let ch = s[i..].chars().next().unwrap_or('\u{FFFD}');
            out.push(ch);
            i += ch.len_utf8().max(1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_urls_say_why() {
        assert_eq!(
            parse_cited("www.example.nl").unwrap_err().reason,
            "not_absolute"
        );
        assert_eq!(
            parse_cited("http:example.com").unwrap_err().reason,
            "not_absolute"
        );
        assert_eq!(
            parse_cited("ftp://example.nl/x").unwrap_err().reason,
            "scheme"
        );
        assert_eq!(parse_cited("mailto://x").unwrap_err().reason, "scheme");
        assert!(parse_cited("http://").is_err());
        assert!(parse_cited("https://exa mple.nl/").is_err());
        assert!(parse_cited("  https://example.nl/a  ").is_ok());
    }

    #[test]
    fn duplicate_key_normalises_what_the_server_cannot_see() {
        let key = |s: &str| duplicate_key(&parse_cited(s).unwrap());
        assert_eq!(
            key("HTTPS://WWW.Example.NL:443"),
            key("https://www.example.nl/")
        );
        assert_eq!(key("https://example.nl/a#x"), key("https://example.nl/a"));
        assert_eq!(
            key("https://example.nl/%e2%80%98a"),
            key("https://example.nl/%E2%80%98a")
        );
        assert_ne!(key("https://example.nl/a/"), key("https://example.nl/a"));
        assert_ne!(key("http://example.nl/a"), key("https://example.nl/a"));
        assert_ne!(key("https://example.nl/a?x=1"), key("https://example.nl/a"));
    }
}
