//! Where resources take security groups (SG-SEMANTICS §2.8, §2.10), and whether they fall back
//! to their VPC's default group, explicitly or because the group list is left out.

use super::assume::{Assumptions, product};
use super::groups::{GroupRef, Index, Slot};
use super::path::{Seg, property_pointer};
use super::refs::Reference;
use super::resolve::{RNode, RVal, Resolver, Vs, too_many};
use super::rules::assumption_nodes;
use super::written;

mod points;
use crate::hash::HashMap;
use crate::source::Span;
use crate::template::{Entry, Node, Shape, Str, Value};
use points::{LAUNCH_TEMPLATE_CONSUMERS_WITH_GROUPS, Omission, POINTS};

struct Ctx<'a, 't> {
    resolver: &'a Resolver<'t>,
    index: &'a Index<'t>,
    /// References by the resource they name.
    refs: &'a HashMap<&'t str, Vec<&'a Reference<'t>>>,
    /// References by the resource they are made from.
    made: &'a HashMap<&'t str, Vec<&'a Reference<'t>>>,
    id: &'t str,
    ty: &'t str,
    key_span: Span,
    when: Vec<Assumptions>,
    out: &'a mut Vec<Node>,
}

/// Every attachment of every resource of the template, in template order.
pub fn build<'t>(resolver: &Resolver<'t>, index: &Index<'t>, refs: &[Reference<'t>]) -> Vec<Node> {
    let mut out = Vec::new();
    let Some(resources) = resolver.resources else {
        return out;
    };
    let mut by_target: HashMap<&'t str, Vec<&Reference<'t>>> = HashMap::default();
    let mut by_from: HashMap<&'t str, Vec<&Reference<'t>>> = HashMap::default();
    for r in refs {
        by_target.entry(r.target).or_default().push(r);
        if let Some(from) = r.from {
            by_from.entry(from).or_default().push(r);
        }
    }
    let refs = &by_target;
    let made = &by_from;
    for entry in resources.written() {
        let Some(ty) = entry.value.get("Type").and_then(Node::as_str) else {
            continue;
        };
        let mut ctx = Ctx {
            resolver,
            index,
            refs,
            made,
            id: &entry.key,
            ty,
            key_span: entry.key_span,
            when: resource_when(resolver, entry),
            out: &mut out,
        };
        if ctx.when.is_empty() {
            continue;
        }
        ctx.resource(entry);
    }
    out
}

/// The assumption sets under which a resource exists (its `Condition`).
pub fn resource_when(resolver: &Resolver<'_>, entry: &Entry) -> Vec<Assumptions> {
    existence(resolver, &entry.value)
}

/// [`resource_when`] of a resource's node; empty when the resource exists in no deployment.
pub fn existence(resolver: &Resolver<'_>, resource: &Node) -> Vec<Assumptions> {
    match resource.get("Condition").and_then(Node::as_str) {
        Some(name) => resolver
            .condition_literal(name)
            .into_iter()
            .filter(|v| v.value)
            .map(|v| v.when)
            .collect(),
        None => vec![Assumptions::none()],
    }
}

/// True when a JSON pointer passes through a property named for security groups
/// (`…/SecurityGroups/0/GroupId`, `…/SecurityGroupIdList/0`, `…/GroupSet/1`).
fn names_groups(path: &str) -> bool {
    // Only the property path counts, not the resource's logical id (`WebSecurityGroup`).
    let properties = path
        .find("/Properties/")
        .and_then(|i| path.get(i..))
        .unwrap_or("");
    properties.split('/').any(|seg| {
        let seg = seg.to_ascii_lowercase();
        seg.contains("securitygroup") || seg == "groupset" || seg == "groups"
    })
}

/// The assumption sets of `base` that agree with `extra`, each with `extra` added.
pub(super) fn merged(base: &[Assumptions], extra: &Assumptions) -> Vec<Assumptions> {
    base.iter().filter_map(|b| b.merge(extra)).collect()
}

/// True when the properties of an instance, or a launch template's data, name groups in a
/// list or give network interfaces (which hold their own).
fn names_groups_in(props: Option<&Node>) -> bool {
    ["SecurityGroupIds", "SecurityGroups", "NetworkInterfaces"]
        .iter()
        .any(|k| get(props, &[k]).is_some())
}

fn get<'t>(node: Option<&'t Node>, keys: &[&str]) -> Option<&'t Node> {
    keys.iter().try_fold(node?, |n, k| n.get(k))
}

impl<'t> Ctx<'_, 't> {
    fn resource(&mut self, entry: &'t Entry) {
        let props = entry.value.get("Properties");
        if let Some(at) = written::include_of(props) {
            if self.is_point() {
                self.included(at);
                return;
            }
        }
        match self.ty {
            "AWS::EC2::Instance" => self.instance(props),
            "AWS::EC2::LaunchTemplate" => self.launch_template(props),
            "AWS::EC2::VPCEndpoint" => {
                // Interface endpoints without groups get the VPC's default group; gateway
                // endpoints (the default type) take none.
                self.typed(props, "VpcEndpointType", "SecurityGroupIds", |t| {
                    t.is_some_and(|t| t.eq_ignore_ascii_case("interface"))
                });
            }
            "AWS::RDS::DBInstance" => {
                // A cluster member takes its cluster's groups; otherwise "Default: the default
                // EC2 VPC security group for the DB subnet group's VPC".
                let base = self.when.clone();
                let lists = self.lists(props, &[(&["VPCSecurityGroups"], Slot::Id)]);
                let omission = get(props, &["DBSecurityGroups"]).is_none();
                for (cluster, w) in written::at(self.resolver, props, &["DBClusterIdentifier"]) {
                    if cluster.is_none() {
                        self.point(&lists, &["VPCSecurityGroups"], omission, &merged(&base, &w));
                    }
                }
            }
            "AWS::ElasticLoadBalancingV2::LoadBalancer" => {
                // Application load balancers (the default type) without groups get the VPC's
                // default group; network and gateway load balancers have none unless given.
                self.typed(props, "Type", "SecurityGroups", |t| {
                    t.is_none_or(|t| t == "application")
                });
            }
            ty => {
                let Some((_, path, slot, omission)) = POINTS.iter().find(|p| p.0 == ty) else {
                    self.other(ty);
                    return;
                };
                let (holder, last) = path.split_at(path.len().saturating_sub(1));
                let base = self.when.clone();
                // The map holding the list may itself be there in some deployments only.
                for (map, w) in written::at(self.resolver, props, holder) {
                    let mut choices = vec![(map.is_some(), w.clone())];
                    if let (Omission::InVpc(key), Some(map)) = (omission, map) {
                        choices = written::at(self.resolver, Some(map), &[key])
                            .into_iter()
                            .filter_map(|(subnets, s)| {
                                // `SubnetIds: []` takes a function out of its VPC.
                                Some((written::names_something(subnets), w.merge(&s)?))
                            })
                            .collect();
                    }
                    for (inside, w) in choices {
                        let omission = match omission {
                            Omission::Never => false,
                            Omission::Always => true,
                            Omission::Within | Omission::InVpc(_) => inside,
                            Omission::Unless(key) => get(props, &[key]).is_none(),
                        };
                        let lists: Vec<(&'t Node, Slot)> = map
                            .and_then(|m| m.get(last.first().copied().unwrap_or_default()))
                            .map(|n| (n, *slot))
                            .into_iter()
                            .collect();
                        if lists.is_empty() && !omission {
                            continue;
                        }
                        let when = merged(&base, &w);
                        match map {
                            // Left out of a map that is there (`VpcConfig` without groups):
                            // the map is what puts the resource in the VPC.
                            Some(map) if lists.is_empty() && !holder.is_empty() => {
                                let at = property_pointer(self.id, holder);
                                self.point_at(&lists, at, omission, &when, Some(map.span));
                            }
                            _ => self.point(&lists, path, omission, &when),
                        }
                    }
                }
            }
        }
    }

    /// A resource type palisade has no attachment point for (a Spot fleet, a Glue connection,
    /// an EMR cluster): each `!Ref`/`!GetAtt` of a group under a property whose name speaks of
    /// security groups (`SecurityGroups`, `SecurityGroupIdList`, `GroupSet`) is an attachment
    /// of that one group, with no claim about leaving it out. Custom resources are passed
    /// over: their properties are inputs to code (CDK's custom resource that strips a VPC's
    /// default group of its rules names that group), not groups put on an interface.
    fn other(&mut self, ty: &str) {
        if !ty.starts_with("AWS::") || ty == "AWS::CloudFormation::CustomResource" {
            return;
        }
        let Some(refs) = self.made.get(self.id) else {
            return;
        };
        let found: Vec<(GroupRef, Span, String)> = refs
            .iter()
            .filter(|r| !r.in_rule && names_groups(&r.path))
            .filter_map(|r| Some((r.group(self.resolver)?, r.span, r.path.clone())))
            .collect();
        let when = self.when.clone();
        for (group, span, path) in found {
            for w in &when {
                self.emit(&[(group.clone(), span)], false, path.clone(), span, w);
            }
        }
    }

    /// A resource whose type property (`Type`, `VpcEndpointType`) decides whether it takes
    /// the default group when its list `key` is left out: one attachment point per value the
    /// type property can have, under that value's assumptions. `defaults(type)` says whether
    /// that type falls back (`None`: the property is left out; an unknown value counts as a
    /// type that does not).
    fn typed(
        &mut self,
        props: Option<&'t Node>,
        type_key: &str,
        key: &'static str,
        defaults: impl Fn(Option<&str>) -> bool,
    ) {
        let base = self.when.clone();
        let types: Vec<(bool, Assumptions)> = match get(props, &[type_key]) {
            None => vec![(defaults(None), Assumptions::none())],
            Some(t) => self
                .resolver
                .resolve(t, Seg::Root)
                .into_iter()
                .map(|v| {
                    let named = match &v.value.val {
                        RVal::Str(s) => defaults(Some(s)),
                        RVal::NoValue => defaults(None),
                        _ => false,
                    };
                    (named, v.when)
                })
                .collect(),
        };
        let lists = self.lists(props, &[(&[key], Slot::Id)]);
        for (omission, w) in types {
            if lists.is_empty() && !omission {
                continue;
            }
            let when = merged(&base, &w);
            self.point(&lists, &[key], omission, &when);
        }
    }

    fn lists(&self, base: Option<&'t Node>, wanted: &[(&[&str], Slot)]) -> Vec<(&'t Node, Slot)> {
        wanted
            .iter()
            .filter_map(|(path, slot)| Some((get(base, path)?, *slot)))
            .collect()
    }

    fn instance(&mut self, props: Option<&'t Node>) {
        let when = self.when.clone();
        let lists = self.lists(
            props,
            &[
                (&["SecurityGroupIds"], Slot::Id),
                (&["SecurityGroups"], Slot::Name),
            ],
        );
        let interfaces = get(props, &["NetworkInterfaces"]);
        // Groups may come from a launch template instead. Where the instance's own lists are
        // `AWS::NoValue` (or empty), a launch template of this template that names no group
        // brings none: the instance falls back to the default group there. (An instance that
        // writes no list at all leaves the fallback to its launch template's entry.)
        let from_template = get(props, &["LaunchTemplate"]).is_some()
            && (lists.is_empty() || !self.launches_from_template_without_groups());
        if !lists.is_empty() || interfaces.is_none() {
            let key = if get(props, &["SecurityGroupIds"]).is_some() || lists.is_empty() {
                "SecurityGroupIds"
            } else {
                "SecurityGroups"
            };
            self.point(
                &lists,
                &[key],
                interfaces.is_none() && !from_template,
                &when,
            );
            return;
        }
        if let Some(interfaces) = interfaces {
            self.interfaces(interfaces, "GroupSet", true, &when);
        }
    }

    fn launch_template(&mut self, props: Option<&'t Node>) {
        let when = self.when.clone();
        let data = get(props, &["LaunchTemplateData"]);
        let lists = self.lists(
            data,
            &[
                (&["SecurityGroupIds"], Slot::Id),
                (&["SecurityGroups"], Slot::Name),
            ],
        );
        let interfaces = get(data, &["NetworkInterfaces"]);
        if !lists.is_empty() {
            let key = if get(data, &["SecurityGroupIds"]).is_some() {
                "SecurityGroupIds"
            } else {
                "SecurityGroups"
            };
            // A list that is `AWS::NoValue` in some deployments leaves the template without
            // groups there, as if it named none.
            let omission = interfaces.is_none() && !self.every_consumer_brings_groups();
            self.point(&lists, &["LaunchTemplateData", key], omission, &when);
        }
        if let Some(interfaces) = interfaces {
            // An interface without `Groups` gets the default group, unless whatever launches
            // from the template brings its own.
            let omission = !self.every_consumer_brings_groups();
            self.interfaces(interfaces, "Groups", omission, &when);
        }
        if lists.is_empty() && interfaces.is_none() && !self.every_consumer_brings_groups() {
            self.point(
                &[],
                &["LaunchTemplateData", "SecurityGroupIds"],
                true,
                &when,
            );
        }
    }

    /// True when whatever launches from this launch template adds its own groups: something
    /// in the template refers to it, and every such resource is an instance that names groups
    /// or a service that brings its own (an EKS node group, a Batch environment). An Auto
    /// Scaling group, a fleet or an output (another stack) launches with the template's groups
    /// alone.
    fn every_consumer_brings_groups(&self) -> bool {
        let refs = self.refs.get(self.id).map_or(&[][..], Vec::as_slice);
        !refs.is_empty()
            && refs.iter().all(|r| {
                LAUNCH_TEMPLATE_CONSUMERS_WITH_GROUPS.contains(&r.from_type)
                    || (r.from_type == "AWS::EC2::Instance"
                        && r.from
                            .is_some_and(|from| names_groups_in(self.properties(from))))
            })
    }

    /// True when this resource launches from a launch template of the template whose data
    /// names no group (no group list, no network interfaces).
    fn launches_from_template_without_groups(&self) -> bool {
        let made = self.made.get(self.id).map_or(&[][..], Vec::as_slice);
        made.iter().any(|r| {
            r.path.contains("/Properties/LaunchTemplate/")
                && self.resolver.resource_type(r.target) == Some("AWS::EC2::LaunchTemplate")
                && !names_groups_in(get(self.properties(r.target), &["LaunchTemplateData"]))
        })
    }

    /// The `Properties` of resource `id`.
    fn properties(&self, id: &str) -> Option<&'t Node> {
        get(self.resolver.resources?.get(id), &["Properties"])
    }

    /// Network interfaces declared inline: each one without an existing interface id takes
    /// its own group list.
    fn interfaces(&mut self, node: &'t Node, key: &str, omission: bool, when: &[Assumptions]) {
        let root = Seg::Root;
        let resources = root.key("Resources");
        let resource = resources.key(self.id);
        let props = resource.key("Properties");
        let data = props.key("LaunchTemplateData");
        let at = if self.ty == "AWS::EC2::LaunchTemplate" {
            data.key("NetworkInterfaces")
        } else {
            props.key("NetworkInterfaces")
        };
        for item in self.resolver.items(node, at) {
            let RVal::Map { map, path } = item.value.val else {
                continue;
            };
            if map.get("NetworkInterfaceId").is_some() {
                continue;
            }
            let when: Vec<Assumptions> = when.iter().filter_map(|w| w.merge(&item.when)).collect();
            let lists: Vec<(&'t Node, Slot)> =
                map.get(key).map(|n| (n, Slot::Id)).into_iter().collect();
            let path = format!("{path}/{key}");
            let span = map.get(key).map_or(item.value.span, |n| n.span);
            self.point_at(&lists, path, omission, &when, Some(span));
        }
    }

    fn point(
        &mut self,
        lists: &[(&'t Node, Slot)],
        keys: &[&str],
        omission: bool,
        when: &[Assumptions],
    ) {
        let span = lists.first().map(|(n, _)| n.span);
        let path = if lists.is_empty() {
            property_pointer(self.id, &[])
        } else {
            property_pointer(self.id, keys)
        };
        self.point_at(lists, path, omission, when, span);
    }

    /// Emits the attachment entries of one attachment point: one per variant of its lists.
    fn point_at(
        &mut self,
        lists: &[(&'t Node, Slot)],
        path: String,
        omission: bool,
        when: &[Assumptions],
        span: Option<Span>,
    ) {
        let span = span.unwrap_or(self.key_span);
        let resolved: Vec<Vs<'t>> = lists
            .iter()
            .map(|(n, _)| self.resolver.resolve(n, Seg::Root))
            .collect();
        let combos = product(&resolved, self.resolver.bound).unwrap_or_else(|| {
            let reason =
                RVal::Unknown(crate::template::Unknown::new(too_many(self.resolver.bound)));
            vec![super::assume::Variant::always(
                lists
                    .iter()
                    .map(|(n, _)| RNode {
                        val: reason.clone(),
                        span: n.span,
                    })
                    .collect(),
            )]
        });
        for combo in combos {
            let mut groups = Vec::new();
            let mut given = false;
            for (value, (_, slot)) in combo.value.iter().zip(lists) {
                match &value.val {
                    RVal::NoValue => {}
                    RVal::List(items) => {
                        // An empty list names no group: the same as leaving it out.
                        given |= !items.is_empty();
                        for item in items {
                            let g = match &item.val {
                                RVal::List(_) => {
                                    GroupRef::Unknown(Str::from("a list inside a group list"))
                                }
                                _ => self.index.identify(self.resolver, item, *slot),
                            };
                            groups.push((g, item.span));
                        }
                    }
                    _ => {
                        given = true;
                        groups.push((self.index.identify(self.resolver, value, *slot), value.span));
                    }
                }
            }
            if !given && !omission {
                continue;
            }
            for w in when {
                let Some(w) = w.merge(&combo.when) else {
                    continue;
                };
                self.emit(&groups, !given, path.clone(), span, &w);
            }
        }
    }

    /// True for the resource types that have an attachment point.
    fn is_point(&self) -> bool {
        matches!(
            self.ty,
            "AWS::EC2::Instance"
                | "AWS::EC2::LaunchTemplate"
                | "AWS::EC2::VPCEndpoint"
                | "AWS::RDS::DBInstance"
                | "AWS::ElasticLoadBalancingV2::LoadBalancer"
        ) || POINTS.iter().any(|p| p.0 == self.ty)
    }

    /// The attachment of a resource whose properties a transform supplies (`AWS::Include`):
    /// its groups, and whether it gets the default group, are not known.
    fn included(&mut self, span: Span) {
        let reason = written::included("the groups");
        let unknown = || Node::unknown(reason.clone(), span);
        let path = property_pointer(self.id, &[written::INCLUDE]);
        for when in self.when.clone() {
            let (condition, parameters) = assumption_nodes(self.resolver, &when, span);
            self.out.push(Node::record(
                &ATTACHMENT,
                [
                    Node::string(self.id, span),
                    Node::string(self.ty, span),
                    Node::string(path.clone(), span),
                    Node::list(vec![unknown()], span),
                    unknown(),
                    unknown(),
                    unknown(),
                    condition,
                    parameters,
                ],
                span,
            ));
        }
    }

    fn emit(
        &mut self,
        groups: &[(GroupRef, Span)],
        by_omission: bool,
        path: String,
        span: Span,
        when: &Assumptions,
    ) {
        // A group named twice (`!Ref A` and `!GetAtt A.GroupId`) is one group on the
        // interface; unknown ones may all differ, so they stay.
        let single = groups.len() < 2;
        let mut seen: crate::hash::HashSet<&GroupRef> = crate::hash::HashSet::default();
        let groups: Vec<&(GroupRef, Span)> = groups
            .iter()
            .filter(|(g, _)| single || matches!(g, GroupRef::Unknown(_)) || seen.insert(g))
            .collect();
        let explicit_at = groups.iter().find(|(g, _)| g.is_default()).map(|(_, s)| *s);
        let explicit = explicit_at.is_some();
        let (condition, parameters) = assumption_nodes(self.resolver, when, span);
        let flag = |b: bool| Node::new(Value::Bool(b), span);
        self.out.push(Node::record(
            &ATTACHMENT,
            [
                Node::string(self.id, span),
                Node::string(self.ty, span),
                Node::string(path, span),
                Node::list(groups.iter().map(|(g, s)| g.node(*s)).collect(), span),
                flag(explicit || by_omission),
                // Where the default group is named, for findings about it.
                Node::new(Value::Bool(explicit), explicit_at.unwrap_or(span)),
                flag(by_omission),
                condition,
                parameters,
            ],
            span,
        ));
    }
}

/// The keys of an `attachments` entry.
static ATTACHMENT: Shape = Shape(&[
    "resource",
    "type",
    "path",
    "groups",
    "default_group",
    "default_group_explicit",
    "default_group_by_omission",
    "condition",
    "parameters",
]);
