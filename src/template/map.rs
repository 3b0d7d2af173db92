//! Maps of the value tree: the mappings read from a template, and the fixed-shape records the
//! model builds.
//!
//! A template mapping keeps each key with its span. A model entry such as a rule has the same
//! keys every time, so it is stored as a [`Shape`] (the keys, shared by every entry of that
//! kind) and the values alone, most of them not even stored (see `record`). Both are read
//! through the same API.

use std::collections::HashMap;

pub(super) use crate::hash::Seeded;

use super::record::Record;
use super::value::Node;
use crate::source::Span;

/// A key of a template mapping: shared by every mapping of the file that has it (a template
/// repeats a few dozen keys hundreds of thousands of times), and one pointer wide, so that a
/// mapping entry takes 48 bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(std::sync::Arc<String>);

impl From<&str> for Key {
    fn from(text: &str) -> Self {
        Key(std::sync::Arc::new(text.to_string()))
    }
}

impl std::ops::Deref for Key {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Key {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Key {
    fn eq(&self, other: &str) -> bool {
        *self.0 == other
    }
}

/// One key of a template mapping with its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key text.
    pub key: Key,
    /// Where the key is written.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

/// One key of a [`Map`] as it is read: the key, where it is, and its value. For a record the
/// key's span is its value's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EntryRef<'a> {
    /// The key text.
    pub key: &'a str,
    /// Where the key is written.
    pub key_span: Span,
    /// The value.
    pub value: &'a Node,
}

/// The keys of a kind of record, in the order the model shows them.
#[derive(Debug, PartialEq, Eq)]
pub struct Shape(pub &'static [&'static str]);

/// A mapping with unique keys in source order. Large mappings keep a hash index so that
/// lookups stay constant-time on templates with many resources.
///
/// Sixteen bytes, so that a [`Node`] takes 32: a small mapping is its entries alone, and the
/// rarer kinds (indexed, record) sit behind one more pointer.
#[derive(Clone, Debug)]
pub struct Map(Repr);

#[derive(Clone, Debug)]
enum Repr {
    /// A mapping read from a template (or built with keys chosen at run time), small enough
    /// to be searched without an index.
    Small(Box<[Entry]>),
    /// A large mapping, or a model record.
    Other(Box<Other>),
}

/// Thirty-two bytes: a model has a record for every rule, peer, group and attachment, and the
/// rare indexed mapping sits behind a pointer of its own.
#[derive(Clone, Debug)]
enum Other {
    /// A mapping with its hash index.
    Indexed(Box<Indexed>),
    /// A model record: one value per key of the shape.
    Record(Record),
}

#[derive(Clone, Debug)]
struct Indexed {
    entries: Box<[Entry]>,
    /// Seeded at random (see [`Seeded`]): keys come from the template, and with a fixed hash a
    /// crafted file whose keys all land in one bucket made every lookup a scan (200,000 such
    /// resources took 15 times as long).
    index: HashMap<Key, u32, Seeded>,
}

impl Default for Map {
    fn default() -> Self {
        Map::new(Vec::new())
    }
}

/// Maps with more entries than this get a hash index.
/// Below it, a linear scan over short keys beats hashing, and small maps (most of a
/// template and all model entries) carry no index at all.
const INDEX_THRESHOLD: usize = 32;

impl PartialEq for Map {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.entries().zip(other.entries()).all(|(a, b)| a == b)
    }
}

impl Map {
    /// Builds a map from entries whose keys are unique (callers check for duplicates first;
    /// with a duplicate, lookups find the first entry).
    pub fn new(entries: Vec<Entry>) -> Self {
        let entries = super::value::exact(entries);
        if entries.len() <= INDEX_THRESHOLD {
            return Map(Repr::Small(entries));
        }
        let mut index = HashMap::with_capacity_and_hasher(entries.len(), Seeded::default());
        for (i, e) in entries.iter().enumerate() {
            index.entry(e.key.clone()).or_insert(i as u32);
        }
        Map(Repr::Other(Box::new(Other::Indexed(Box::new(Indexed {
            entries,
            index,
        })))))
    }

    /// A record of `shape` with one value per key, in the shape's order, for a record node
    /// at `span`. Values past the shape's keys are dropped; missing ones are null.
    pub fn record(
        shape: &'static Shape,
        values: impl IntoIterator<Item = Node>,
        span: Span,
    ) -> Self {
        Map(Repr::Other(Box::new(Other::Record(Record::new(
            shape, values, span,
        )))))
    }

    /// The entry for `key`.
    pub fn entry(&self, key: &str) -> Option<EntryRef<'_>> {
        match self.repr() {
            Ref::Small(entries) => entries.iter().find(|e| &*e.key == key).map(keyed),
            Ref::Indexed(entries, index) => index
                .get(key)
                .and_then(|&i| entries.get(i as usize))
                .map(keyed),
            Ref::Record(rec) => rec
                .position(key)
                .and_then(|i| rec.at(i))
                .map(|(k, v)| record(k, v)),
        }
    }

    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| e.value)
    }

    /// Replaces the value of `key`; false (and no change) when the map has no such key.
    pub fn set(&mut self, key: &str, value: Node) -> bool {
        let slot = match &mut self.0 {
            Repr::Small(entries) => find_mut(entries, key),
            Repr::Other(other) => match &mut **other {
                Other::Indexed(indexed) => find_mut(&mut indexed.entries, key),
                Other::Record(rec) => {
                    let Some(i) = rec.position(key) else {
                        return false;
                    };
                    rec.set(i, value);
                    return true;
                }
            },
        };
        slot.map(|slot| *slot = value).is_some()
    }

    /// The entries in source order (a record's in its shape's order).
    pub fn entries(&self) -> Entries<'_> {
        Entries(match self.repr() {
            Ref::Small(entries) | Ref::Indexed(entries, _) => Inner::Keyed(entries.iter()),
            Ref::Record(rec) => Inner::Record {
                rec,
                front: 0,
                back: rec.len(),
            },
        })
    }

    /// The entries of a mapping read from a template, as written; empty for a model record,
    /// which has none (read it with [`Map::entries`]).
    pub fn written(&self) -> &[Entry] {
        match self.repr() {
            Ref::Small(entries) | Ref::Indexed(entries, _) => entries,
            Ref::Record(..) => &[],
        }
    }

    /// [`Map::written`], taken over.
    pub(crate) fn into_written(self) -> Vec<Entry> {
        match self.0 {
            Repr::Small(entries) => entries.into_vec(),
            Repr::Other(other) => match *other {
                Other::Indexed(indexed) => indexed.entries.into_vec(),
                Other::Record(_) => Vec::new(),
            },
        }
    }

    /// Iterates `(key, value)` in source order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &Node)> {
        self.entries().map(|e| (e.key, e.value))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        match self.repr() {
            Ref::Small(entries) | Ref::Indexed(entries, _) => entries.len(),
            Ref::Record(rec) => rec.len(),
        }
    }

    /// True when the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the map has a hash index (for tests of the threshold).
    #[cfg(test)]
    pub(crate) fn is_indexed(&self) -> bool {
        matches!(self.repr(), Ref::Indexed(..))
    }

    fn repr(&self) -> Ref<'_> {
        match &self.0 {
            Repr::Small(entries) => Ref::Small(entries),
            Repr::Other(other) => match &**other {
                Other::Indexed(indexed) => Ref::Indexed(&indexed.entries, &indexed.index),
                Other::Record(rec) => Ref::Record(rec),
            },
        }
    }
}

/// A map's representation, borrowed.
enum Ref<'a> {
    Small(&'a [Entry]),
    Indexed(&'a [Entry], &'a HashMap<Key, u32, Seeded>),
    Record(&'a Record),
}

fn find_mut<'a>(entries: &'a mut [Entry], key: &str) -> Option<&'a mut Node> {
    entries
        .iter_mut()
        .find(|e| &*e.key == key)
        .map(|e| &mut e.value)
}

fn keyed(e: &Entry) -> EntryRef<'_> {
    EntryRef {
        key: &e.key,
        key_span: e.key_span,
        value: &e.value,
    }
}

fn record<'a>(key: &'static str, value: &'a Node) -> EntryRef<'a> {
    EntryRef {
        key,
        key_span: value.span,
        value,
    }
}

/// The entries of a [`Map`], in order.
#[derive(Clone, Debug)]
pub struct Entries<'a>(Inner<'a>);

#[derive(Clone, Debug)]
enum Inner<'a> {
    Keyed(std::slice::Iter<'a, Entry>),
    Record {
        rec: &'a Record,
        front: usize,
        back: usize,
    },
}

impl<'a> Iterator for Entries<'a> {
    type Item = EntryRef<'a>;

    fn next(&mut self) -> Option<EntryRef<'a>> {
        match &mut self.0 {
            Inner::Keyed(it) => it.next().map(keyed),
            Inner::Record { rec, front, back } => {
                if *front >= *back {
                    return None;
                }
                *front += 1;
                rec.at(*front - 1).map(|(k, v)| record(k, v))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            Inner::Keyed(it) => it.size_hint(),
            Inner::Record { front, back, .. } => {
                let n = back.saturating_sub(*front);
                (n, Some(n))
            }
        }
    }
}

impl DoubleEndedIterator for Entries<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Inner::Keyed(it) => it.next_back().map(keyed),
            Inner::Record { rec, front, back } => {
                if *front >= *back {
                    return None;
                }
                *back -= 1;
                rec.at(*back).map(|(k, v)| record(k, v))
            }
        }
    }
}

impl ExactSizeIterator for Entries<'_> {}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;
    use crate::template::Value;

    static PAIR: Shape = Shape(&["left", "right"]);

    fn int(i: i64, at: u32) -> Node {
        Node::new(Value::Int(i), Span::new(at, at + 1))
    }

    #[test]
    fn a_record_reads_like_the_keyed_map_with_the_same_entries() {
        let record = Map::record(&PAIR, [int(1, 3), int(2, 7)], Span::new(0, 9));
        let keyed = Map::new(
            [("left", int(1, 3)), ("right", int(2, 7))]
                .into_iter()
                .map(|(k, value)| Entry {
                    key: Key::from(k),
                    key_span: value.span,
                    value,
                })
                .collect(),
        );
        assert_eq!(record, keyed);
        assert_eq!(record.get("right"), Some(&int(2, 7)));
        assert_eq!(record.get("middle"), None);
        assert_eq!(
            record.entry("left").map(|e| e.key_span),
            Some(Span::new(3, 4))
        );
        let keys: Vec<&str> = record.entries().rev().map(|e| e.key).collect();
        assert_eq!(keys, ["right", "left"]);
        assert!(record.written().is_empty());
        // A record's header takes one allocation of 32 bytes besides its values.
        assert_eq!(std::mem::size_of::<Other>(), 32);
    }

    #[test]
    fn the_index_of_a_large_map_is_keyed_at_random() {
        // With a fixed hash, a file's keys can be chosen to share a bucket, and every lookup
        // in that map becomes a scan: each index must hash the same key differently.
        let large = || {
            Map::new(
                (0..=INDEX_THRESHOLD)
                    .map(|i| Entry {
                        key: Key::from(format!("R{i}").as_str()),
                        key_span: Span::NONE,
                        value: int(i as i64, 0),
                    })
                    .collect(),
            )
        };
        let hash_of = |map: &Map| match map.repr() {
            Ref::Indexed(_, index) => index.hasher().hash_one("R1"),
            _ => panic!("not indexed"),
        };
        let (a, b) = (large(), large());
        assert_ne!(hash_of(&a), hash_of(&b));
        assert_eq!(a.get("R7"), Some(&int(7, 0)));
    }

    #[test]
    fn a_record_is_padded_with_nulls_and_values_can_be_replaced() {
        let mut record = Map::record(&PAIR, [int(1, 3)], Span::new(0, 9));
        assert_eq!(record.len(), 2);
        assert_eq!(record.get("right").map(|n| &n.value), Some(&Value::Null));
        assert!(record.set("right", int(5, 9)));
        assert!(!record.set("middle", int(6, 9)));
        assert_eq!(record.get("right"), Some(&int(5, 9)));
        assert!(record.set("left", int(4, 5)));
        let values: Vec<&Node> = record.entries().map(|e| e.value).collect();
        assert_eq!(values, [&int(4, 5), &int(5, 9)]);
    }

    #[test]
    fn common_values_at_the_records_position_are_shared_and_others_kept() {
        let at = Span::new(10, 20);
        let flag = |b, span| Node::new(Value::Bool(b), span);
        let word = |w: &str, span| Node::string(w, span);
        let record = Map::record(
            &PAIR,
            [flag(false, at), word("ingress", Span::new(11, 18))],
            at,
        );
        // `false` at the record's position is the shared one, with no place of its own.
        let left = record.get("left").map(|n| (n.value.clone(), n.span));
        assert_eq!(left, Some((Value::Bool(false), Span::NONE)));
        // The same word written elsewhere keeps its place.
        assert_eq!(
            record.get("right"),
            Some(&word("ingress", Span::new(11, 18)))
        );
        let other = Map::record(&PAIR, [word("egress", at), word("sctp", at)], at);
        assert_eq!(other.get("left").map(|n| n.span), Some(Span::NONE));
        assert_eq!(other.get("right"), Some(&word("sctp", at)));
    }

    #[test]
    fn a_value_equal_to_the_one_before_is_shared_until_one_of_them_changes() {
        static THREE: Shape = Shape(&["group", "resource", "other"]);
        let at = Span::new(10, 20);
        let word = |w: &str| Node::string(w, at);
        let mut record = Map::record(&THREE, [word("WebSg"), word("WebSg"), word("x")], at);
        assert_eq!(record.get("resource"), Some(&word("WebSg")));
        assert!(record.set("group", word("Other")));
        assert_eq!(record.get("group"), Some(&word("Other")));
        assert_eq!(record.get("resource"), Some(&word("WebSg")));
        assert!(record.set("resource", word("Third")));
        let values: Vec<&Node> = record.entries().map(|e| e.value).collect();
        assert_eq!(values, [&word("Other"), &word("Third"), &word("x")]);
    }

    #[test]
    fn nulls_that_only_stand_for_nothing_written_are_not_stored() {
        let at = Span::new(10, 20);
        let null = |span| Node::new(Value::Null, span);
        // The left null is the record's own: left out, read back as a null with no place.
        // The right one was written somewhere else: kept with its span.
        let mut record = Map::record(&PAIR, [null(at), null(Span::new(12, 14))], at);
        let left = record.get("left").map(|n| (n.value.clone(), n.span));
        assert_eq!(left, Some((Value::Null, Span::NONE)));
        let right = record.get("right").map(|n| n.span);
        assert_eq!(right, Some(Span::new(12, 14)));
        let keys: Vec<&str> = record.entries().map(|e| e.key).collect();
        assert_eq!(keys, ["left", "right"]);
        assert!(record.set("left", int(1, 11)));
        assert_eq!(record.get("left"), Some(&int(1, 11)));
        assert_eq!(record.get("right").map(|n| n.span), Some(Span::new(12, 14)));
    }
}
