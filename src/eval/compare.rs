//! Operators, typed and three-valued.
//!
//! Numbers compare as numbers whatever their YAML type (`"22"` equals `22`); strings compare
//! as CIDRs where a CIDR is expected; port ranges compare as sets of ports. Anything compared
//! with an unknown value is [`Truth::Unknown`], with the reason.

use ipnet::IpNet;

use super::item::{Item, Reason, Val};
use crate::check::ir::{BinaryOp, Lit, Range, UnaryOp};
use crate::net;
use crate::template::{Node, PortRange, Unknown, UnknownHint, Value};

/// The result of a test.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Truth {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Cannot be decided: why.
    Unknown(Reason),
}

impl Truth {
    fn from_bool(b: bool) -> Truth {
        if b { Truth::True } else { Truth::False }
    }

    /// Logical not; unknown stays unknown.
    pub fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            u => u,
        }
    }

    /// True if any holds; unknown if none holds and one is unknown.
    fn any(iter: impl IntoIterator<Item = Truth>) -> Truth {
        let mut unknown = None;
        for t in iter {
            match t {
                Truth::True => return Truth::True,
                Truth::Unknown(r) => {
                    unknown.get_or_insert(r);
                }
                Truth::False => {}
            }
        }
        unknown.map_or(Truth::False, Truth::Unknown)
    }

    /// True if all hold; false if one does not; else unknown.
    fn all(iter: impl IntoIterator<Item = Truth>) -> Truth {
        let mut unknown = None;
        for t in iter {
            match t {
                Truth::False => return Truth::False,
                Truth::Unknown(r) => {
                    unknown.get_or_insert(r);
                }
                Truth::True => {}
            }
        }
        unknown.map_or(Truth::True, Truth::Unknown)
    }
}

/// A borrowed view of any value an item can hold.
#[derive(Clone, Copy)]
enum V<'v> {
    Node(&'v Node),
    Lit(&'v Lit),
    Missing,
    Document,
}

fn view<'v>(item: &'v Item<'_>) -> V<'v> {
    match &item.val {
        Val::Node(n) => V::Node(n),
        Val::Owned(n) => V::Node(n),
        Val::Lit(l) => V::Lit(l),
        Val::Missing(_) => V::Missing,
        Val::Document => V::Document,
    }
}

fn unknown_of(v: V<'_>) -> Option<&Unknown> {
    match v {
        V::Node(Node {
            value: Value::Unknown(u),
            ..
        }) => Some(u),
        _ => None,
    }
}

/// A CloudFormation function written in the template (`!Ref AdminCidr`, `!If [...]`): its
/// value is worked out when the stack is deployed, so a query of the raw template cannot tell
/// what it is compared with. Compared with anything but a map, it is unknown (a policy that
/// needs the value reads the model, where it is resolved); never equal or unequal by accident
/// of being a map.
fn intrinsic_truth(a: V<'_>, b: V<'_>) -> Option<Truth> {
    let is_map = |v: V<'_>| {
        matches!(
            v,
            V::Node(Node {
                value: Value::Map(_),
                ..
            }) | V::Lit(Lit::Map(_))
        )
    };
    let reason = |v: V<'_>| match v {
        V::Node(n) => intrinsic_reason(n),
        _ => None,
    };
    match (reason(a), reason(b)) {
        (Some(r), _) if !is_map(b) => Some(Truth::Unknown(r)),
        (_, Some(r)) if !is_map(a) => Some(Truth::Unknown(r)),
        _ => None,
    }
}

/// Why a raw function is not known, for [`intrinsic_truth`].
fn intrinsic_reason(n: &Node) -> Option<Reason> {
    let (name, arg) = n.as_intrinsic()?;
    if name == "Condition" {
        return None;
    }
    let shown = match (name, arg.as_str()) {
        ("Ref", Some(target)) => format!("`!Ref {target}`"),
        (name, _) => format!("`{name}`"),
    };
    Some(Reason::from(format!(
        "{shown} is worked out when the stack is deployed; supply parameter values (`--param`), or read the model (`rules`, `security_groups`, `attachments`) for its value"
    )))
}

fn unknown_truth(u: &Unknown) -> Truth {
    Truth::Unknown(Reason::from(u.reason.as_str()))
}

fn number(v: V<'_>) -> Option<f64> {
    match v {
        V::Node(n) => match &n.value {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::String(s) => parse_number(s),
            Value::Ports(p) if p.from == p.to => Some(f64::from(p.from)),
            _ => None,
        },
        V::Lit(Lit::Int(i)) => Some(*i as f64),
        V::Lit(Lit::Float(f)) => Some(*f),
        V::Lit(Lit::String(s)) => parse_number(s),
        _ => None,
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    t.parse::<f64>().ok()
}

/// A boolean, or the text of one (`"true"`, `"False"`).
fn boolean(v: V<'_>) -> Option<bool> {
    let text = |s: &str| match s.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    match v {
        V::Node(n) => match &n.value {
            Value::Bool(b) => Some(*b),
            Value::String(s) => text(s),
            _ => None,
        },
        V::Lit(Lit::Bool(b)) => Some(*b),
        V::Lit(Lit::String(s)) => text(s),
        _ => None,
    }
}

fn is_bool_type(v: V<'_>) -> bool {
    matches!(
        v,
        V::Node(Node {
            value: Value::Bool(_),
            ..
        }) | V::Lit(Lit::Bool(_))
    )
}

fn is_number_type(v: V<'_>) -> bool {
    matches!(
        v,
        V::Node(Node {
            value: Value::Int(_) | Value::Float(_),
            ..
        }) | V::Lit(Lit::Int(_) | Lit::Float(_))
    )
}

fn string(v: V<'_>) -> Option<&str> {
    match v {
        V::Node(Node {
            value: Value::String(s),
            ..
        }) => Some(s),
        V::Lit(Lit::String(s)) => Some(s),
        _ => None,
    }
}

/// The text of a scalar, for regex matching (numbers and booleans as written).
fn scalar_text(v: V<'_>) -> Option<String> {
    match v {
        V::Node(n) => match &n.value {
            Value::String(s) => Some(s.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Ports(p) => Some(p.to_string()),
            _ => None,
        },
        V::Lit(Lit::String(s)) => Some(s.clone()),
        V::Lit(Lit::Int(i)) => Some(i.to_string()),
        _ => None,
    }
}

fn cidr(v: V<'_>) -> Option<IpNet> {
    match v {
        V::Lit(Lit::Cidr(n)) => Some(*n),
        _ => string(v).and_then(|s| net::parse_cidr(s).ok()),
    }
}

fn ports(v: V<'_>) -> Option<PortRange> {
    match v {
        V::Node(Node {
            value: Value::Ports(p),
            ..
        }) => Some(*p),
        V::Lit(Lit::Range(r)) => range_ports(r),
        _ => {
            let n = number(v)?;
            (n.fract() == 0.0 && (0.0..=65535.0).contains(&n)).then(|| PortRange::single(n as u16))
        }
    }
}

fn range_ports(r: &Range) -> Option<PortRange> {
    let low = if r.low_inclusive {
        r.low.ceil()
    } else {
        r.low.floor() + 1.0
    };
    let high = if r.high_inclusive {
        r.high.floor()
    } else {
        r.high.ceil() - 1.0
    };
    let low = low.max(0.0);
    let high = high.min(65535.0);
    (low <= high).then_some(PortRange {
        from: low as u16,
        to: high as u16,
    })
}

fn in_range(n: f64, r: &Range) -> bool {
    let above = if r.low_inclusive {
        n >= r.low
    } else {
        n > r.low
    };
    let below = if r.high_inclusive {
        n <= r.high
    } else {
        n < r.high
    };
    above && below
}

/// Items of a list value, as views.
fn list_items(v: V<'_>) -> Option<Vec<V<'_>>> {
    match v {
        V::Node(Node {
            value: Value::List(items),
            ..
        }) => Some(items.iter().map(V::Node).collect()),
        V::Lit(Lit::List(items)) => Some(items.iter().map(V::Lit).collect()),
        _ => None,
    }
}

fn is_null(v: V<'_>) -> bool {
    matches!(
        v,
        V::Lit(Lit::Null)
            | V::Node(Node {
                value: Value::Null,
                ..
            })
    )
}

fn eq(a: V<'_>, b: V<'_>) -> Truth {
    if let Some(t) = intrinsic_truth(a, b) {
        return t;
    }
    if let Some(u) = unknown_of(a).or_else(|| unknown_of(b)) {
        // An unknown value is some value: never null, unless it is one of several values of
        // which one is not set.
        if (is_null(a) || is_null(b)) && u.hint != UnknownHint::MaybeNull {
            return Truth::False;
        }
        return unknown_truth(u);
    }
    match (a, b) {
        (V::Missing, _) | (_, V::Missing) => return Truth::False,
        (_, V::Lit(Lit::Regex(re))) => {
            return Truth::from_bool(scalar_text(a).is_some_and(|t| re.is_match(&t)));
        }
        (_, V::Lit(Lit::Cidr(n))) => return Truth::from_bool(cidr(a) == Some(*n)),
        (V::Lit(Lit::Cidr(n)), _) => return Truth::from_bool(cidr(b) == Some(*n)),
        (
            V::Node(Node {
                value: Value::Ports(p),
                ..
            }),
            V::Lit(Lit::Range(r)),
        ) => return Truth::from_bool(range_ports(r) == Some(*p)),
        (_, V::Lit(Lit::Range(r))) => {
            return Truth::from_bool(number(a).is_some_and(|n| in_range(n, r)));
        }
        _ => {}
    }
    if is_number_type(a) || is_number_type(b) {
        return Truth::from_bool(matches!((number(a), number(b)), (Some(x), Some(y)) if x == y));
    }
    // Booleans compare as booleans whatever their YAML type: CloudFormation reads
    // `Encrypted: "true"` (in any case) as `true`.
    if let (Some(x), Some(y)) = (boolean(a), boolean(b)) {
        if is_bool_type(a) || is_bool_type(b) {
            return Truth::from_bool(x == y);
        }
    }
    if let (Some(x), Some(y)) = (string(a), string(b)) {
        return Truth::from_bool(x == y);
    }
    match (a, b) {
        (V::Node(x), V::Node(y)) => node_eq(x, y),
        (V::Node(n), V::Lit(l)) | (V::Lit(l), V::Node(n)) => node_lit_eq(n, l),
        (V::Lit(x), V::Lit(y)) => Truth::from_bool(x == y),
        _ => Truth::False,
    }
}

fn node_eq(x: &Node, y: &Node) -> Truth {
    match (&x.value, &y.value) {
        (Value::List(a), Value::List(b)) => {
            if a.len() != b.len() {
                return Truth::False;
            }
            Truth::all(a.iter().zip(b).map(|(p, q)| eq(V::Node(p), V::Node(q))))
        }
        (Value::Map(a), Value::Map(b)) => {
            if a.len() != b.len() {
                return Truth::False;
            }
            Truth::all(a.iter().map(|(k, v)| match b.get(k) {
                Some(w) => eq(V::Node(v), V::Node(w)),
                None => Truth::False,
            }))
        }
        (Value::Ports(a), Value::Ports(b)) => Truth::from_bool(a == b),
        (a, b) => Truth::from_bool(a == b),
    }
}

fn node_lit_eq(n: &Node, l: &Lit) -> Truth {
    match (&n.value, l) {
        (Value::Null, Lit::Null) => Truth::True,
        (Value::Bool(a), Lit::Bool(b)) => Truth::from_bool(a == b),
        (Value::List(items), Lit::List(lits)) => {
            if items.len() != lits.len() {
                return Truth::False;
            }
            Truth::all(
                items
                    .iter()
                    .zip(lits)
                    .map(|(p, q)| eq(V::Node(p), V::Lit(q))),
            )
        }
        (Value::Map(map), Lit::Map(entries)) => {
            if map.len() != entries.len() {
                return Truth::False;
            }
            Truth::all(entries.iter().map(|(k, v)| match map.get(k) {
                Some(w) => eq(V::Node(w), V::Lit(v)),
                None => Truth::False,
            }))
        }
        _ => Truth::False,
    }
}

fn member(a: V<'_>, b: V<'_>) -> Truth {
    if let Some(t) = intrinsic_truth(a, b) {
        return t;
    }
    if let Some(u) = unknown_of(a).or_else(|| unknown_of(b)) {
        return unknown_truth(u);
    }
    // A list is IN a list (or range) when each of its items is.
    if let Some(items) = list_items(a) {
        if list_items(b).is_some() || matches!(b, V::Lit(Lit::Range(_))) {
            return Truth::all(items.into_iter().map(|x| member(x, b)));
        }
    }
    match b {
        V::Lit(Lit::Range(r)) => {
            if let V::Node(Node {
                value: Value::Ports(p),
                ..
            }) = a
            {
                return Truth::from_bool(range_ports(r).is_some_and(|q| p.within(q)));
            }
            Truth::from_bool(number(a).is_some_and(|n| in_range(n, r)))
        }
        V::Node(Node {
            value: Value::Ports(p),
            ..
        }) => Truth::from_bool(ports(a).is_some_and(|q| q.within(*p))),
        _ => match list_items(b) {
            Some(items) => Truth::any(items.into_iter().map(|x| eq(a, x))),
            None => eq(a, b),
        },
    }
}

/// The networks a right-hand side names (a CIDR, or a list of them); `None` if it names none.
fn networks(v: V<'_>) -> Option<Vec<IpNet>> {
    if let Some(n) = cidr(v) {
        return Some(vec![n]);
    }
    let items = list_items(v)?;
    let nets: Vec<IpNet> = items.into_iter().filter_map(cidr).collect();
    (!nets.is_empty()).then_some(nets)
}

/// The ports a right-hand side names, as sorted disjoint ranges.
fn port_set(v: V<'_>) -> Option<Vec<PortRange>> {
    let mut ranges = match list_items(v) {
        Some(items) => items.into_iter().map(ports).collect::<Option<Vec<_>>>()?,
        None => vec![ports(v)?],
    };
    ranges.sort();
    let mut merged: Vec<PortRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if u32::from(r.from) <= u32::from(last.to) + 1 => {
                last.to = last.to.max(r.to)
            }
            _ => merged.push(r),
        }
    }
    Some(merged)
}

fn network_test(a: V<'_>, b: V<'_>, within: bool) -> Truth {
    if let Some(t) = intrinsic_truth(a, b) {
        return t;
    }
    if let Some(u) = unknown_of(b) {
        return unknown_truth(u);
    }
    if let Some(u) = unknown_of(a) {
        return version_test(u, b).unwrap_or_else(|| unknown_truth(u));
    }
    if let Some(set) = port_set(b) {
        if let Some(p) = ports(a) {
            return Truth::from_bool(if within {
                set.iter().any(|r| p.within(*r))
            } else {
                set.iter().any(|r| p.overlaps(*r))
            });
        }
    }
    if let (Some(n), Some(nets)) = (cidr(a), networks(b)) {
        return Truth::from_bool(nets.iter().any(|m| {
            if within {
                net::within(n, *m)
            } else {
                net::overlaps(n, *m)
            }
        }));
    }
    Truth::False
}

/// `WITHIN` or `OVERLAPS` of an unknown block whose IP version is known against `0.0.0.0/0` or
/// `::/0` (the usual test of a block's version): a block is inside the /0 of its version and
/// never meets the other. `None` when that does not decide it.
fn version_test(u: &Unknown, b: V<'_>) -> Option<Truth> {
    let v6 = match &u.hint {
        UnknownHint::Cidr { v6, .. } => *v6,
        // `!GetAtt Vpc.CidrBlock` is the VPC's IPv4 block.
        UnknownHint::VpcCidr(_) | UnknownHint::BlockInVpc(_) => false,
        _ => return None,
    };
    let nets = networks(b)?;
    if !nets.iter().all(|n| n.prefix_len() == 0) {
        return None;
    }
    Some(Truth::from_bool(
        nets.iter().any(|n| matches!(n, IpNet::V6(_)) == v6),
    ))
}

fn order(a: V<'_>, b: V<'_>, op: BinaryOp) -> Truth {
    if let Some(t) = intrinsic_truth(a, b) {
        return t;
    }
    if let Some(u) = unknown_of(a).or_else(|| unknown_of(b)) {
        return unknown_truth(u);
    }
    let cmp = |x: f64, y: f64| match op {
        BinaryOp::Lt => x < y,
        BinaryOp::Le => x <= y,
        BinaryOp::Gt => x > y,
        _ => x >= y,
    };
    if let (
        V::Node(Node {
            value: Value::Ports(p),
            ..
        }),
        Some(y),
    ) = (a, number(b))
    {
        // Every port of the range must satisfy the comparison.
        let edge = match op {
            BinaryOp::Lt | BinaryOp::Le => f64::from(p.to),
            _ => f64::from(p.from),
        };
        return Truth::from_bool(cmp(edge, y));
    }
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return Truth::from_bool(cmp(x, y));
    }
    if let (Some(x), Some(y)) = (string(a), string(b)) {
        let o = x.cmp(y);
        return Truth::from_bool(match op {
            BinaryOp::Lt => o.is_lt(),
            BinaryOp::Le => o.is_le(),
            BinaryOp::Gt => o.is_gt(),
            _ => o.is_ge(),
        });
    }
    Truth::False
}

/// `a op b` for one right-hand value.
fn binary_one(a: V<'_>, op: BinaryOp, b: V<'_>) -> Truth {
    match op {
        BinaryOp::Eq | BinaryOp::Ne => eq(a, b),
        BinaryOp::In => member(a, b),
        BinaryOp::Within => network_test(a, b, true),
        BinaryOp::Overlaps => network_test(a, b, false),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => order(a, b, op),
    }
}

/// `lhs op rhs` where the right-hand side selected `rhs` (several values: `==`, `IN`,
/// `WITHIN`, `OVERLAPS` hold when they hold for one of them, orderings when for all).
pub(crate) fn binary(lhs: &Item<'_>, op: BinaryOp, rhs: &[Item<'_>]) -> Truth {
    let a = view(lhs);
    if let Some(missing) = rhs.iter().find(|i| i.is_missing()) {
        let Val::Missing(key) = &missing.val else {
            return Truth::False;
        };
        return Truth::Unknown(Reason::from(format!("the right-hand side has no `{key}`")));
    }
    let results = rhs.iter().map(|b| binary_one(a, op, view(b)));
    match op {
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge if !rhs.is_empty() => {
            Truth::all(results)
        }
        _ => Truth::any(results),
    }
}

/// `item op` for the unary operators other than `EMPTY`.
pub(crate) fn unary(item: &Item<'_>, op: UnaryOp) -> Truth {
    let v = view(item);
    if op == UnaryOp::Exists {
        return Truth::from_bool(!matches!(v, V::Missing));
    }
    if op == UnaryOp::IsUnknown {
        return Truth::from_bool(unknown_of(v).is_some());
    }
    if let Some(u) = unknown_of(v) {
        return match (op, &u.hint) {
            // An unknown value is some value: never null, unless one of its values is not set.
            (UnaryOp::IsNull, UnknownHint::MaybeNull) => unknown_truth(u),
            (UnaryOp::IsNull, _) => Truth::False,
            (UnaryOp::IsInternet, UnknownHint::VpcCidr(_) | UnknownHint::BlockInVpc(_)) => {
                Truth::False
            }
            (
                UnaryOp::IsCidr,
                UnknownHint::VpcCidr(_) | UnknownHint::BlockInVpc(_) | UnknownHint::Cidr { .. },
            ) => Truth::True,
            // Narrower than the widest "internet" block of its version.
            (UnaryOp::IsInternet, UnknownHint::Cidr { v6, prefix })
                if *prefix > if *v6 { 32 } else { 8 } =>
            {
                Truth::False
            }
            _ => unknown_truth(u),
        };
    }
    // A raw function's network is not known until the stack is deployed.
    if let (UnaryOp::IsCidr | UnaryOp::IsPrivate | UnaryOp::IsInternet, V::Node(n)) = (op, v) {
        if let Some(reason) = intrinsic_reason(n) {
            return Truth::Unknown(reason);
        }
    }
    let value = match v {
        V::Node(n) => Some(&n.value),
        _ => None,
    };
    let b = match op {
        UnaryOp::IsString => {
            matches!(value, Some(Value::String(_))) || matches!(v, V::Lit(Lit::String(_)))
        }
        UnaryOp::IsList => {
            matches!(value, Some(Value::List(_))) || matches!(v, V::Lit(Lit::List(_)))
        }
        UnaryOp::IsStruct => {
            matches!(value, Some(Value::Map(_))) || matches!(v, V::Lit(Lit::Map(_)) | V::Document)
        }
        UnaryOp::IsBool => {
            matches!(value, Some(Value::Bool(_))) || matches!(v, V::Lit(Lit::Bool(_)))
        }
        UnaryOp::IsInt => matches!(value, Some(Value::Int(_))) || matches!(v, V::Lit(Lit::Int(_))),
        UnaryOp::IsFloat => {
            matches!(value, Some(Value::Float(_))) || matches!(v, V::Lit(Lit::Float(_)))
        }
        UnaryOp::IsNull => matches!(value, Some(Value::Null)) || matches!(v, V::Lit(Lit::Null)),
        UnaryOp::IsCidr => cidr(v).is_some(),
        UnaryOp::IsPrivate => cidr(v).is_some_and(net::is_private),
        UnaryOp::IsInternet => cidr(v).is_some_and(net::is_internet),
        UnaryOp::Exists | UnaryOp::Empty | UnaryOp::IsUnknown => false,
    };
    Truth::from_bool(b)
}

/// `EMPTY` over everything a query selected: true when nothing (or only missing keys, empty
/// lists, maps and strings) was selected.
pub(crate) fn empty(items: &[Item<'_>]) -> Truth {
    Truth::all(items.iter().map(|item| match view(item) {
        V::Missing => Truth::True,
        V::Document => Truth::False,
        v => {
            if let Some(u) = unknown_of(v) {
                return unknown_truth(u);
            }
            Truth::from_bool(match v {
                V::Node(n) => match &n.value {
                    Value::List(l) => l.is_empty(),
                    Value::Map(m) => m.is_empty(),
                    Value::String(s) => s.is_empty(),
                    Value::Null => true,
                    _ => false,
                },
                V::Lit(Lit::List(l)) => l.is_empty(),
                V::Lit(Lit::Map(m)) => m.is_empty(),
                V::Lit(Lit::String(s)) => s.is_empty(),
                V::Lit(Lit::Null) => true,
                _ => false,
            })
        }
    }))
}

/// Values as CIDRs, ports and numbers, for the network functions.
pub(crate) mod convert {
    use super::*;

    /// The item as a network.
    pub(crate) fn as_cidr(item: &Item<'_>) -> Option<IpNet> {
        cidr(view(item))
    }

    /// The item as a port range.
    pub(crate) fn as_ports(item: &Item<'_>) -> Option<PortRange> {
        ports(view(item))
    }

    /// The item's unknown value, if it is one.
    pub(crate) fn as_unknown<'v>(item: &'v Item<'_>) -> Option<&'v Unknown> {
        unknown_of(view(item))
    }

    /// The item as text: strings as they are, numbers and booleans as written.
    pub(crate) fn as_text(item: &Item<'_>) -> Option<String> {
        scalar_text(view(item))
    }
}

mod prepared;
#[cfg(test)]
mod tests;

pub(crate) use prepared::{Index, Prepared, texts};
