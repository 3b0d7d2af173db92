//! The tree builder both loaders feed: an explicit stack of open lists and maps.
//!
//! The JSON and YAML readers are event loops, not recursive descents: they open and close
//! collections here, so nesting never uses the Rust stack, and the depth bound is checked in
//! one place before a level is added. Maps reject duplicate keys as they are built.

use std::collections::{HashMap, HashSet};

use super::map::Seeded;
use super::value::{Entry, Key, Map, Node, Str, Value, take_exact};
use super::{LoadError, MAX_DEPTH};
use crate::source::{SourceFile, Span};

/// Maps with more keys than this look duplicates up in a hash index instead of scanning.
const SCAN_LIMIT: usize = 12;

/// An open list or map, with whatever the reader wants to remember about it.
#[derive(Debug)]
pub(super) struct Frame<T> {
    kind: Kind,
    /// Where the collection's text starts.
    start: u32,
    /// Where the text of its last child so far ends.
    end: u32,
    /// Levels of depth this frame adds: 1, or 2 when the reader wraps it in an intrinsic
    /// function (`!If [...]` becomes `{Fn::If: [...]}`).
    weight: usize,
    /// The reader's own data (the YAML reader keeps tag, anchor and style).
    pub extra: T,
}

#[derive(Debug)]
enum Kind {
    List(Vec<Node>),
    Map {
        entries: Vec<Entry>,
        /// A key waiting for its value.
        key: Option<(Key, Span)>,
        /// Key → entry position, built once the map is too large to scan.
        index: Option<HashMap<Key, usize, Seeded>>,
    },
}

/// Builds one document's tree; the readers call it in document order.
#[derive(Debug)]
pub(super) struct Tree<T> {
    stack: Vec<Frame<T>>,
    /// Depth of the innermost open collection, counting wrapped frames twice.
    depth: usize,
    root: Option<Node>,
    /// Error code for a duplicate key (`json::duplicate-key`, `yaml::duplicate-key`).
    duplicate_code: &'static str,
    /// Buffers of closed collections, kept for the next ones to grow in.
    spare_lists: Vec<Vec<Node>>,
    spare_maps: Vec<Vec<Entry>>,
    /// Every key read so far, shared by the maps that have it.
    keys: HashSet<Key, Seeded>,
}

impl<T> Tree<T> {
    /// An empty builder whose duplicate-key errors carry `duplicate_code`.
    pub(super) fn new(duplicate_code: &'static str) -> Self {
        Tree {
            stack: Vec::new(),
            depth: 0,
            root: None,
            duplicate_code,
            spare_lists: Vec::new(),
            spare_maps: Vec::new(),
            keys: HashSet::default(),
        }
    }

    /// Depth of the innermost open collection (0 at the top level).
    #[cfg(test)]
    pub(super) fn depth(&self) -> usize {
        self.depth
    }

    /// Checks that `levels` more levels fit under the open ones; `at` is where they start.
    pub(super) fn check_depth(&self, levels: usize, at: Span) -> Result<(), LoadError> {
        if self.depth.saturating_add(levels) > MAX_DEPTH {
            return Err(too_deep(at));
        }
        Ok(())
    }

    /// True when the next completed value is a map key.
    pub(super) fn expects_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                kind: Kind::Map { key: None, .. },
                ..
            })
        )
    }

    /// The innermost open collection.
    pub(super) fn top(&self) -> Option<&Frame<T>> {
        self.stack.last()
    }

    /// The innermost open collection, to change what the reader keeps with it.
    pub(super) fn top_mut(&mut self) -> Option<&mut Frame<T>> {
        self.stack.last_mut()
    }

    /// Opens a list (`map == false`) or a map whose text starts at `start`. `weight` is 2 when
    /// the finished collection will be wrapped in an intrinsic function, else 1.
    pub(super) fn open(
        &mut self,
        map: bool,
        start: u32,
        weight: usize,
        extra: T,
    ) -> Result<(), LoadError> {
        self.check_depth(weight, Span::at(start))?;
        let kind = if map {
            Kind::Map {
                entries: self.spare_maps.pop().unwrap_or_default(),
                key: None,
                index: None,
            }
        } else {
            Kind::List(self.spare_lists.pop().unwrap_or_default())
        };
        self.depth += weight;
        self.stack.push(Frame {
            kind,
            start,
            end: start,
            weight,
            extra,
        });
        Ok(())
    }

    /// Closes the innermost collection. Its span runs from its start to `end`, or to the end of
    /// its last child when `end` is `None` (YAML block collections have no closing bracket).
    /// Returns the collection and the reader's data; `None` when nothing is open.
    pub(super) fn close(&mut self, end: Option<u32>) -> Option<(Node, T)> {
        let frame = self.stack.pop()?;
        self.depth = self.depth.saturating_sub(frame.weight);
        let span = Span::new(frame.start, end.unwrap_or(frame.end));
        let value = match frame.kind {
            // A collection grows by doubling in a buffer while it is read, and is then moved
            // to an allocation of its exact size (see `value::exact`); the buffer is kept for
            // the next collection.
            Kind::List(mut items) => {
                let exact = take_exact(&mut items);
                self.spare_lists.push(items);
                Value::List(exact)
            }
            Kind::Map { mut entries, .. } => {
                let exact = take_exact(&mut entries);
                self.spare_maps.push(entries);
                Value::Map(Map::new(exact.into_vec()))
            }
        };
        Some((Node::new(value, span), frame.extra))
    }

    /// The shared copy of `key`.
    pub(super) fn intern(&mut self, key: &str) -> Key {
        if let Some(k) = self.keys.get(key) {
            return Key::clone(k);
        }
        let k = Key::from(key);
        self.keys.insert(Key::clone(&k));
        k
    }

    /// Records a map key, or fails if the innermost map already has it.
    pub(super) fn push_key(
        &mut self,
        source: &SourceFile,
        key: Str,
        span: Span,
    ) -> Result<(), LoadError> {
        let code = self.duplicate_code;
        let key = self.intern(&key);
        let Some(frame) = self.stack.last_mut() else {
            return Err(internal(span));
        };
        frame.end = frame.end.max(span.end);
        let Kind::Map {
            entries,
            key: pending,
            index,
        } = &mut frame.kind
        else {
            return Err(internal(span));
        };
        let first = match index {
            Some(index) => index.get(&key).and_then(|&i| entries.get(i)),
            None => entries.iter().find(|e| e.key == key),
        };
        if let Some(first) = first {
            return Err(duplicate_key(source, code, &key, span, first.key_span));
        }
        if index.is_none() && entries.len() >= SCAN_LIMIT {
            let mut built = HashMap::with_capacity_and_hasher(entries.len() * 2, Seeded::default());
            for (i, e) in entries.iter().enumerate() {
                built.insert(e.key.clone(), i);
            }
            *index = Some(built);
        }
        if let Some(index) = index {
            index.insert(key.clone(), entries.len());
        }
        *pending = Some((key, span));
        Ok(())
    }

    /// Places a finished value: into the innermost list, under the pending key of the innermost
    /// map, or as the document's root.
    pub(super) fn push_value(&mut self, node: Node) -> Result<(), LoadError> {
        let Some(frame) = self.stack.last_mut() else {
            if self.root.is_some() {
                return Err(internal(node.span));
            }
            self.root = Some(node);
            return Ok(());
        };
        frame.end = frame.end.max(node.span.end);
        match &mut frame.kind {
            Kind::List(items) => items.push(node),
            Kind::Map { entries, key, .. } => {
                let Some((key, key_span)) = key.take() else {
                    return Err(internal(node.span));
                };
                entries.push(Entry {
                    key,
                    key_span,
                    value: node,
                });
            }
        }
        Ok(())
    }

    /// True once the root value is complete.
    pub(super) fn is_done(&self) -> bool {
        self.root.is_some() && self.stack.is_empty()
    }

    /// The root value, if the document had one.
    pub(super) fn finish(self) -> Option<Node> {
        self.root
    }
}

impl<T> Frame<T> {
    /// True for a map.
    pub(super) fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map { .. })
    }

    /// Where the collection's text starts.
    pub(super) fn start(&self) -> u32 {
        self.start
    }
}

/// `input::too-deep` at `at`.
pub(super) fn too_deep(at: Span) -> LoadError {
    LoadError::new(
        "input::too-deep",
        format!("values are nested more than {MAX_DEPTH} levels deep"),
        Some(at),
    )
    .with_help("CloudFormation templates are never this deep; check that the file is a template and that its brackets are balanced")
}

fn duplicate_key(
    source: &SourceFile,
    code: &'static str,
    key: &str,
    at: Span,
    first: Span,
) -> LoadError {
    let first_at = source.position(first.start);
    LoadError::new(
        code,
        format!(
            "duplicate key `{key}` (first defined at line {}, column {})",
            first_at.line, first_at.column
        ),
        Some(at),
    )
    .with_related(first, "first defined here")
    .with_help("CloudFormation rejects a map with the same key twice; keep one of them (rename the other if both are needed)")
}

/// A state the readers never reach; reported instead of panicking.
pub(super) fn internal(at: Span) -> LoadError {
    LoadError::new(
        "input::internal",
        "internal error: the reader lost track of the document structure here",
        Some(at),
    )
    .with_help("this is a bug in palisade; please report it with the template")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Node {
        Node::string(s, Span::default())
    }

    #[test]
    fn builds_nested_collections_with_spans() {
        let source = SourceFile::new("t", "");
        let mut tree: Tree<()> = Tree::new("x::duplicate-key");
        tree.open(true, 0, 1, ()).unwrap();
        assert!(tree.expects_key());
        tree.push_key(&source, "a".into(), Span::new(1, 2)).unwrap();
        assert!(!tree.expects_key());
        tree.open(false, 4, 1, ()).unwrap();
        assert_eq!(tree.depth(), 2);
        tree.push_value(Node::string("x", Span::new(5, 6))).unwrap();
        let (list, ()) = tree.close(None).unwrap();
        assert_eq!(list.span, Span::new(4, 6));
        tree.push_value(list).unwrap();
        let (map, ()) = tree.close(Some(9)).unwrap();
        assert_eq!(map.span, Span::new(0, 9));
        tree.push_value(map).unwrap();
        assert!(tree.is_done());
        let root = tree.finish().unwrap();
        assert_eq!(serde_json::to_string(&root).unwrap(), r#"{"a":["x"]}"#);
    }

    #[test]
    fn duplicate_keys_are_found_in_small_and_large_maps() {
        let source = SourceFile::new("t", &*"k\n".repeat(40));
        for size in [3usize, SCAN_LIMIT, SCAN_LIMIT + 1, 30] {
            let mut tree: Tree<()> = Tree::new("x::duplicate-key");
            tree.open(true, 0, 1, ()).unwrap();
            for i in 0..size {
                let at = Span::new(2 * i as u32, 2 * i as u32 + 1);
                tree.push_key(&source, format!("k{i}").into(), at).unwrap();
                tree.push_value(text("v")).unwrap();
            }
            let again = Span::new(78, 79);
            let e = tree.push_key(&source, "k1".into(), again).unwrap_err();
            assert_eq!(e.code, "x::duplicate-key", "size {size}");
            assert_eq!(e.span, Some(again));
            assert_eq!(e.related.unwrap().0, Span::new(2, 3));
            assert!(e.message.contains("line 2, column 1"), "{}", e.message);
        }
    }

    #[test]
    fn depth_is_bounded_and_wrapped_frames_count_twice() {
        let mut tree: Tree<()> = Tree::new("x::duplicate-key");
        for i in 0..MAX_DEPTH / 2 {
            tree.open(false, i as u32, 2, ()).unwrap();
        }
        assert_eq!(tree.depth(), MAX_DEPTH);
        let e = tree.open(false, 7, 1, ()).unwrap_err();
        assert_eq!(e.code, "input::too-deep");
        assert_eq!(e.span, Some(Span::at(7)));
        tree.close(None).unwrap();
        assert!(tree.check_depth(2, Span::at(0)).is_ok());
        assert!(tree.check_depth(3, Span::at(0)).is_err());
    }

    #[test]
    fn misuse_is_an_internal_error_not_a_panic() {
        let source = SourceFile::new("t", "");
        let mut tree: Tree<()> = Tree::new("x::duplicate-key");
        assert_eq!(
            tree.push_key(&source, "k".into(), Span::default())
                .unwrap_err()
                .code,
            "input::internal"
        );
        tree.open(true, 0, 1, ()).unwrap();
        assert_eq!(
            tree.push_value(text("v")).unwrap_err().code,
            "input::internal"
        );
        assert!(tree.close(None).is_some());
        assert!(tree.close(None).is_none());
        tree.push_value(text("root")).unwrap();
        assert_eq!(
            tree.push_value(text("again")).unwrap_err().code,
            "input::internal"
        );
    }
}
