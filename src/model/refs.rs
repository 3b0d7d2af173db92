//! Where resources and outputs refer to the resources the model cares about (security groups,
//! VPCs, launch templates): `Ref`, `Fn::GetAtt` and `${…}` in `Fn::Sub`.
//!
//! One walk over the template; the model reads the result to tell which groups are used, which
//! VPC default groups are named, and which resources consume a launch template.

use super::groups::GroupRef;
use super::path::Seg;
use super::resolve::{Resolver, SECURITY_GROUP, VPC, get_att_args};
use crate::hash::HashSet;
use crate::source::Span;
use crate::template::{Map, Node, Str, Value};

/// A rule resource type.
pub const INGRESS: &str = "AWS::EC2::SecurityGroupIngress";
/// A rule resource type.
pub const EGRESS: &str = "AWS::EC2::SecurityGroupEgress";

/// One reference to a resource of interest, borrowing its names from the template.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference<'t> {
    /// The referring resource's logical id (`None` for an output).
    pub from: Option<&'t str>,
    /// The referring resource's type.
    pub from_type: &'t str,
    /// The referred resource.
    pub target: &'t str,
    /// The attribute (`GetAtt` or `${Target.Attr}`), if any.
    pub attr: Option<&'t str>,
    /// JSON pointer of the referring value (empty inside a rule, whose references are
    /// reported through the rule).
    pub path: String,
    /// Where the referring value is written.
    pub span: Span,
    /// True when the reference sits in a security-group rule (a rule resource, or an inline
    /// rule list of a group). Of those, only references to a VPC's default group are kept.
    pub in_rule: bool,
    /// The branches the reference lies in: for each `Fn::If` around it, its condition and
    /// whether the reference is in the branch taken when the condition holds; an output's
    /// own `Condition` counts as a branch taken when it holds.
    pub under: Box<[(&'t str, bool)]>,
}

impl Reference<'_> {
    /// The group the reference names, if it names one: a security group of the template, or
    /// a VPC's default group (`!GetAtt Vpc.DefaultSecurityGroup`).
    pub fn group(&self, resolver: &Resolver<'_>) -> Option<GroupRef> {
        match (resolver.resource_type(self.target), self.attr) {
            (Some(SECURITY_GROUP), _) => Some(GroupRef::Template(Str::from(self.target))),
            (Some(VPC), Some("DefaultSecurityGroup")) => {
                Some(GroupRef::VpcDefault(Str::from(self.target)))
            }
            _ => None,
        }
    }

    /// False when the reference is never evaluated: it lies in a branch of `Fn::If` that no
    /// deployment takes, or in an output whose `Condition` never holds.
    pub fn reachable(&self, resolver: &Resolver<'_>) -> bool {
        self.under.iter().all(|(name, holds)| {
            let values = resolver.condition_literal(name);
            values.is_empty() || values.iter().any(|v| v.value == *holds)
        })
    }
}

struct Walk<'a> {
    targets: &'a HashSet<&'a str>,
    vpcs: &'a HashSet<&'a str>,
    from: Option<&'a str>,
    from_type: &'a str,
    in_rule: bool,
    /// The branches the walk is in (see [`Reference::under`]).
    branches: Vec<(&'a str, bool)>,
    out: Vec<Reference<'a>>,
}

impl<'a> Walk<'a> {
    fn push(&mut self, target: &'a str, attr: Option<&'a str>, at: &Seg<'_>, span: Span) {
        // Inside a rule, a reference to a group is the rule's group or peer, which the rule
        // itself reports; only a VPC's default group named there is needed here. Of a VPC,
        // only its default group matters anywhere.
        let default_group = attr == Some("DefaultSecurityGroup");
        if self.in_rule && !default_group {
            return;
        }
        if self.targets.contains(target) || (default_group && self.vpcs.contains(target)) {
            self.out.push(Reference {
                from: self.from,
                from_type: self.from_type,
                target,
                attr,
                path: if self.in_rule {
                    String::new()
                } else {
                    at.pointer()
                },
                span,
                in_rule: self.in_rule,
                under: self.branches.as_slice().into(),
            });
        }
    }

    fn node(&mut self, node: &'a Node, at: Seg<'_>) {
        if let Some((name, arg)) = node.as_intrinsic() {
            match name {
                "Ref" => {
                    if let Some(t) = arg.as_str() {
                        self.push(t, None, &at, node.span);
                    }
                    return;
                }
                "Fn::GetAtt" => {
                    if let Some((t, a)) = get_att_args(arg) {
                        self.push(t, Some(a), &at, node.span);
                    }
                    return;
                }
                "Fn::Sub" => self.sub(arg, &at, node.span),
                "Fn::If" => {
                    if let Some([cond, then, otherwise]) = arg.as_list() {
                        if let Some(cond) = cond.as_str() {
                            let list = at.key("Fn::If");
                            for (i, (branch, holds)) in
                                [(then, true), (otherwise, false)].into_iter().enumerate()
                            {
                                self.branches.push((cond, holds));
                                self.node(branch, list.index(i + 1));
                                self.branches.pop();
                            }
                            return;
                        }
                    }
                }
                _ => {}
            }
        }
        match &node.value {
            Value::Map(map) => {
                for (key, value) in map.iter() {
                    self.node(value, at.key(key));
                }
            }
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.node(item, at.index(i));
                }
            }
            _ => {}
        }
    }

    fn sub(&mut self, arg: &'a Node, at: &Seg<'_>, span: Span) {
        let (text, vars) = match &arg.value {
            Value::String(s) => (s.as_str(), None),
            Value::List(items) => match &items[..] {
                [t, v, ..] => (t.as_str().unwrap_or_default(), v.as_map()),
                [t] => (t.as_str().unwrap_or_default(), None),
                [] => return,
            },
            _ => return,
        };
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = rest.get(start + 2..).unwrap_or_default();
            let Some(end) = after.find('}') else { break };
            let name = after.get(..end).unwrap_or_default().trim();
            rest = after.get(end + 1..).unwrap_or_default();
            if name.starts_with('!') || vars.is_some_and(|v| v.get(name).is_some()) {
                continue;
            }
            match name.split_once('.') {
                Some((t, a)) => self.push(t, Some(a), at, span),
                None => self.push(name, None, at, span),
            }
        }
    }
}

/// Every reference to one of `targets`, or to the default group of one of `vpcs`, from the
/// `Properties` of a resource or from `Outputs`.
pub fn scan<'t>(
    root: &'t Node,
    targets: &'t HashSet<&'t str>,
    vpcs: &'t HashSet<&'t str>,
) -> Vec<Reference<'t>> {
    let mut walk = Walk {
        targets,
        vpcs,
        from: None,
        from_type: "",
        in_rule: false,
        branches: Vec::new(),
        out: Vec::new(),
    };
    if targets.is_empty() && vpcs.is_empty() {
        return walk.out;
    }
    let top = Seg::Root;
    if let Some(resources) = root.get("Resources").and_then(Node::as_map) {
        let res_at = top.key("Resources");
        scan_resources(&mut walk, resources, &res_at);
    }
    if let Some(outputs) = root.get("Outputs") {
        walk.from = None;
        walk.from_type = "Output";
        walk.in_rule = false;
        let at = top.key("Outputs");
        match outputs.as_map() {
            Some(map) => {
                for (name, output) in map.iter() {
                    let condition = output.get("Condition").and_then(Node::as_str);
                    walk.branches.extend(condition.map(|c| (c, true)));
                    walk.node(output, at.key(name));
                    walk.branches.clear();
                }
            }
            None => walk.node(outputs, at),
        }
    }
    walk.out
}

fn scan_resources<'a>(walk: &mut Walk<'a>, resources: &'a Map, at: &Seg<'_>) {
    for (id, resource) in resources.iter() {
        let Some(props) = resource.get("Properties") else {
            continue;
        };
        let ty = resource.get("Type").and_then(Node::as_str).unwrap_or("");
        walk.from = Some(id);
        walk.from_type = ty;
        let r = at.key(id);
        let p = r.key("Properties");
        if ty == INGRESS || ty == EGRESS {
            walk.in_rule = true;
            walk.node(props, p);
            continue;
        }
        let Some(map) = props.as_map() else {
            walk.in_rule = false;
            walk.node(props, p);
            continue;
        };
        for (key, value) in map.iter() {
            walk.in_rule = ty == SECURITY_GROUP
                && (key == "SecurityGroupIngress" || key == "SecurityGroupEgress");
            walk.node(value, p.key(key));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use std::sync::Arc;

    #[test]
    fn finds_refs_getatts_and_sub_variables() {
        let text = "Resources:\n  Sg: {Type: AWS::EC2::SecurityGroup, Properties: {SecurityGroupIngress: [{SourceSecurityGroupId: !Ref Other}, {SourceSecurityGroupId: !GetAtt Vpc.DefaultSecurityGroup}]}}\n  I:\n    Type: AWS::EC2::Instance\n    Properties:\n      SecurityGroupIds: [!GetAtt Sg.GroupId]\n      UserData: !Sub '${Other} ${!Sg} ${X}'\nOutputs:\n  O: {Value: !Ref Sg}\n";
        let t = crate::template::parse(Arc::new(SourceFile::new("t", text))).unwrap();
        let targets: HashSet<&str> = ["Sg", "Other"].into_iter().collect();
        let vpcs: HashSet<&str> = ["Vpc"].into_iter().collect();
        let refs = scan(&t.root, &targets, &vpcs);
        let shown: Vec<_> = refs
            .iter()
            .map(|r| (r.target, r.path.as_str(), r.in_rule, r.from.is_some()))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("Vpc", "", true, true),
                (
                    "Sg",
                    "/Resources/I/Properties/SecurityGroupIds/0",
                    false,
                    true
                ),
                ("Other", "/Resources/I/Properties/UserData", false, true),
                ("Sg", "/Outputs/O/Value", false, false),
            ]
        );
    }
}
