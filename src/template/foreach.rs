//! `Fn::ForEach` loops (the `AWS::LanguageExtensions` transform), expanded as CloudFormation
//! expands them before a deploy, so that the resources a loop makes are checked like any other.
//!
//! A map entry `Fn::ForEach::Name: [Identifier, Collection, {Key: Value}]` becomes one copy of
//! `{Key: Value}` per item of the collection, with `${Identifier}` and `&{Identifier}` (the item
//! without its non-alphanumeric characters) replaced in every key and text of the copy, and
//! `Ref: Identifier` replaced by the item. The collection is a list written in the template or
//! a `Ref` to a parameter with a `Default`. When it is neither, the loop's body is kept once as
//! written (its resources named `${Identifier}…`), so that what it declares is still checked
//! rather than left out. Copies keep the spans of the loop's text. Loops are bounded like
//! aliases: at most [`MAX_NODES`] values made, long texts counting as several.

use super::value::{Entry, Key, Map, Node, Value};
use super::{LoadError, MAX_NODES, measure};
use crate::hash::HashSet;

/// The prefix of a loop's key.
const FOR_EACH: &str = "Fn::ForEach::";

/// `root` with every loop expanded; the tree as it was when the text has no loop.
pub(super) fn expand(root: Node, text: &str) -> Result<Node, LoadError> {
    if memchr::memmem::find(text.as_bytes(), FOR_EACH.as_bytes()).is_none() {
        return Ok(root);
    }
    let parameters = root.get("Parameters").cloned();
    let mut budget = Budget(MAX_NODES);
    expand_node(root, parameters.as_ref(), &mut budget)
}

/// Values loops may still make.
struct Budget(usize);

fn expand_node(node: Node, params: Option<&Node>, budget: &mut Budget) -> Result<Node, LoadError> {
    let span = node.span;
    match node.value {
        Value::Map(map) => {
            let entries = map.into_written();
            // The keys written in the map, then the ones each loop makes: all must differ.
            let mut keys: HashSet<Key> = entries
                .iter()
                .filter(|e| Loop::of(e).is_none())
                .map(|e| e.key.clone())
                .collect();
            let mut out = Vec::new();
            for entry in entries {
                match Loop::of(&entry) {
                    Some(lp) => {
                        for made in lp.expand(&entry, params, budget)? {
                            if !keys.insert(made.key.clone()) {
                                return Err(duplicate(&entry, &made.key));
                            }
                            out.push(made);
                        }
                    }
                    None => out.push(Entry {
                        value: expand_node(entry.value, params, budget)?,
                        ..entry
                    }),
                }
            }
            Ok(Node::new(Value::Map(Map::new(out)), span))
        }
        Value::List(items) => {
            let items = items
                .into_vec()
                .into_iter()
                .map(|n| expand_node(n, params, budget))
                .collect::<Result<Vec<Node>, LoadError>>()?;
            Ok(Node::new(Value::List(items.into_boxed_slice()), span))
        }
        value => Ok(Node::new(value, span)),
    }
}

/// `template::duplicate-key`: a loop makes a key the map already has.
fn duplicate(entry: &Entry, key: &str) -> LoadError {
    LoadError::new(
        "template::duplicate-key",
        format!("`{}` makes the key `{key}` twice, or a key the map already has", entry.key),
        Some(entry.key_span),
    )
    .with_help("CloudFormation rejects such a template: put `${Identifier}` or `&{Identifier}` in the loop's output key, so that each item makes a key of its own")
}

/// A well-formed loop: its identifier, collection and body.
struct Loop<'a> {
    identifier: &'a str,
    collection: &'a Node,
    body: &'a Node,
}

impl<'a> Loop<'a> {
    fn of(entry: &'a Entry) -> Option<Loop<'a>> {
        entry.key.strip_prefix(FOR_EACH)?;
        let Value::List(parts) = &entry.value.value else {
            return None;
        };
        let [identifier, collection, body] = &**parts else {
            return None;
        };
        Some(Loop {
            identifier: identifier.as_str()?,
            collection,
            body: body.as_map().map(|_| body)?,
        })
    }

    /// The entries the loop makes, its inner loops expanded.
    fn expand(
        &self,
        entry: &Entry,
        params: Option<&Node>,
        budget: &mut Budget,
    ) -> Result<Vec<Entry>, LoadError> {
        let items = self.items(params);
        let copies = items.as_ref().map_or(1, Vec::len);
        let cost = measure(self.body, true).0.saturating_mul(copies);
        if cost > budget.0 {
            return Err(LoadError::new(
                "template::too-large",
                format!(
                    "`{}` makes more than {MAX_NODES} values with the loops around it",
                    entry.key
                ),
                Some(entry.key_span),
            )
            .with_help("a template is at most 1 MB of text for CloudFormation; check the loop's collection"));
        }
        budget.0 -= cost;
        let bodies: Vec<Node> = match items {
            Some(items) => items
                .iter()
                .map(|item| Substitution::new(self.identifier, item).copy(self.body))
                .collect(),
            None => vec![self.body.clone()],
        };
        let mut out = Vec::new();
        for body in bodies {
            if let Value::Map(map) = expand_node(body, params, budget)?.value {
                out.extend(map.into_written());
            }
        }
        Ok(out)
    }

    /// The items of the collection as text, when they are known.
    fn items(&self, params: Option<&Node>) -> Option<Vec<String>> {
        match &self.collection.value {
            Value::List(items) => items.iter().map(Node::scalar_text).collect(),
            Value::Map(map) if map.len() == 1 => {
                let name = map.get("Ref")?.as_str()?;
                let default = params?.get(name)?.get("Default")?;
                match &default.value {
                    Value::String(s) => Some(s.split(',').map(|p| p.trim().to_string()).collect()),
                    Value::List(items) => items.iter().map(Node::scalar_text).collect(),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// What a copy for one item of a loop replaces, worked out once per item.
struct Substitution<'a> {
    identifier: &'a str,
    item: &'a str,
    /// `${identifier}`, replaced by the item.
    dollar: String,
    /// `&{identifier}`, replaced by the item without its non-alphanumeric characters.
    amp: String,
    alphanumeric: String,
}

impl<'a> Substitution<'a> {
    fn new(identifier: &'a str, item: &'a str) -> Self {
        Substitution {
            identifier,
            item,
            dollar: format!("${{{identifier}}}"),
            amp: format!("&{{{identifier}}}"),
            alphanumeric: item.chars().filter(char::is_ascii_alphanumeric).collect(),
        }
    }

    /// A copy of `node`: `${identifier}` and `&{identifier}` replaced in every key and text,
    /// and `Ref: identifier` replaced by the item.
    fn copy(&self, node: &Node) -> Node {
        let span = node.span;
        match &node.value {
            Value::Map(map) => {
                let entries = map.written();
                if let [only] = entries {
                    if &*only.key == "Ref" && only.value.as_str() == Some(self.identifier) {
                        return Node::string(self.item, span);
                    }
                }
                let entries = entries
                    .iter()
                    .map(|e| Entry {
                        key: self
                            .replaced(&e.key)
                            .map_or_else(|| e.key.clone(), |k| Key::from(k.as_str())),
                        key_span: e.key_span,
                        value: self.copy(&e.value),
                    })
                    .collect();
                Node::new(Value::Map(Map::new(entries)), span)
            }
            Value::List(items) => Node::new(
                Value::List(items.iter().map(|n| self.copy(n)).collect()),
                span,
            ),
            Value::String(text) => match self.replaced(text) {
                Some(text) => Node::string(text, span),
                None => node.clone(),
            },
            _ => node.clone(),
        }
    }

    /// `text` with the identifier replaced; `None` when it does not name it.
    fn replaced(&self, text: &str) -> Option<String> {
        if !text.contains(&self.dollar) && !text.contains(&self.amp) {
            return None;
        }
        Some(
            text.replace(&self.dollar, self.item)
                .replace(&self.amp, &self.alphanumeric),
        )
    }
}

#[cfg(test)]
mod tests;
