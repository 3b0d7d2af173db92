//! Networks: parsing CIDRs the way EC2 reads them, and the classes policies ask about
//! (private, internet).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// Why a text is not a CIDR.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a CIDR")]
pub struct CidrError {
    /// The text.
    pub text: String,
}

/// A parsed CIDR and whether it was written in canonical form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedCidr {
    /// The network, host bits cleared (`10.0.0.0/0` → `0.0.0.0/0`).
    pub net: IpNet,
    /// True when the text was already the canonical network (no host bits set).
    pub canonical: bool,
}

/// Parses a CIDR as EC2 accepts it: surrounding whitespace ignored, host bits cleared, any
/// IPv6 spelling (`0::/0`, `0:0:0:0:0:0:0:0/0`) normalised.
pub fn parse_cidr(text: &str) -> Result<ParsedCidr, CidrError> {
    let trimmed = text.trim();
    let net: IpNet = trimmed.parse().map_err(|_| CidrError {
        text: text.to_string(),
    })?;
    let canonical_net = net.trunc();
    Ok(ParsedCidr {
        net: canonical_net,
        canonical: canonical_net == net && canonical_net.to_string() == trimmed,
    })
}

/// Blocks that are private to a network: RFC 1918, shared address space (RFC 6598),
/// link-local, IPv6 unique-local and link-local.
const PRIVATE_V4: [(Ipv4Addr, u8); 5] = [
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
    (Ipv4Addr::new(100, 64, 0, 0), 10),
    (Ipv4Addr::new(169, 254, 0, 0), 16),
];
const PRIVATE_V6: [(Ipv6Addr, u8); 2] = [
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10),
];
/// Blocks that are neither private nor reachable from the internet: "this network",
/// loopback, multicast, reserved, documentation.
const RESERVED_V4: [(Ipv4Addr, u8); 4] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),
    (Ipv4Addr::new(127, 0, 0, 0), 8),
    (Ipv4Addr::new(224, 0, 0, 0), 4),
    (Ipv4Addr::new(240, 0, 0, 0), 4),
];
const RESERVED_V6: [(Ipv6Addr, u8); 3] = [
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1), 128),
    (Ipv6Addr::new(0x2001, 0x0db8, 0, 0, 0, 0, 0, 0), 32),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8),
];

fn within_any(net: IpNet, blocks4: &[(Ipv4Addr, u8)], blocks6: &[(Ipv6Addr, u8)]) -> bool {
    match net {
        IpNet::V4(n) => blocks4
            .iter()
            .any(|(a, len)| Ipv4Net::new(*a, *len).is_ok_and(|block| block.contains(&n))),
        IpNet::V6(n) => blocks6
            .iter()
            .any(|(a, len)| Ipv6Net::new(*a, *len).is_ok_and(|block| block.contains(&n))),
    }
}

/// True when the whole network lies in a private block (10/8, 172.16/12, 192.168/16,
/// 100.64/10, 169.254/16, fc00::/7, fe80::/10).
pub fn is_private(net: IpNet) -> bool {
    within_any(net, &PRIVATE_V4, &PRIVATE_V6)
}

/// True for "the internet": a range of /8 or wider for IPv4 (/32 or wider for IPv6) that is
/// not inside a private or reserved block. `0.0.0.0/0` and `::/0` are the internet.
pub fn is_internet(net: IpNet) -> bool {
    let wide = match net {
        IpNet::V4(n) => n.prefix_len() <= 8,
        IpNet::V6(n) => n.prefix_len() <= 32,
    };
    wide && !is_private(net) && !within_any(net, &RESERVED_V4, &RESERVED_V6)
}

/// The prefix length.
pub fn prefix_len(net: IpNet) -> u8 {
    net.prefix_len()
}

/// The number of addresses (saturating at `u128::MAX` for `::/0`).
pub fn address_count(net: IpNet) -> u128 {
    let host_bits = u32::from(net.max_prefix_len() - net.prefix_len());
    1u128.checked_shl(host_bits).unwrap_or(u128::MAX)
}

/// True when every address of `inner` is in `outer` (never across IP versions).
pub fn within(inner: IpNet, outer: IpNet) -> bool {
    outer.contains(&inner)
}

/// True when the networks share an address (never across IP versions).
pub fn overlaps(a: IpNet, b: IpNet) -> bool {
    a.contains(&b) || b.contains(&a)
}

/// The network of a single address (`/32` or `/128`).
pub fn host(addr: IpAddr) -> IpNet {
    IpNet::from(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn parsing_normalises() {
        for (text, canonical, is_canonical) in [
            ("0.0.0.0/0", "0.0.0.0/0", true),
            ("10.0.0.0/0", "0.0.0.0/0", false),
            (" 10.1.2.3/8 ", "10.0.0.0/8", false),
            ("0::/0", "::/0", false),
            ("0:0:0:0:0:0:0:0/0", "::/0", false),
            ("2001:DB8::/32", "2001:db8::/32", false),
            ("192.168.1.0/24", "192.168.1.0/24", true),
        ] {
            let p = parse_cidr(text).unwrap();
            assert_eq!(p.net.to_string(), canonical, "{text}");
            assert_eq!(p.canonical, is_canonical, "{text}");
        }
        for bad in ["", "10.0.0.0", "10.0.0.0/33", "x/8", "::/129", "1.2.3.4/-1"] {
            assert!(parse_cidr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn classes() {
        for (text, private, internet) in [
            ("0.0.0.0/0", false, true),
            ("::/0", false, true),
            ("1.0.0.0/8", false, true),
            ("8.0.0.0/7", false, true),
            ("10.0.0.0/8", true, false),
            ("10.1.0.0/16", true, false),
            ("172.16.0.0/12", true, false),
            ("172.15.0.0/16", false, false),
            ("100.64.0.0/10", true, false),
            ("127.0.0.0/8", false, false),
            ("224.0.0.0/4", false, false),
            ("203.0.113.0/24", false, false),
            ("fd00::/8", true, false),
            ("2001:db8::/32", false, false),
            ("2600::/16", false, true),
            ("2600:1f00::/24", false, true),
            ("2600:1f00::/40", false, false),
        ] {
            let n = net(text);
            assert_eq!(is_private(n), private, "{text} private");
            assert_eq!(is_internet(n), internet, "{text} internet");
        }
    }

    #[test]
    fn sizes_and_relations() {
        assert_eq!(address_count(net("10.0.0.0/8")), 1 << 24);
        assert_eq!(address_count(net("::/0")), u128::MAX);
        assert_eq!(address_count(net("1.2.3.4/32")), 1);
        assert!(within(net("10.1.0.0/16"), net("10.0.0.0/8")));
        assert!(!within(net("10.0.0.0/8"), net("10.1.0.0/16")));
        assert!(overlaps(net("10.0.0.0/8"), net("10.1.0.0/16")));
        assert!(!overlaps(net("10.0.0.0/8"), net("::/0")));
        assert_eq!(prefix_len(net("10.0.0.0/8")), 8);
    }
}
