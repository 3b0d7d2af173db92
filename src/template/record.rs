//! Model records: the values of a fixed-shape entry, stored sparsely.
//!
//! Most fields of a model rule hold one of a few values at the record's own position: null
//! where the template says nothing (no ICMP type, no condition, the group of a CIDR peer), and
//! the words the model uses for kinds (`ingress`, `inline`, `cidr`, `false`). Such a value is
//! not stored: reading it gives a shared copy whose span is [`Span::NONE`], so that a finding
//! about it points at the record, where the stored value pointed too.

use super::map::Shape;
use super::value::{Node, Str, Value};
use crate::source::Span;

/// A shared value at no position of its own.
const fn common(value: Value) -> Node {
    Node {
        value,
        span: Span::NONE,
    }
}

/// The values records share, by code (code 0 means "stored"; code `c` up to 14 is
/// `COMMON[c - 1]`; 15 is [`SAME_AS_BEFORE`]).
static COMMON: [Node; 14] = [
    common(Value::Null),
    common(Value::Bool(false)),
    common(Value::Bool(true)),
    common(Value::Int(0)),
    common(Value::String(Str::const_new("ingress"))),
    common(Value::String(Str::const_new("egress"))),
    common(Value::String(Str::const_new("inline"))),
    common(Value::String(Str::const_new("standalone"))),
    common(Value::String(Str::const_new("implicit"))),
    common(Value::String(Str::const_new("cidr"))),
    common(Value::String(Str::const_new("group"))),
    common(Value::String(Str::const_new("prefix_list"))),
    common(Value::String(Str::const_new("none"))),
    common(Value::String(Str::const_new("all"))),
];

/// The code of a value equal to the one of the key before it (a rule's `resource` is its
/// `group` when it is declared inline).
const SAME_AS_BEFORE: usize = 15;

/// Keys past this many are always stored (four bits of `codes` per key).
const CODED: usize = 16;

/// One value per key of `shape`: a code per key (0: stored, else a [`COMMON`] value), and the
/// stored values in key order.
#[derive(Clone, Debug)]
pub(super) struct Record {
    shape: &'static Shape,
    codes: u64,
    values: Box<[Node]>,
}

impl Record {
    /// A record of `shape` from one value per key (missing ones are null), leaving out the
    /// common values that carry `span`, the record's own.
    pub(super) fn new(
        shape: &'static Shape,
        values: impl IntoIterator<Item = Node>,
        span: Span,
    ) -> Self {
        let mut codes = 0u64;
        let mut kept: Vec<Node> = Vec::with_capacity(shape.0.len());
        let mut given = 0;
        // True when the key before holds the last stored value, at the record's position
        // (stored, or the same as the one before it).
        let mut last_before = false;
        for (i, value) in values.into_iter().take(shape.0.len()).enumerate() {
            given += 1;
            let here = value.span == span;
            let code = if i < CODED && here {
                match COMMON.iter().position(|c| c.value == value.value) {
                    Some(c) => c + 1,
                    None if last_before && kept.last().map(|n| &n.value) == Some(&value.value) => {
                        SAME_AS_BEFORE
                    }
                    None => 0,
                }
            } else {
                0
            };
            last_before = here && matches!(code, 0 | SAME_AS_BEFORE);
            if code == 0 {
                kept.push(value);
            } else {
                codes |= (code as u64) << (4 * i);
            }
        }
        // Keys without a value are null.
        for i in given..shape.0.len().min(CODED) {
            codes |= 1 << (4 * i);
        }
        for _ in given.max(CODED)..shape.0.len() {
            kept.push(Node::null(span));
        }
        Record {
            shape,
            codes,
            values: super::value::exact(kept),
        }
    }

    /// Number of keys.
    pub(super) fn len(&self) -> usize {
        self.shape.0.len()
    }

    /// The position of `key` in the shape.
    pub(super) fn position(&self, key: &str) -> Option<usize> {
        self.shape.0.iter().position(|k| *k == key)
    }

    /// The key at `i` and its value.
    pub(super) fn at(&self, i: usize) -> Option<(&'static str, &Node)> {
        let key = self.shape.0.get(i)?;
        let mut at = i;
        while self.code(at) == SAME_AS_BEFORE {
            at = at.checked_sub(1)?;
        }
        let value = match self.code(at) {
            0 => self.values.get(self.slot(at))?,
            c => COMMON.get(c - 1)?,
        };
        Some((key, value))
    }

    /// Replaces the value at `i` (storing it if it was a common one).
    pub(super) fn set(&mut self, i: usize, value: Node) {
        if i >= self.len() {
            return;
        }
        // A key after this one that shares its value keeps the value it had.
        if self.code(i + 1) == SAME_AS_BEFORE {
            if let Some((_, next)) = self.at(i + 1) {
                let next = next.clone();
                self.store(i + 1, next);
            }
        }
        self.store(i, value);
    }

    /// Stores `value` for key `i`.
    fn store(&mut self, i: usize, value: Node) {
        let slot = self.slot(i);
        if self.code(i) == 0 {
            if let Some(v) = self.values.get_mut(slot) {
                *v = value;
            }
            return;
        }
        let mut values = std::mem::take(&mut self.values).into_vec();
        values.insert(slot.min(values.len()), value);
        self.values = values.into_boxed_slice();
        self.codes &= !(0xF << (4 * i));
    }

    /// The code of key `i` (0 when it is stored).
    fn code(&self, i: usize) -> usize {
        if i >= CODED {
            return 0;
        }
        ((self.codes >> (4 * i)) & 0xF) as usize
    }

    /// Where the value of key `i` is, or would be, stored: the number of stored keys before it.
    fn slot(&self, i: usize) -> usize {
        (0..i).filter(|&k| self.code(k) == 0).count()
    }
}
