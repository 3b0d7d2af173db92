//! YAML (and therefore JSON) templates into [`Node`] trees, on libyaml's event stream.
//!
//! Short CloudFormation tags become their long forms (`!Ref X` → `{Ref: X}`, `!GetAtt A.B` →
//! `{Fn::GetAtt: [A, B]}`, `!Foo` → `{Fn::Foo: …}`), as AWS and Guard read them.

use std::collections::HashMap;

use libyaml_safer::{Event, EventData, Mark, Parser, ScalarStyle};

use super::value::{Entry, Map, Node, Str, Value};
use super::{LoadError, MAX_DEPTH, MAX_NODES};
use crate::source::{SourceFile, Span};

/// Parses the first YAML document of `source` into a node tree.
pub(super) fn parse(source: &SourceFile) -> Result<Node, LoadError> {
    let mut input = source.text().as_bytes();
    let mut parser = Parser::new();
    parser.set_input_string(&mut input);
    let mut builder = Builder::default();
    loop {
        let event = parser.parse().map_err(|e| syntax_error(source, &e))?;
        match builder.push(source, event)? {
            Step::More => {}
            Step::Done(node) => return Ok(node),
        }
    }
}

fn offset(mark: Mark) -> u32 {
    u32::try_from(mark.index).unwrap_or(u32::MAX)
}

fn span(event: &Event) -> Span {
    Span::new(offset(event.start_mark), offset(event.end_mark))
}

fn syntax_error(source: &SourceFile, error: &libyaml_safer::Error) -> LoadError {
    let at = error
        .problem_mark()
        .map(|m| Span::at(offset(m).min(source.text().len() as u32)));
    let text = error.to_string();
    // libyaml's text ends with " at line L column C"; we report the position ourselves.
    let message = text
        .split(" at line ")
        .next()
        .unwrap_or(&text)
        .trim()
        .to_string();
    LoadError::new("yaml::syntax", format!("invalid YAML: {message}"), at)
        .with_help("fix the YAML syntax at this position; `yamllint` or an editor with YAML support shows the structure")
}

enum Step {
    More,
    Done(Node),
}

/// A collection being built.
enum Frame {
    List {
        items: Vec<Node>,
        start: Span,
        tag: Option<String>,
        anchor: Option<String>,
    },
    Map {
        entries: Vec<Entry>,
        pending_key: Option<(Str, Span)>,
        seen: HashMap<Str, Span>,
        start: Span,
        tag: Option<String>,
        anchor: Option<String>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<String, Node>,
    /// Nodes created so far, counting every node an alias copies.
    nodes: usize,
    root: Option<Node>,
}

impl Builder {
    fn push(&mut self, source: &SourceFile, event: Event) -> Result<Step, LoadError> {
        let at = span(&event);
        match event.data {
            EventData::StreamStart { .. } | EventData::DocumentStart { .. } => Ok(Step::More),
            EventData::DocumentEnd { .. } | EventData::StreamEnd => Ok(Step::Done(
                self.root.take().unwrap_or_else(|| Node::null(at)),
            )),
            EventData::Scalar {
                anchor,
                tag,
                value,
                style,
                ..
            } => {
                if self.expects_key() {
                    // Keys are names: keep their text whatever it looks like.
                    let key = Node::string(value, at);
                    return self.finish(source, anchor, key);
                }
                let node = scalar(value, style, at);
                let node = apply_tag(tag.as_deref(), node)?;
                self.finish(source, anchor, node)
            }
            EventData::Alias { anchor } => {
                let Some(node) = self.anchors.get(&anchor) else {
                    return Err(LoadError::new(
                        "yaml::unknown-alias",
                        format!("alias `*{anchor}` names no anchor defined before it"),
                        Some(at),
                    )
                    .with_help(format!(
                        "define `&{anchor}` on a value before using `*{anchor}`"
                    )));
                };
                self.nodes = self.nodes.saturating_add(count_nodes(node));
                if self.nodes > MAX_NODES {
                    return Err(too_many_nodes(at));
                }
                let mut copy = node.clone();
                copy.span = at;
                self.finish(source, None, copy)
            }
            EventData::SequenceStart { anchor, tag, .. } => {
                self.open(at)?;
                self.stack.push(Frame::List {
                    items: Vec::new(),
                    start: at,
                    tag,
                    anchor,
                });
                Ok(Step::More)
            }
            EventData::MappingStart { anchor, tag, .. } => {
                self.open(at)?;
                self.stack.push(Frame::Map {
                    entries: Vec::new(),
                    pending_key: None,
                    seen: HashMap::new(),
                    start: at,
                    tag,
                    anchor,
                });
                Ok(Step::More)
            }
            EventData::SequenceEnd | EventData::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err(LoadError::new(
                        "yaml::syntax",
                        "invalid YAML: a collection ends that never started",
                        Some(at),
                    ));
                };
                let (node, tag, anchor) = match frame {
                    Frame::List {
                        items,
                        start,
                        tag,
                        anchor,
                    } => (Node::new(Value::List(items), start.join(at)), tag, anchor),
                    Frame::Map {
                        entries,
                        start,
                        tag,
                        anchor,
                        ..
                    } => (
                        Node::new(Value::Map(Map::new(entries)), start.join(at)),
                        tag,
                        anchor,
                    ),
                };
                let node = apply_tag(tag.as_deref(), node)?;
                self.finish(source, anchor, node)
            }
        }
    }

    /// True when the next node completes is a mapping key.
    fn expects_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Map {
                pending_key: None,
                ..
            })
        )
    }

    fn open(&mut self, at: Span) -> Result<(), LoadError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(LoadError::new(
                "input::too-deep",
                format!("values are nested more than {MAX_DEPTH} levels deep"),
                Some(at),
            )
            .with_help(
                "CloudFormation templates are never this deep; check that the file is a template",
            ));
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(too_many_nodes(at));
        }
        Ok(())
    }

    /// Places a finished node into its parent (or makes it the root).
    fn finish(
        &mut self,
        source: &SourceFile,
        anchor: Option<String>,
        node: Node,
    ) -> Result<Step, LoadError> {
        if matches!(
            node.value,
            Value::String(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null
        ) {
            self.nodes += 1;
            if self.nodes > MAX_NODES {
                return Err(too_many_nodes(node.span));
            }
        }
        if let Some(anchor) = anchor {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
            }
            Some(Frame::List { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                seen,
                ..
            }) => match pending_key.take() {
                None => {
                    let key = key_text(&node)?;
                    if let Some(first) = seen.get(&key) {
                        let first_at = source.position(first.start);
                        return Err(LoadError::new(
                            "yaml::duplicate-key",
                            format!(
                                "duplicate key `{key}` (first defined at line {}, column {})",
                                first_at.line, first_at.column
                            ),
                            Some(node.span),
                        )
                        .with_related(*first, "first defined here")
                        .with_help(
                            "CloudFormation rejects duplicate keys; keep only one of them",
                        ));
                    }
                    seen.insert(key.clone(), node.span);
                    *pending_key = Some((key, node.span));
                }
                Some((key, key_span)) => entries.push(Entry {
                    key,
                    key_span,
                    value: node,
                }),
            },
        }
        Ok(Step::More)
    }
}

fn too_many_nodes(at: Span) -> LoadError {
    LoadError::new(
        "yaml::too-large",
        format!("the document expands to more than {MAX_NODES} values"),
        Some(at),
    )
    .with_help("aliases (`*name`) that copy large anchored values multiply the size of a document; expand fewer of them")
}

fn count_nodes(node: &Node) -> usize {
    let mut count = 0usize;
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        count += 1;
        match &n.value {
            Value::List(items) => todo.extend(items.iter()),
            Value::Map(m) => todo.extend(m.entries().iter().map(|e| &e.value)),
            _ => {}
        }
    }
    count
}

/// A mapping key as text: scalars (already strings, see `Builder::push`); anything else is an
/// error.
fn key_text(node: &Node) -> Result<Str, LoadError> {
    match &node.value {
        Value::String(s) => Ok(s.clone()),
        _ => Err(LoadError::new(
            "yaml::complex-key",
            "a mapping key must be a plain value, not a list, a map or a tagged value",
            Some(node.span),
        )
        .with_help("CloudFormation keys are names; write the key as text")),
    }
}

/// Types a scalar: quoted scalars are strings; plain ones follow YAML 1.2's core schema.
fn scalar(value: String, style: ScalarStyle, at: Span) -> Node {
    if style != ScalarStyle::Plain {
        return Node::new(Value::String(Str::from(value)), at);
    }
    Node::new(plain_value(value), at)
}

fn plain_value(value: String) -> Value {
    match value.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let looks_numeric = value
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'-' || b == b'+' || b == b'.');
    if looks_numeric {
        let digits = value.strip_prefix(['-', '+']).unwrap_or(&value);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(i) = value.parse::<i64>() {
                return Value::Int(i);
            }
            if let Ok(f) = value.parse::<f64>() {
                return Value::Float(f);
            }
        }
        if let Some(hex) = value.strip_prefix("0x") {
            if let Ok(i) = i64::from_str_radix(hex, 16) {
                return Value::Int(i);
            }
        }
        if let Some(oct) = value.strip_prefix("0o") {
            if let Ok(i) = i64::from_str_radix(oct, 8) {
                return Value::Int(i);
            }
        }
        if is_yaml_float(&value) {
            if let Ok(f) = value.parse::<f64>() {
                return Value::Float(f);
            }
        }
    }
    match value.as_str() {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
        _ => Value::String(Str::from(value)),
    }
}

/// YAML 1.2 core float: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_yaml_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (s.get(..i).unwrap_or(""), s.get(i + 1..)),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (!int.is_empty() || !frac.is_empty())
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

const YAML_TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// Applies a node's tag: standard YAML tags retype scalars; `!Name` becomes `{Fn::Name: …}`
/// (or `{Ref: …}`, `{Condition: …}`).
fn apply_tag(tag: Option<&str>, node: Node) -> Result<Node, LoadError> {
    let Some(tag) = tag else {
        return Ok(node);
    };
    if let Some(standard) = tag.strip_prefix(YAML_TAG_PREFIX) {
        return Ok(standard_tag(standard, node));
    }
    let Some(name) = tag.strip_prefix('!') else {
        return Ok(node);
    };
    if name.is_empty() {
        // `!` alone: the non-specific tag; a quoted-style string.
        return Ok(node);
    }
    let span = node.span;
    let (key, arg) = match name {
        "Ref" => ("Ref".to_string(), node),
        "Condition" => ("Condition".to_string(), node),
        "GetAtt" => ("Fn::GetAtt".to_string(), split_get_att(node)),
        other => (format!("Fn::{other}"), node),
    };
    Ok(Node::new(
        Value::Map(Map::new(vec![Entry {
            key: Str::from(key),
            key_span: span,
            value: arg,
        }])),
        span,
    ))
}

/// `!GetAtt A.B.C` → `[A, B.C]` (the attribute name may itself hold dots).
fn split_get_att(node: Node) -> Node {
    let Value::String(s) = &node.value else {
        return node;
    };
    let Some((resource, attribute)) = s.split_once('.') else {
        return node;
    };
    let resource = Node::string(resource, node.span);
    let attribute = Node::string(attribute, node.span);
    Node::new(Value::List(vec![resource, attribute]), node.span)
}

fn standard_tag(name: &str, node: Node) -> Node {
    let value = match (&node.value, name) {
        (Value::String(s), "int") => s
            .parse::<i64>()
            .map(Value::Int)
            .unwrap_or_else(|_| node.value.clone()),
        (Value::String(s), "float") => s
            .parse::<f64>()
            .map(Value::Float)
            .unwrap_or_else(|_| node.value.clone()),
        (Value::String(s), "bool") => match s.as_str() {
            "true" | "True" | "TRUE" => Value::Bool(true),
            "false" | "False" | "FALSE" => Value::Bool(false),
            _ => node.value.clone(),
        },
        (Value::Int(i), "str") => Value::String(i.to_string().into()),
        (Value::Float(f), "str") => Value::String(f.to_string().into()),
        (Value::Bool(b), "str") => Value::String(b.to_string().into()),
        (Value::Null, "str") => Value::String(Str::default()),
        _ => node.value.clone(),
    };
    Node::new(value, node.span)
}
