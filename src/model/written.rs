//! The written values a property path can lead to, deployment by deployment: `Fn::If` branches
//! followed under their conditions, `AWS::NoValue` as no value. Used where the model asks
//! whether a property is there at all (a VPC configuration, a cluster identifier), which a
//! plain look-up answers wrongly when the property is `!If [C, {…}, !Ref AWS::NoValue]`.

use super::assume::Assumptions;
use super::resolve::Resolver;
use crate::template::{Node, Unknown};

/// The key of a transform in place of properties (`AWS::Include`).
pub const INCLUDE: &str = "Fn::Transform";

/// Why `what` is not known when a transform supplies the properties.
pub fn included(what: &str) -> Unknown {
    Unknown::new(format!(
        "{what} may come from the `Fn::Transform` in the properties, only known at deploy time"
    ))
}

/// Where the `Fn::Transform` key of properties that a transform supplies (`AWS::Include`)
/// is written.
pub fn include_of(props: Option<&Node>) -> Option<crate::source::Span> {
    Some(props?.as_map()?.entry(INCLUDE)?.key_span)
}

/// True when a written value is there and is not an empty list: `SubnetIds: []` names no
/// subnet, as leaving it out does.
pub fn names_something(value: Option<&Node>) -> bool {
    value.is_some_and(|n| n.as_list().is_none_or(|l| !l.is_empty()))
}

/// Deepest `Fn::If` nesting followed; deeper ones are taken as written.
const MAX_DEPTH: usize = 16;

/// A written value (or none) and the assumptions under which it is the one deployed.
pub type Choice<'t> = (Option<&'t Node>, Assumptions);

/// The values `node` stands for: itself, or the branches of its `Fn::If`, nested ones too;
/// `!Ref AWS::NoValue` is `None`. At most `resolver.bound` choices; past that, `node` itself.
pub fn choices<'t>(resolver: &Resolver<'t>, node: &'t Node, when: &Assumptions) -> Vec<Choice<'t>> {
    let mut out = Vec::new();
    follow(resolver, node, when, 0, &mut out);
    if out.len() > resolver.bound {
        return vec![(Some(node), when.clone())];
    }
    out
}

fn follow<'t>(
    resolver: &Resolver<'t>,
    node: &'t Node,
    when: &Assumptions,
    depth: usize,
    out: &mut Vec<Choice<'t>>,
) {
    let node = node.resolved();
    match node.as_intrinsic() {
        Some(("Ref", arg)) if arg.as_str() == Some("AWS::NoValue") => {
            out.push((None, when.clone()))
        }
        Some(("Fn::If", arg)) if depth < MAX_DEPTH && out.len() <= resolver.bound => {
            let (Some(name), Some(yes), Some(no)) = (
                arg.as_list().and_then(|l| l.first()).and_then(Node::as_str),
                arg.as_list().and_then(|l| l.get(1)),
                arg.as_list().and_then(|l| l.get(2)),
            ) else {
                out.push((Some(node), when.clone()));
                return;
            };
            for v in resolver.condition_literal(name) {
                if let Some(w) = when.merge(&v.when) {
                    let branch = if v.value { yes } else { no };
                    follow(resolver, branch, &w, depth + 1, out);
                }
            }
        }
        _ => out.push((Some(node), when.clone())),
    }
}

/// The values at `keys` below `base`, each under its assumptions: one per combination of the
/// `Fn::If` branches met on the way. `None` where the path stops (a key is missing, or a value
/// on the way is `AWS::NoValue`).
pub fn at<'t>(resolver: &Resolver<'t>, base: Option<&'t Node>, keys: &[&str]) -> Vec<Choice<'t>> {
    let mut current = match base {
        Some(node) => choices(resolver, node, &Assumptions::none()),
        None => vec![(None, Assumptions::none())],
    };
    for key in keys {
        let mut next = Vec::new();
        for (node, when) in current {
            match node.and_then(|n| n.get(key)) {
                Some(child) => next.extend(choices(resolver, child, &when)),
                None => next.push((None, when)),
            }
        }
        if next.len() > resolver.bound {
            // Too many combinations to follow: the path as written.
            let plain = base.and_then(|b| keys.iter().try_fold(b, |n, k| n.get(k)));
            return vec![(plain.map(Node::resolved), Assumptions::none())];
        }
        current = next;
    }
    current
}
