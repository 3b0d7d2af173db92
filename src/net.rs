//! CIDR blocks and address ranges: parsing as EC2 reads them, and the relations policies ask
//! about (private, internet, within, overlaps).
//!
//! Shared by the model (which normalises the CIDRs of security-group rules) and the evaluator
//! (which reads CIDR literals in policies and compares them). Independent of both.

use std::net::IpAddr;
use std::sync::LazyLock;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// Why a text is not a CIDR block.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    /// Nothing but white space.
    #[error("the CIDR block is empty")]
    Empty,
    /// No `/prefix` part: EC2 wants `address/prefix`.
    #[error("`{0}` has no prefix length")]
    MissingPrefix(String),
    /// The address part is not an IPv4 or IPv6 address.
    #[error("`{0}` is not an IPv4 or IPv6 address")]
    BadAddress(String),
    /// The prefix length is not a number within the address size.
    #[error("`{0}` is not a valid prefix length for this address")]
    BadPrefix(String),
}

impl CidrError {
    /// Advice for the user.
    pub fn help(&self) -> &'static str {
        match self {
            CidrError::Empty | CidrError::BadAddress(_) => {
                "write a block as `address/prefix`, e.g. `10.0.0.0/16` or `2001:db8::/32`"
            }
            CidrError::MissingPrefix(_) => {
                "add the prefix length: `/32` for one IPv4 address, `/128` for one IPv6 address"
            }
            CidrError::BadPrefix(_) => {
                "the prefix length is 0 to 32 for IPv4 and 0 to 128 for IPv6"
            }
        }
    }
}

/// A parsed CIDR block and whether it was written in canonical form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedCidr {
    /// The block, host bits cleared.
    pub net: IpNet,
    /// True when the text was exactly the canonical form (no surrounding white space, no host
    /// bits, shortest IPv6 form, lower-case hex, no leading zeros in the prefix).
    pub canonical: bool,
}

/// Parses a CIDR block as EC2 accepts it and normalises it: surrounding white space is
/// trimmed and host bits are cleared (`10.0.0.0/0` is `0.0.0.0/0`, `0::/0` is `::/0`).
pub fn parse_cidr(text: &str) -> Result<IpNet, CidrError> {
    parse_cidr_checked(text).map(|p| p.net)
}

/// Like [`parse_cidr`], and also tells whether `text` was already canonical.
pub fn parse_cidr_checked(text: &str) -> Result<ParsedCidr, CidrError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(CidrError::Empty);
    }
    let Some((address, prefix)) = trimmed.split_once('/') else {
        return Err(CidrError::MissingPrefix(trimmed.to_string()));
    };
    let address: IpAddr = address
        .parse()
        .map_err(|_| CidrError::BadAddress(trimmed.to_string()))?;
    let bad_prefix = || CidrError::BadPrefix(trimmed.to_string());
    if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_prefix());
    }
    let len: u8 = prefix.parse().map_err(|_| bad_prefix())?;
    let net = IpNet::new(address, len).map_err(|_| bad_prefix())?.trunc();
    Ok(ParsedCidr {
        net,
        canonical: net.to_string() == text,
    })
}

/// Blocks of private addresses (RFC 1918, shared address space, link-local, unique local).
const PRIVATE: [&str; 7] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
];

/// Blocks that are not reachable public addresses although they are not private either:
/// "this network", loopback, documentation and benchmarking ranges, multicast and reserved.
const RESERVED: [&str; 14] = [
    "0.0.0.0/8",
    "127.0.0.0/8",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "100::/64",
    "2001:db8::/32",
    "ff00::/8",
];

static PRIVATE_NETS: LazyLock<Vec<IpNet>> = LazyLock::new(|| parse_all(&PRIVATE));
static RESERVED_NETS: LazyLock<Vec<IpNet>> = LazyLock::new(|| parse_all(&RESERVED));

fn parse_all(list: &[&str]) -> Vec<IpNet> {
    list.iter().filter_map(|b| b.parse().ok()).collect()
}

/// True when every address of `net` is private: inside 10/8, 172.16/12, 192.168/16, 100.64/10,
/// 169.254/16, fc00::/7 or fe80::/10.
pub fn is_private(net: IpNet) -> bool {
    PRIVATE_NETS.iter().any(|&b| within(net, b))
}

/// True when `net` is not inside a private or reserved block (loopback, multicast,
/// documentation ranges, …). `0.0.0.0/0` and `::/0` are public: they hold public addresses.
pub fn is_public(net: IpNet) -> bool {
    !is_private(net) && !RESERVED_NETS.iter().any(|&b| within(net, b))
}

/// True for a public range that is "the internet": /8 or wider for IPv4, /32 or wider for
/// IPv6 (`0.0.0.0/0` and `::/0` included).
pub fn is_internet(net: IpNet) -> bool {
    let widest = match net {
        IpNet::V4(_) => 8,
        IpNet::V6(_) => 32,
    };
    net.prefix_len() <= widest && is_public(net)
}

/// The prefix length.
pub fn prefix_len(net: IpNet) -> u8 {
    net.prefix_len()
}

/// How many addresses the block holds; `::/0` (2^128) saturates at `u128::MAX`.
pub fn address_count(net: IpNet) -> u128 {
    let host_bits = u32::from(net.max_prefix_len() - net.prefix_len());
    1u128.checked_shl(host_bits).unwrap_or(u128::MAX)
}

/// True when every address of `a` is in `b`. Blocks of different families are never within
/// each other.
pub fn within(a: IpNet, b: IpNet) -> bool {
    match (a, b) {
        (IpNet::V4(a), IpNet::V4(b)) => b.contains(&a),
        (IpNet::V6(a), IpNet::V6(b)) => b.contains(&a),
        _ => false,
    }
}

/// True when the blocks share at least one address (never across families).
pub fn overlaps(a: IpNet, b: IpNet) -> bool {
    within(a, b) || within(b, a)
}

/// The whole IPv4 internet, `0.0.0.0/0`.
pub const ANY_V4: IpNet = IpNet::V4(Ipv4Net::new_assert(std::net::Ipv4Addr::UNSPECIFIED, 0));

/// The whole IPv6 internet, `::/0`.
pub const ANY_V6: IpNet = IpNet::V6(Ipv6Net::new_assert(std::net::Ipv6Addr::UNSPECIFIED, 0));

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_normalises() {
        let cases = [
            ("0.0.0.0/0", "0.0.0.0/0", true),
            ("10.0.0.0/0", "0.0.0.0/0", false),
            ("10.1.2.3/16", "10.1.0.0/16", false),
            (" 10.0.0.0/8 ", "10.0.0.0/8", false),
            ("::/0", "::/0", true),
            ("0::/0", "::/0", false),
            ("0:0:0:0:0:0:0:0/0", "::/0", false),
            ("0000:0000:0000:0000:0000:0000:0000:0000/0", "::/0", false),
            ("2001:DB8::/32", "2001:db8::/32", false),
            ("2001:db8::1/64", "2001:db8::/64", false),
            ("192.168.1.1/32", "192.168.1.1/32", true),
            ("10.0.0.0/08", "10.0.0.0/8", false),
        ];
        for (text, want, canonical) in cases {
            let p = parse_cidr_checked(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(p.net.to_string(), want, "{text}");
            assert_eq!(p.canonical, canonical, "{text}");
        }
    }

    #[test]
    fn rejects_what_ec2_rejects() {
        let cases = [
            ("", CidrError::Empty),
            ("  ", CidrError::Empty),
            ("10.0.0.1", CidrError::MissingPrefix("10.0.0.1".into())),
            ("10.0.0/8", CidrError::BadAddress("10.0.0/8".into())),
            ("10.0.0.256/8", CidrError::BadAddress("10.0.0.256/8".into())),
            ("any/0", CidrError::BadAddress("any/0".into())),
            ("10.0.0.0/33", CidrError::BadPrefix("10.0.0.0/33".into())),
            ("::/129", CidrError::BadPrefix("::/129".into())),
            ("10.0.0.0/", CidrError::BadPrefix("10.0.0.0/".into())),
            ("10.0.0.0/-1", CidrError::BadPrefix("10.0.0.0/-1".into())),
            ("10.0.0.0/+8", CidrError::BadPrefix("10.0.0.0/+8".into())),
        ];
        for (text, want) in cases {
            assert_eq!(parse_cidr(text), Err(want), "{text}");
        }
    }

    #[test]
    fn classifies_ranges() {
        // (cidr, private, public, internet)
        let cases = [
            ("0.0.0.0/0", false, true, true),
            ("::/0", false, true, true),
            ("1.0.0.0/8", false, true, true),
            ("52.0.0.0/9", false, true, false),
            ("203.0.113.7/32", false, false, false),
            ("8.8.8.8/32", false, true, false),
            ("10.0.0.0/8", true, false, false),
            ("10.1.0.0/16", true, false, false),
            ("172.16.0.0/12", true, false, false),
            ("172.32.0.0/16", false, true, false),
            ("192.168.10.0/24", true, false, false),
            ("100.64.0.0/10", true, false, false),
            ("169.254.169.254/32", true, false, false),
            ("127.0.0.0/8", false, false, false),
            ("0.0.0.0/8", false, false, false),
            ("224.0.0.0/4", false, false, false),
            ("2000::/3", false, true, true),
            ("2600::/32", false, true, true),
            ("2600::/33", false, true, false),
            ("2001:db8::/32", false, false, false),
            ("fd00::/8", true, false, false),
            ("fe80::/64", true, false, false),
            ("ff02::/16", false, false, false),
        ];
        for (text, private, public, internet) in cases {
            let n = net(text);
            assert_eq!(is_private(n), private, "private {text}");
            assert_eq!(is_public(n), public, "public {text}");
            assert_eq!(is_internet(n), internet, "internet {text}");
        }
    }

    #[test]
    fn counts_and_relations() {
        assert_eq!(address_count(net("10.0.0.0/8")), 1 << 24);
        assert_eq!(address_count(net("1.2.3.4/32")), 1);
        assert_eq!(address_count(net("0.0.0.0/0")), 1 << 32);
        assert_eq!(address_count(net("::/0")), u128::MAX);
        assert_eq!(address_count(net("::/1")), 1 << 127);
        assert_eq!(prefix_len(net("10.0.0.0/8")), 8);
        // (a, b, a within b, overlaps)
        let cases = [
            ("10.1.0.0/16", "10.0.0.0/8", true, true),
            ("10.0.0.0/8", "10.1.0.0/16", false, true),
            ("10.0.0.0/8", "10.0.0.0/8", true, true),
            ("10.0.0.0/8", "11.0.0.0/8", false, false),
            ("0.0.0.0/0", "::/0", false, false),
            ("::ffff:10.0.0.0/104", "10.0.0.0/8", false, false),
            ("2001:db8::/48", "2001:db8::/32", true, true),
        ];
        for (a, b, w, o) in cases {
            assert_eq!(within(net(a), net(b)), w, "{a} within {b}");
            assert_eq!(overlaps(net(a), net(b)), o, "{a} overlaps {b}");
            assert_eq!(overlaps(net(b), net(a)), o, "{b} overlaps {a}");
        }
        assert_eq!(ANY_V4, net("0.0.0.0/0"));
        assert_eq!(ANY_V6, net("::/0"));
    }
}
