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
            rules.push((regex, replacement.trim().to_string()));
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
    fn remap_without_space_is_a_usage_error() {
        assert!(Remap::parse(&["^https://x".to_string()]).is_err());
        assert!(Remap::parse(&["(unclosed x".to_string()]).is_err());
    }
}
