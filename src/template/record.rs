//! Model records: the values of a fixed-shape entry, stored sparsely.
//!
//! Most fields of a model rule are null where the template says nothing (no ICMP type, no
//! condition, a peer that is a CIDR and so has no group). A null that only stands for "not
//! written" (it carries the record's own span) is not stored: reading it gives a shared null
//! whose span is [`Span::NONE`], so that a finding about it points at the record instead.

use super::map::Shape;
use super::value::{Node, Value};
use crate::source::Span;

/// The null read for a field that is not stored.
static ABSENT: Node = Node {
    value: Value::Null,
    span: Span::NONE,
};

/// One value per key of `shape`: those stored (bit `i` of `present` for key `i`), in key order.
#[derive(Clone, Debug)]
pub(super) struct Record {
    pub(super) shape: &'static Shape,
    present: u64,
    values: Box<[Node]>,
}

impl Record {
    /// A record of `shape` from one value per key (missing ones are null), leaving out nulls
    /// that carry `span`, the record's own.
    pub(super) fn new(
        shape: &'static Shape,
        values: impl IntoIterator<Item = Node>,
        span: Span,
    ) -> Self {
        let mut present = 0u64;
        let mut kept = Vec::with_capacity(shape.0.len());
        for (i, value) in values.into_iter().take(shape.0.len()).enumerate() {
            let unwritten = matches!(value.value, Value::Null) && value.span == span;
            if unwritten && i < 64 {
                continue;
            }
            if i < 64 {
                present |= 1 << i;
            }
            kept.push(value);
        }
        Record {
            shape,
            present,
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
        let value = match self.slot(i) {
            Some(slot) => self.values.get(slot)?,
            None => &ABSENT,
        };
        Some((key, value))
    }

    /// Replaces the value at `i` (storing it if it was left out).
    pub(super) fn set(&mut self, i: usize, value: Node) {
        match self.slot(i) {
            Some(slot) => {
                if let Some(v) = self.values.get_mut(slot) {
                    *v = value;
                }
            }
            None if i < 64 => {
                let slot = (self.present & ((1u64 << i) - 1)).count_ones() as usize;
                let mut values = std::mem::take(&mut self.values).into_vec();
                values.insert(slot.min(values.len()), value);
                self.values = values.into_boxed_slice();
                self.present |= 1 << i;
            }
            None => {}
        }
    }

    /// Where the value of key `i` is stored, if it is.
    fn slot(&self, i: usize) -> Option<usize> {
        if i >= 64 {
            // Shapes are far shorter; keys past 64 are always stored, after the others.
            return Some(self.present.count_ones() as usize + (i - 64));
        }
        let bit = 1u64 << i;
        (self.present & bit != 0).then(|| (self.present & (bit - 1)).count_ones() as usize)
    }
}
