//! The hash maps and sets of the pipeline: foldhash, seeded at random for each map.
//!
//! Keys come from templates, so the hash must be seeded: with a fixed one, a file written to
//! make its keys collide turns every lookup into a scan (200,000 resources whose names were
//! chosen that way took 15 times as long). foldhash is seeded and, on the short keys of a
//! template, faster than the standard library's SipHash.

/// The hasher of every map and set keyed by template or policy text.
pub type Seeded = foldhash::quality::RandomState;

/// A hash map with the [`Seeded`] hasher; made with `HashMap::default()`.
pub type HashMap<K, V> = std::collections::HashMap<K, V, Seeded>;

/// A hash set with the [`Seeded`] hasher; made with `HashSet::default()`.
pub type HashSet<T> = std::collections::HashSet<T, Seeded>;
