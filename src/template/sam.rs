//! The `Globals` of an AWS SAM template, applied to its functions as the SAM transform applies
//! them before a deploy, so that a function's `VpcConfig` given once for all is seen.
//!
//! With `Transform: AWS::Serverless-2016-10-31`, the properties under `Globals.Function` go into
//! every `AWS::Serverless::Function`: a property the function sets itself wins, maps are merged
//! key by key (the function's keys winning), and lists are joined, the global items first. A
//! property that is a function (`!If`, `!Ref`) on either side is not merged: the function's own
//! value wins. Merged values keep their spans, in `Globals`.

use super::value::{Entry, Map, Node, Value};

/// The transform that reads `Globals`.
const SERVERLESS: &str = "AWS::Serverless-2016-10-31";

/// `root` with `Globals.Function` applied to every serverless function; the tree as it was
/// when there is nothing to apply.
pub(super) fn apply_globals(root: Node) -> Node {
    let Some(globals) = root
        .get("Globals")
        .and_then(|g| g.get("Function"))
        .filter(|g| plain_map(g))
        .cloned()
    else {
        return root;
    };
    if !serverless(&root) || root.get("Resources").and_then(Node::as_map).is_none() {
        return root;
    }
    root.map_entries(|e| match &*e.key {
        "Resources" => Entry {
            value: functions(e.value, &globals),
            ..e
        },
        _ => e,
    })
}

/// True when the template names the SAM transform.
fn serverless(root: &Node) -> bool {
    match root.get("Transform").map(|t| &t.value) {
        Some(Value::String(s)) => s == SERVERLESS,
        Some(Value::List(items)) => items.iter().any(|t| t.as_str() == Some(SERVERLESS)),
        _ => false,
    }
}

/// The `Resources` map with the globals merged into each serverless function.
fn functions(node: Node, globals: &Node) -> Node {
    node.map_entries(|resource| {
        if resource.value.get("Type").and_then(Node::as_str) != Some("AWS::Serverless::Function") {
            return resource;
        }
        let Entry {
            key,
            key_span,
            value: Node { value, span },
        } = resource;
        let mut fields = match value {
            Value::Map(body) => body.into_written(),
            other => {
                return Entry {
                    key,
                    key_span,
                    value: Node::new(other, span),
                };
            }
        };
        match fields.iter_mut().find(|f| &*f.key == "Properties") {
            Some(props) => props.value = merged(globals, &props.value),
            None => fields.push(Entry {
                key: "Properties".into(),
                key_span,
                value: globals.clone(),
            }),
        }
        Entry {
            key,
            key_span,
            value: Node::new(Value::Map(Map::new(fields)), span),
        }
    })
}

/// `local` over `global`: maps merged key by key, lists joined, otherwise `local`.
fn merged(global: &Node, local: &Node) -> Node {
    match (&global.value, &local.value) {
        (Value::Map(g), Value::Map(l)) if plain_map(global) && plain_map(local) => {
            let mut entries: Vec<Entry> = Vec::new();
            for e in g.written() {
                let value = match l.get(&e.key) {
                    Some(own) => merged(&e.value, own),
                    None => e.value.clone(),
                };
                entries.push(Entry { value, ..e.clone() });
            }
            entries.extend(
                l.written()
                    .iter()
                    .filter(|e| g.get(&e.key).is_none())
                    .cloned(),
            );
            Node::new(Value::Map(Map::new(entries)), local.span)
        }
        (Value::List(g), Value::List(l)) => {
            let items: Vec<Node> = g.iter().chain(l.iter()).cloned().collect();
            Node::new(Value::List(items.into_boxed_slice()), local.span)
        }
        _ => local.clone(),
    }
}

/// A map that is not an intrinsic function (`{Ref: …}`, `{Fn::If: …}`).
fn plain_map(node: &Node) -> bool {
    match node.as_map().map(Map::written) {
        Some([only]) => !(&*only.key == "Ref" || only.key.starts_with("Fn::")),
        Some(_) => true,
        None => false,
    }
}

#[cfg(test)]
mod tests;
