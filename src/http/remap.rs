//! `--remap`: URL rewriting applied to every request (and every redirect hop) before it is
//! sent. Reports keep the URLs as cited; only the wire sees the rewritten ones.

use regex::Regex;

use crate::error::{Error, Result};

/// `--remap` rules: tried in order, the first whose pattern matches rewrites the URL
/// (`replace_all`, as lychee does).
#[derive(Debug, Clone, Default)]
pub struct Remap {
    rules: Vec<(Regex, String)>,
}

impl Remap {
    /// Parses `'REGEX REPLACEMENT'` values, split at the first space.
    pub fn parse(values: &[String]) -> Result<Remap> {
        let mut rules = Vec::with_capacity(values.len());
        for value in values {
            let Some((pattern, replacement)) = value.trim().split_once(' ') else {
                return Err(Error::Usage(format!(
                    "--remap '{value}': expected 'REGEX REPLACEMENT' separated by one space"
                )));
            };
            let regex = Regex::new(pattern)
                .map_err(|e| Error::Usage(format!("--remap '{value}': invalid regex: {e}")))?;
            let replacement = replacement.trim();
            check_groups(&regex, replacement)
                .map_err(|why| Error::Usage(format!("--remap '{value}': {why}")))?;
            rules.push((regex, replacement.to_string()));
        }
        Ok(Remap { rules })
    }

    /// The URL to request for `url`; unchanged when no rule matches.
    pub fn apply(&self, url: &str) -> String {
        for (regex, replacement) in &self.rules {
            if regex.is_match(url) {
                return regex.replace_all(url, replacement.as_str()).into_owned();
            }
        }
        url.to_string()
    }

    /// Whether any rule is set.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// Every `$name` in a replacement must name a group of the pattern. The regex crate reads
/// the longest run of letters, digits and `_` after `$` as the name, so `$1x` is a group
/// named `1x`, which never matches: every URL would lose that part (and, through the
/// fixture server, turn into a soft 404). Refuse it with the `${1}x` hint instead.
fn check_groups(regex: &Regex, replacement: &str) -> std::result::Result<(), String> {
    let bytes = replacement.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => i += 2,
            Some(b'{') => {
                let end = replacement[i + 2..].find('}').map(|e| i + 2 + e);
                let Some(end) = end else {
                    return Err(format!("unclosed `${{` in the replacement {replacement:?}"));
                };
                check_name(regex, &replacement[i + 2..end], replacement)?;
                i = end + 1;
            }
            _ => {
                let start = i + 1;
                let mut end = start;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_')
                {
                    end += 1;
                }
                if end > start {
                    check_name(regex, &replacement[start..end], replacement)?;
                }
                i = end.max(i + 1);
            }
        }
    }
    Ok(())
}

fn check_name(regex: &Regex, name: &str, replacement: &str) -> std::result::Result<(), String> {
    if let Ok(n) = name.parse::<usize>() {
        if n < regex.captures_len() {
            return Ok(());
        }
        return Err(format!(
            "`${n}` in {replacement:?} refers to group {n}, but the pattern has {} group(s)",
            regex.captures_len() - 1
        ));
    }
    if regex.capture_names().flatten().any(|g| g == name) {
        return Ok(());
    }
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    let hint = if digits.is_empty() {
        String::new()
    } else {
        format!(
            "; the regex crate reads `${name}` as a group named `{name}`: write `${{{digits}}}{}`",
            &name[digits.len()..]
        )
    };
    Err(format!(
        "`${name}` in {replacement:?} names no group of the pattern{hint}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remap_first_matching_rule_wins_and_keeps_groups() {
        let remap = Remap::parse(&[
            r"^https://www\.overheidvannu\.nl/(.*) http://127.0.0.1:8080/${1}".to_string(),
            r"^https://www\. http://other/".to_string(),
        ])
        .unwrap();
        assert_eq!(
            remap.apply("https://www.overheidvannu.nl/actueel/a?b=1"),
            "http://127.0.0.1:8080/actueel/a?b=1"
        );
        assert_eq!(
            remap.apply("https://www.example.org/"),
            "http://other/example.org/"
        );
        assert_eq!(remap.apply("http://x.nl/"), "http://x.nl/");
    }

    #[test]
    fn a_replacement_naming_no_group_is_refused_with_the_braces_hint() {
        let err = Remap::parse(&[r"^https://a\.nl/(.*) http://127.0.0.1:9/$1x".to_string()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("write `${1}x`"), "{err}");
        assert!(Remap::parse(&[r"^https://a\.nl/(.*) http://h/$2".to_string()]).is_err());
        assert!(Remap::parse(&[r"^https://a\.nl/(.*) http://h/${1".to_string()]).is_err());
        // What is fine stays fine: braces, plain groups, named groups, `$$`, no groups.
        for ok in [
            r"^https://a\.nl/(.*) http://h/${1}x",
            r"^https://a\.nl/(.*) http://h/$1",
            r"^https://a\.nl/(?P<rest>.*) http://h/$rest",
            r"^https://a\.nl/ http://h/$$/",
            r"^https://a\.nl/ http://h/",
        ] {
            assert!(Remap::parse(&[ok.to_string()]).is_ok(), "{ok}");
        }
    }

    #[test]
    fn remap_without_space_is_a_usage_error() {
        assert!(Remap::parse(&["^https://x".to_string()]).is_err());
        assert!(Remap::parse(&["(unclosed x".to_string()]).is_err());
    }
}
