//! The one shared `reqwest::Client`: redirects off (we follow them by hand), HTTP/1.1 only
//! (WARC stores HTTP/1.1 exchanges), no transparent decompression (we keep raw bodies), and a
//! resolver that refuses names which must never resolve and addresses we must not visit
//! ([`AddressPolicy`]: link-local and metadata always; private ranges with `--exclude-private`).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::{Error, Result};

/// Which addresses a request may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddressPolicy {
    /// Everything but link-local, metadata and unspecified addresses ([`is_forbidden_ip`]).
    #[default]
    Public,
    /// `--exclude-private`: also no private, loopback, ULA or CGNAT address
    /// ([`is_private_ip`]).
    ExcludePrivate,
    /// `--exclude-private` for a URL an explicit `--remap` rule produced: loopback is allowed
    /// (tests and local mirrors), the other private ranges are not.
    ExcludePrivateButLoopback,
}

impl AddressPolicy {
    /// Why `ip` must not be contacted under this policy, or `None` when it may be.
    pub fn refusal(self, ip: IpAddr) -> Option<&'static str> {
        if is_forbidden_ip(ip) {
            return Some("link-local or cloud metadata address");
        }
        let private = match self {
            AddressPolicy::Public => false,
            AddressPolicy::ExcludePrivate => is_private_ip(ip),
            AddressPolicy::ExcludePrivateButLoopback => is_private_ip(ip) && !is_loopback(ip),
        };
        private.then_some("private or loopback address (--exclude-private)")
    }
}

/// Builds the client. `connect_timeout` is capped by the per-attempt timeout anyway.
pub fn build_client(connect_timeout: Duration) -> Result<reqwest::Client> {
    build_client_with(connect_timeout, AddressPolicy::Public)
}

/// Builds a client whose resolver applies `policy` to every address a name resolves to.
pub fn build_client_with(
    connect_timeout: Duration,
    policy: AddressPolicy,
) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .http1_only()
        .connect_timeout(connect_timeout.min(Duration::from_secs(10)))
        .pool_idle_timeout(Duration::from_secs(30))
        .dns_resolver(Arc::new(GuardedResolver { policy }))
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
                || embedded_ipv4(v6)
                    .iter()
                    .any(|v4| is_forbidden_ip(IpAddr::V4(*v4)))
        }
    }
}

/// The IPv4 addresses an IPv6 address carries and that a gateway or the host's own stack may
/// end up contacting: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`, deprecated
/// but still routed by some stacks), and NAT64 (RFC 6052: the well-known `64:ff9b::/96`, and
/// the local-use `64:ff9b:1::/48` in both its /96 and its /48 embedding). Each one is judged
/// by the IPv4 rules, so `[::127.0.0.1]` is as private as `127.0.0.1`.
fn embedded_ipv4(v6: std::net::Ipv6Addr) -> Vec<std::net::Ipv4Addr> {
    use std::net::Ipv4Addr;
    let seg = v6.segments();
    let o = v6.octets();
    let tail = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    let mut out = Vec::new();
    if let Some(v4) = v6.to_ipv4_mapped() {
        out.push(v4);
    }
    // IPv4-compatible: 96 zero bits. `::` and `::1` are IPv6's own unspecified and loopback.
    if seg[..6] == [0; 6] && !(seg[6] == 0 && seg[7] <= 1) {
        out.push(tail);
    }
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        out.push(tail);
    }
    if seg[..3] == [0x64, 0xff9b, 1] {
        // Which prefix length the gateway uses is not ours to know: with a /96 the address
        // is the last 32 bits, with the /48 itself it sits in bits 48..64 and 72..88.
        // Judge each form the address's bits allow.
        if o[6..12] == [0; 6] || o[12..] != [0; 4] {
            out.push(tail);
        }
        if o[6..11] != [0; 5] {
            out.push(Ipv4Addr::new(o[6], o[7], o[9], o[10]));
        }
    }
    out
}

/// Whether an address is in a private range `--exclude-private` refuses: RFC 1918
/// (10/8, 172.16/12, 192.168/16), loopback (127/8, ::1), CGNAT (100.64/10), "this network"
/// (0/8), unique local (fc00::/7), and the IPv4-mapped forms of these.
pub fn is_private_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private() || v4.is_loopback() || (a == 100 && (b & 0xc0) == 64) || a == 0
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || embedded_ipv4(v6)
                    .iter()
                    .any(|v4| is_private_ip(IpAddr::V4(*v4)))
        }
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || embedded_ipv4(v6).iter().any(|v4| v4.is_loopback()),
    }
}

/// Why the resolver gave no address. It travels inside reqwest's error as a boxed source;
/// the fetcher finds it again with `downcast_ref` to tell a refusal from a DNS failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// Every address of the name is one the [`AddressPolicy`] refuses.
    #[error("{host} resolves only to refused addresses: {why}")]
    Refused {
        /// The name asked for.
        host: String,
        /// Which rule refused it.
        why: &'static str,
    },
    /// RFC 6761: `.invalid` never resolves; asking a DNS server would only leak it.
    #[error("dns error: {host} is a reserved .invalid name")]
    Reserved {
        /// The name asked for.
        host: String,
    },
    /// The system resolver failed (the message of its `io::Error`).
    #[error("dns error: {0}")]
    Lookup(String),
    /// The name resolved to nothing.
    #[error("dns error: {host} has no address")]
    NoAddress {
        /// The name asked for.
        host: String,
    },
}

impl ResolveError {
    /// The message without the `dns error: ` prefix the resolver's own text carries.
    pub fn detail(&self) -> String {
        let text = self.to_string();
        text.strip_prefix("dns error: ")
            .unwrap_or(&text)
            .to_string()
    }
}

/// The system resolver, minus what must not resolve.
struct GuardedResolver {
    policy: AddressPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        let policy = self.policy;
        Box::pin(async move {
            // RFC 6761: `.invalid` never resolves; asking a DNS server would only leak it.
            if host == "invalid" || host.ends_with(".invalid") {
                return Err(ResolveError::Reserved { host }.into());
            }
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| ResolveError::Lookup(e.to_string()))?
                .collect();
            let mut refusal = None;
            let addrs: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|a| match policy.refusal(a.ip()) {
                    Some(why) => {
                        refusal.get_or_insert(why);
                        false
                    }
                    None => true,
                })
                .collect();
            if addrs.is_empty() {
                return Err(match refusal {
                    Some(why) => ResolveError::Refused { host, why },
                    None => ResolveError::NoAddress { host },
                }
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

    #[test]
    fn ipv4_embedded_in_ipv6_is_judged_by_the_ipv4_rules() {
        // Link-local / metadata behind every IPv4-in-IPv6 form: refused under every policy.
        for ip in [
            "::169.254.169.254",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::169.254.169.254",
            "64:ff9b:1::a9fe:a9fe",
            "64:ff9b:1:a9fe:a9:fe00::",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(is_forbidden_ip(ip), "{ip}");
            assert!(AddressPolicy::Public.refusal(ip).is_some(), "{ip}");
        }
        // Loopback and private ranges behind them: refused only under --exclude-private.
        for ip in [
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::7f00:1",
            "::10.0.0.1",
            "64:ff9b::c0a8:101",
            "64:ff9b:1::a00:1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_forbidden_ip(ip), "{ip}");
            assert!(is_private_ip(ip), "{ip}");
            assert_eq!(AddressPolicy::Public.refusal(ip), None, "{ip}");
            assert!(AddressPolicy::ExcludePrivate.refusal(ip).is_some(), "{ip}");
        }
        // The loopback exception for --remap targets covers the embedded forms too.
        let lenient = AddressPolicy::ExcludePrivateButLoopback;
        assert_eq!(lenient.refusal("::127.0.0.1".parse().unwrap()), None);
        assert_eq!(lenient.refusal("64:ff9b::7f00:1".parse().unwrap()), None);
        assert!(lenient.refusal("::10.0.0.1".parse().unwrap()).is_some());
        // NAT64 of a public address, and IPv6's own `::1`/`::`, keep their meaning.
        let public: IpAddr = "64:ff9b::808:808".parse().unwrap();
        assert!(!is_forbidden_ip(public) && !is_private_ip(public));
        assert!(is_private_ip("::1".parse().unwrap()));
        assert!(!is_forbidden_ip("::1".parse().unwrap()));
        assert!(is_forbidden_ip("::".parse().unwrap()));
    }

    #[test]
    fn private_ranges_are_refused_only_when_excluded() {
        let private = [
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "127.0.0.1",
            "127.8.9.10",
            "100.64.0.1",
            "100.127.255.254",
            "0.1.2.3",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "::ffff:10.1.1.1",
            "::ffff:127.0.0.1",
        ];
        for ip in private {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(is_private_ip(ip), "{ip}");
            assert_eq!(AddressPolicy::Public.refusal(ip), None, "{ip}");
            assert!(AddressPolicy::ExcludePrivate.refusal(ip).is_some(), "{ip}");
        }
        let public = [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "100.63.255.255",
            "2001:db8::1",
            "fe00::1",
        ];
        for ip in public {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_private_ip(ip), "{ip}");
            assert_eq!(AddressPolicy::ExcludePrivate.refusal(ip), None, "{ip}");
        }
        let lenient = AddressPolicy::ExcludePrivateButLoopback;
        assert_eq!(lenient.refusal("127.0.0.1".parse().unwrap()), None);
        assert_eq!(lenient.refusal("::1".parse().unwrap()), None);
        assert!(lenient.refusal("10.0.0.1".parse().unwrap()).is_some());
        // Metadata stays refused under every policy.
        for policy in [
            AddressPolicy::Public,
            AddressPolicy::ExcludePrivate,
            lenient,
        ] {
            assert!(policy.refusal("169.254.169.254".parse().unwrap()).is_some());
        }
    }
}
