//! The value tree shared by templates, the model and the evaluator.
//!
//! A template loads into a tree of [`Node`]s, each with the [`Span`] of the text it came from.
//! The model (see `crate::model`) is built from the same node type so that policies query the
//! raw template and the model alike; only the model uses [`Value::Ports`] and
//! [`Value::Unknown`].

use std::fmt;

use compact_str::CompactString;
use serde::ser::{SerializeMap, SerializeSeq};

pub use super::map::{Entries, Entry, EntryRef, Key, Map, Shape};
use crate::source::Span;

/// The string type of values and keys: short strings are stored inline.
pub type Str = CompactString;

/// A value and the span of the text it came from.
///
/// For a value that the model computed (an implicit rule, a resolved `!Sub`), the span is the
/// template text the value was derived from, so findings still point at a real line.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value itself.
    pub value: Value,
    /// Where it came from.
    pub span: Span,
}

/// A template or model value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, `~`, or an empty plain scalar.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A float, or an integer too large for 64 bits.
    Float(f64),
    /// A string (every quoted scalar is a string, whatever it looks like).
    String(Str),
    /// A sequence.
    List(Box<[Node]>),
    /// A mapping with unique keys, in source order.
    Map(Map),
    /// An inclusive port range (model only).
    Ports(PortRange),
    /// A value palisade could not work out, with the reason (model only).
    Unknown(Box<Unknown>),
    /// A node that appears in several places of the model (a rule is both in `rules` and in
    /// its group's `ingress` or `egress`). Readers look through it with [`Node::resolved`].
    Shared(std::sync::Arc<Node>),
}

/// An inclusive range of ports, `from..=to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRange {
    /// First port.
    pub from: u16,
    /// Last port (inclusive).
    pub to: u16,
}

impl PortRange {
    /// Every port, 0–65535.
    pub const ALL: PortRange = PortRange { from: 0, to: 65535 };

    /// The range `from..=to`, or `None` when `from > to`.
    pub fn new(from: u16, to: u16) -> Option<Self> {
        (from <= to).then_some(PortRange { from, to })
    }

    /// A single port.
    pub fn single(port: u16) -> Self {
        PortRange {
            from: port,
            to: port,
        }
    }

    /// Number of ports in the range.
    pub fn count(self) -> u32 {
        u32::from(self.to) - u32::from(self.from) + 1
    }

    /// True when the two ranges share at least one port.
    pub fn overlaps(self, other: PortRange) -> bool {
        self.from <= other.to && other.from <= self.to
    }

    /// True when every port of `self` is in `other`.
    pub fn within(self, other: PortRange) -> bool {
        other.from <= self.from && self.to <= other.to
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

/// Why a value is unknown, and what is known about it anyway.
#[derive(Clone, Debug, PartialEq)]
pub struct Unknown {
    /// A short reason in words, e.g. "`!ImportValue SharedCidr` is only known at deploy time".
    pub reason: Str,
    /// Facts that hold whatever the value turns out to be.
    pub hint: UnknownHint,
}

/// Facts about an unknown value that operators can still use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnknownHint {
    /// Nothing is known.
    None,
    /// The value is one of several that depend on conditions or parameters, and one of them
    /// is "not set" (`AWS::NoValue` or null): unlike other unknown values, it may be null.
    MaybeNull,
    /// The value is the whole IPv4 CIDR block of the VPC with this logical id
    /// (`!GetAtt Vpc.CidrBlock`). A VPC block is between /16 and /28, so it is never
    /// "the internet".
    VpcCidr(Str),
    /// The value is the IPv4 CIDR block of another resource inside a VPC, such as a subnet
    /// (`!GetAtt Subnet.CidrBlock`): a part of a VPC's block, so never "the internet".
    BlockInVpc(Str),
    /// The value is a CIDR block whose prefix length is known although its address is not,
    /// e.g. `!Sub "${OfficeIp}/32"`.
    CidrPrefix(u8),
    /// The value is a CIDR block of a known IP version and prefix length whose address is not
    /// known: `CidrIp: !Sub "${OfficeIp}/32"` is an IPv4 /32, whatever `OfficeIp` is.
    Cidr {
        /// True for an IPv6 block (`CidrIpv6`), false for IPv4 (`CidrIp`).
        v6: bool,
        /// The prefix length.
        prefix: u8,
    },
}

impl Unknown {
    /// An unknown value with a reason and no further facts.
    pub fn new(reason: impl Into<Str>) -> Self {
        Unknown {
            reason: reason.into(),
            hint: UnknownHint::None,
        }
    }
}

/// `items` in an allocation of their exact size.
///
/// Shrinking a vector in place keeps its whole block with the allocator when the contents
/// fill at least half of it, so a vector that grew by doubling is moved instead.
pub(crate) fn exact<T>(mut items: Vec<T>) -> Box<[T]> {
    if items.len() == items.capacity() {
        return items.into_boxed_slice();
    }
    take_exact(&mut items)
}

/// The contents of `buffer` moved to an allocation of their exact size, leaving the buffer
/// empty, with its capacity, for reuse.
pub(crate) fn take_exact<T>(buffer: &mut Vec<T>) -> Box<[T]> {
    let mut moved = Vec::with_capacity(buffer.len());
    moved.append(buffer);
    moved.into_boxed_slice()
}

impl Node {
    /// A node from a value and a span.
    pub fn new(value: Value, span: Span) -> Self {
        Node { value, span }
    }

    /// A string node.
    pub fn string(s: impl Into<Str>, span: Span) -> Self {
        Node::new(Value::String(s.into()), span)
    }

    /// A null node.
    pub fn null(span: Span) -> Self {
        Node::new(Value::Null, span)
    }

    /// A record node of `shape` (see [`Map::record`]).
    pub fn record(
        shape: &'static Shape,
        values: impl IntoIterator<Item = Node>,
        span: Span,
    ) -> Self {
        Node::new(Value::Map(Map::record(shape, values, span)), span)
    }

    /// A map node from `(key, value)` pairs; every key gets the node's span.
    pub fn map<K: Into<Str>>(pairs: impl IntoIterator<Item = (K, Node)>, span: Span) -> Self {
        let entries = pairs
            .into_iter()
            .map(|(k, value)| Entry {
                key: Key::from(k.into().as_str()),
                key_span: span,
                value,
            })
            .collect();
        Node::new(Value::Map(Map::new(entries)), span)
    }

    /// The text CloudFormation would receive for a scalar (a number or a boolean as written
    /// in JSON); `None` for null, lists, maps and model values.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::String(s) => Some(s.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(float_text(*f)),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// This node with each entry of its map (as read from a template) passed through `f`;
    /// any other node as it is.
    pub(crate) fn map_entries(self, f: impl FnMut(Entry) -> Entry) -> Node {
        let span = self.span;
        match self.value {
            Value::Map(map) => {
                let entries = map.into_written().into_iter().map(f).collect();
                Node::new(Value::Map(Map::new(entries)), span)
            }
            value => Node::new(value, span),
        }
    }

    /// A list node.
    pub fn list(items: Vec<Node>, span: Span) -> Self {
        Node::new(Value::List(exact(items)), span)
    }

    /// An unknown node.
    pub fn unknown(unknown: Unknown, span: Span) -> Self {
        Node::new(Value::Unknown(Box::new(unknown)), span)
    }

    /// The node itself, or the node a [`Value::Shared`] points to.
    pub fn resolved(&self) -> &Node {
        let mut node = self;
        while let Value::Shared(inner) = &node.value {
            node = inner;
        }
        node
    }

    /// A node that shares `node` (cheap to clone; see [`Value::Shared`]).
    pub fn shared(node: std::sync::Arc<Node>, span: Span) -> Self {
        Node::new(Value::Shared(node), span)
    }

    /// The map, if this is one.
    pub fn as_map(&self) -> Option<&Map> {
        match &self.resolved().value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The list, if this is one.
    pub fn as_list(&self) -> Option<&[Node]> {
        match &self.resolved().value {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.resolved().value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value under `key`, if this is a map that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// If this node is an intrinsic function call (a map with exactly one key, `Ref` or
    /// `Fn::…`, or `Condition`), its name and argument.
    pub fn as_intrinsic(&self) -> Option<(&str, &Node)> {
        let map = self.as_map()?;
        let [entry] = map.written() else {
            return None;
        };
        let name: &str = &entry.key;
        (name == "Ref" || name == "Condition" || name.starts_with("Fn::"))
            .then_some((name, &entry.value))
    }
}

impl Value {
    /// The type name used in messages: `null`, `bool`, `int`, `float`, `string`, `list`,
    /// `map`, `port range`, `unknown`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Ports(_) => "port range",
            Value::Unknown(_) => "unknown",
            Value::Shared(node) => node.resolved().value.type_name(),
        }
    }
}

impl serde::Serialize for Node {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl serde::Serialize for Value {
    /// JSON form: scalars as themselves, port ranges as `{"from": F, "to": T}`, unknown values
    /// as `{"unknown": "reason"}`, non-finite floats as `null`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::Float(f) if f.is_finite() => serializer.serialize_f64(*f),
            Value::Float(_) => serializer.serialize_unit(),
            Value::String(s) => serializer.serialize_str(s),
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Map(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (k, v) in map.iter() {
                    out.serialize_entry(k, v)?;
                }
                out.end()
            }
            Value::Ports(p) => {
                let mut out = serializer.serialize_map(Some(2))?;
                out.serialize_entry("from", &p.from)?;
                out.serialize_entry("to", &p.to)?;
                out.end()
            }
            Value::Shared(node) => node.resolved().value.serialize(serializer),
            Value::Unknown(u) => {
                let mut out = serializer.serialize_map(Some(1))?;
                out.serialize_entry("unknown", u.reason.as_str())?;
                out.end()
            }
        }
    }
}

/// The text CloudFormation gives a number written with a fraction or an exponent: a whole one
/// keeps its `.0` (`1.0` is "1.0", not "1"), as the service's own parser renders it; others as
/// Rust writes them (`2.5`).
pub fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(i: i64) -> Node {
        Node::new(Value::Int(i), Span::default())
    }

    #[test]
    fn large_maps_are_indexed_and_small_ones_are_not() {
        let small = Node::map((0..3).map(|i| (format!("k{i}"), int(i))), Span::default());
        let large = Node::map((0..100).map(|i| (format!("k{i}"), int(i))), Span::default());
        assert!(!small.as_map().unwrap().is_indexed());
        assert!(large.as_map().unwrap().is_indexed());
        assert_eq!(small.get("k2"), Some(&int(2)));
        assert_eq!(large.get("k77"), Some(&int(77)));
        assert_eq!(large.get("k100"), None);
    }

    #[test]
    fn nodes_stay_small() {
        // A large template is millions of these: a regression here is a regression in peak
        // memory (see docs/performance.md).
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert_eq!(std::mem::size_of::<Node>(), 32);
        assert_eq!(std::mem::size_of::<Entry>(), 48);
    }

    #[test]
    fn intrinsic_is_a_single_key_map() {
        let r = Node::map(
            [("Ref", Node::string("P", Span::default()))],
            Span::default(),
        );
        assert_eq!(r.as_intrinsic().map(|(n, _)| n), Some("Ref"));
        let two = Node::map([("Ref", int(1)), ("X", int(2))], Span::default());
        assert_eq!(two.as_intrinsic(), None);
        let plain = Node::map([("Name", int(1))], Span::default());
        assert_eq!(plain.as_intrinsic(), None);
    }

    #[test]
    fn serializes_model_values_as_json() {
        let n = Node::map(
            [
                (
                    "ports",
                    Node::new(Value::Ports(PortRange::ALL), Span::default()),
                ),
                (
                    "cidr",
                    Node::unknown(Unknown::new("imported"), Span::default()),
                ),
            ],
            Span::default(),
        );
        assert_eq!(
            serde_json::to_string(&n).unwrap(),
            r#"{"ports":{"from":0,"to":65535},"cidr":{"unknown":"imported"}}"#
        );
    }

    #[test]
    fn port_range_relations() {
        let ssh = PortRange::single(22);
        let low = PortRange::new(0, 1023).unwrap();
        assert!(ssh.within(low) && ssh.overlaps(low) && !low.within(ssh));
        assert_eq!(PortRange::ALL.count(), 65536);
        assert_eq!(PortRange::new(5, 4), None);
        assert_eq!(low.to_string(), "0-1023");
    }
}
