//! The one shared `reqwest::Client`: redirects off (we follow them by hand), HTTP/1.1 only
//! (WARC stores HTTP/1.1 exchanges), no transparent decompression (we keep raw bodies), and a
//! resolver that refuses names which must never resolve and addresses we must not visit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::{Error, Result};

/// Builds the client. `connect_timeout` is capped by the per-attempt timeout anyway.
pub fn build_client(connect_timeout: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .http1_only()
        .connect_timeout(connect_timeout.min(Duration::from_secs(10)))
        .pool_idle_timeout(Duration::from_secs(30))
        .dns_resolver(Arc::new(GuardedResolver))
        .build()
        .map_err(|e| Error::Client(e.to_string()))
}

/// Whether an address is one a cited link must never make us contact: link-local
/// (169.254.0.0/16, fe80::/10, where cloud metadata services live), the AWS IPv6 metadata
/// address, or unspecified. Loopback and private ranges stay reachable (tests and intranets).
pub fn is_forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local() || v4.is_unspecified() || v4.is_broadcast(),
        IpAddr::V6(v6) => {
            let seg = v6.segments();
            (seg[0] & 0xffc0) == 0xfe80
                || v6.is_unspecified()
                || seg == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]
                || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local())
        }
    }
}

/// The system resolver, minus what must not resolve.
struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        Box::pin(async move {
            // RFC 6761: `.invalid` never resolves; asking a DNS server would only leak it.
            if host == "invalid" || host.ends_with(".invalid") {
                return Err(format!("dns error: {host} is a reserved .invalid name").into());
            }
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| format!("dns error: {e}"))?
                .filter(|a| !is_forbidden_ip(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!(
                    "dns error: {host} resolves only to link-local or metadata addresses (refused)"
                )
                .into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_link_local_addresses_are_forbidden() {
        assert!(is_forbidden_ip("169.254.169.254".parse().unwrap()));
        assert!(is_forbidden_ip("fd00:ec2::254".parse().unwrap()));
        assert!(is_forbidden_ip("fe80::1".parse().unwrap()));
        assert!(is_forbidden_ip("::ffff:169.254.1.1".parse().unwrap()));
        assert!(!is_forbidden_ip("127.0.0.1".parse().unwrap()));
        assert!(!is_forbidden_ip("10.0.0.1".parse().unwrap()));
        assert!(!is_forbidden_ip("2001:db8::1".parse().unwrap()));
    }
}
