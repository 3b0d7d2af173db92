//! The peer of a security-group rule: a CIDR block (normalised), a group (of this template,
//! its VPC's default, another account's, or outside the template), a prefix list (with the
//! entries of one the template declares), or none (SG-SEMANTICS §2.2, §2.6).

use super::assume::Assumptions;
use super::groups::{GroupRef, Index, Slot};
use super::path::Seg;
use super::resolve::{PREFIX_LIST, RNode, RVal, Resolver, Vs, one, unknown};
use super::rules::Source;
use crate::net::parse_cidr;
use crate::source::Span;
use crate::template::{Node, Shape, Str, Unknown, UnknownHint, Value};

/// The keys of a rule's `peer`.
static PEER: Shape = Shape(&[
    "kind",
    "cidr",
    "group",
    "self",
    "prefix_list",
    "vpc_cidr_of",
]);

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

/// A rule's peer.
pub(super) struct Peer {
    pub(super) node: Node,
    pub(super) group: Option<GroupRef>,
    pub(super) is_self: bool,
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
    pub(super) fn unknown(reason: &Unknown, span: Span) -> Peer {
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

    pub(super) fn cidr(cidr: Node, vpc_cidr_of: Option<Str>, span: Span) -> Peer {
        let null = Node::null(span);
        Peer {
            node: Self::fields("cidr", cidr, null.clone(), false, null, vpc_cidr_of, span),
            group: None,
            is_self: false,
        }
    }

    pub(super) fn group(group: GroupRef, is_self: bool, span: Span) -> Peer {
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

    pub(super) fn new<'t>(
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
    pub(super) fn variants<'t>(
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
    pub(super) fn canonical_node(&self) -> Node {
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
