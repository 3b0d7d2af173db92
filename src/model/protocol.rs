//! `IpProtocol`, `FromPort` and `ToPort` as EC2 reads them (SG-SEMANTICS §2.4–§2.5).
//!
//! `-1` (int or string) and `all` mean every protocol; the names are case-insensitive and the
//! numbers 6, 17, 1 and 58 are tcp, udp, icmp and icmpv6. Only tcp and udp have port ranges:
//! every other protocol opens all its traffic whatever the ports say, and icmp/icmpv6 read
//! `FromPort`/`ToPort` as the ICMP type and code.

use super::resolve::RVal;
use crate::template::{PortRange, Str, Unknown};

/// A rule's protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// Every protocol (`-1`, `all`).
    All,
    /// TCP (`tcp`, 6).
    Tcp,
    /// UDP (`udp`, 17).
    Udp,
    /// ICMP (`icmp`, 1).
    Icmp,
    /// ICMPv6 (`icmpv6`, 58).
    Icmpv6,
    /// Another protocol number.
    Number(u8),
}

impl Protocol {
    /// The name in the model: `tcp`, `udp`, `icmp`, `icmpv6`, `all` or the number as text.
    pub fn name(self) -> Str {
        match self {
            Protocol::All => Str::from("all"),
            Protocol::Tcp => Str::from("tcp"),
            Protocol::Udp => Str::from("udp"),
            Protocol::Icmp => Str::from("icmp"),
            Protocol::Icmpv6 => Str::from("icmpv6"),
            Protocol::Number(n) => Str::from(n.to_string()),
        }
    }

    fn from_number(n: i64) -> Option<Protocol> {
        Some(match n {
            -1 => Protocol::All,
            6 => Protocol::Tcp,
            17 => Protocol::Udp,
            1 => Protocol::Icmp,
            58 => Protocol::Icmpv6,
            n => Protocol::Number(u8::try_from(n).ok()?),
        })
    }
}

/// Reads `IpProtocol`.
pub fn protocol(val: &RVal<'_>) -> Result<Protocol, Unknown> {
    let bad = |shown: &str| {
        Unknown::new(format!(
            "`{shown}` is not a protocol EC2 accepts (a name such as `tcp`, a number 0–255, or `-1`)"
        ))
    };
    match val {
        RVal::Int(n) => Protocol::from_number(*n).ok_or_else(|| bad(&n.to_string())),
        RVal::Float(f) if f.fract() == 0.0 => {
            Protocol::from_number(*f as i64).ok_or_else(|| bad(&f.to_string()))
        }
        RVal::Str(s) => {
            let t = s.trim();
            if let Ok(n) = t.parse::<i64>() {
                return Protocol::from_number(n).ok_or_else(|| bad(s));
            }
            match t.to_ascii_lowercase().as_str() {
                "all" => Ok(Protocol::All),
                "tcp" => Ok(Protocol::Tcp),
                "udp" => Ok(Protocol::Udp),
                "icmp" => Ok(Protocol::Icmp),
                "icmpv6" => Ok(Protocol::Icmpv6),
                _ => Err(bad(s)),
            }
        }
        RVal::Unknown(u) => Err(u.clone()),
        RVal::NoValue | RVal::Null => Err(Unknown::new("the rule has no `IpProtocol`")),
        _ => Err(Unknown::new(
            "`IpProtocol` is not a protocol name or number",
        )),
    }
}

/// Reads a port or ICMP number: `None` when the property is missing.
pub fn number(val: &RVal<'_>, what: &str) -> Result<Option<i64>, Unknown> {
    match val {
        RVal::NoValue | RVal::Null => Ok(None),
        RVal::Int(n) => Ok(Some(*n)),
        RVal::Float(f) => float_number(*f, what).map(Some),
        RVal::Str(s) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| Unknown::new(format!("`{what}` `{s}` is not a number"))),
        RVal::Unknown(u) => Err(u.clone()),
        _ => Err(Unknown::new(format!("`{what}` is not a number"))),
    }
}

/// A port or ICMP number written as a float (`22.0`, `1e3`, or an integer too large for 64
/// bits): the whole number, or why it is none. A huge one is named as written rather than as
/// the `i64` it would saturate to.
fn float_number(f: f64, what: &str) -> Result<i64, Unknown> {
    if !f.is_finite() {
        Err(Unknown::new(format!("`{what}` is not a finite number")))
    } else if f.fract() != 0.0 {
        Err(Unknown::new(format!("`{what}` {f} is not a whole number")))
    } else if f.abs() > 1e9 {
        Err(Unknown::new(format!("`{what}` {f:e} is out of range")))
    } else {
        Ok(f as i64)
    }
}

/// The port range of a tcp or udp rule.
pub fn tcp_udp_ports(
    protocol: Protocol,
    from: &RVal<'_>,
    to: &RVal<'_>,
) -> Result<PortRange, Unknown> {
    let name = protocol.name();
    let (from, to) = (number(from, "FromPort")?, number(to, "ToPort")?);
    match (from, to) {
        (None, None) => Err(Unknown::new(format!(
            "a {name} rule needs `FromPort` and `ToPort`"
        ))),
        (Some(-1), Some(-1)) => Ok(PortRange::ALL),
        (Some(-1), Some(_)) | (Some(_), Some(-1)) => Err(Unknown::new(
            "`-1` must be given as both `FromPort` and `ToPort`",
        )),
        (Some(f), Some(t)) => {
            let port = |p: i64| {
                u16::try_from(p).map_err(|_| Unknown::new(format!("port {p} is outside 0–65535")))
            };
            let (f, t) = (port(f)?, port(t)?);
            PortRange::new(f, t)
                .ok_or_else(|| Unknown::new(format!("`FromPort` {f} is above `ToPort` {t}")))
        }
        (Some(_), None) | (None, Some(_)) => Err(Unknown::new(format!(
            "a {name} rule needs both `FromPort` and `ToPort`"
        ))),
    }
}

/// An ICMP type or code: `-1` (any) when missing, else -1–255.
pub fn icmp_number(val: &RVal<'_>, what: &str) -> Result<i64, Unknown> {
    match number(val, what)? {
        None => Ok(-1),
        Some(n) if (-1..=255).contains(&n) => Ok(n),
        Some(n) => Err(Unknown::new(format!(
            "ICMP {} {n} is outside -1–255",
            if what == "FromPort" { "type" } else { "code" }
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> RVal<'static> {
        RVal::Str(Str::from(t))
    }

    #[test]
    fn protocols_normalise() {
        let cases: [(RVal<'static>, Option<Protocol>); 14] = [
            (RVal::Int(-1), Some(Protocol::All)),
            (s("-1"), Some(Protocol::All)),
            (s("all"), Some(Protocol::All)),
            (s("TCP"), Some(Protocol::Tcp)),
            (s("6"), Some(Protocol::Tcp)),
            (RVal::Int(6), Some(Protocol::Tcp)),
            (RVal::Int(17), Some(Protocol::Udp)),
            (s("icmp"), Some(Protocol::Icmp)),
            (s("1"), Some(Protocol::Icmp)),
            (s("ICMPv6"), Some(Protocol::Icmpv6)),
            (RVal::Int(58), Some(Protocol::Icmpv6)),
            (s("50"), Some(Protocol::Number(50))),
            (RVal::Int(256), None),
            (s("sctp"), None),
        ];
        for (val, want) in cases {
            assert_eq!(protocol(&val).ok(), want, "{val:?}");
        }
        assert_eq!(Protocol::Number(47).name(), "47");
    }

    #[test]
    fn tcp_ports() {
        let p = |a: RVal<'static>, b: RVal<'static>| tcp_udp_ports(Protocol::Tcp, &a, &b);
        assert_eq!(
            p(RVal::Int(22), RVal::Int(22)).unwrap(),
            PortRange::single(22)
        );
        assert_eq!(p(s("22"), RVal::Int(22)).unwrap(), PortRange::single(22));
        assert_eq!(p(RVal::Int(-1), s("-1")).unwrap(), PortRange::ALL);
        assert!(p(RVal::Int(-1), RVal::Int(22)).is_err());
        assert!(p(RVal::Int(80), RVal::Int(22)).is_err());
        assert!(p(RVal::Int(0), RVal::Int(70000)).is_err());
        assert!(p(RVal::NoValue, RVal::NoValue).is_err());
        assert!(p(RVal::Int(1), RVal::NoValue).is_err());
        assert!(p(s("ssh"), RVal::Int(22)).is_err());
    }

    #[test]
    fn icmp_numbers() {
        assert_eq!(icmp_number(&RVal::NoValue, "FromPort").unwrap(), -1);
        assert_eq!(icmp_number(&RVal::Int(8), "FromPort").unwrap(), 8);
        assert_eq!(icmp_number(&s("-1"), "ToPort").unwrap(), -1);
        assert!(icmp_number(&RVal::Int(300), "ToPort").is_err());
    }

    #[test]
    fn float_ports_are_whole_numbers_or_say_why_not() {
        assert_eq!(number(&RVal::Float(22.0), "FromPort").unwrap(), Some(22));
        assert_eq!(number(&RVal::Float(-1.0), "ToPort").unwrap(), Some(-1));
        let reason = |f: f64| number(&RVal::Float(f), "FromPort").unwrap_err().reason;
        assert_eq!(reason(22.5), "`FromPort` 22.5 is not a whole number");
        assert_eq!(reason(f64::INFINITY), "`FromPort` is not a finite number");
        assert_eq!(reason(f64::NAN), "`FromPort` is not a finite number");
        // Not the saturated 9223372036854775807.
        assert_eq!(reason(1e23), "`FromPort` 1e23 is out of range");
    }
}
