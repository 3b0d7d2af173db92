//! Security-group identities: which group a value names (SG-SEMANTICS §2.1, §2.3).
//!
//! `!Ref Sg`, `!GetAtt Sg.GroupId` and `!GetAtt Sg.GroupName` name a group of this template;
//! `!GetAtt Vpc.DefaultSecurityGroup` names a VPC's default group; in slots that take group
//! names (`GroupName`, `SourceSecurityGroupName`, `Instance.SecurityGroups`) a literal equal to a
//! group's `GroupName` names that group, and `default` names the default VPC's default group.
//! Anything else is a group outside the template, by its literal id or name, or unknown.

use super::path::Seg;
use super::resolve::{RNode, RVal, Resolver, SECURITY_GROUP, VPC};
use crate::hash::HashMap;
use crate::source::Span;
use crate::template::{Entry, Node, Str, Unknown};

/// A group a rule or resource names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GroupRef {
    /// An `AWS::EC2::SecurityGroup` of this template, by logical id.
    Template(Str),
    /// The default group of a VPC of this template, by the VPC's logical id.
    VpcDefault(Str),
    /// The group named `default` (the default VPC's default group).
    DefaultVpcDefault,
    /// A group outside the template, by its literal id or name.
    External(Str),
    /// Not known; the reason.
    Unknown(Str),
}

impl GroupRef {
    /// The logical id of the model entry for the group, if it has one.
    pub fn entry_id(&self) -> Option<Str> {
        match self {
            GroupRef::Template(id) => Some(id.clone()),
            GroupRef::VpcDefault(vpc) => Some(default_group_id(vpc)),
            _ => None,
        }
    }

    /// True for a VPC's default group, named either way.
    pub fn is_default(&self) -> bool {
        matches!(self, GroupRef::VpcDefault(_) | GroupRef::DefaultVpcDefault)
    }

    /// The model value: the logical id, the external id or name, or unknown.
    pub fn node(&self, span: Span) -> Node {
        match self {
            GroupRef::Template(id) => Node::string(id.clone(), span),
            GroupRef::VpcDefault(vpc) => Node::string(default_group_id(vpc), span),
            GroupRef::DefaultVpcDefault => Node::string("default", span),
            GroupRef::External(s) => Node::string(s.clone(), span),
            GroupRef::Unknown(reason) => Node::unknown(Unknown::new(reason.clone()), span),
        }
    }
}

/// The logical id given to a VPC's default group: `Vpc.DefaultSecurityGroup`.
pub fn default_group_id(vpc: &str) -> Str {
    Str::from(format!("{vpc}.DefaultSecurityGroup"))
}

/// What a slot takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Group ids (`GroupId`, `SecurityGroupIds`, …).
    Id,
    /// Group names (`GroupName`, `SourceSecurityGroupName`, `Instance.SecurityGroups`).
    Name,
    /// Either (`LaunchConfiguration.SecurityGroups`).
    Either,
}

/// The groups of a template: logical ids in order and the `GroupName` index.
#[derive(Debug)]
pub struct Index<'t> {
    /// Every `AWS::EC2::SecurityGroup`, in template order, with its resource entry.
    pub groups: Vec<&'t Entry>,
    /// `GroupName` → logical id, for names known from literal values.
    pub names: HashMap<Str, Str>,
}

impl<'t> Index<'t> {
    /// Indexes the groups of the resolver's template.
    pub fn new(resolver: &Resolver<'t>) -> Self {
        let mut groups = Vec::new();
        let mut names = HashMap::default();
        let Some(resources) = resolver.resources else {
            return Index { groups, names };
        };
        for entry in resources.written() {
            if entry.value.get("Type").and_then(Node::as_str) != Some(SECURITY_GROUP) {
                continue;
            }
            groups.push(entry);
            let name = entry
                .value
                .get("Properties")
                .and_then(|p| p.get("GroupName"));
            if let Some(name) = name {
                if let [only] = resolver.resolve(name, Seg::Root).as_slice() {
                    if let RVal::Str(s) = &only.value.val {
                        names
                            .entry(s.clone())
                            .or_insert_with(|| Str::from(&*entry.key));
                    }
                }
            }
        }
        Index { groups, names }
    }

    /// The group a resolved value names, in a slot of the given kind.
    pub fn identify(&self, resolver: &Resolver<'t>, value: &RNode<'_>, slot: Slot) -> GroupRef {
        match &value.val {
            RVal::Resource { id, attr } => {
                let ty = resolver.resource_type(id).unwrap_or("");
                match (ty, attr.as_deref()) {
                    (SECURITY_GROUP, None | Some("GroupId" | "GroupName")) => {
                        GroupRef::Template(id.clone())
                    }
                    (VPC, Some("DefaultSecurityGroup")) => GroupRef::VpcDefault(id.clone()),
                    (ty, _) => GroupRef::Unknown(Str::from(format!(
                        "`{id}` is a `{ty}`, not a security group"
                    ))),
                }
            }
            RVal::Str(s) => {
                if slot != Slot::Id {
                    if let Some(id) = self.names.get(s) {
                        return GroupRef::Template(id.clone());
                    }
                    if s == "default" {
                        return GroupRef::DefaultVpcDefault;
                    }
                }
                GroupRef::External(s.clone())
            }
            RVal::Unknown(u) => GroupRef::Unknown(u.reason.clone()),
            RVal::Int(i) => GroupRef::External(Str::from(i.to_string())),
            _ => GroupRef::Unknown(Str::from("not a security group id or name")),
        }
    }
}
