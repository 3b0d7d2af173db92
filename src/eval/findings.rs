//! Findings: where a failing value is (span, JSON pointer, resource, group, conditions) and
//! what to say about it (default messages, custom messages with `{{query}}`).

use std::sync::Arc;

use super::item::{Item, Seg, Val};
use super::{Context, Ctx, Evaluator, Finding, FindingStatus};
use crate::check::ir::{BinaryOp, Clause, ClauseOp, Message, MessagePart};
use crate::source::Span;
use crate::template::{Node, Str, Value, pointer_token};

/// Longest rendering of a value inside a message.
const MAX_SHOWN: usize = 120;

impl<'a> Evaluator<'a> {
    /// A finding at `item`.
    pub(super) fn finding(
        &self,
        item: &Item<'a>,
        status: FindingStatus,
        message: impl Into<Arc<str>>,
        ctx: &Ctx<'a>,
    ) -> Finding {
        let _ = ctx;
        let mut finding = Finding {
            status,
            span: item.span(),
            pointer: String::new(),
            resource: None,
            security_group: None,
            context: None,
            message: message.into(),
        };
        let steps = item.path.steps();
        match steps.first() {
            Some((Seg::ModelRoot(root), _)) => {
                let entry = steps.get(1).and_then(|(_, n)| *n);
                if let Some(entry) = entry {
                    let path = text_field(entry, "path").unwrap_or_default();
                    // The entry's path names the rule or resource; the value is inside it.
                    finding.pointer = match finding.span {
                        Some(span) => refine(self.doc.root, &path, span),
                        None => path.to_string(),
                    };
                    finding.resource =
                        text_field(entry, "resource").or_else(|| text_field(entry, "logical_id"));
                    finding.security_group = match *root {
                        "rules" => text_field(entry, "group"),
                        "security_groups" => text_field(entry, "logical_id"),
                        _ => None,
                    };
                    finding.context = Context::new(
                        entry.get("condition").and_then(conditions),
                        entry.get("parameters").map(assumed).unwrap_or_default(),
                    );
                }
            }
            Some(_) => {
                let mut pointer = String::new();
                for (seg, _) in &steps {
                    pointer.push('/');
                    match seg {
                        Seg::Key(k) | Seg::ModelRoot(k) => pointer.push_str(&pointer_token(k)),
                        Seg::Index(i) => pointer.push_str(&i.to_string()),
                    }
                }
                if let Val::Missing(key) = &item.val {
                    // A missing list item is labelled `[n]`; its pointer segment is `n`.
                    let index = key
                        .strip_prefix('[')
                        .and_then(|k| k.strip_suffix(']'))
                        .filter(|k| k.parse::<i64>().is_ok());
                    pointer.push('/');
                    match index {
                        Some(i) => pointer.push_str(i),
                        None => pointer.push_str(&pointer_token(key)),
                    }
                }
                finding.pointer = pointer;
                if let (Some((Seg::Key("Resources"), _)), Some((Seg::Key(id), Some(resource)))) =
                    (steps.first(), steps.get(1))
                {
                    finding.resource = Some(Str::from(*id));
                    if resource.get("Type").and_then(Node::as_str)
                        == Some("AWS::EC2::SecurityGroup")
                    {
                        finding.security_group = Some(Str::from(*id));
                    }
                    finding.context = Context::new(
                        resource
                            .get("Condition")
                            .and_then(Node::as_str)
                            .map(|c| vec![(c.to_string(), true)]),
                        Vec::new(),
                    );
                }
            }
            None => {}
        }
        finding
    }

    /// The policy text of a span in the file of the rule being evaluated.
    pub(super) fn text(&self, span: Span) -> String {
        let file = self.program.file(self.file);
        let text = file.map_or("", |f| f.slice(span));
        collapse(text)
    }

    /// The operator and right-hand side of a clause: the operator in its canonical spelling
    /// with the negation folded in (so `not x == 1` reads `!= 1`), the right-hand side as written.
    pub(super) fn rest_text(&self, clause: &Clause) -> String {
        match &clause.op {
            ClauseOp::Unary { negated, op } => negate(*negated, op.as_str()),
            ClauseOp::Binary { negated, op, rhs } => {
                let op = match (negated, op) {
                    (true, BinaryOp::Eq) => "!=".to_string(),
                    (negated, op) => negate(*negated, op.as_str()),
                };
                format!("{op} {}", self.text(rhs.span()))
            }
        }
    }

    /// The left-hand side of a clause as written, without `some`.
    pub(super) fn lhs_text(&self, clause: &Clause) -> String {
        let text = self.text(clause.lhs.span());
        match text.split_once(char::is_whitespace) {
            Some(("some" | "SOME", rest)) => rest.trim_start().to_string(),
            _ => text,
        }
    }

    /// The clause as it is tested: `lhs op rhs`.
    pub(super) fn clause_text(&self, clause: &Clause) -> String {
        format!(
            "{} {}",
            self.text(clause.lhs.span()),
            self.rest_text(clause)
        )
    }

    /// "`lhs` is VALUE, expected `op rhs`".
    pub(super) fn default_message(&self, item: &Item<'a>, clause: &Clause) -> String {
        let lhs = self.lhs_text(clause);
        let rest = self.rest_text(clause);
        match &item.val {
            Val::Missing(key) => format!("`{lhs}` is missing (no `{key}`), expected `{rest}`"),
            _ => format!("`{lhs}` is {}, expected `{rest}`", show(item)),
        }
    }

    /// A custom message with its `{{query}}` parts filled in. Each query is evaluated from
    /// the failing value outwards: first on the value itself, then on each map it is part of,
    /// up to the document; the first place where it selects something is used. Lists are
    /// passed over: a query on a list would select from its other entries (the port of
    /// another ingress rule). A null is shown only if nothing further out has a value, or if
    /// it is the value of an entry of a list (a model record, a rule of the template), whose
    /// own field it is: further out are other records.
    pub(super) fn message(&mut self, message: &'a Message, item: &Item<'a>) -> String {
        let mut out = String::new();
        for part in &message.parts {
            match part {
                MessagePart::Text(t) => out.push_str(t),
                MessagePart::Query(q) => {
                    // Each base, with whether a null there is final.
                    let mut bases: Vec<(Item<'a>, bool)> =
                        vec![(item.clone(), item.path.ends_in_index())];
                    bases.extend(
                        item.path
                            .links()
                            .filter(|(_, n)| !matches!(n.resolved().value, Value::List(_)))
                            .map(|(seg, n)| {
                                let base = Item {
                                    val: Val::Node(n),
                                    path: Default::default(),
                                    doubt: None,
                                };
                                (base, matches!(seg, Seg::Index(_)))
                            }),
                    );
                    bases.push((Item::document(), true));
                    let mut shown = None;
                    for (base, final_null) in bases {
                        let ctx = Ctx {
                            this: base,
                            key: None,
                            doubt: None,
                            collect: false,
                        };
                        let values: Vec<Item<'a>> = self
                            .query(q, &ctx)
                            .into_iter()
                            .filter(|i| !i.is_missing())
                            .collect();
                        if values.is_empty() {
                            continue;
                        }
                        let text = values.iter().map(show_plain).collect::<Vec<_>>().join(", ");
                        if values.iter().all(is_null) && !final_null {
                            shown.get_or_insert(text);
                            continue;
                        }
                        shown = Some(text);
                        break;
                    }
                    out.push_str(shown.as_deref().unwrap_or("(none)"));
                }
            }
        }
        collapse(&out)
    }
}

/// `pointer` extended down to the deepest template value below it whose text holds `span`
/// (`…/SecurityGroupIngress/0` to `…/SecurityGroupIngress/0/CidrIp`); `pointer` itself when
/// it names no value of the template or the value does not hold `span` (a key, a value the
/// model made up, SAM's `Globals`).
fn refine(root: &Node, pointer: &str, span: Span) -> String {
    let holds = |node: &Node| {
        !node.span.is_none() && node.span.start <= span.start && span.end <= node.span.end
    };
    let mut node = root;
    for token in pointer.split('/').skip(1) {
        let key = if token.contains('~') {
            std::borrow::Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
        } else {
            std::borrow::Cow::Borrowed(token)
        };
        let next = match &node.value {
            Value::Map(map) => map.get(&key),
            Value::List(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => return pointer.to_string(),
        }
    }
    let mut out = pointer.to_string();
    if !holds(node) {
        return out;
    }
    loop {
        let next = match &node.value {
            Value::Map(map) => map
                .iter()
                .find(|(_, v)| holds(v))
                .map(|(k, v)| (pointer_token(k), v)),
            Value::List(items) => items
                .iter()
                .enumerate()
                .find(|(_, v)| holds(v))
                .map(|(i, v)| (i.to_string().into(), v)),
            _ => None,
        };
        let Some((token, child)) = next else {
            return out;
        };
        out.push('/');
        out.push_str(&token);
        node = child;
    }
}

fn text_field(node: &Node, key: &str) -> Option<Str> {
    match node.get(key).map(|n| &n.value) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Unknown(u)) => Some(Str::from(format!("unknown: {}", u.reason))),
        _ => None,
    }
}

fn assumed(node: &Node) -> Vec<(String, String)> {
    node.as_map()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.to_string(), show_node(v, false)))
                .collect()
        })
        .unwrap_or_default()
}

fn conditions(node: &Node) -> Option<Vec<(String, bool)>> {
    let map = node.as_map()?;
    let pairs: Vec<(String, bool)> = map
        .iter()
        .filter_map(|(k, v)| match v.value {
            Value::Bool(b) => Some((k.to_string(), b)),
            _ => None,
        })
        .collect();
    (!pairs.is_empty()).then_some(pairs)
}

/// `NOT op` when negated, else `op`.
fn negate(negated: bool, op: &str) -> String {
    if negated {
        format!("NOT {op}")
    } else {
        op.to_string()
    }
}

/// The text of a negated term without its `not` / `!` (and without a custom message).
pub(super) fn without_negation(text: &str) -> &str {
    let text = text.split("<<").next().unwrap_or(text).trim();
    let rest = text
        .strip_prefix('!')
        .or_else(|| text.strip_prefix("not"))
        .or_else(|| text.strip_prefix("NOT"))
        .unwrap_or(text);
    rest.trim_start()
}

/// Whitespace runs (line breaks included) become single spaces; ends are trimmed.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A value for a default message: strings in backticks.
fn show(item: &Item<'_>) -> String {
    match &item.val {
        Val::Node(n) => show_node(n, true),
        Val::Owned(n) => show_node(n, true),
        Val::Lit(l) => format!("`{l}`"),
        Val::Missing(k) => format!("missing (`{k}`)"),
        Val::Document => "the template".to_string(),
    }
}

fn is_null(item: &Item<'_>) -> bool {
    match &item.val {
        Val::Node(n) => matches!(n.resolved().value, Value::Null),
        Val::Owned(n) => matches!(n.resolved().value, Value::Null),
        Val::Lit(l) => matches!(l, crate::check::ir::Lit::Null),
        _ => false,
    }
}

/// A value for a custom message: strings as they are.
fn show_plain(item: &Item<'_>) -> String {
    match &item.val {
        Val::Node(n) => show_node(n, false),
        Val::Owned(n) => show_node(n, false),
        Val::Lit(crate::check::ir::Lit::String(s)) => s.clone(),
        Val::Lit(l) => l.to_string(),
        Val::Missing(k) => format!("missing `{k}`"),
        Val::Document => "the template".to_string(),
    }
}

fn show_node(node: &Node, quoted: bool) -> String {
    let node = node.resolved();
    let text = match &node.value {
        Value::String(s) if quoted => format!("`{s}`"),
        Value::String(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_string(),
        Value::Ports(p) => p.to_string(),
        Value::Unknown(u) => format!("unknown: {}", u.reason),
        // A `!Ref` of the raw template in its short form, as it is written.
        Value::List(_) | Value::Map(_) | Value::Shared(_) => {
            match node
                .as_intrinsic()
                .and_then(|(name, arg)| (name == "Ref").then_some(arg))
            {
                Some(Node {
                    value: Value::String(target),
                    ..
                }) => format!("!Ref {target}"),
                _ => serde_json::to_string(node).unwrap_or_default(),
            }
        }
    };
    if text.chars().count() > MAX_SHOWN {
        let cut: String = text.chars().take(MAX_SHOWN).collect();
        format!("{cut}…")
    } else {
        text
    }
}
