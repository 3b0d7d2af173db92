//! What queries select: values with the path they were reached by.
//!
//! An [`Item`] is a value (a template or model node, a literal, a computed value, or the
//! marker of a missing key) plus its [`Path`], a shared chain of steps from the document root.
//! The path gives a finding its position, JSON pointer and resource, and lets a message's
//! `{{query}}` look at the failing value's surroundings.

use std::rc::Rc;

use crate::check::ir::Lit;
use crate::source::Span;
use crate::template::{Node, Value};

/// Why a value or verdict is unknown: shared by every item it applies to, and one pointer
/// wide so that items stay small.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reason(Rc<Box<str>>);

impl From<&str> for Reason {
    fn from(text: &str) -> Self {
        Reason(Rc::new(Box::from(text)))
    }
}

impl From<String> for Reason {
    fn from(text: String) -> Self {
        Reason(Rc::new(text.into_boxed_str()))
    }
}

impl std::ops::Deref for Reason {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A selected value.
#[derive(Clone, Debug)]
pub(crate) enum Val<'a> {
    /// The document itself: the template root together with the model roots.
    Document,
    /// A node of the template or the model.
    Node(&'a Node),
    /// A literal of the policy (or a param's value).
    Lit(&'a Lit),
    /// A value computed by a function.
    Owned(Rc<Node>),
    /// A key that is not there.
    #[expect(
        clippy::box_collection,
        reason = "one pointer wide keeps every item at 32 bytes; missing keys are rare"
    )]
    Missing(Box<String>),
}

/// A value and how it was reached.
#[derive(Clone, Debug)]
pub(crate) struct Item<'a> {
    /// The value.
    pub val: Val<'a>,
    /// The steps from the root.
    pub path: Path<'a>,
    /// Set when the item was kept by a filter whose outcome was unknown: what is unknown.
    pub doubt: Option<Reason>,
}

impl<'a> Item<'a> {
    /// The document root item.
    pub fn document() -> Self {
        Item {
            val: Val::Document,
            path: Path::default(),
            doubt: None,
        }
    }

    /// A literal with no path.
    pub fn lit(lit: &'a Lit) -> Self {
        Item {
            val: Val::Lit(lit),
            path: Path::default(),
            doubt: None,
        }
    }

    /// A computed value that keeps `origin`'s path and doubt.
    pub fn computed(value: Node, origin: &Item<'a>) -> Self {
        let value = match value.value {
            Value::Shared(node) => node.resolved().clone(),
            _ => value,
        };
        Item {
            val: Val::Owned(Rc::new(value)),
            path: origin.path.clone(),
            doubt: origin.doubt.clone(),
        }
    }

    /// The child reached by `seg`.
    pub fn child(&self, seg: Seg<'a>, node: &'a Node) -> Self {
        let node = node.resolved();
        Item {
            val: Val::Node(node),
            path: self.path.push(seg, Some(node)),
            doubt: self.doubt.clone(),
        }
    }

    /// A node reached from this item whose path is not kept (it shares this item's path).
    pub fn sibling(&self, node: &'a Node) -> Self {
        Item {
            val: Val::Node(node.resolved()),
            path: self.path.clone(),
            doubt: self.doubt.clone(),
        }
    }

    /// The marker for a missing `key` under this item.
    pub fn missing(&self, key: &str) -> Self {
        Item {
            val: Val::Missing(Box::new(key.to_string())),
            path: self.path.clone(),
            doubt: self.doubt.clone(),
        }
    }

    /// True for the marker of a missing key.
    pub fn is_missing(&self) -> bool {
        matches!(self.val, Val::Missing(_))
    }

    /// The node behind the value, for template and model values and computed ones.
    pub fn node(&self) -> Option<&Node> {
        match &self.val {
            Val::Node(n) => Some(n),
            Val::Owned(n) => Some(n),
            _ => None,
        }
    }

    /// The span of text this item points at: its own node, else the nearest node on its path.
    pub fn span(&self) -> Option<Span> {
        match &self.val {
            Val::Node(n) if !n.span.is_none() => Some(n.span),
            // A value the model made up without a place of its own (a field it leaves
            // unset) is where the nearest value around it is.
            _ => self
                .path
                .nodes()
                .find(|n| !n.span.is_none())
                .map(|n| n.span),
        }
    }

    /// Adds doubt (keeps the first reason).
    pub fn with_doubt(mut self, reason: Option<Reason>) -> Self {
        if self.doubt.is_none() {
            self.doubt = reason;
        }
        self
    }
}

/// One step of a path.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Seg<'a> {
    /// A model root such as `rules`.
    ModelRoot(&'a str),
    /// A map key (the first one of a template path is a top-level section).
    Key(&'a str),
    /// A list index.
    Index(usize),
}

#[derive(Debug)]
struct Link<'a> {
    parent: Path<'a>,
    seg: Seg<'a>,
    node: Option<&'a Node>,
}

/// A path from the document root, shared between the items that extend it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Path<'a>(Option<Rc<Link<'a>>>);

impl<'a> Path<'a> {
    /// This path extended by one step to `node`.
    pub fn push(&self, seg: Seg<'a>, node: Option<&'a Node>) -> Path<'a> {
        Path(Some(Rc::new(Link {
            parent: self.clone(),
            seg,
            node,
        })))
    }

    /// The steps from the root, with the node each reaches.
    pub fn steps(&self) -> Vec<(Seg<'a>, Option<&'a Node>)> {
        let mut out = Vec::new();
        let mut at = self.0.as_ref();
        while let Some(link) = at {
            out.push((link.seg, link.node));
            at = link.parent.0.as_ref();
        }
        out.reverse();
        out
    }

    /// The nodes on the path, nearest first.
    pub fn nodes(&self) -> impl Iterator<Item = &'a Node> + '_ {
        self.links().map(|(_, node)| node)
    }

    /// The nodes on the path with the step that reached each, nearest first.
    pub fn links(&self) -> impl Iterator<Item = (Seg<'a>, &'a Node)> + '_ {
        let mut at = self.0.as_ref();
        std::iter::from_fn(move || {
            while let Some(link) = at {
                at = link.parent.0.as_ref();
                if let Some(node) = link.node {
                    return Some((link.seg, node));
                }
            }
            None
        })
    }

    /// True when the path ends with a list index: its value is an entry of a list.
    pub fn ends_in_index(&self) -> bool {
        matches!(
            self.0.as_deref(),
            Some(Link {
                seg: Seg::Index(_),
                ..
            })
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_stay_small() {
        // A query over the rules of a large template holds one item per rule: a regression
        // here is a regression in peak memory.
        assert_eq!(std::mem::size_of::<Val<'_>>(), 16);
        assert_eq!(std::mem::size_of::<Item<'_>>(), 32);
    }

    #[test]
    fn a_reason_reads_as_its_text() {
        let r = Reason::from(format!("{} is unknown", "x"));
        assert_eq!(&*r, "x is unknown");
        assert_eq!(
            r.clone().to_string(),
            Reason::from("x is unknown").to_string()
        );
    }
}
