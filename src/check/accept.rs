//! `--accept 200..=299,403`: the HTTP statuses that count as a live page. Takes the judged
//! [`LinkRecord`] of a followed URL and re-judges it by its final HTTP status: a status in an
//! accepted range makes the link `ok` (or `redirected`), a 2xx outside them makes it `broken`.
//!
//! Without `--accept` nothing changes (2xx is live, as docs/links.md §1 says). With it, the list is
//! the whole accepted set, as in lychee: `--accept 403` alone would make a 200 `broken`, so
//! write `200..=299,403`. Only verdicts that come from the final status are re-judged; a
//! redirect loop, a timeout or a DNS failure is never accepted, whatever status came last.

use std::ops::RangeInclusive;

use super::{LinkRecord, LinkStatus, Reason};

/// Reasons the judge gives when the final HTTP status alone decided the verdict.
const STATUS_REASONS: &[Reason] = &[
    Reason::NotFound,
    Reason::Gone,
    Reason::ServerError,
    Reason::ClientError,
    Reason::UnexpectedStatus,
    Reason::Forbidden,
    Reason::RateLimited,
    Reason::Challenge,
];

/// The accepted HTTP statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptStatus {
    ranges: Vec<RangeInclusive<u16>>,
}

impl AcceptStatus {
    /// Parses `200..=299,403,500..503`: single codes, inclusive `A..=B`, half-open `A..B`
    /// (Rust's range syntax), comma-separated. Codes are 100 to 999.
    pub fn parse(list: &str) -> Result<AcceptStatus, String> {
        let mut ranges = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let code = |s: &str| -> Result<u16, String> {
                match s.trim().parse::<u16>() {
                    Ok(n) if (100..=999).contains(&n) => Ok(n),
                    _ => Err(format!(
                        "--accept: '{s}' in '{item}' is not an HTTP status (100 to 999)"
                    )),
                }
            };
            let range = if let Some((from, to)) = item.split_once("..=") {
                code(from)?..=code(to)?
            } else if let Some((from, to)) = item.split_once("..") {
                let (from, to) = (code(from)?, code(to)?);
                if to <= from {
                    return Err(format!("--accept: '{item}' is an empty range"));
                }
                from..=to - 1
            } else {
                let n = code(item)?;
                n..=n
            };
            if range.is_empty() {
                return Err(format!("--accept: '{item}' is an empty range"));
            }
            ranges.push(range);
        }
        if ranges.is_empty() {
            return Err("--accept: expected status codes or ranges such as 200..=299,403".into());
        }
        Ok(AcceptStatus { ranges })
    }

    /// Whether `status` is accepted.
    pub fn accepts(&self, status: u16) -> bool {
        self.ranges.iter().any(|r| r.contains(&status))
    }

    /// Re-judges a record by its final HTTP status (see the module doc).
    pub fn apply(&self, record: &mut LinkRecord) {
        let Some(status) = record.http_status else {
            return;
        };
        let link_status = record.status;
        let from_status = record.reason.is_some_and(|r| STATUS_REASONS.contains(&r));
        let accepted = self.accepts(status);
        if accepted && from_status && !link_status.is_live() {
            let was = record.error.clone();
            record.status = if record.redirects > 0 {
                LinkStatus::Redirected
            } else {
                LinkStatus::Ok
            };
            record.reason = Some(Reason::Accepted);
            record.error = format!("HTTP {status} accepted by --accept (was {was})");
        } else if !accepted
            && (200..300).contains(&status)
            && matches!(
                link_status,
                LinkStatus::Ok | LinkStatus::Redirected | LinkStatus::Soft404
            )
        {
            record.status = LinkStatus::Broken;
            record.reason = Some(Reason::NotAccepted);
            let note = format!("HTTP {status} is not in --accept");
            record.error = if record.error.is_empty() {
                note
            } else {
                format!("{note}; {}", record.error)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: LinkStatus, http: u16, reason: &str, redirects: usize) -> LinkRecord {
        LinkRecord {
            http_status: Some(http),
            reason: Reason::from_name(reason),
            redirects,
            error: format!("HTTP {http}"),
            ..LinkRecord::new(status)
        }
    }

    #[test]
    fn parses_codes_and_both_range_forms() {
        let a = AcceptStatus::parse("200..=299, 403,500..503").unwrap();
        for ok in [200, 250, 299, 403, 500, 502] {
            assert!(a.accepts(ok), "{ok}");
        }
        for not in [199, 300, 404, 503] {
            assert!(!a.accepts(not), "{not}");
        }
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "",
            "abc",
            "99",
            "1000",
            "299..=200",
            "300..300",
            "200..",
            "..=299",
        ] {
            assert!(AcceptStatus::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn accepted_403_becomes_ok_and_says_why() {
        let a = AcceptStatus::parse("200..=299,403").unwrap();
        let mut r = record(LinkStatus::Blocked, 403, "forbidden", 0);
        a.apply(&mut r);
        assert_eq!(r.status, LinkStatus::Ok);
        assert_eq!(r.reason, Some(Reason::Accepted));
        assert!(r.error.contains("HTTP 403 accepted"), "{}", r.error);
        let mut r = record(LinkStatus::Broken, 403, "forbidden", 2);
        a.apply(&mut r);
        assert_eq!(r.status, LinkStatus::Redirected);
    }

    #[test]
    fn failures_not_decided_by_the_status_stay() {
        let a = AcceptStatus::parse("200..=399").unwrap();
        let mut r = record(LinkStatus::Broken, 302, "redirect_loop", 10);
        a.apply(&mut r);
        assert_eq!(r.status, LinkStatus::Broken);
        let mut r = record(LinkStatus::Soft404, 200, "home_redirect", 1);
        a.apply(&mut r);
        assert_eq!(r.status, LinkStatus::Soft404);
    }

    #[test]
    fn a_2xx_outside_the_list_is_broken() {
        let a = AcceptStatus::parse("200,403").unwrap();
        let mut r = record(LinkStatus::Ok, 204, "", 0);
        r.error.clear();
        a.apply(&mut r);
        assert_eq!(r.status, LinkStatus::Broken);
        assert_eq!(r.reason, Some(Reason::NotAccepted));
        assert_eq!(r.error, "HTTP 204 is not in --accept");
        let mut r = record(LinkStatus::Ok, 200, "", 0);
        a.apply(&mut r);
        assert_eq!(r.status, LinkStatus::Ok);
        // A 404 that is not accepted stays what it was.
        let mut r = record(LinkStatus::Broken, 404, "not_found", 0);
        a.apply(&mut r);
        assert_eq!(
            (r.status, r.reason_str()),
            (LinkStatus::Broken, "not_found")
        );
    }
}
