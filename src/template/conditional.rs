//! Resource properties written as one `Fn::If` (`Properties: !If [Cond, {…}, {…}]`), spread
//! over the properties so that each is read like any other conditional value.
//!
//! The model reads a resource's properties one by one. `Properties: !If [C, A, B]` becomes, for
//! every key of `A` or `B`, `Key: !If [C, A.Key, B.Key]`, with `!Ref AWS::NoValue` for a key a
//! branch does not have (a branch that is itself `!Ref AWS::NoValue` has none). Nested `Fn::If`
//! branches are spread first. A branch that is neither a map nor one of these (another
//! function) leaves the properties as written. The new values keep the spans of the text they
//! come from; the `Fn::If`s made for each key point at the one that was written.

use super::value::{Entry, Key, Map, Node, Value};
use crate::source::Span;

/// `root` with every resource's `Properties: !If` spread; the tree as it was when there is none.
pub(super) fn spread(root: Node) -> Node {
    let written = root
        .get("Resources")
        .and_then(Node::as_map)
        .is_some_and(|r| {
            r.written()
                .iter()
                .any(|e| properties_if(&e.value).is_some())
        });
    if !written {
        return root;
    }
    let span = root.span;
    let Value::Map(map) = root.value else {
        return Node::new(root.value, span);
    };
    let entries = map
        .into_written()
        .into_iter()
        .map(|e| match &*e.key {
            "Resources" => Entry {
                value: resources(e.value),
                ..e
            },
            _ => e,
        })
        .collect();
    Node::new(Value::Map(Map::new(entries)), span)
}

/// The `Resources` map with each resource's properties spread.
fn resources(node: Node) -> Node {
    let span = node.span;
    let Value::Map(map) = node.value else {
        return Node::new(node.value, span);
    };
    let entries = map
        .into_written()
        .into_iter()
        .map(|resource| {
            let Some(spread) = properties_if(&resource.value).and_then(distribute) else {
                return resource;
            };
            let Value::Map(body) = &resource.value.value else {
                return resource;
            };
            let fields = body
                .written()
                .iter()
                .map(|f| match &*f.key {
                    "Properties" => Entry {
                        value: spread.clone(),
                        ..f.clone()
                    },
                    _ => f.clone(),
                })
                .collect();
            Entry {
                value: Node::new(Value::Map(Map::new(fields)), resource.value.span),
                ..resource
            }
        })
        .collect();
    Node::new(Value::Map(Map::new(entries)), span)
}

/// The resource's `Properties` when they are one `Fn::If`.
fn properties_if(resource: &Node) -> Option<&Node> {
    resource.get("Properties").filter(|p| if_parts(p).is_some())
}

/// The condition and branches of `{Fn::If: [C, A, B]}`.
fn if_parts(node: &Node) -> Option<(&Node, &Node, &Node)> {
    let map = node.as_map()?;
    let [only] = map.written() else {
        return None;
    };
    if &*only.key != "Fn::If" {
        return None;
    }
    let Value::List(parts) = &only.value.value else {
        return None;
    };
    let [condition, yes, no] = &**parts else {
        return None;
    };
    Some((condition, yes, no))
}

/// `{Fn::If: [C, A, B]}` as one map of conditional values, when both branches are maps.
fn distribute(node: &Node) -> Option<Node> {
    let (condition, yes, no) = if_parts(node)?;
    let (yes, no) = (branch(yes)?, branch(no)?);
    let mut keys: Vec<(Key, Span)> = Vec::new();
    for e in yes.iter().chain(&no) {
        if !keys.iter().any(|(k, _)| *k == e.key) {
            keys.push((e.key.clone(), e.key_span));
        }
    }
    let pick = |entries: &[Entry], key: &Key| {
        entries
            .iter()
            .find(|e| e.key == *key)
            .map_or_else(|| no_value(node.span), |e| e.value.clone())
    };
    let entries = keys
        .into_iter()
        .map(|(key, key_span)| {
            let value = function(
                "Fn::If",
                Node::new(
                    Value::List(Box::new([
                        condition.clone(),
                        pick(&yes, &key),
                        pick(&no, &key),
                    ])),
                    node.span,
                ),
                node.span,
            );
            Entry {
                key,
                key_span,
                value,
            }
        })
        .collect();
    Some(Node::new(Value::Map(Map::new(entries)), node.span))
}

/// The properties a branch sets: a map of them, none for `!Ref AWS::NoValue`, or a nested
/// `Fn::If` spread; `None` for anything else.
fn branch(node: &Node) -> Option<Vec<Entry>> {
    if if_parts(node).is_some() {
        return distribute(node).and_then(|n| n.as_map().map(|m| m.written().to_vec()));
    }
    let map = node.as_map()?;
    match map.written() {
        [only] if &*only.key == "Ref" => {
            (only.value.as_str() == Some("AWS::NoValue")).then(Vec::new)
        }
        [only] if only.key.starts_with("Fn::") => None,
        entries => Some(entries.to_vec()),
    }
}

/// `{name: argument}`.
fn function(name: &str, argument: Node, span: Span) -> Node {
    let entry = Entry {
        key: Key::from(name),
        key_span: span,
        value: argument,
    };
    Node::new(Value::Map(Map::new(vec![entry])), span)
}

/// `!Ref AWS::NoValue`.
fn no_value(span: Span) -> Node {
    function("Ref", Node::string("AWS::NoValue", span), span)
}

#[cfg(test)]
mod tests;
