//! Builds the model of one template: rules first (they decide the implicit egress and who
//! references whom), then the groups, attachments and VPCs that read them.

use std::rc::Rc;

use super::Model;
use super::assume::Assumptions;
use super::attachments::{self, resource_when};
use super::egress::absent_when;
use super::groups::{GroupRef, Index, Slot};
use super::params::Parameters;
use super::path::{Seg, property_pointer};
use super::refs::{EGRESS, INGRESS, Reference, scan};
use super::resolve::{RNode, RVal, Resolver, SECURITY_GROUP, VPC};
use super::rules::{self, Direction, ImplicitAt, Origin, Rule, Source};
use super::written::{self, INCLUDE, included};
use crate::hash::{HashMap, HashSet};
use crate::net::parse_cidr;
use crate::source::Span;
use crate::template::{Entry, Node, Shape, Str, Template, Unknown, Value};

/// How many other logical ids a group's `duplicates` lists at most (`duplicate_count` has the
/// full number), so that thousands of identical groups do not make the model quadratic.
pub const MAX_DUPLICATES_LISTED: usize = 16;

/// Templates with at least this many resources have their declared rules built on two
/// threads, half of the resources each.
const SPLIT_AT: usize = 1024;

/// Builds the model of a template. Never panics, whatever the template's shape.
pub fn build(template: &Template, params: &Parameters) -> Model {
    build_split(template, params, SPLIT_AT)
}

/// [`build`], with declared rules built on two threads from `split_at` resources up.
pub(super) fn build_split(template: &Template, params: &Parameters, split_at: usize) -> Model {
    let resolver = Resolver::new(&template.root, params);
    let Some(resources) = resolver.resources else {
        return Model::default();
    };
    let index = Index::new(&resolver);
    let mut targets: HashSet<&str> = HashSet::default();
    let mut vpc_ids: HashSet<&str> = HashSet::default();
    for entry in resources.written() {
        match entry.value.get("Type").and_then(Node::as_str) {
            Some(SECURITY_GROUP | "AWS::EC2::LaunchTemplate") => targets.insert(&entry.key),
            Some(VPC) => vpc_ids.insert(&entry.key),
            _ => false,
        };
    }
    // The references and the declared rules do not depend on each other.
    let (refs, (mut declared, egress)) = rayon::join(
        || scan(&template.root, &targets, &vpc_ids),
        || declared_rules(template, params, resources.written(), split_at),
    );
    // What a branch that is never taken refers to is never used.
    let mut refs = refs;
    refs.retain(|r| r.reachable(&resolver));
    let mut builder = Builder {
        resolver: &resolver,
        index: &index,
        rules: Vec::new(),
        egress,
    };
    // The rules stay in their resources' lists (a group's implicit egress after its own); the
    // model never holds a second, flat copy of them.
    for (entry, rules) in &mut declared {
        if entry.value.get("Type").and_then(Node::as_str) == Some(SECURITY_GROUP) {
            builder.implicit_egress(entry);
            rules.append(&mut builder.rules);
        }
        *rules = crate::template::value::exact(std::mem::take(rules)).into_vec();
    }
    let declared_rules = declared.iter().flat_map(|(_, rules)| rules);
    let defaults = builder.default_groups(resources.written(), &refs, declared_rules);
    builder.eks_remote_access(resources.written());
    let Builder {
        rules: mut default_rules,
        ..
    } = builder;
    // Each rule is listed in `rules` and in its group's `ingress` or `egress`: one node, shared.
    let lists = declared.iter_mut().map(|(_, rules)| rules);
    for rule in lists.flatten().chain(&mut default_rules) {
        let span = rule.node.span;
        let node = std::mem::replace(&mut rule.node, Node::null(span));
        rule.node = Node::shared(std::sync::Arc::new(node), span);
    }
    let all: Vec<&Rule> = declared
        .iter()
        .flat_map(|(_, rules)| rules)
        .chain(&default_rules)
        .collect();
    let mut security_groups = super::entries::groups(&resolver, &index, &all, &refs, &defaults);
    let attachments = attachments::build(&resolver, &index, &refs);
    super::entries::attach_by_name(&mut security_groups, &attachments);
    let rule_nodes = all.iter().map(|r| r.node.clone()).collect();
    Model {
        security_groups: Node::list(security_groups, Span::default()),
        rules: Node::list(rule_nodes, Span::default()),
        attachments: Node::list(attachments, Span::default()),
        vpcs: Node::list(vpcs(&resolver, resources.written()), Span::default()),
    }
}

/// The declared rules of the groups and rule resources among `entries`, by resource in
/// template order, and for each group the assumptions under which it has declared egress.
type Declared<'t> = (Vec<(&'t Entry, Vec<Rule>)>, HashMap<Str, Vec<Assumptions>>);

/// [`Declared`] for `entries`; on two threads for many resources, each with its own resolver
/// (resolvers cache as they go, so they are not shared), the results joined in order.
fn declared_rules<'t>(
    template: &'t Template,
    params: &Parameters,
    entries: &'t [Entry],
    split_at: usize,
) -> Declared<'t> {
    if entries.len() < split_at {
        return declared_part(template, params, entries);
    }
    let (first, second) = entries.split_at(entries.len() / 2);
    let ((mut rules, mut egress), (more, more_egress)) = rayon::join(
        || declared_part(template, params, first),
        || declared_part(template, params, second),
    );
    rules.extend(more);
    for (group, when) in more_egress {
        egress.entry(group).or_default().extend(when);
    }
    (rules, egress)
}

fn declared_part<'t>(
    template: &'t Template,
    params: &Parameters,
    entries: &'t [Entry],
) -> Declared<'t> {
    let resolver = Resolver::new(&template.root, params);
    let index = Index::new(&resolver);
    let mut builder = Builder {
        resolver: &resolver,
        index: &index,
        rules: Vec::new(),
        egress: HashMap::default(),
    };
    let rules = builder
        .sources(entries)
        .into_iter()
        .map(|(entry, sources)| {
            let rules = sources
                .iter()
                .flat_map(|src| rules::build(&resolver, &index, src))
                .collect();
            (entry, rules)
        })
        .collect();
    (rules, builder.egress)
}

struct Builder<'a, 't> {
    resolver: &'a Resolver<'t>,
    index: &'a Index<'t>,
    rules: Vec<Rule>,
    /// For each group entry, the assumption sets under which some egress is declared for it.
    egress: HashMap<Str, Vec<Assumptions>>,
}

impl<'t> Builder<'_, 't> {
    /// The declared rules of every resource, grouped by resource in template order; records
    /// which groups have declared egress.
    fn sources(&mut self, entries: &'t [Entry]) -> Vec<(&'t Entry, Vec<Source<'t>>)> {
        let mut out = Vec::new();
        for entry in entries {
            let srcs = match entry.value.get("Type").and_then(Node::as_str) {
                Some(SECURITY_GROUP) => self.inline(entry),
                Some(INGRESS) => self.standalone(entry, Direction::Ingress),
                Some(EGRESS) => self.standalone(entry, Direction::Egress),
                _ => continue,
            };
            for src in &srcs {
                if src.direction == Direction::Egress {
                    if let Some(id) = src.group.entry_id() {
                        self.egress.entry(id).or_default().push(src.when.clone());
                    }
                }
            }
            out.push((entry, srcs));
        }
        out
    }

    fn inline(&self, entry: &'t Entry) -> Vec<Source<'t>> {
        let group_when = resource_when(self.resolver, entry);
        let mut out = Vec::new();
        let Some(props) = entry.value.get("Properties") else {
            return out;
        };
        let root = Seg::Root;
        let resources = root.key("Resources");
        let resource = resources.key(&entry.key);
        let properties = resource.key("Properties");
        for (key, direction) in [
            ("SecurityGroupIngress", Direction::Ingress),
            ("SecurityGroupEgress", Direction::Egress),
        ] {
            let Some(list) = props.get(key) else {
                // Properties brought in by an `AWS::Include` may hold the rules.
                if let Some(include) = props.as_map().and_then(|m| m.entry(INCLUDE)) {
                    for when in &group_when {
                        out.push(Source {
                            direction,
                            origin: Origin::Inline,
                            group: GroupRef::Template(Str::from(&*entry.key)),
                            resource: Str::from(&*entry.key),
                            map: None,
                            broken: Some(included(&format!("`{key}`"))),
                            path: Rc::from(properties.key(INCLUDE).pointer()),
                            span: include.key_span,
                            when: when.clone(),
                        });
                    }
                }
                continue;
            };
            let at = properties.key(key);
            for item in self.resolver.items(list, at) {
                let (map, broken, path) = match item.value.val {
                    RVal::Map { map, path } => (Some(map), None, path),
                    RVal::Unknown(u) => (None, Some(u), Rc::from(at.pointer())),
                    _ => (
                        None,
                        Some(Unknown::new("a rule entry must be a map")),
                        Rc::from(at.pointer()),
                    ),
                };
                for w in &group_when {
                    let Some(when) = w.merge(&item.when) else {
                        continue;
                    };
                    out.push(Source {
                        direction,
                        origin: Origin::Inline,
                        group: GroupRef::Template(Str::from(&*entry.key)),
                        resource: Str::from(&*entry.key),
                        map,
                        broken: broken.clone(),
                        path: Rc::clone(&path),
                        span: item.value.span,
                        when,
                    });
                }
            }
        }
        out
    }

    fn standalone(&self, entry: &'t Entry, direction: Direction) -> Vec<Source<'t>> {
        let props = entry.value.get("Properties");
        let map = props.and_then(Node::as_map);
        // Properties brought in by an `AWS::Include`, or none at all (CloudFormation rejects
        // that): the rule is not known.
        let broken = match props.filter(|p| p.as_map().is_some()) {
            Some(p) => p.get(INCLUDE).map(|_| included("the rule")),
            None => Some(Unknown::new(format!(
                "`{}` has no `Properties`, so its rule is not known",
                entry.key
            ))),
        };
        let span = entry.key_span;
        let target = props.and_then(|p| {
            let by_id = p.get("GroupId").map(|n| (n, Slot::Id));
            let by_name = (direction == Direction::Ingress)
                .then(|| p.get("GroupName").map(|n| (n, Slot::Name)))
                .flatten();
            by_id.or(by_name)
        });
        let targets: Vec<(GroupRef, Assumptions)> = match target {
            Some((node, slot)) => self
                .resolver
                .resolve(node, Seg::Root)
                .into_iter()
                .filter(|v| v.value.val != RVal::NoValue)
                .map(|v| (self.index.identify(self.resolver, &v.value, slot), v.when))
                .collect(),
            None => Vec::new(),
        };
        let targets = if targets.is_empty() {
            vec![(
                GroupRef::Unknown(Str::from("the rule names no group (`GroupId`)")),
                Assumptions::none(),
            )]
        } else {
            targets
        };
        let path: Rc<str> = Rc::from(property_pointer(&entry.key, &[]));
        let mut out = Vec::new();
        for w in resource_when(self.resolver, entry) {
            for (group, t) in &targets {
                let Some(when) = w.merge(t) else { continue };
                out.push(Source {
                    direction,
                    origin: Origin::Standalone,
                    group: group.clone(),
                    resource: Str::from(&*entry.key),
                    map,
                    broken: broken.clone(),
                    path: Rc::clone(&path),
                    span,
                    when,
                });
            }
        }
        out
    }

    /// The implicit allow-all egress of a group, in the deployments without declared egress.
    fn implicit_egress(&mut self, entry: &Entry) {
        let group = GroupRef::Template(Str::from(&*entry.key));
        let present = self.egress.get(&*entry.key).cloned().unwrap_or_default();
        let path = property_pointer(&entry.key, &[]);
        let base = resource_when(self.resolver, entry);
        let at = ImplicitAt {
            group: &group,
            resource: &entry.key,
            path: &path,
            span: entry.key_span,
        };
        let make = |when: &Assumptions| {
            rules::implicit(self.resolver, Direction::Egress, false, &at, when)
        };
        match absent_when(self.resolver, base, &present) {
            Ok(sets) => {
                for when in &sets {
                    let rule = make(when);
                    self.rules.push(rule);
                }
            }
            Err(_) => {
                let mut rule = make(&Assumptions::none());
                let reason = format!(
                    "more than {} combinations of conditions decide whether the rule exists",
                    self.resolver.bound
                );
                rule.node = replace(
                    rule.node,
                    "condition",
                    Node::unknown(Unknown::new(reason), entry.key_span),
                );
                self.rules.push(rule);
            }
        }
    }

    /// The rule EKS adds for each node group that allows SSH (`RemoteAccess.Ec2SshKey`) from
    /// no named group (`SourceSecurityGroups` left out or empty): port 22 from anywhere, on the
    /// group EKS creates (SG-SEMANTICS row 13), in the deployments where that is written.
    fn eks_remote_access(&mut self, entries: &'t [Entry]) {
        for entry in entries {
            if entry.value.get("Type").and_then(Node::as_str) != Some("AWS::EKS::Nodegroup") {
                continue;
            }
            let base = resource_when(self.resolver, entry);
            let props = entry.value.get("Properties");
            let group = GroupRef::External(Str::from(format!("eks-remoteAccess ({})", entry.key)));
            for (access, w) in written::at(self.resolver, props, &["RemoteAccess"]) {
                let Some(access) = access else { continue };
                if access.get("Ec2SshKey").is_none() {
                    continue;
                }
                let path = property_pointer(&entry.key, &["RemoteAccess"]);
                let at = ImplicitAt {
                    group: &group,
                    resource: &entry.key,
                    path: &path,
                    span: access.span,
                };
                let sources = written::at(self.resolver, Some(access), &["SourceSecurityGroups"]);
                for (sources, s) in sources {
                    let Some(when) = w.merge(&s).filter(|_| !written::names_something(sources))
                    else {
                        continue;
                    };
                    for when in attachments::merged(&base, &when) {
                        let rule = rules::eks_remote_access(self.resolver, &at, &when);
                        self.rules.push(rule);
                    }
                }
            }
        }
    }

    /// The VPCs whose default group the template names, in template order, with the rules EC2
    /// gives every default group (all traffic from itself in, all traffic out).
    fn default_groups<'r>(
        &mut self,
        entries: &'t [Entry],
        refs: &[Reference],
        declared: impl Iterator<Item = &'r Rule>,
    ) -> Vec<&'t Entry> {
        let mut named: HashSet<&str> = refs
            .iter()
            .filter(|r| r.attr == Some("DefaultSecurityGroup"))
            .map(|r| r.target)
            .collect();
        let from_rules: Vec<Str> = declared
            .flat_map(|r| [Some(&r.group), r.peer_group.as_deref()])
            .filter_map(|g| match g {
                Some(GroupRef::VpcDefault(v)) => Some(v.clone()),
                _ => None,
            })
            .collect();
        named.extend(from_rules.iter().map(|s| s.as_str()));
        let mut out = Vec::new();
        for entry in entries {
            if !named.contains(&*entry.key)
                || entry.value.get("Type").and_then(Node::as_str) != Some(VPC)
            {
                continue;
            }
            let group = GroupRef::VpcDefault(Str::from(&*entry.key));
            let path = property_pointer(&entry.key, &[]);
            for when in resource_when(self.resolver, entry) {
                for (direction, self_peer) in
                    [(Direction::Ingress, true), (Direction::Egress, false)]
                {
                    let at = ImplicitAt {
                        group: &group,
                        resource: &entry.key,
                        path: &path,
                        span: entry.key_span,
                    };
                    self.rules.push(rules::implicit(
                        self.resolver,
                        direction,
                        self_peer,
                        &at,
                        &when,
                    ));
                }
            }
            out.push(entry);
        }
        out
    }
}

/// The same map with the value of `key` replaced (a node that is not a map, or has no such
/// key, is returned as it is).
pub(crate) fn replace(mut node: Node, key: &str, value: Node) -> Node {
    if let Value::Map(map) = &mut node.value {
        map.set(key, value);
    }
    node
}

/// The keys of a `vpcs` entry.
static VPC_ENTRY: Shape = Shape(&["logical_id", "cidrs", "condition", "path"]);

/// The `vpcs` entries: each VPC with its CIDR blocks (its own and `AWS::EC2::VPCCidrBlock`s).
fn vpcs(resolver: &Resolver<'_>, entries: &[Entry]) -> Vec<Node> {
    let mut extra: HashMap<Str, Vec<Node>> = HashMap::default();
    for entry in entries {
        if entry.value.get("Type").and_then(Node::as_str) != Some("AWS::EC2::VPCCidrBlock") {
            continue;
        }
        let props = entry.value.get("Properties");
        let Some(vpc) = props.and_then(|p| p.get("VpcId")) else {
            continue;
        };
        let vpc_ids: Vec<Str> = resolver
            .resolve(vpc, Seg::Root)
            .into_iter()
            .filter_map(|v| match v.value.val {
                RVal::Resource { id, attr: None } => Some(id),
                _ => None,
            })
            .collect();
        let mut blocks = Vec::new();
        for key in ["CidrBlock", "Ipv6CidrBlock"] {
            if let Some(n) = props.and_then(|p| p.get(key)) {
                blocks.extend(cidr_nodes(resolver, n));
            }
        }
        if props
            .and_then(|p| p.get("AmazonProvidedIpv6CidrBlock"))
            .is_some()
        {
            blocks.push(Node::unknown(
                Unknown::new("an Amazon-provided IPv6 block is assigned at deploy time"),
                entry.key_span,
            ));
        }
        if blocks.is_empty() {
            blocks.push(Node::unknown(
                Unknown::new("the block is allocated at deploy time"),
                entry.key_span,
            ));
        }
        for id in vpc_ids {
            extra.entry(id).or_default().extend(blocks.iter().cloned());
        }
    }
    let mut out = Vec::new();
    for entry in entries {
        if entry.value.get("Type").and_then(Node::as_str) != Some(VPC) {
            continue;
        }
        // A VPC whose `Condition` holds in no deployment is never created.
        if resource_when(resolver, entry).is_empty() {
            continue;
        }
        let span = entry.key_span;
        let mut cidrs = match entry
            .value
            .get("Properties")
            .and_then(|p| p.get("CidrBlock"))
        {
            Some(n) => cidr_nodes(resolver, n),
            None => vec![Node::unknown(
                Unknown::new("the VPC's block is allocated at deploy time (no `CidrBlock`)"),
                span,
            )],
        };
        cidrs.extend(extra.remove(&*entry.key).unwrap_or_default());
        let condition = group_condition(resolver, entry, span);
        out.push(Node::record(
            &VPC_ENTRY,
            [
                Node::string(&*entry.key, span),
                Node::list(cidrs, span),
                condition,
                Node::string(property_pointer(&entry.key, &[]), span),
            ],
            span,
        ));
    }
    out
}

/// The distinct CIDR values a template value can take, normalised.
fn cidr_nodes(resolver: &Resolver<'_>, node: &Node) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::new();
    for v in resolver.resolve(node, Seg::Root) {
        let RNode { val, span } = v.value;
        let n = match val {
            RVal::Str(s) => match parse_cidr(&s) {
                Ok(net) => Node::string(net.to_string(), span),
                Err(e) => Node::unknown(Unknown::new(e.to_string()), span),
            },
            RVal::Unknown(u) => Node::unknown(u, span),
            RVal::NoValue => continue,
            _ => Node::unknown(Unknown::new("not a CIDR block"), span),
        };
        if !out.iter().any(|o| o.value == n.value) {
            out.push(n);
        }
    }
    out
}

/// `{Condition: true}` for a resource with a `Condition` that is not always true, else null.
pub(crate) fn group_condition(resolver: &Resolver<'_>, entry: &Entry, span: Span) -> Node {
    let Some(name) = entry.value.get("Condition").and_then(Node::as_str) else {
        return Node::null(span);
    };
    let values = resolver.condition_value(name);
    if let [only] = values.as_slice() {
        if only.value && only.when.is_empty() {
            return Node::null(span);
        }
    }
    Node::map([(name, Node::new(Value::Bool(true), span))], span)
}
