//! The `security_groups` entries: each group with its properties, its effective rules, who uses
//! it and which other groups have the same rules.

use super::assume::Assumptions;
use super::attachments::{existence, resource_when};
use super::build::{MAX_DUPLICATES_LISTED, group_condition};
use super::functions::to_text;
use super::groups::{GroupRef, Index, default_group_id};
use super::path::{Seg, property_pointer};
use super::refs::Reference;
use super::resolve::{RNode, RVal, Resolver, VPC};
use super::rules::Rule;
use super::written::{include_of, included};
use crate::hash::{HashMap, HashSet};
use crate::source::Span;
use crate::template::{Entry, Node, Shape, Str, Unknown, UnknownHint, Value};

#[derive(Default)]
struct Uses {
    ingress: Vec<usize>,
    egress: Vec<usize>,
    declared: bool,
    referenced_by: Vec<Node>,
    attached_to: Vec<Node>,
    exported: bool,
}

/// The `security_groups` entries: template groups in order, then the VPC default groups the
/// template names.
pub fn groups<'t>(
    resolver: &Resolver<'t>,
    index: &Index<'t>,
    rules: &[&Rule],
    refs: &[Reference<'t>],
    defaults: &[&'t Entry],
) -> Vec<Node> {
    let mut uses: HashMap<Str, Uses> = HashMap::default();
    // (peer, declaring resource, group, direction) already listed in the peer's
    // `referenced_by`.
    let mut seen: HashSet<(Str, &str, &GroupRef, &str)> = HashSet::default();
    for (i, rule) in rules.iter().enumerate() {
        let own = rule.group.entry_id();
        if let Some(id) = &own {
            let u = uses.entry(id.clone()).or_default();
            match rule.direction {
                super::rules::Direction::Ingress => u.ingress.push(i),
                super::rules::Direction::Egress => u.egress.push(i),
            }
            u.declared |= rule.node.get("origin").and_then(Node::as_str) != Some("implicit");
        }
        let Some(peer) = rule.peer_group.as_ref().and_then(|g| g.entry_id()) else {
            continue;
        };
        if own.as_ref() == Some(&peer) {
            continue;
        }
        let span = rule.node.span;
        let direction = rule.direction.name();
        let resource = rule
            .node
            .get("resource")
            .and_then(Node::as_str)
            .unwrap_or("");
        if seen.insert((peer.clone(), resource, &rule.group, direction)) {
            let group = rule.group.node(span);
            let u = uses.entry(peer).or_default();
            u.referenced_by.push(Node::record(
                &REFERENCED_BY,
                [
                    Node::string(resource, span),
                    group,
                    Node::string(direction, span),
                ],
                span,
            ));
        }
    }
    for r in refs.iter().filter(|r| !r.in_rule) {
        // Resources that exist in no deployment (a `Condition` that never holds) use nothing.
        if r.from.is_some_and(|from| never_created(resolver, from)) {
            continue;
        }
        let Some(id) = r.group(resolver).and_then(|g| g.entry_id()) else {
            continue;
        };
        let u = uses.entry(id.clone()).or_default();
        match &r.from {
            None => u.exported = true,
            Some(from) if *from != id => {
                let span = r.span;
                u.attached_to.push(Node::record(
                    &ATTACHED_TO,
                    [
                        Node::string(*from, span),
                        Node::string(r.from_type, span),
                        Node::string(r.path.clone(), span),
                    ],
                    span,
                ));
            }
            Some(_) => {}
        }
    }
    let fields: Vec<Fields> = index
        .groups
        .iter()
        .map(|entry| {
            let props = entry.value.get("Properties");
            let span = entry.key_span;
            let prop = |key: &str| props.and_then(|p| p.get(key));
            let within = resource_when(resolver, entry);
            // Properties a transform supplies (`AWS::Include`) may hold what is not written.
            let include = include_of(props);
            let or_included = |key: &str, node: Node| match include {
                Some(at) if prop(key).is_none() => Node::unknown(included(&format!("`{key}`")), at),
                _ => node,
            };
            Fields {
                name: or_included(
                    "GroupName",
                    single(resolver, prop("GroupName"), &within, span, text_node),
                ),
                description: or_included(
                    "GroupDescription",
                    single(resolver, prop("GroupDescription"), &within, span, text_node),
                ),
                vpc: or_included(
                    "VpcId",
                    single(resolver, prop("VpcId"), &within, span, vpc_node),
                ),
                tags: or_included("Tags", tags(resolver, prop("Tags"), &within, span)),
                is_default: false,
                condition: group_condition(resolver, entry, span),
                exists: !within.is_empty(),
            }
        })
        .collect();
    let mut duplicates = duplicates(index, rules, &uses, &fields);
    let mut out = Vec::new();
    for (entry, fields) in index.groups.iter().zip(fields) {
        if !fields.exists {
            continue;
        }
        let mut u = uses.remove(&*entry.key).unwrap_or_default();
        let (dups, count) = duplicates.remove(&*entry.key).unwrap_or_default();
        out.push(entry_node(entry, fields, &mut u, rules, dups, count));
    }
    for vpc in defaults {
        if resource_when(resolver, vpc).is_empty() {
            continue;
        }
        let id = default_group_id(&vpc.key);
        let mut u = uses.remove(&id).unwrap_or_default();
        let span = vpc.key_span;
        let fields = Fields {
            name: Node::string("default", span),
            description: Node::string("default VPC security group", span),
            vpc: Node::string(&*vpc.key, span),
            tags: Node::map(Vec::<(Str, Node)>::new(), span),
            is_default: true,
            condition: group_condition(resolver, vpc, span),
            exists: true,
        };
        let mut node = entry_node(vpc, fields, &mut u, rules, Vec::new(), 0);
        node = super::build::replace(node, "logical_id", Node::string(id, span));
        out.push(node);
    }
    out
}

struct Fields {
    name: Node,
    description: Node,
    vpc: Node,
    tags: Node,
    is_default: bool,
    condition: Node,
    /// False for a group whose `Condition` holds in no deployment: it is never created.
    exists: bool,
}

fn entry_node(
    entry: &Entry,
    fields: Fields,
    u: &mut Uses,
    rules: &[&Rule],
    duplicates: Vec<Str>,
    count: usize,
) -> Node {
    let span = entry.key_span;
    let pick = |indices: &[usize]| {
        Node::list(
            indices
                .iter()
                .filter_map(|&i| rules.get(i))
                .map(|r| r.node.clone())
                .collect(),
            span,
        )
    };
    Node::record(
        &GROUP,
        [
            Node::string(&*entry.key, span),
            fields.name,
            fields.description,
            fields.vpc,
            fields.tags,
            Node::new(Value::Bool(fields.is_default), span),
            pick(&u.ingress),
            pick(&u.egress),
            Node::list(std::mem::take(&mut u.attached_to), span),
            Node::list(std::mem::take(&mut u.referenced_by), span),
            Node::new(Value::Bool(u.exported), span),
            Node::list(
                duplicates
                    .into_iter()
                    .map(|d| Node::string(d, span))
                    .collect(),
                span,
            ),
            Node::new(Value::Int(count as i64), span),
            fields.condition,
            Node::string(property_pointer(&entry.key, &[]), span),
        ],
        span,
    )
}

/// The keys of a `security_groups` entry.
static GROUP: Shape = Shape(&[
    "logical_id",
    "name",
    "description",
    "vpc",
    "tags",
    "is_default",
    "ingress",
    "egress",
    "attached_to",
    "referenced_by",
    "exported",
    "duplicates",
    "duplicate_count",
    "condition",
    "path",
]);

/// The keys of a group's `referenced_by` entries.
static REFERENCED_BY: Shape = Shape(&["resource", "group", "direction"]);

/// The keys of a group's `attached_to` entries.
static ATTACHED_TO: Shape = Shape(&["resource", "type", "path"]);

/// For each template group with declared rules, the other groups with the same effective rule
/// set in the same VPC (a VPC that is not known matches any), in template order: found by
/// hashing a canonical text of each rule and then grouping by VPC, so linear, not pairwise.
fn duplicates(
    index: &Index<'_>,
    rules: &[&Rule],
    uses: &HashMap<Str, Uses>,
    fields: &[Fields],
) -> HashMap<Str, (Vec<Str>, usize)> {
    // Rule set → its groups (positions in `index.groups`), in template order.
    let mut buckets: HashMap<Vec<u128>, Vec<usize>> = HashMap::default();
    for (i, entry) in index.groups.iter().enumerate() {
        let Some(u) = uses.get(&*entry.key).filter(|u| u.declared) else {
            continue;
        };
        if fields.get(i).is_some_and(|f| !f.exists) {
            continue;
        }
        let mut set: Vec<u128> = u
            .ingress
            .iter()
            .chain(&u.egress)
            .filter_map(|&i| rules.get(i))
            .map(|r| r.canonical)
            .collect();
        set.sort_unstable();
        set.dedup();
        buckets.entry(set).or_default().push(i);
    }
    let name = |i: &usize| index.groups.get(*i).map(|e| Str::from(&*e.key));
    let mut out = HashMap::default();
    for bucket in buckets.values().filter(|b| b.len() > 1) {
        // The bucket's groups by VPC, and those whose VPC is not known.
        let mut by_vpc: HashMap<String, Vec<usize>> = HashMap::default();
        let mut unknown = Vec::new();
        for &i in bucket {
            match fields.get(i).and_then(|f| vpc_key(&f.vpc)) {
                Some(key) => by_vpc.entry(key).or_default().push(i),
                None => unknown.push(i),
            }
        }
        for &i in bucket {
            let (same, also): (&[usize], &[usize]) =
                match fields.get(i).and_then(|f| vpc_key(&f.vpc)) {
                    Some(key) => (by_vpc.get(&key).map_or(&[], Vec::as_slice), &unknown),
                    None => (bucket, &[]),
                };
            // `i` is in one of the two lists.
            let count = (same.len() + also.len()).saturating_sub(1);
            if count == 0 {
                continue;
            }
            let listed = first_others(same, also, i, MAX_DUPLICATES_LISTED);
            if let Some(id) = name(&i) {
                out.insert(id, (listed.iter().filter_map(name).collect(), count));
            }
        }
    }
    out
}

/// What a group's `vpc` is compared by; `None` when it is not known.
fn vpc_key(vpc: &Node) -> Option<String> {
    match &vpc.value {
        Value::Unknown(_) => None,
        value => serde_json::to_string(value).ok(),
    }
}

/// The first `n` entries of two ascending lists taken as one, without `me`.
fn first_others(a: &[usize], b: &[usize], me: usize, n: usize) -> Vec<usize> {
    let (mut a, mut b) = (a.iter().peekable(), b.iter().peekable());
    let mut out = Vec::new();
    while out.len() < n {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if y < x => b.next(),
            (Some(_), _) => a.next(),
            (None, _) => b.next(),
        };
        match next {
            Some(&v) if v != me => out.push(v),
            Some(_) => {}
            None => break,
        }
    }
    out
}

/// The one value of a property, or unknown when it depends on conditions or parameters.
/// Only the variants possible where the group exists (`within`) count.
fn single<'t>(
    resolver: &Resolver<'t>,
    node: Option<&'t Node>,
    within: &[Assumptions],
    span: Span,
    convert: impl Fn(&Resolver<'t>, &RNode<'t>) -> Node,
) -> Node {
    let Some(node) = node else {
        return Node::null(span);
    };
    let mut values: Vec<Node> = Vec::new();
    for v in resolver.resolve(node, Seg::Root) {
        if !within.iter().any(|w| w.merge(&v.when).is_some()) {
            continue;
        }
        let n = convert(resolver, &v.value);
        if !values.iter().any(|o| o.value == n.value) {
            values.push(n);
        }
    }
    let unset = values.iter().any(|v| matches!(v.value, Value::Null));
    match values.len() {
        0 => Node::null(span),
        1 => values.pop().unwrap_or_else(|| Node::null(span)),
        n if unset => Node::unknown(
            Unknown {
                reason: Str::from(format!(
                    "one of {n} values, depending on conditions or parameters, and not set in some of them"
                )),
                hint: UnknownHint::MaybeNull,
            },
            node.span,
        ),
        n => Node::unknown(
            Unknown::new(format!(
                "one of {n} values, depending on conditions or parameters"
            )),
            node.span,
        ),
    }
}

fn text_node<'t>(_: &Resolver<'t>, v: &RNode<'t>) -> Node {
    match &v.val {
        RVal::NoValue | RVal::Null => Node::null(v.span),
        other => match to_text(other) {
            Ok(t) => Node::string(t, v.span),
            Err(u) => Node::unknown(u, v.span),
        },
    }
}

fn vpc_node<'t>(resolver: &Resolver<'t>, v: &RNode<'t>) -> Node {
    match &v.val {
        RVal::Resource { id, attr: None } if resolver.resource_type(id) == Some(VPC) => {
            Node::string(id.clone(), v.span)
        }
        RVal::Resource { id, .. } => Node::unknown(
            Unknown::new(format!("`{id}` is not a VPC of this template")),
            v.span,
        ),
        _ => text_node(resolver, v),
    }
}

/// `Tags: [{Key, Value}]` as a map from key to value.
fn tags<'t>(
    resolver: &Resolver<'t>,
    node: Option<&'t Node>,
    within: &[Assumptions],
    span: Span,
) -> Node {
    let mut pairs: Vec<(Str, Node)> = Vec::new();
    if let Some(node) = node {
        for item in resolver.items(node, Seg::Root) {
            let RVal::Map { map, .. } = item.value.val else {
                continue;
            };
            let key = single(resolver, map.get("Key"), within, item.value.span, text_node);
            let Some(key) = key.as_str().map(Str::from) else {
                continue;
            };
            if pairs.iter().any(|(k, _)| *k == key) {
                continue;
            }
            let value = single(
                resolver,
                map.get("Value"),
                within,
                item.value.span,
                text_node,
            );
            pairs.push((key, value));
        }
    }
    Node::map(pairs, span)
}

/// True when resource `id` has a `Condition` that holds in no deployment.
fn never_created(resolver: &Resolver<'_>, id: &str) -> bool {
    resolver
        .resources
        .and_then(|m| m.get(id))
        .is_some_and(|resource| existence(resolver, resource).is_empty())
}

/// Adds to the groups' `attached_to` the attachments that name a group of the template by its
/// `GroupName` in a name slot (`Instance.SecurityGroups: [web]`): no `!Ref` names it there, so
/// the references did not. Attachments that name no such group cost a look at their groups.
pub fn attach_by_name(groups: &mut [Node], attachments: &[Node]) {
    let position: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .filter_map(|(i, g)| Some((g.get("logical_id")?.as_str()?, i)))
        .collect();
    // (group, resource) pairs already attached, from the references.
    let mut listed: HashSet<(usize, &str)> = HashSet::default();
    for (i, group) in groups.iter().enumerate() {
        let from = group.get("attached_to").and_then(Node::as_list);
        for entry in from.unwrap_or_default() {
            if let Some(resource) = entry.get("resource").and_then(Node::as_str) {
                listed.insert((i, resource));
            }
        }
    }
    // The entries to add, by group: each group's list is rebuilt once, however many there are.
    let mut added: HashMap<usize, Vec<Node>> = HashMap::default();
    for attachment in attachments {
        let text = |key: &str| {
            attachment
                .get(key)
                .and_then(Node::as_str)
                .unwrap_or_default()
        };
        let from = text("resource");
        let groups_named = attachment
            .get("groups")
            .and_then(Node::as_list)
            .unwrap_or_default();
        for group in groups_named {
            let Some(&i) = group.as_str().and_then(|id| position.get(id)) else {
                continue;
            };
            if !listed.insert((i, from)) {
                continue;
            }
            let span = group.span;
            let entry = Node::record(
                &ATTACHED_TO,
                [
                    Node::string(from, span),
                    Node::string(text("type"), span),
                    Node::string(text("path"), span),
                ],
                span,
            );
            added.entry(i).or_default().push(entry);
        }
    }
    for (i, entries) in added {
        let Some(group) = groups.get_mut(i) else {
            continue;
        };
        let span = group.span;
        let mut list = group
            .get("attached_to")
            .and_then(Node::as_list)
            .map(<[Node]>::to_vec)
            .unwrap_or_default();
        list.extend(entries);
        let node = std::mem::replace(group, Node::null(span));
        *group = super::build::replace(node, "attached_to", Node::list(list, span));
    }
}
