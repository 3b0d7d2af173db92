//! Security-group rules: inline entries and standalone resources become the model's `rules`
//! entries, one per variant of their values (SG-SEMANTICS §2.1–§2.6).

use std::hash::Hasher;
use std::rc::Rc;

use super::assume::{Assumptions, product};
use super::groups::{GroupRef, Index, Slot};
use super::path::Seg;
use super::protocol::{Protocol, icmp_number, protocol, tcp_udp_ports};
use super::resolve::{PREFIX_LIST, RNode, RVal, Resolver, Vs, one, unknown};
use crate::net::parse_cidr;
use crate::source::Span;
use crate::template::{Map, Node, PortRange, Shape, Str, Unknown, UnknownHint, Value};

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

/// The keys of a rule's `peer`.
static PEER: Shape = Shape(&[
    "kind",
    "cidr",
    "group",
    "self",
    "prefix_list",
    "vpc_cidr_of",
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

/// The group a `SourceSecurityGroupName` names, given the rule's `SourceSecurityGroupOwnerId`:
/// names belong to an account, so with another account's id the name is that account's
/// group, never one of the template's (SG-SEMANTICS §2.2). An owner that may or may not be
/// the stack's own account (a literal id while `AWS::AccountId` is not supplied, a parameter)
/// makes the group unknown.
fn owned_by<'t>(
    resolver: &Resolver<'t>,
    src: &Source<'t>,
    group: GroupRef,
    name: &RNode<'t>,
) -> GroupRef {
    let Some(owner) = src.map.and_then(|m| m.get("SourceSecurityGroupOwnerId")) else {
        return group;
    };
    // A group that is not known already keeps its own reason.
    if let GroupRef::Unknown(_) = group {
        return group;
    }
    if matches!(owner.as_intrinsic(), Some(("Ref", arg)) if arg.as_str() == Some("AWS::AccountId"))
    {
        return group;
    }
    let texts = |vs: Vs<'t>| -> Option<Vec<Str>> {
        vs.into_iter()
            .map(|v| match v.value.val {
                RVal::Str(s) => Some(Str::from(s.trim())),
                // An account id written without quotes is a number.
                RVal::Int(i) => Some(Str::from(format!("{i:012}"))),
                _ => None,
            })
            .collect()
    };
    let owners = resolver.resolve(owner, Seg::Root);
    if owners.iter().all(|v| matches!(v.value.val, RVal::NoValue)) {
        return group;
    }
    let Some(owners) = texts(owners) else {
        return GroupRef::Unknown(Str::from(
            "the account that owns the group (`SourceSecurityGroupOwnerId`) is not known",
        ));
    };
    let account = texts(resolver.reference("AWS::AccountId", owner.span));
    match account.as_deref() {
        Some([account]) if owners.iter().all(|o| o == account) => group,
        Some([_]) => match (owners.as_slice(), &name.val) {
            ([_], RVal::Str(written)) => GroupRef::External(Str::from(written.trim())),
            _ => GroupRef::Unknown(Str::from(
                "the group belongs to another account and its name is not known",
            )),
        },
        _ => GroupRef::Unknown(Str::from(format!(
            "the group belongs to account `{}`, which may not be the stack's own; supply `--param AWS::AccountId=…`",
            owners.first().map(Str::as_str).unwrap_or_default()
        ))),
    }
}

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

/// A rule's peer.
struct Peer {
    node: Node,
    group: Option<GroupRef>,
    is_self: bool,
}

impl Peer {
    fn fields(
        kind: &str,
        cidr: Node,
        group: Node,
        is_self: bool,
        prefix_list: Node,
        vpc_cidr_of: Option<Str>,
        span: Span,
    ) -> Node {
        let vpc = match vpc_cidr_of {
            Some(v) => Node::string(v, span),
            None => Node::null(span),
        };
        Node::record(
            &PEER,
            [
                Node::string(kind, span),
                cidr,
                group,
                Node::new(Value::Bool(is_self), span),
                prefix_list,
                vpc,
            ],
            span,
        )
    }

    /// The peer of a rule that could not be read (an `AWS::Include` in place of the rule, a
    /// rule that is not a map): every field is unknown, so that no check passes it.
    fn unknown(reason: &Unknown, span: Span) -> Peer {
        let unknown = || Node::unknown(reason.clone(), span);
        Peer {
            node: Node::record(
                &PEER,
                [
                    unknown(),
                    unknown(),
                    unknown(),
                    unknown(),
                    unknown(),
                    Node::null(span),
                ],
                span,
            ),
            group: None,
            is_self: false,
        }
    }

    fn cidr(cidr: Node, vpc_cidr_of: Option<Str>, span: Span) -> Peer {
        let null = Node::null(span);
        Peer {
            node: Self::fields("cidr", cidr, null.clone(), false, null, vpc_cidr_of, span),
            group: None,
            is_self: false,
        }
    }

    fn group(group: GroupRef, is_self: bool, span: Span) -> Peer {
        let null = Node::null(span);
        Peer {
            node: Self::fields(
                "group",
                null.clone(),
                group.node(span),
                is_self,
                null,
                None,
                span,
            ),
            group: Some(group),
            is_self,
        }
    }

    fn new<'t>(
        resolver: &Resolver<'t>,
        index: &Index<'t>,
        src: &Source<'t>,
        chosen: Option<(&str, &RNode<'t>)>,
    ) -> Peer {
        let Some((key, value)) = chosen else {
            if let Some(reason) = &src.broken {
                return Self::unknown(reason, src.span);
            }
            let null = Node::null(src.span);
            return Peer {
                node: Self::fields(
                    "none",
                    null.clone(),
                    null.clone(),
                    false,
                    null,
                    None,
                    src.span,
                ),
                group: None,
                is_self: false,
            };
        };
        let span = value.span;
        match key {
            "CidrIp" | "CidrIpv6" => {
                let (cidr, vpc) = cidr_node(value, key == "CidrIpv6");
                Peer::cidr(cidr, vpc, span)
            }
            "SourcePrefixListId" | "DestinationPrefixListId" => {
                let list = match &value.val {
                    RVal::Str(s) => Node::string(s.clone(), span),
                    RVal::Resource { id, .. } => Node::string(id.clone(), span),
                    RVal::Unknown(u) => Node::unknown(u.clone(), span),
                    _ => Node::unknown(Unknown::new("not a prefix list id"), span),
                };
                let null = Node::null(span);
                Peer {
                    node: Self::fields("prefix_list", null.clone(), null, false, list, None, span),
                    group: None,
                    is_self: false,
                }
            }
            _ => {
                let slot = if key == "SourceSecurityGroupName" {
                    Slot::Name
                } else {
                    Slot::Id
                };
                let mut group = index.identify(resolver, value, slot);
                if slot == Slot::Name {
                    group = owned_by(resolver, src, group, value);
                }
                let is_self = !matches!(group, GroupRef::Unknown(_)) && group == src.group;
                Peer::group(group, is_self, span)
            }
        }
    }

    /// The peers of a rule, each with the assumptions under which it holds: the one peer
    /// written, or, for a prefix list of this template with entries, one per entry, with the
    /// entry's block as `cidr`. EC2 applies such a rule to each block of the list, so a list
    /// holding `0.0.0.0/0` opens the rule to the internet.
    fn variants<'t>(
        resolver: &Resolver<'t>,
        index: &Index<'t>,
        src: &Source<'t>,
        chosen: Option<(&str, &RNode<'t>)>,
        when: Assumptions,
    ) -> Vec<(Peer, Assumptions)> {
        let listed = match chosen {
            Some(("SourcePrefixListId" | "DestinationPrefixListId", value)) => match &value.val {
                RVal::Resource { id, .. } if resolver.resource_type(id) == Some(PREFIX_LIST) => {
                    prefix_entries(resolver, id).map(|entries| (id, entries, value.span))
                }
                _ => None,
            },
            _ => None,
        };
        let Some((id, entries, span)) = listed else {
            return vec![(Self::new(resolver, index, src, chosen), when)];
        };
        entries
            .into_iter()
            .filter_map(|entry| {
                let when = when.merge(&entry.when)?;
                // The block is shown where the rule names the list, as a parameter's value is
                // shown where the rule refers to it.
                let v6 = matches!(&entry.value.val, RVal::Str(text) if text.contains(':'));
                let (cidr, _) = cidr_node(
                    &RNode {
                        span,
                        ..entry.value
                    },
                    v6,
                );
                let null = Node::null(span);
                let list = Node::string(id.clone(), span);
                let node = Self::fields("prefix_list", cidr, null, false, list, None, span);
                let peer = Peer {
                    node,
                    group: None,
                    is_self: false,
                };
                Some((peer, when))
            })
            .collect()
    }

    /// The peer for comparing rule sets: a self-reference is "self", whichever group it is.
    fn canonical_node(&self) -> Node {
        if self.is_self {
            return Node::string("self", self.node.span);
        }
        self.node.clone()
    }
}

/// The blocks of the entries of prefix list `id` of this template, each with the assumptions
/// under which it is there; `None` when the list has no entries written (EC2 then has none to
/// apply until some are added outside the template). An entry that cannot be read is unknown.
fn prefix_entries<'t>(resolver: &Resolver<'t>, id: &str) -> Option<Vs<'t>> {
    let entries = resolver
        .resources?
        .get(id)?
        .get("Properties")?
        .get("Entries")?;
    let mut out: Vs<'t> = Vec::new();
    for item in resolver.items(entries, Seg::Root) {
        let span = item.value.span;
        let blocks = match &item.value.val {
            RVal::Map { map, .. } => match map.get("Cidr") {
                Some(cidr) => resolver.resolve(cidr, Seg::Root),
                None => unknown(
                    format!("an entry of prefix list `{id}` has no `Cidr`"),
                    span,
                ),
            },
            RVal::Unknown(u) => one(RVal::Unknown(u.clone()), span),
            _ => unknown(format!("an entry of prefix list `{id}` is not a map"), span),
        };
        out.extend(blocks.into_iter().filter_map(|block| {
            let when = item.when.merge(&block.when)?;
            Some(super::assume::Variant::new(block.value, when))
        }));
    }
    (!out.is_empty()).then_some(out)
}

/// A CIDR value: the normalised block, or unknown with the reason; and the VPC whose whole
/// CIDR it is, if it is one.
fn cidr_node(value: &RNode<'_>, v6: bool) -> (Node, Option<Str>) {
    let span = value.span;
    let parse = |text: &str| match parse_cidr(text) {
        Ok(net) if matches!(net, ipnet::IpNet::V6(_)) == v6 => Node::string(net.to_string(), span),
        Ok(net) => Node::unknown(
            Unknown::new(format!(
                "`{net}` is an IPv{} block in `{}`",
                if v6 { 4 } else { 6 },
                if v6 { "CidrIpv6" } else { "CidrIp" }
            )),
            span,
        ),
        Err(e) => Node::unknown(Unknown::new(e.to_string()), span),
    };
    match &value.val {
        RVal::Str(s) => (parse(s), None),
        RVal::VpcCidr { vpc, cidr: Some(c) } => (parse(c), Some(vpc.clone())),
        RVal::VpcCidr { vpc, cidr: None } => (
            Node::unknown(
                Unknown {
                    reason: Str::from(format!(
                        "the CIDR of VPC `{vpc}` is not written in the template"
                    )),
                    hint: UnknownHint::VpcCidr(vpc.clone()),
                },
                span,
            ),
            Some(vpc.clone()),
        ),
        // Any address with prefix length 0 is the whole address space once host bits are
        // cleared: `!Sub "${Net}/0"` is 0.0.0.0/0 (or ::/0), whatever `Net` is.
        RVal::Unknown(Unknown {
            hint: UnknownHint::CidrPrefix(0),
            ..
        }) => {
            let all = if v6 { "::/0" } else { "0.0.0.0/0" };
            (Node::string(all, span), None)
        }
        RVal::Unknown(u) => (Node::unknown(sized_cidr(u, v6), span), None),
        other => (
            Node::unknown(
                super::functions::to_text(other)
                    .err()
                    .unwrap_or_else(|| Unknown::new("not a CIDR block")),
                span,
            ),
            None,
        ),
    }
}

/// An unknown block whose prefix length is known (`!Sub "${Ip}/32"`) becomes a block of the
/// slot's IP version, so that its size and family can still be reasoned about.
fn sized_cidr(u: &Unknown, v6: bool) -> Unknown {
    let mut u = u.clone();
    if let UnknownHint::CidrPrefix(prefix) = u.hint {
        if prefix <= if v6 { 128 } else { 32 } {
            u.hint = UnknownHint::Cidr { v6, prefix };
        }
    }
    u
}
