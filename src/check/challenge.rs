//! Bot challenges: the server refuses automated access, whatever status it answers with.
//! Such a page is not the article, and the link is `blocked`, not dead (docs/links.md §6).

use reqwest::header::HeaderMap;

/// Which signal says this response is a bot challenge, if any.
pub fn challenge_signal(
    headers: &HeaderMap,
    status: u16,
    title: Option<&str>,
    html: &str,
) -> Option<&'static str> {
    if headers
        .get("cf-mitigated")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("challenge"))
    {
        return Some("header cf-mitigated: challenge");
    }
    if headers.contains_key("x-amzn-waf-action") {
        return Some("header x-amzn-waf-action");
    }
    if headers.contains_key("x-datadome") && status >= 400 {
        return Some("header x-datadome");
    }
    let title = title.unwrap_or("").trim();
    if title.eq_ignore_ascii_case("just a moment...")
        || title.eq_ignore_ascii_case("just a moment…")
    {
        return Some("title \"Just a moment...\"");
    }
    if title.starts_with("Attention Required!") && title.contains("Cloudflare") {
        return Some("title \"Attention Required! | Cloudflare\"");
    }
    let head = &html[..floor_boundary(html, 64 * 1024)];
    if head.contains("_Incapsula_Resource") {
        return Some("Incapsula challenge");
    }
    if title.eq_ignore_ascii_case("access denied") && head.contains("Reference #") {
        return Some("Akamai \"Access Denied\"");
    }
    None
}

/// The largest char boundary at or below `at`.
fn floor_boundary(s: &str, at: usize) -> usize {
    let mut i = at.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudflare_header_and_titles() {
        let mut h = HeaderMap::new();
        assert_eq!(challenge_signal(&h, 200, Some("Nieuws"), "<p>x</p>"), None);
        assert!(challenge_signal(&h, 403, Some("Just a moment..."), "").is_some());
        h.insert("cf-mitigated", "challenge".parse().unwrap());
        assert_eq!(
            challenge_signal(&h, 200, None, ""),
            Some("header cf-mitigated: challenge")
        );
        let h = HeaderMap::new();
        assert!(challenge_signal(&h, 403, Some("Access Denied"), "Reference #18.2a").is_some());
        assert!(challenge_signal(&h, 200, Some("Access Denied"), "<p>Over toegang</p>").is_none());
    }
}
