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
use crate::hash::{HashMap, HashSet};
use crate::source::Span;

/// `root` with the `Fn::If`s of every resource's properties spread; the tree as it was when the
/// text has no `If`. Only the resources that change are rebuilt: the rest of the tree is moved.
pub(super) fn spread(root: Node, text: &str) -> Node {
    if memchr::memmem::find(text.as_bytes(), b"If").is_none() {
        return root;
    }
    // The spread properties of each resource, in written order; `None` where nothing changes.
    let Some(spread) = root
        .get("Resources")
        .and_then(Node::as_map)
        .map(|resources| {
            resources
                .written()
                .iter()
                .map(|r| spread_properties(&r.value))
                .collect::<Vec<Option<Node>>>()
        })
    else {
        return root;
    };
    if spread.iter().all(Option::is_none) {
        return root;
    }
    let mut spread = spread.into_iter();
    root.map_entries(|section| match &*section.key {
        "Resources" => Entry {
            value: section
                .value
                .map_entries(|resource| match spread.next().flatten() {
                    Some(props) => Entry {
                        value: with_properties(resource.value, props),
                        ..resource
                    },
                    None => resource,
                }),
            ..section
        },
        _ => section,
    })
}

/// A resource with `props` in place of its `Properties`.
fn with_properties(resource: Node, props: Node) -> Node {
    let mut props = Some(props);
    resource.map_entries(|field| {
        if &*field.key == "Properties" {
            if let Some(value) = props.take() {
                return Entry { value, ..field };
            }
        }
        field
    })
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
/// with `absent`, `!Ref AWS::NoValue`). Keys in the order `A` then `B` write them.
fn distribute(node: &Node, absent: bool) -> Option<Node> {
    let (condition, yes, no) = if_parts(node)?;
    let (yes, no) = (branch(yes, absent)?, branch(no, absent)?);
    let mut keys: Vec<(Key, Span)> = Vec::new();
    let mut seen: HashSet<Key> = HashSet::default();
    for e in yes.iter().chain(&no) {
        if seen.insert(e.key.clone()) {
            keys.push((e.key.clone(), e.key_span));
        }
    }
    // A branch is a map: its keys are unique.
    let values = |entries: Vec<Entry>| -> HashMap<Key, Node> {
        entries.into_iter().map(|e| (e.key, e.value)).collect()
    };
    let (mut yes, mut no) = (values(yes), values(no));
    let take = |values: &mut HashMap<Key, Node>, key: &Key| {
        values.remove(key).unwrap_or_else(|| no_value(node.span))
    };
    let entries = keys
        .into_iter()
        .map(|(key, key_span)| {
            let branches = [condition.clone(), take(&mut yes, &key), take(&mut no, &key)];
            let value = function(
                "Fn::If",
                Node::new(Value::List(Box::new(branches)), node.span),
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
        return match distribute(node, absent)?.value {
            Value::Map(map) => Some(map.into_written()),
            _ => None,
        };
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
