//! A right-hand side prepared once for every left-hand value of a clause.
//!
//! A clause compares each value its left-hand side selects with every value of its right-hand
//! side: `peer.cidr NOT WITHIN %vpc_cidrs` over the rules of a template tries each rule's block
//! against each VPC's. Both sides grow with the template, so a template with thousands of VPCs
//! and rules made that quadratic. When the right-hand side is a long list of plain strings or
//! CIDR blocks, it is indexed once: `==`, `!=` and `IN` look the text up in a hash set, and
//! `WITHIN` and `OVERLAPS` look the block up by prefix length and in a sorted list of
//! addresses. Any other right-hand side, and any left-hand value the index cannot answer
//! exactly, goes through [`binary`] as before: the results are the same either way (tests
//! compare them).

use std::rc::Rc;

use ipnet::IpNet;

use super::{Truth, V, binary, cidr, string, unknown_of, unknown_truth, view};
use crate::check::ir::BinaryOp;
use crate::eval::item::Item;
use crate::hash::HashSet;
use crate::template::{UnknownHint, Value};

/// Right-hand sides shorter than this are compared value by value.
const INDEX_FROM: usize = 32;

/// A clause's right-hand side, with an index when it pays.
pub(crate) struct Prepared<'a> {
    op: BinaryOp,
    rhs: Rc<Vec<Item<'a>>>,
    index: Option<Rc<Index>>,
}

/// The index of a long right-hand side.
pub(crate) enum Index {
    /// Every value is a string (`==`, `!=`, `IN`).
    Texts(HashSet<Box<str>>),
    /// Every value is a CIDR block (`WITHIN`, `OVERLAPS`).
    Blocks(Blocks),
}

impl<'a> Prepared<'a> {
    /// Prepares `rhs` for `op`, indexing it when it is long.
    pub(crate) fn new(op: BinaryOp, rhs: Rc<Vec<Item<'a>>>) -> Self {
        let index = Self::index_of(op, &rhs).map(Rc::new);
        Prepared { op, rhs, index }
    }

    /// `rhs` for `op`, compared value by value whatever its length.
    pub(crate) fn scan(op: BinaryOp, rhs: Rc<Vec<Item<'a>>>) -> Self {
        Prepared {
            op,
            rhs,
            index: None,
        }
    }

    /// `rhs` for `op` with the index already worked out for the same `op` and values (`None`
    /// when they cannot be indexed).
    pub(crate) fn with_index(
        op: BinaryOp,
        rhs: Rc<Vec<Item<'a>>>,
        index: Option<Rc<Index>>,
    ) -> Self {
        Prepared { op, rhs, index }
    }

    /// The index for `op` over `rhs`, if one pays and the values allow it.
    pub(crate) fn index_of(op: BinaryOp, rhs: &[Item<'_>]) -> Option<Index> {
        if rhs.len() < INDEX_FROM {
            return None;
        }
        match op {
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::In => texts(rhs).map(Index::Texts),
            BinaryOp::Within | BinaryOp::Overlaps => Blocks::new(rhs).map(Index::Blocks),
            _ => None,
        }
    }

    /// `lhs op rhs`, as [`binary`] gives it.
    pub(crate) fn test(&self, lhs: &Item<'_>) -> Truth {
        let answer = match self.index.as_deref() {
            Some(Index::Texts(set)) => text_test(set, lhs),
            Some(Index::Blocks(blocks)) => blocks.test(lhs, self.op == BinaryOp::Within),
            None => None,
        };
        match answer {
            Some(truth) => {
                crate::eval::count_indexed();
                truth
            }
            None => binary(lhs, self.op, &self.rhs),
        }
    }
}

/// The texts of values made only of strings, `None` if one is anything else (a number too:
/// `"22"` equals `22`). A string equals one of them exactly when it is the same text.
pub(crate) fn texts(rhs: &[Item<'_>]) -> Option<HashSet<Box<str>>> {
    rhs.iter()
        .map(|item| match view(item) {
            V::Node(node) if matches!(node.value, Value::String(_)) => string(V::Node(node)),
            V::Lit(lit) => string(V::Lit(lit)),
            _ => None,
        })
        .map(|text| text.map(Box::from))
        .collect()
}

/// A string compared with strings: equal when the texts are (see `eq` and `member`). `None`
/// for any other left-hand value.
fn text_test(set: &HashSet<Box<str>>, lhs: &Item<'_>) -> Option<Truth> {
    let a = view(lhs);
    if let Some(u) = unknown_of(a) {
        // An unknown value is never null, and these values are not: unknown.
        return Some(unknown_truth(u));
    }
    let text = match a {
        V::Node(node) if matches!(node.value, Value::String(_)) => string(a)?,
        _ => return None,
    };
    Some(Truth::from_bool(set.contains(text)))
}

/// The blocks of a right-hand side made only of CIDR blocks, by IP version.
pub(crate) struct Blocks {
    v4: Family,
    v6: Family,
}

/// The blocks of one IP version.
#[derive(Default)]
struct Family {
    /// Each block, its host bits cleared.
    blocks: HashSet<IpNet>,
    /// The prefix lengths that occur, ascending.
    prefixes: Vec<u8>,
    /// The first address of each block, ascending.
    starts: Vec<u128>,
    /// Whether a block is `/0`, and whether one is not (for unknown left-hand values).
    any_zero: bool,
    any_other: bool,
}

impl Blocks {
    fn new(rhs: &[Item<'_>]) -> Option<Self> {
        let mut blocks = Blocks {
            v4: Family::default(),
            v6: Family::default(),
        };
        for item in rhs {
            let b = view(item);
            // Exactly what `network_test` takes for a single block: not unknown, not a list,
            // not a port (a port is compared as one), and a block.
            if unknown_of(b).is_some()
                || super::list_items(b).is_some()
                || super::ports(b).is_some()
            {
                return None;
            }
            let net = cidr(b)?.trunc();
            let family = match net {
                IpNet::V4(_) => &mut blocks.v4,
                IpNet::V6(_) => &mut blocks.v6,
            };
            family.add(net);
        }
        for family in [&mut blocks.v4, &mut blocks.v6] {
            family.prefixes.sort_unstable();
            family.prefixes.dedup();
            family.starts.sort_unstable();
        }
        Some(blocks)
    }

    /// `WITHIN` (else `OVERLAPS`) of `lhs` and these blocks, as `network_test` gives it for
    /// each block and `Truth::any` joins them; `None` when the left-hand value is not a block
    /// nor an unknown value.
    fn test(&self, lhs: &Item<'_>, within: bool) -> Option<Truth> {
        let a = view(lhs);
        if let Some(u) = unknown_of(a) {
            return Some(self.unknown(u, unknown_truth(u)));
        }
        let Some(net) = cidr(a) else {
            // Not a block (a port is compared with ports only): no block holds it.
            return Some(Truth::False);
        };
        let net = net.trunc();
        let family = match net {
            IpNet::V4(_) => &self.v4,
            IpNet::V6(_) => &self.v6,
        };
        Some(Truth::from_bool(
            family.holds(net) || (!within && family.starts_inside(net)),
        ))
    }

    /// An unknown block against these blocks: known to be in a `/0` of its IP version (and
    /// never in one of the other), else unknown (see `version_test`).
    fn unknown(&self, u: &crate::template::Unknown, unknown: Truth) -> Truth {
        let v6 = match &u.hint {
            UnknownHint::Cidr { v6, .. } => *v6,
            UnknownHint::VpcCidr(_) | UnknownHint::BlockInVpc(_) => false,
            _ => return unknown,
        };
        let (same, other) = if v6 {
            (&self.v6, &self.v4)
        } else {
            (&self.v4, &self.v6)
        };
        if same.any_zero {
            Truth::True
        } else if same.any_other || other.any_other {
            unknown
        } else {
            Truth::False
        }
    }
}

impl Family {
    fn add(&mut self, net: IpNet) {
        let zero = net.prefix_len() == 0;
        self.any_zero |= zero;
        self.any_other |= !zero;
        self.prefixes.push(net.prefix_len());
        self.starts.push(start(net));
        self.blocks.insert(net);
    }

    /// True when one of the blocks holds `net` (`net` with its host bits cleared).
    fn holds(&self, net: IpNet) -> bool {
        self.prefixes
            .iter()
            .take_while(|&&p| p <= net.prefix_len())
            .any(|&p| {
                IpNet::new(net.addr(), p).is_ok_and(|outer| self.blocks.contains(&outer.trunc()))
            })
    }

    /// True when a block starts inside `net`: it lies inside it or holds it, so they overlap.
    fn starts_inside(&self, net: IpNet) -> bool {
        let (first, last) = (start(net), end(net));
        let i = self.starts.partition_point(|&s| s < first);
        self.starts.get(i).is_some_and(|&s| s <= last)
    }
}

fn start(net: IpNet) -> u128 {
    match net.network() {
        std::net::IpAddr::V4(a) => u128::from(u32::from(a)),
        std::net::IpAddr::V6(a) => u128::from(a),
    }
}

fn end(net: IpNet) -> u128 {
    match net.broadcast() {
        std::net::IpAddr::V4(a) => u128::from(u32::from(a)),
        std::net::IpAddr::V6(a) => u128::from(a),
    }
}
