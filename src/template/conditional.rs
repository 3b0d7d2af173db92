//! `Fn::If` between maps, spread over their keys, so that each key is read like any other
//! conditional value.
//!
//! The model reads a resource's properties, and the maps inside them, key by key.
//! `Properties: !If [C, A, B]` becomes, for every key of `A` or `B`, `Key: !If [C, A.Key,
//! B.Key]`, with `!Ref AWS::NoValue` for a key a branch does not have (a branch that is itself
//! `!Ref AWS::NoValue` has none). The same holds for a map inside the properties whose value is
//! `!If` between two maps (`LaunchTemplateData: !If [C, {…}, {…}]`); there a branch that is
//! `AWS::NoValue` is kept as written, since an absent map is not an empty one, and so is a list
//! item (the model reads list items branch by branch already). Nested `Fn::If`
//! branches are spread first. A branch that is neither a map nor one of these (another
//! function) leaves the value as written. The new values keep the spans of the text they come
//! from; the `Fn::If`s made for each key point at the one that was written.

use super::value::{Entry, Key, Map, Node, Value};
use crate::source::Span;

/// `root` with the `Fn::If`s of every resource's properties spread; the tree as it was when the
/// text has no `If`.
pub(super) fn spread(root: Node, text: &str) -> Node {
    if memchr::memmem::find(text.as_bytes(), b"If").is_none() {
        return root;
    }
    let Some(map) = root.as_map() else {
        return root;
    };
    let new: Vec<Option<Node>> = map
        .written()
        .iter()
        .map(|e| match &*e.key {
            "Resources" => spread_resources(&e.value),
            _ => None,
        })
        .collect();
    match replaced(map, new) {
        Some(entries) => Node::new(Value::Map(Map::new(entries)), root.span),
        None => root,
    }
}

/// The `Resources` map with each resource's properties spread; `None` when nothing changes.
fn spread_resources(node: &Node) -> Option<Node> {
    let resources = node.as_map()?;
    let new: Vec<Option<Node>> = resources
        .written()
        .iter()
        .map(|resource| {
            let props = spread_properties(&resource.value)?;
            let body = resource.value.as_map()?;
            let new = body
                .written()
                .iter()
                .map(|f| (&*f.key == "Properties").then(|| props.clone()))
                .collect();
            let entries = replaced(body, new)?;
            Some(Node::new(
                Value::Map(Map::new(entries)),
                resource.value.span,
            ))
        })
        .collect();
    let entries = replaced(resources, new)?;
    Some(Node::new(Value::Map(Map::new(entries)), node.span))
}

/// The entries of `map` with the values given in `new` (one per entry; `None` keeps the value
/// written), or `None` when `new` changes nothing.
fn replaced(map: &Map, new: Vec<Option<Node>>) -> Option<Vec<Entry>> {
    if new.iter().all(Option::is_none) {
        return None;
    }
    let entries = map
        .written()
        .iter()
        .zip(new)
        .map(|(e, value)| Entry {
            value: value.unwrap_or_else(|| e.value.clone()),
            ..e.clone()
        })
        .collect();
    Some(entries)
}

/// A resource's properties with their `Fn::If`s spread; `None` when there is nothing to spread.
fn spread_properties(resource: &Node) -> Option<Node> {
    let props = resource.get("Properties")?;
    let top = if_parts(props).and_then(|_| distribute(props, true));
    let base = top.as_ref().unwrap_or(props);
    spread_within(base).or(top)
}

/// `node` with every `Fn::If` between two maps inside it spread; `None` when there is none.
/// A list item that is such an `Fn::If` stays one: the model reads list items branch by branch
/// already, and the path of what it finds there names the branch.
fn spread_inside(node: &Node) -> Option<Node> {
    if if_parts(node).is_some() {
        if let Some(spread) = distribute(node, false) {
            return Some(spread_within(&spread).unwrap_or(spread));
        }
    }
    spread_within(node)
}

/// [`spread_inside`] for what `node` holds, not for `node` itself.
fn spread_within(node: &Node) -> Option<Node> {
    match &node.value {
        Value::Map(map) => {
            let inner = map
                .written()
                .iter()
                .map(|e| spread_inside(&e.value))
                .collect();
            let entries = replaced(map, inner)?;
            Some(Node::new(Value::Map(Map::new(entries)), node.span))
        }
        Value::List(items) => {
            let inner: Vec<Option<Node>> = items.iter().map(spread_within).collect();
            if inner.iter().all(Option::is_none) {
                return None;
            }
            let items = items
                .iter()
                .zip(inner)
                .map(|(n, spread)| spread.unwrap_or_else(|| n.clone()))
                .collect();
            Some(Node::new(Value::List(items), node.span))
        }
        _ => None,
    }
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

/// `{Fn::If: [C, A, B]}` as one map of conditional values, when both branches are maps (or,
/// with `absent`, `!Ref AWS::NoValue`).
fn distribute(node: &Node, absent: bool) -> Option<Node> {
    let (condition, yes, no) = if_parts(node)?;
    let (yes, no) = (branch(yes, absent)?, branch(no, absent)?);
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

/// The keys a branch sets: a map of them, none for `!Ref AWS::NoValue` (with `absent`), or a
/// nested `Fn::If` spread; `None` for anything else.
fn branch(node: &Node, absent: bool) -> Option<Vec<Entry>> {
    if if_parts(node).is_some() {
        return distribute(node, absent).and_then(|n| n.as_map().map(|m| m.written().to_vec()));
    }
    let map = node.as_map()?;
    match map.written() {
        [only] if &*only.key == "Ref" => {
            (absent && only.value.as_str() == Some("AWS::NoValue")).then(Vec::new)
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
