//! Security-group rules: inline entries and standalone resources become the model's `rules`
//! entries, one per variant of their values (SG-SEMANTICS §2.1–§2.6).

use std::hash::Hasher;
use std::rc::Rc;

use super::assume::{Assumptions, product};
use super::groups::{GroupRef, Index};
use super::path::Seg;
use super::peers::Peer;
use super::protocol::{Protocol, icmp_number, protocol, tcp_udp_ports};
use super::resolve::{RNode, RVal, Resolver, Vs, one, unknown};
use crate::source::Span;
use crate::template::{Map, Node, PortRange, Shape, Str, Unknown, Value};

/// `ingress` or `egress`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Inbound.
    Ingress,
    /// Outbound.
    Egress,
}

impl Direction {
    /// The model's name.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// Where a rule is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// An entry of a group's `SecurityGroupIngress`/`SecurityGroupEgress`.
    Inline,
    /// An `AWS::EC2::SecurityGroupIngress`/`Egress` resource.
    Standalone,
    /// Created by EC2 without being written (allow-all egress, default-group rules).
    Implicit,
}

impl Origin {
    /// The model's name.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Inline => "inline",
            Origin::Standalone => "standalone",
            Origin::Implicit => "implicit",
        }
    }
}

/// One declared rule before its values are resolved: an inline entry or a standalone
/// resource, for one variant of its target group.
#[derive(Clone, Debug)]
pub struct Source<'t> {
    /// Direction.
    pub direction: Direction,
    /// Inline or standalone.
    pub origin: Origin,
    /// The group it belongs to.
    pub group: GroupRef,
    /// The declaring resource.
    pub resource: Str,
    /// Its properties, when they are a map.
    pub map: Option<&'t Map>,
    /// Why the entry could not be read, when it is not a map.
    pub broken: Option<Unknown>,
    /// JSON pointer of the entry or resource.
    pub path: Rc<str>,
    /// Its span.
    pub span: Span,
    /// When the rule exists.
    pub when: Assumptions,
}

/// A rule of the model, with what building the groups needs to know of it. (The model keeps
/// them all until the groups are made: the entry holds the rest, such as the declaring
/// resource.)
#[derive(Clone, Debug)]
pub struct Rule {
    /// The entry as the model shows it.
    pub node: Node,
    /// The group it belongs to.
    pub group: GroupRef,
    /// The group it names as peer, if any (most peers are CIDR blocks).
    pub peer_group: Option<Box<GroupRef>>,
    /// Direction.
    pub direction: Direction,
    /// A 128-bit hash of a canonical text of what the rule allows (for finding identical
    /// rule sets; the text itself is not kept).
    pub canonical: u128,
}

/// The keys of a `rules` entry.
static RULE: Shape = Shape(&[
    "direction",
    "group",
    "resource",
    "origin",
    "protocol",
    "ports",
    "icmp",
    "peer",
    "description",
    "condition",
    "parameters",
    "path",
]);

/// The keys of a rule's `icmp`.
static ICMP: Shape = Shape(&["type", "code"]);

const INGRESS_PEERS: [&str; 5] = [
    "CidrIp",
    "CidrIpv6",
    "SourcePrefixListId",
    "SourceSecurityGroupId",
    "SourceSecurityGroupName",
];
const EGRESS_PEERS: [&str; 4] = [
    "CidrIp",
    "CidrIpv6",
    "DestinationPrefixListId",
    "DestinationSecurityGroupId",
];

/// The CDK's "disallow all traffic" placeholder egress: icmp 252–86 to 255.255.255.255/32.
fn is_placeholder(
    proto: Option<Protocol>,
    from: &RVal<'_>,
    to: &RVal<'_>,
    cidr: &RVal<'_>,
) -> bool {
    let num = |v: &RVal<'_>, n: i64| match v {
        RVal::Int(i) => *i == n,
        RVal::Str(s) => s.trim() == n.to_string(),
        _ => false,
    };
    proto == Some(Protocol::Icmp)
        && num(from, 252)
        && num(to, 86)
        && matches!(cidr, RVal::Str(s) if s.trim() == "255.255.255.255/32")
}

/// Builds the rules of one declared entry: one per consistent combination of its values.
pub fn build<'t>(resolver: &Resolver<'t>, index: &Index<'t>, src: &Source<'t>) -> Vec<Rule> {
    let peers: &[&str] = match src.direction {
        Direction::Ingress => &INGRESS_PEERS,
        Direction::Egress => &EGRESS_PEERS,
    };
    let mut keys = vec!["IpProtocol", "FromPort", "ToPort", "Description"];
    keys.extend_from_slice(peers);
    let lists: Vec<Vs<'t>> = keys
        .iter()
        .map(|k| match (src.map, &src.broken) {
            // A rule that could not be read: its protocol and description are unknown (its
            // ports follow the protocol, its peer is unknown too, see `Peer::unknown`).
            (_, Some(u)) if matches!(*k, "IpProtocol" | "Description") => {
                one(RVal::Unknown(u.clone()), src.span)
            }
            (Some(map), _) => match map.get(k) {
                Some(node) => resolver.resolve(node, Seg::Root),
                None => one(RVal::NoValue, src.span),
            },
            (None, _) => one(RVal::NoValue, src.span),
        })
        .collect();
    let combos = product(&lists, resolver.bound).unwrap_or_else(|| {
        let reason = format!("more than {} combinations of values", resolver.bound);
        let single: Vec<Vs<'t>> = lists
            .into_iter()
            .map(|l| match l.as_slice() {
                [_] => l,
                _ => unknown(reason.clone(), l.first().map_or(src.span, |v| v.value.span)),
            })
            .collect();
        product(&single, resolver.bound).unwrap_or_default()
    });
    let mut out = Vec::new();
    for combo in combos {
        if let Some(when) = src.when.merge(&combo.when) {
            rules(resolver, index, src, &combo.value, when, &mut out);
        }
    }
    out
}

/// The rules of one combination of an entry's values: one, or one per entry of a prefix list
/// of the template that the rule names as its peer.
fn rules<'t>(
    resolver: &Resolver<'t>,
    index: &Index<'t>,
    src: &Source<'t>,
    values: &[RNode<'t>],
    when: Assumptions,
    out: &mut Vec<Rule>,
) {
    let [proto, from, to, description, peers @ ..] = values else {
        return;
    };
    let parsed = protocol(&proto.val);
    let cidr_val = peers.first().map_or(&RVal::NoValue, |p| &p.val);
    if src.direction == Direction::Egress
        && is_placeholder(parsed.as_ref().ok().copied(), &from.val, &to.val, cidr_val)
    {
        return;
    }
    let port_span = match (&from.val, &to.val) {
        (RVal::NoValue, RVal::NoValue) => proto.span,
        (RVal::NoValue, _) => to.span,
        (_, RVal::NoValue) => from.span,
        _ => from.span.join(to.span),
    };
    let (protocol_node, ports, icmp) = match parsed {
        Ok(p) => {
            let name = Node::string(p.name(), proto.span);
            let all = Node::new(Value::Ports(PortRange::ALL), proto.span);
            match p {
                Protocol::Tcp | Protocol::Udp => {
                    let ports = match tcp_udp_ports(p, &from.val, &to.val) {
                        Ok(range) => Node::new(Value::Ports(range), port_span),
                        Err(u) => Node::unknown(u, port_span),
                    };
                    (name, ports, Node::null(src.span))
                }
                Protocol::Icmp | Protocol::Icmpv6 => {
                    let num = |v: &RNode<'_>, what: &str| match icmp_number(&v.val, what) {
                        Ok(n) => Node::new(Value::Int(n), v.span),
                        Err(u) => Node::unknown(u, v.span),
                    };
                    let icmp =
                        Node::record(&ICMP, [num(from, "FromPort"), num(to, "ToPort")], port_span);
                    (name, all, icmp)
                }
                Protocol::All | Protocol::Number(_) => (name, all, Node::null(src.span)),
            }
        }
        Err(u) => {
            let ports = Unknown::new(format!("the ports depend on the protocol: {}", u.reason));
            (
                Node::unknown(u, proto.span),
                Node::unknown(ports, proto.span),
                Node::null(src.span),
            )
        }
    };
    let peer_keys: &[&str] = match src.direction {
        Direction::Ingress => &INGRESS_PEERS,
        Direction::Egress => &EGRESS_PEERS,
    };
    // CloudFormation wants one peer per rule; a rule that names several (`CidrIp` and
    // `CidrIpv6`) is read as one rule per peer, so that none of them goes unchecked.
    let mut chosen: Vec<Option<(&str, &RNode<'t>)>> = peer_keys
        .iter()
        .zip(peers)
        .filter(|(_, v)| !matches!(v.val, RVal::NoValue | RVal::Null))
        .map(|(k, v)| Some((*k, v)))
        .collect();
    if chosen.is_empty() {
        chosen.push(None);
    }
    let description = match &description.val {
        RVal::NoValue | RVal::Null => Node::null(description.span),
        RVal::Unknown(u) => Node::unknown(u.clone(), description.span),
        other => match super::functions::to_text(other) {
            Ok(t) => Node::string(t, description.span),
            Err(u) => Node::unknown(u, description.span),
        },
    };
    let (mut protocol_node, mut ports, mut icmp, mut description) =
        (protocol_node, ports, icmp, description);
    let variants: Vec<(Peer, Assumptions)> = chosen
        .into_iter()
        .flat_map(|chosen| Peer::variants(resolver, index, src, chosen, when.clone()))
        .collect();
    let last = variants.len().saturating_sub(1);
    for (i, (peer, when)) in variants.into_iter().enumerate() {
        // The last (most often the only) rule takes the values; the others copy them.
        let take = |node: &mut Node| {
            if i == last {
                std::mem::replace(node, Node::null(src.span))
            } else {
                node.clone()
            }
        };
        let (protocol_node, ports, icmp, description) = (
            take(&mut protocol_node),
            take(&mut ports),
            take(&mut icmp),
            take(&mut description),
        );
        let (condition, parameters) = assumption_nodes(resolver, &when, src.span);
        let canonical = canonical(&[
            &Node::string(src.direction.name(), src.span),
            &protocol_node,
            &ports,
            &icmp,
            &peer.canonical_node(),
            &condition,
            &parameters,
        ]);
        let node = Node::record(
            &RULE,
            [
                Node::string(src.direction.name(), src.span),
                src.group.node(src.span),
                Node::string(src.resource.clone(), src.span),
                Node::string(src.origin.name(), src.span),
                protocol_node,
                ports,
                icmp,
                peer.node,
                description,
                condition,
                parameters,
                Node::string(&*src.path, src.span),
            ],
            src.span,
        );
        out.push(Rule {
            node,
            group: src.group.clone(),
            peer_group: peer.group.map(Box::new),
            direction: src.direction,
            canonical,
        });
    }
}

/// Where an implicit rule belongs: its group, the resource it is reported at, and where.
#[derive(Clone, Copy, Debug)]
pub struct ImplicitAt<'a> {
    /// The group.
    pub group: &'a GroupRef,
    /// The resource (the group, or the VPC of a default group).
    pub resource: &'a str,
    /// JSON pointer of that resource.
    pub path: &'a str,
    /// Its span (the resource's key).
    pub span: Span,
}

/// The implicit allow-all IPv4 rule EC2 adds to a group (egress), or the default group's
/// allow-all-from-itself ingress (`self_peer`).
pub fn implicit(
    resolver: &Resolver<'_>,
    direction: Direction,
    self_peer: bool,
    at: &ImplicitAt<'_>,
    when: &Assumptions,
) -> Rule {
    let peer = if self_peer {
        Peer::group(at.group.clone(), true, at.span)
    } else {
        Peer::cidr(Node::string("0.0.0.0/0", at.span), None, at.span)
    };
    let made = Made {
        direction,
        protocol: "all",
        ports: PortRange::ALL,
        peer,
        description: None,
    };
    made_rule(resolver, made, at, when)
}

/// The rule EKS puts on the group it creates for a node group with `RemoteAccess` (an SSH key)
/// and no `SourceSecurityGroups`: SSH from anywhere.
pub fn eks_remote_access(resolver: &Resolver<'_>, at: &ImplicitAt<'_>, when: &Assumptions) -> Rule {
    let made = Made {
        direction: Direction::Ingress,
        protocol: "tcp",
        ports: PortRange { from: 22, to: 22 },
        peer: Peer::cidr(Node::string("0.0.0.0/0", at.span), None, at.span),
        description: Some("opened by EKS for remote access"),
    };
    made_rule(resolver, made, at, when)
}

/// What a rule the template does not write (EC2's, EKS's) allows.
struct Made {
    direction: Direction,
    protocol: &'static str,
    ports: PortRange,
    peer: Peer,
    description: Option<&'static str>,
}

/// A rule of the model that the template does not write, at `at`, under `when`.
fn made_rule(resolver: &Resolver<'_>, made: Made, at: &ImplicitAt<'_>, when: &Assumptions) -> Rule {
    let ImplicitAt {
        group,
        resource,
        path,
        span,
    } = *at;
    let Made {
        direction,
        protocol,
        ports,
        peer,
        description,
    } = made;
    let (condition, parameters) = assumption_nodes(resolver, when, span);
    let ports = Node::new(Value::Ports(ports), span);
    let canonical = canonical(&[
        &Node::string(direction.name(), span),
        &Node::string(protocol, span),
        &ports,
        &Node::null(span),
        &peer.canonical_node(),
        &condition,
        &parameters,
    ]);
    let description = description.map_or_else(|| Node::null(span), |d| Node::string(d, span));
    let node = Node::record(
        &RULE,
        [
            Node::string(direction.name(), span),
            group.node(span),
            Node::string(resource, span),
            Node::string(Origin::Implicit.name(), span),
            Node::string(protocol, span),
            ports,
            Node::null(span),
            peer.node,
            description,
            condition,
            parameters,
            Node::string(path, span),
        ],
        span,
    );
    Rule {
        node,
        group: group.clone(),
        peer_group: peer.group.map(Box::new),
        direction,
        canonical,
    }
}

fn canonical(parts: &[&Node]) -> u128 {
    let mut hash = TwoHashes::default();
    // Writing to a hasher cannot fail.
    let _ = serde_json::to_writer(&mut hash, parts);
    (u128::from(hash.0.finish()) << 64) | u128::from(hash.1.finish())
}

/// Two independent hashes of the bytes written, both with fixed keys: the same rules hash
/// alike in every run and on every thread.
#[derive(Default)]
struct TwoHashes(std::hash::DefaultHasher, Fnv);

/// FNV-1a, 64 bits.
#[derive(Clone, Copy, Debug)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

impl std::io::Write for TwoHashes {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.write(bytes);
        self.1.write(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The `condition` and `parameters` maps of a variant (null when empty).
pub fn assumption_nodes(resolver: &Resolver<'_>, when: &Assumptions, span: Span) -> (Node, Node) {
    let condition = if when.conditions().is_empty() {
        Node::null(span)
    } else {
        Node::map(
            when.conditions()
                .iter()
                .map(|(name, value)| (name.clone(), Node::new(Value::Bool(*value), span))),
            span,
        )
    };
    let shown: Vec<(Str, Node)> = when
        .params()
        .iter()
        .filter_map(|(name, choice)| {
            let value = resolver.shown(name, *choice)?;
            Some((name.clone(), Node::new(value.clone(), span)))
        })
        .collect();
    let parameters = if shown.is_empty() {
        Node::null(span)
    } else {
        Node::map(shown, span)
    };
    (condition, parameters)
}
