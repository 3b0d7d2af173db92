//! The `security_groups` entries: each group with its properties, its effective rules, who uses
//! it and which other groups have the same rules.

use std::collections::{HashMap, HashSet};

use super::assume::Assumptions;
use super::attachments::resource_when;
use super::build::{MAX_DUPLICATES_LISTED, group_condition};
use super::functions::to_text;
use super::groups::{Index, default_group_id};
use super::path::{Seg, property_pointer};
use super::refs::Reference;
use super::resolve::{RNode, RVal, Resolver, SECURITY_GROUP, VPC};
use super::rules::Rule;
use crate::source::Span;
use crate::template::{Entry, Node, Str, Unknown, Value};

#[derive(Default)]
struct Uses {
    ingress: Vec<usize>,
    egress: Vec<usize>,
    declared: bool,
    referenced_by: Vec<Node>,
    seen: HashSet<(Str, String, &'static str)>,
    attached_to: Vec<Node>,
    exported: bool,
}

/// The `security_groups` entries: template groups in order, then the VPC default groups the
/// template names.
pub fn groups<'t>(
    resolver: &Resolver<'t>,
    index: &Index<'t>,
    rules: &[Rule],
    refs: &[Reference],
    defaults: &[&'t Entry],
) -> Vec<Node> {
    let mut uses: HashMap<Str, Uses> = HashMap::new();
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
        let group = rule.group.node(span);
        let direction = rule.direction.name();
        let u = uses.entry(peer).or_default();
        let key = (
            rule.resource.clone(),
            serde_json::to_string(&group).unwrap_or_default(),
            direction,
        );
        if u.seen.insert(key) {
            u.referenced_by.push(Node::map(
                [
                    ("resource", Node::string(rule.resource.clone(), span)),
                    ("group", group),
                    ("direction", Node::string(direction, span)),
                ],
                span,
            ));
        }
    }
    for r in refs.iter().filter(|r| !r.in_rule) {
        let ty = resolver.resource_type(&r.target);
        let id = match (ty, r.attr.as_deref()) {
            (Some(SECURITY_GROUP), _) => r.target.clone(),
            (Some(VPC), Some("DefaultSecurityGroup")) => default_group_id(&r.target),
            _ => continue,
        };
        let u = uses.entry(id.clone()).or_default();
        match &r.from {
            None => u.exported = true,
            Some(from) if *from != id => {
                let span = r.span;
                u.attached_to.push(Node::map(
                    [
                        ("resource", Node::string(from.clone(), span)),
                        ("type", Node::string(r.from_type.clone(), span)),
                        ("path", Node::string(r.path.clone(), span)),
                    ],
                    span,
                ));
            }
            Some(_) => {}
        }
    }
    let duplicates = duplicates(index, rules, &uses);
    let mut out = Vec::new();
    for entry in &index.groups {
        let mut u = uses.remove(&entry.key).unwrap_or_default();
        let props = entry.value.get("Properties");
        let span = entry.key_span;
        let prop = |key: &str| props.and_then(|p| p.get(key));
        let within = resource_when(resolver, entry);
        let fields = Fields {
            name: single(resolver, prop("GroupName"), &within, span, text_node),
            description: single(resolver, prop("GroupDescription"), &within, span, text_node),
            vpc: single(resolver, prop("VpcId"), &within, span, vpc_node),
            tags: tags(resolver, prop("Tags"), &within, span),
            is_default: false,
            condition: group_condition(resolver, entry, span),
        };
        let (dups, count) = duplicates.get(&entry.key).cloned().unwrap_or_default();
        out.push(entry_node(entry, fields, &mut u, rules, dups, count));
    }
    for vpc in defaults {
        let id = default_group_id(&vpc.key);
        let mut u = uses.remove(&id).unwrap_or_default();
        let span = vpc.key_span;
        let fields = Fields {
            name: Node::string("default", span),
            description: Node::string("default VPC security group", span),
            vpc: Node::string(vpc.key.clone(), span),
            tags: Node::map(Vec::<(Str, Node)>::new(), span),
            is_default: true,
            condition: group_condition(resolver, vpc, span),
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
}

fn entry_node(
    entry: &Entry,
    fields: Fields,
    u: &mut Uses,
    rules: &[Rule],
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
    Node::map(
        [
            ("logical_id", Node::string(entry.key.clone(), span)),
            ("name", fields.name),
            ("description", fields.description),
            ("vpc", fields.vpc),
            ("tags", fields.tags),
            (
                "is_default",
                Node::new(Value::Bool(fields.is_default), span),
            ),
            ("ingress", pick(&u.ingress)),
            ("egress", pick(&u.egress)),
            (
                "attached_to",
                Node::list(std::mem::take(&mut u.attached_to), span),
            ),
            (
                "referenced_by",
                Node::list(std::mem::take(&mut u.referenced_by), span),
            ),
            ("exported", Node::new(Value::Bool(u.exported), span)),
            (
                "duplicates",
                Node::list(
                    duplicates
                        .into_iter()
                        .map(|d| Node::string(d, span))
                        .collect(),
                    span,
                ),
            ),
            ("duplicate_count", Node::new(Value::Int(count as i64), span)),
            ("condition", fields.condition),
            (
                "path",
                Node::string(property_pointer(&entry.key, &[]), span),
            ),
        ],
        span,
    )
}

/// For each template group with declared rules, the other groups with the same effective rule
/// set (found by hashing a canonical text of the set: linear, not pairwise).
fn duplicates(
    index: &Index<'_>,
    rules: &[Rule],
    uses: &HashMap<Str, Uses>,
) -> HashMap<Str, (Vec<Str>, usize)> {
    let mut buckets: HashMap<String, Vec<Str>> = HashMap::new();
    let mut keys: Vec<(Str, String)> = Vec::new();
    for entry in &index.groups {
        let Some(u) = uses.get(&entry.key).filter(|u| u.declared) else {
            continue;
        };
        let mut set: Vec<&str> = u
            .ingress
            .iter()
            .chain(&u.egress)
            .filter_map(|&i| rules.get(i))
            .map(|r| r.canonical.as_str())
            .collect();
        set.sort_unstable();
        set.dedup();
        let key = set.join("\n");
        buckets
            .entry(key.clone())
            .or_default()
            .push(entry.key.clone());
        keys.push((entry.key.clone(), key));
    }
    let mut out = HashMap::new();
    for (id, key) in keys {
        let Some(bucket) = buckets.get(&key) else {
            continue;
        };
        if bucket.len() < 2 {
            continue;
        }
        let listed = bucket
            .iter()
            .filter(|other| **other != id)
            .take(MAX_DUPLICATES_LISTED)
            .cloned()
            .collect();
        out.insert(id, (listed, bucket.len() - 1));
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
    match values.len() {
        0 => Node::null(span),
        1 => values.pop().unwrap_or_else(|| Node::null(span)),
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
